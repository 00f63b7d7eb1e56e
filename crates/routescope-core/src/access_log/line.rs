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
        [
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
        ][self as usize]
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

/// One token of the line: its text (without brackets or quotes) and the character column
/// where it starts.
struct Token<'t> {
    text: &'t str,
    column: usize,
    quoted: bool,
}

/// Reads a pasted line or flags field. Surrounding white space is ignored; a prefix before
/// the start time (`kubectl logs --timestamps` or `--prefix`) is skipped.
pub fn parse(pasted: &str) -> Result<Pasted, ParseError> {
    let leading = pasted.len() - pasted.trim_start().len();
    let text = pasted.trim();
    let column_of = |byte: usize| pasted[..byte].chars().count() + 1;
    if text.is_empty() {
        return Err(ParseError {
            column: 1,
            message: "paste an Envoy access log line or a response-flags field (`UF,URX`)".into(),
        });
    }
    if let Some(newline) = text.find('\n') {
        return Err(ParseError {
            column: column_of(leading + newline),
            message: "paste one access log line at a time".into(),
        });
    }
    if text.starts_with('{') {
        return Err(ParseError {
            column: column_of(leading),
            message: "this is a JSON access log entry: paste a TEXT line, or the value of its \
                      `response_flags`"
                .into(),
        });
    }
    if !text.contains(char::is_whitespace) && !text.starts_with('[') {
        return parse_flags(text, column_of(leading)).map(Pasted::Flags);
    }
    // The start time opens with `[` and a digit: skip anything before it.
    let start = text
        .match_indices('[')
        .map(|(at, _)| at)
        .find(|&at| text[at + 1..].starts_with(|c: char| c.is_ascii_digit()))
        .ok_or_else(|| ParseError {
            column: column_of(leading),
            message: "expected the start time in brackets (`[2024-05-01T10:00:00.000Z]`) that \
                      opens a line of Istio's default access log format"
                .into(),
        })?;
    let tokens = tokenize(&text[start..], column_of(leading + start))?;
    read_line(&tokens, column_of(pasted.len()))
}

/// A flags field: short or long names separated by commas, or `-`.
fn parse_flags(field: &str, column: usize) -> Result<Vec<&'static ResponseFlag>, ParseError> {
    if field == "-" {
        return Ok(Vec::new());
    }
    let mut flags = Vec::new();
    let mut at = column;
    for name in field.split(',') {
        let flag = ResponseFlag::find(name).ok_or_else(|| ParseError {
            column: at,
            message: if name.is_empty() {
                "an empty response flag (two commas, or a comma at an end)".into()
            } else {
                format!("`{name}` is not a response flag Envoy documents")
            },
        })?;
        if !flags.contains(&flag) {
            flags.push(flag);
        }
        at += name.chars().count() + 1;
    }
    Ok(flags)
}

/// Splits a line into bracketed, quoted and bare tokens. A quoted token ends at a quote
/// followed by a space or the end of the line, so values may hold quotes and spaces.
fn tokenize(line: &str, first_column: usize) -> Result<Vec<Token<'_>>, ParseError> {
    let mut tokens = Vec::new();
    let mut rest = line;
    let mut column = first_column;
    loop {
        let trimmed = rest.trim_start();
        column += rest[..rest.len() - trimmed.len()].chars().count();
        rest = trimmed;
        let Some(open) = rest.chars().next() else {
            return Ok(tokens);
        };
        let (text, taken, quoted) = match open {
            '[' => {
                let end = rest.find(']').ok_or_else(|| ParseError {
                    column,
                    message: "the start time's `[` is never closed".into(),
                })?;
                (&rest[1..end], end + 1, false)
            }
            '"' => {
                let body = &rest[1..];
                let end = body
                    .match_indices('"')
                    .map(|(at, _)| at)
                    .find(|&at| body[at + 1..].is_empty() || body[at + 1..].starts_with(' '))
                    .ok_or_else(|| ParseError {
                        column,
                        message: "this quoted field is never closed".into(),
                    })?;
                (&body[..end], end + 2, true)
            }
            _ => {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (&rest[..end], end, false)
            }
        };
        tokens.push(Token {
            text,
            column,
            quoted,
        });
        column += rest[..taken].chars().count();
        rest = &rest[taken..];
    }
}

fn read_line(tokens: &[Token], end_column: usize) -> Result<Pasted, ParseError> {
    let request = tokens
        .get(1)
        .filter(|t| t.quoted)
        .ok_or_else(|| ParseError {
            column: tokens.get(1).map_or(end_column, |t| t.column),
            message: "expected the quoted request (`\"GET /path HTTP/1.1\"`) after the start time"
                .into(),
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
    let expected = 2 + Field::ALL.len() - first;
    for (at, token) in tokens.iter().enumerate().skip(2).take(expected) {
        let field = (at > 3).then(|| Field::ALL[first + at - 4]);
        let quoted = field.is_some_and(Field::quoted);
        if token.quoted != quoted {
            return Err(ParseError {
                column: token.column,
                message: format!(
                    "expected the {} {}, found `{}`",
                    field_name(first, at),
                    if quoted {
                        "in quotes"
                    } else {
                        "without quotes"
                    },
                    token.text
                ),
            });
        }
        match field {
            Some(field) => line.values[field as usize] = value(token.text),
            None if at == 3 => line.response_flags = parse_flags(token.text, token.column)?,
            None if token.text == "-" => {}
            None => {
                line.response_code = Some(token.text.parse().map_err(|_| ParseError {
                    column: token.column,
                    message: format!(
                        "expected the response code (a number), found `{}`",
                        token.text
                    ),
                })?)
            }
        }
    }
    if tokens.len() < 2 + expected {
        return Err(ParseError {
            column: end_column,
            message: format!(
                "the line ends before the {}: Istio's default format has {expected} fields after \
                 the request",
                field_name(first, tokens.len())
            ),
        });
    }
    Ok(Pasted::Line(Box::new(line)))
}

/// The name, for people, of the field at token `at` of a line whose fields after the flags
/// start at `first`.
fn field_name(first: usize, at: usize) -> String {
    match at {
        2 => "response code".into(),
        3 => "response flags".into(),
        _ => Field::ALL[first + at - 4].name().replace('_', " "),
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
