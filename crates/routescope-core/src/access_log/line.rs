//! Reading what was pasted: one line in Istio's default TEXT access log format, or only a
//! response-flags field.
//!
//! Istio 1.9 and later (the `EnvoyTextLogFormat` of Istio's `telemetry_logging.go`, shown in
//! "Envoy Access Logs" of Istio's docs):
//!
//! ```text
//! [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
//! %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
//! "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//! %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
//! "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER%
//! %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
//! %REQUESTED_SERVER_NAME% %ROUTE_NAME%
//! ```
//!
//! Istio 1.3 to 1.8 wrote the same without the two details fields; both are read. A value
//! Envoy does not have is written `-` and read as `None`.

use std::fmt;

use super::flags::ResponseFlag;

/// What was pasted.
#[derive(Debug, PartialEq)]
pub enum Pasted {
    /// A whole access log line.
    Line(Box<LogLine>),
    /// Only a response-flags field (`UF,URX`, or `-` for none).
    Flags(Vec<&'static ResponseFlag>),
}

impl Pasted {
    pub fn flags(&self) -> &[&'static ResponseFlag] {
        match self {
            Pasted::Line(line) => &line.response_flags,
            Pasted::Flags(flags) => flags,
        }
    }
}

/// The text fields of a line, in the format's order (the response code and flags, which are
/// read into types, stand between `Protocol` and `ResponseCodeDetails`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    StartTime,
    Method,
    Path,
    Protocol,
    /// Absent before Istio 1.9.
    ResponseCodeDetails,
    /// Absent before Istio 1.9.
    ConnectionTerminationDetails,
    UpstreamTransportFailureReason,
    BytesReceived,
    BytesSent,
    Duration,
    UpstreamServiceTime,
    XForwardedFor,
    UserAgent,
    RequestId,
    Authority,
    UpstreamHost,
    UpstreamCluster,
    UpstreamLocalAddress,
    DownstreamLocalAddress,
    DownstreamRemoteAddress,
    RequestedServerName,
    RouteName,
}

/// Every field, in order (a static: indexing it reads memory instead of building the array).
static FIELDS: [Field; 22] = Field::ALL;

impl Field {
    pub const ALL: [Field; 22] = [
        Field::StartTime,
        Field::Method,
        Field::Path,
        Field::Protocol,
        Field::ResponseCodeDetails,
        Field::ConnectionTerminationDetails,
        Field::UpstreamTransportFailureReason,
        Field::BytesReceived,
        Field::BytesSent,
        Field::Duration,
        Field::UpstreamServiceTime,
        Field::XForwardedFor,
        Field::UserAgent,
        Field::RequestId,
        Field::Authority,
        Field::UpstreamHost,
        Field::UpstreamCluster,
        Field::UpstreamLocalAddress,
        Field::DownstreamLocalAddress,
        Field::DownstreamRemoteAddress,
        Field::RequestedServerName,
        Field::RouteName,
    ];

    /// `upstream_cluster`: the name Istio's JSON access log gives the field.
    pub fn name(self) -> &'static str {
        FIELD_NAMES[self as usize]
    }

    /// Written in quotes by the format.
    fn quoted(self) -> bool {
        matches!(
            self,
            Field::UpstreamTransportFailureReason
                | Field::XForwardedFor
                | Field::UserAgent
                | Field::RequestId
                | Field::Authority
                | Field::UpstreamHost
        )
    }
}

static FIELD_NAMES: [&str; 22] = [
    "start_time",
    "method",
    "path",
    "protocol",
    "response_code_details",
    "connection_termination_details",
    "upstream_transport_failure_reason",
    "bytes_received",
    "bytes_sent",
    "duration",
    "upstream_service_time",
    "x_forwarded_for",
    "user_agent",
    "request_id",
    "authority",
    "upstream_host",
    "upstream_cluster",
    "upstream_local_address",
    "downstream_local_address",
    "downstream_remote_address",
    "requested_server_name",
    "route_name",
];

/// One access log line.
#[derive(Debug, Default, PartialEq)]
pub struct LogLine {
    /// `0` means no response was sent (TCP lines always say 0).
    pub response_code: Option<u16>,
    pub response_flags: Vec<&'static ResponseFlag>,
    values: [Option<String>; 22],
}

