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

/// The fields of one access log line.
#[derive(Debug, Default, PartialEq)]
pub struct LogLine {
    pub start_time: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub protocol: Option<String>,
    /// `0` means no response was sent (TCP lines always say 0).
    pub response_code: Option<u16>,
    pub response_flags: Vec<&'static ResponseFlag>,
    /// Absent before Istio 1.9.
    pub response_code_details: Option<String>,
    pub connection_termination_details: Option<String>,
    pub upstream_transport_failure_reason: Option<String>,
    pub bytes_received: Option<String>,
    pub bytes_sent: Option<String>,
    pub duration: Option<String>,
    pub upstream_service_time: Option<String>,
    pub x_forwarded_for: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub authority: Option<String>,
    pub upstream_host: Option<String>,
    pub upstream_cluster: Option<String>,
    pub upstream_local_address: Option<String>,
    pub downstream_local_address: Option<String>,
    pub downstream_remote_address: Option<String>,
    pub requested_server_name: Option<String>,
    pub route_name: Option<String>,
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

/// The names of the fields after the start time and the request, in order; the two details
/// fields are skipped for lines of Istio before 1.9.
const FIELDS: &[&str] = &[
    "response code",
    "response flags",
    "response code details",
    "connection termination details",
    "upstream transport failure reason",
    "bytes received",
    "bytes sent",
    "duration",
    "upstream service time",
    "x-forwarded-for",
    "user agent",
    "request id",
    "authority",
    "upstream host",
    "upstream cluster",
    "upstream local address",
    "downstream local address",
    "downstream remote address",
    "requested server name",
    "route name",
];

/// Fields written in quotes by the format.
const QUOTED: &[&str] = &[
    "upstream transport failure reason",
    "x-forwarded-for",
    "user agent",
    "request id",
    "authority",
    "upstream host",
];

fn read_line(tokens: &[Token], end_column: usize) -> Result<Pasted, ParseError> {
    let mut line = LogLine {
        start_time: value(tokens[0].text),
        ..LogLine::default()
    };
    let request = tokens
        .get(1)
        .filter(|t| t.quoted)
        .ok_or_else(|| ParseError {
            column: tokens.get(1).map_or(end_column, |t| t.column),
            message: "expected the quoted request (`\"GET /path HTTP/1.1\"`) after the start time"
                .into(),
        })?;
    let mut parts = request.text.split(' ').filter(|p| !p.is_empty());
    line.method = parts.next().and_then(value);
    line.path = parts.next().and_then(value);
    line.protocol = parts.next().and_then(value);
    // Before Istio 1.9 the transport failure reason (quoted) follows the flags directly.
    let old_format = tokens.get(4).is_some_and(|t| t.quoted);
    let names: Vec<&str> = FIELDS
        .iter()
        .copied()
        .filter(|name| !(old_format && name.ends_with("details")))
        .collect();
    for (index, name) in names.iter().enumerate() {
        let Some(token) = tokens.get(index + 2) else {
            return Err(ParseError {
                column: end_column,
                message: format!(
                    "the line ends before the {name}: Istio's default format has {} fields after \
                     the request",
                    names.len()
                ),
            });
        };
        let quoted = QUOTED.contains(name);
        if token.quoted != quoted {
            return Err(ParseError {
                column: token.column,
                message: format!(
                    "expected the {name} {}, found `{}`",
                    if quoted {
                        "in quotes"
                    } else {
                        "without quotes"
                    },
                    token.text
                ),
            });
        }
        let text = token.text;
        match *name {
            "response code" => {
                line.response_code = match text {
                    "-" => None,
                    _ => Some(text.parse().map_err(|_| ParseError {
                        column: token.column,
                        message: format!("expected the response code (a number), found `{text}`"),
                    })?),
                }
            }
            "response flags" => line.response_flags = parse_flags(text, token.column)?,
            "response code details" => line.response_code_details = value(text),
            "connection termination details" => line.connection_termination_details = value(text),
            "upstream transport failure reason" => {
                line.upstream_transport_failure_reason = value(text)
            }
            "bytes received" => line.bytes_received = value(text),
            "bytes sent" => line.bytes_sent = value(text),
            "duration" => line.duration = value(text),
            "upstream service time" => line.upstream_service_time = value(text),
            "x-forwarded-for" => line.x_forwarded_for = value(text),
            "user agent" => line.user_agent = value(text),
            "request id" => line.request_id = value(text),
            "authority" => line.authority = value(text),
            "upstream host" => line.upstream_host = value(text),
            "upstream cluster" => line.upstream_cluster = value(text),
            "upstream local address" => line.upstream_local_address = value(text),
            "downstream local address" => line.downstream_local_address = value(text),
            "downstream remote address" => line.downstream_remote_address = value(text),
            "requested server name" => line.requested_server_name = value(text),
            _ => line.route_name = value(text),
        }
    }
    Ok(Pasted::Line(Box::new(line)))
}

/// `-` (Envoy's "no value") as `None`.
fn value(text: &str) -> Option<String> {
    (text != "-" && !text.is_empty()).then(|| text.to_string())
}

/// An upstream cluster name as Istio writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cluster {
    /// `outbound|443||httpbin.org`, `inbound|9080||` (`direction|port|subset|host`).
    Service {
        outbound: bool,
        port: Option<u32>,
        subset: Option<String>,
        host: Option<String>,
    },
    /// `BlackHoleCluster`, `PassthroughCluster`, … as written.
    Named(String),
}

impl Cluster {
    pub fn parse(name: &str) -> Cluster {
        let parts: Vec<&str> = name.split('|').collect();
        match parts.as_slice() {
            [direction @ ("outbound" | "inbound"), port, subset, host] => Cluster::Service {
                outbound: *direction == "outbound",
                port: port.parse().ok(),
                subset: (!subset.is_empty()).then(|| subset.to_string()),
                host: (!host.is_empty()).then(|| host.to_string()),
            },
            _ => Cluster::Named(name.to_string()),
        }
    }
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