impl LogLine {
    /// A field's value; `None` where Envoy wrote `-` (or, for the details before Istio 1.9,
    /// nothing).
    pub fn get(&self, field: Field) -> Option<&str> {
        self.values[field as usize].as_deref()
    }
}

/// Why a paste could not be read, at a 1-based column counted in characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// One token of the line: its text (without brackets or quotes) and the byte offset in the
/// paste where it starts.
struct Token<'t> {
    text: &'t str,
    at: usize,
    quoted: bool,
}

/// Reads a pasted line or flags field. Surrounding white space is ignored; a prefix before
/// the start time (`kubectl logs --timestamps` or `--prefix`) is skipped.
pub fn parse(pasted: &str) -> Result<Pasted, ParseError> {
    let bytes = pasted.as_bytes();
    let error = |at: usize, message: &str| error_at(pasted, at, message.to_string());
    let Some(start) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Err(error(
            0,
            "paste an Envoy access log line or a response-flags field (`UF,URX`)",
        ));
    };
    let end = pasted.trim_end().len();
    if let Some(newline) = bytes[start..end].iter().position(|&b| b == b'\n') {
        return Err(error(
            start + newline,
            "paste one access log line at a time",
        ));
    }
    if bytes[start] == b'{' {
        return Err(error(
            start,
            "this is a JSON access log entry: paste a TEXT line, or the value of its \
             `response_flags`",
        ));
    }
    if bytes[start] != b'[' && !bytes[start..end].contains(&b' ') {
        return parse_flags(pasted, start, end).map(Pasted::Flags);
    }
    // The start time opens with `[` and a digit: skip anything before it.
    let open = (start..end)
        .find(|&at| bytes[at] == b'[' && bytes.get(at + 1).is_some_and(u8::is_ascii_digit))
        .ok_or_else(|| {
            error(
                start,
                "expected the start time in brackets (`[2024-05-01T10:00:00.000Z]`) that opens \
                 a line of Istio's default access log format",
            )
        })?;
    let mut tokens = Vec::new();
    let mut at = open;
    while at < end {
        if bytes[at] == b' ' {
            at += 1;
            continue;
        }
        // (text start, text end, next token's search start)
        let (from, to, next) = match bytes[at] {
            b'[' => {
                let close = (at..end)
                    .find(|&i| bytes[i] == b']')
                    .ok_or_else(|| error(at, "the start time's `[` is never closed"))?;
                (at + 1, close, close + 1)
            }
            // A quoted field ends at a quote before a space or the end: values may hold both.
            b'"' => {
                let close = (at + 1..end)
                    .find(|&i| bytes[i] == b'"' && (i + 1 == end || bytes[i + 1] == b' '))
                    .ok_or_else(|| error(at, "this quoted field is never closed"))?;
                (at + 1, close, close + 1)
            }
            _ => {
                let stop = (at..end).find(|&i| bytes[i] == b' ').unwrap_or(end);
                (at, stop, stop)
            }
        };
        tokens.push(Token {
            text: &pasted[from..to],
            at,
            quoted: bytes[at] == b'"',
        });
        at = next;
    }
    read_line(pasted, &tokens, end)
}

/// An error at byte `at` of the paste (its column counts characters).
fn error_at(pasted: &str, at: usize, message: String) -> ParseError {
    ParseError {
        column: pasted[..at].chars().count() + 1,
        message,
    }
}

/// The flags field `pasted[start..end]`: short or long names separated by commas, or `-`.
fn parse_flags(
    pasted: &str,
    start: usize,
    end: usize,
) -> Result<Vec<&'static ResponseFlag>, ParseError> {
    let mut flags: Vec<&'static ResponseFlag> = Vec::new();
    if &pasted[start..end] == "-" {
        return Ok(flags);
    }
    let mut at = start;
    for name in pasted[start..end].split(',') {
        let Some(flag) = ResponseFlag::find(name) else {
            let message = if name.is_empty() {
                "an empty response flag (two commas, or a comma at an end)".to_string()
            } else {
                format!("`{name}` is not a response flag Envoy documents")
            };
            return Err(error_at(pasted, at, message));
        };
        if !flags.iter().any(|known| std::ptr::eq(*known, flag)) {
            flags.push(flag);
        }
        at += name.len() + 1;
    }
    Ok(flags)
}

fn read_line(pasted: &str, tokens: &[Token], end: usize) -> Result<Pasted, ParseError> {
    let request = tokens.get(1).filter(|t| t.quoted).ok_or_else(|| {
        error_at(
            pasted,
            tokens.get(1).map_or(end, |t| t.at),
            "expected the quoted request (`\"GET /path HTTP/1.1\"`) after the start time".into(),
        )
    })?;
    let mut line = LogLine::default();
    line.values[0] = value(tokens[0].text);
    let mut parts = request.text.split(' ').filter(|p| !p.is_empty());
    for slot in &mut line.values[1..4] {
        *slot = parts.next().and_then(value);
    }
    // After the request: the response code, the flags, then the fields from the details on;
    // before Istio 1.9 the transport failure reason (quoted) follows the flags directly.
    let first = if tokens.get(4).is_some_and(|t| t.quoted) {
        Field::UpstreamTransportFailureReason
    } else {
        Field::ResponseCodeDetails
    } as usize;
    let expected = 2 + FIELDS.len() - first;
    for (at, token) in tokens.iter().enumerate().skip(2).take(expected) {
        let field = (at > 3).then(|| FIELDS[first + at - 4]);
        let quoted = field.is_some_and(Field::quoted);
        if token.quoted != quoted {
            let quoting = if quoted {
                "in quotes"
            } else {
                "without quotes"
            };
            let message = format!(
                "expected the {} {quoting}, found `{}`",
                field_name(first, at),
                token.text
            );
            return Err(error_at(pasted, token.at, message));
        }
        match field {
            Some(field) => line.values[field as usize] = value(token.text),
            None if at == 3 => {
                line.response_flags = parse_flags(pasted, token.at, token.at + token.text.len())?
            }
            None if token.text == "-" => {}
            None => {
                let message = || {
                    format!(
                        "expected the response code (a number), found `{}`",
                        token.text
                    )
                };
                let code = token
                    .text
                    .parse()
                    .map_err(|_| error_at(pasted, token.at, message()))?;
                line.response_code = Some(code);
            }
        }
    }
    if tokens.len() < 2 + expected {
        let message = format!(
            "the line ends before the {}: Istio's default format has {expected} fields after the \
             request",
            field_name(first, tokens.len())
        );
        return Err(error_at(pasted, end, message));
    }
    Ok(Pasted::Line(Box::new(line)))
}

/// The name of the field at token `at` of a line whose fields after the flags start at
/// `first`.
fn field_name(first: usize, at: usize) -> &'static str {
    match at {
        2 => "response_code",
        3 => "response_flags",
        _ => FIELD_NAMES[first + at - 4],
    }
}

/// `-` (Envoy's "no value") as `None`.
fn value(text: &str) -> Option<String> {
    (text != "-" && !text.is_empty()).then(|| text.to_string())
}

/// An upstream cluster name as Istio writes it for services (`outbound|443||httpbin.org`,
/// `inbound|9080||`): direction, port, subset and host. `None` for other names
/// (`BlackHoleCluster`, `PassthroughCluster`, …).
pub fn cluster_parts(name: &str) -> Option<[&str; 4]> {
    let mut parts = name.splitn(4, '|');
    let parts = [parts.next()?, parts.next()?, parts.next()?, parts.next()?];
    matches!(parts[0], "outbound" | "inbound").then_some(parts)
}

/// The host of an SNI Istio sets for mTLS (`outbound_.9080_._.reviews.default.svc.cluster.local`)
/// or of a plain SNI.
pub fn sni_host(sni: &str) -> &str {
    let mut parts = sni.splitn(4, '_');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("outbound" | "inbound"), Some(_), Some(_), Some(host)) => {
            host.strip_prefix('.').unwrap_or(host)
        }
        _ => sni,
    }
}
