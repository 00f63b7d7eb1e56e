//! The access-log explainer: reads one Envoy access log line in Istio's default TEXT format
//! (or only a response-flags field, `UF,URX`), explains every response flag, reads what the
//! other fields say (the response code details, the upstream transport failure reason, the
//! upstream cluster), and names the diagnostics of an [`Analysis`] that can produce what the
//! line shows — first those whose check matches the specific evidence (a TLS error such as
//! `WRONG_VERSION_NUMBER`), then those whose check can produce a flag, each marked when it is
//! about the host the line is about; a diagnostic related only by that host comes last.
//!
//! ```
//! use routescope_core::access_log::{explain, parse};
//! use routescope_core::{analyze, settings::MeshSettings, source::Sources};
//!
//! let analysis = analyze(Sources::single("empty.yaml", ""), MeshSettings::default());
//! let explanation = explain(&parse("UF,URX").unwrap(), &analysis);
//! assert_eq!(explanation.flags[0].long, "UpstreamConnectionFailure");
//! assert!(explanation.checks.contains(&"double-tls"));
//! ```

mod flags;
mod line;

pub use flags::{RESPONSE_FLAGS, ResponseFlag};
pub use line::{Field, LogLine, ParseError, Pasted, cluster_parts, parse, sni_host};

use crate::Analysis;
use crate::diagnostic::Diagnostic;
use crate::model::{Resource, Spec};
use crate::resolve::{Mesh, fqdn, hosts_intersect};

/// What the pasted line or flags mean, and which diagnostics can explain them.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The response flags, as pasted (without repeats).
    pub flags: Vec<&'static ResponseFlag>,
    /// What the other fields of the line say, one sentence each.
    pub facts: Vec<String>,
    /// The destination host the line is about (from the upstream cluster, the SNI or the
    /// authority), when it says.
    pub host: Option<String>,
    /// Ids of the checks that can produce what the line shows, sorted.
    pub checks: Vec<&'static str>,
    /// Diagnostics of the analysis related to the line, most telling first.
    pub related: Vec<RelatedDiagnostic>,
}

/// A diagnostic related to the pasted line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelatedDiagnostic {
    /// Index into the analysis' diagnostics.
    pub diagnostic: usize,
    /// The evidence (`WRONG_VERSION_NUMBER`) and flags (`UF`) of the line its check can
    /// produce, evidence first; empty when it is related only by its host.
    pub produces: Vec<&'static str>,
    /// Whether its check matches specific evidence of the line, not only a flag.
    pub by_evidence: bool,
    /// Whether it is about the host of the line.
    pub same_host: bool,
    /// One sentence saying why it is listed.
    pub why: String,
}

/// Evidence in the details and transport failure reason fields, matched case-insensitively.
struct Evidence {
    needle: &'static str,
    meaning: &'static str,
    checks: &'static [&'static str],
}

const EVIDENCE: &[Evidence] = &[
    Evidence {
        needle: "WRONG_VERSION_NUMBER",
        meaning: "the TLS handshake read bytes that are not TLS: one side encrypts and the other does not (TLS to a plaintext port, or TLS inside TLS)",
        checks: &["double-tls", "https-to-http-port"],
    },
    Evidence {
        needle: "CERTIFICATE_VERIFY_FAILED",
        meaning: "the upstream's certificate was not trusted: the DestinationRule's `caCertificates` (or, since Istio 1.20, the system CAs) do not verify it",
        checks: &["tls-origination-without-ca"],
    },
    Evidence {
        needle: "CERTIFICATE_REQUIRED",
        meaning: "the upstream wants a client certificate: it expects mutual TLS",
        checks: &["mtls-disabled-by-destination-rule"],
    },
    Evidence {
        needle: "HANDSHAKE_FAILURE",
        meaning: "the upstream refused the TLS handshake: its TLS settings (mutual TLS) reject the client's",
        checks: &["mtls-disabled-by-destination-rule"],
    },
    Evidence {
        needle: "connection_termination",
        meaning: "the upstream closed the connection before answering, as a STRICT mTLS workload does to plaintext",
        checks: &["mtls-disabled-by-destination-rule"],
    },
    Evidence {
        needle: "filter_chain_not_found",
        meaning: "no filter chain matched the connection (port, SNI or protocol)",
        checks: &[
            "gateway-tls-mode-implicit",
            "http-route-behind-passthrough-gateway",
            "tls-route-behind-terminating-gateway",
        ],
    },
    Evidence {
        needle: "codec_error",
        meaning: "the request was not valid HTTP for the port: for example HTTPS to a port declared HTTP",
        checks: &["https-to-http-port"],
    },
    Evidence {
        needle: "cluster_not_found",
        meaning: "the route names a cluster the proxy lacks (an undefined subset)",
        checks: &["unknown-subset"],
    },
    Evidence {
        needle: "via_upstream",
        meaning: "the upstream sent this response code; Envoy passed it on",
        checks: &[],
    },
];

/// Explains `pasted` against the diagnostics of `analysis`.
pub fn explain(pasted: &Pasted, analysis: &Analysis) -> Explanation {
    let flags = pasted.flags().to_vec();
    let mut facts = Vec::new();
    let mut evidence: Vec<&Evidence> = Vec::new();
    let mut host = None;
    if let Pasted::Line(line) = pasted {
        read_evidence(line, &mut facts, &mut evidence);
        host = line_host(line);
        if let Some(cluster) = line.get(Field::UpstreamCluster) {
            facts.extend(cluster_fact(cluster));
        }
    }
    // Kept in order by insertion: the few items do not need a sort (nor its code in the
    // browser bundle).
    let mut checks: Vec<&'static str> = Vec::new();
    let named = flags.iter().flat_map(|flag| flag.checks.iter());
    for &id in named.chain(evidence.iter().flat_map(|e| e.checks.iter())) {
        if let Err(at) = checks.binary_search(&id) {
            checks.insert(at, id);
        }
    }
    let rank = |r: &RelatedDiagnostic| {
        (
            !r.by_evidence,
            r.produces.is_empty(),
            !r.same_host,
            std::cmp::Reverse(analysis.diagnostics[r.diagnostic].severity),
            r.diagnostic,
        )
    };
    let mut related: Vec<RelatedDiagnostic> = Vec::new();
    for (index, diagnostic) in analysis.diagnostics.iter().enumerate() {
        let found = relate(
            index,
            diagnostic,
            &analysis.mesh,
            &flags,
            &evidence,
            host.as_deref(),
        );
        if let Some(found) = found {
            let at = related.partition_point(|r| rank(r) < rank(&found));
            related.insert(at, found);
        }
    }
    Explanation {
        flags,
        facts,
        host,
        checks,
        related,
    }
}

/// Reads the details and the transport failure reason: a fact for each field, and the
/// evidence they hold.
fn read_evidence(line: &LogLine, facts: &mut Vec<String>, evidence: &mut Vec<&'static Evidence>) {
    let code = line.response_code;
    if code == Some(0) {
        facts.push("Response code 0: no response reached the client.".into());
    } else if let Some(code) = code.filter(|&c| c >= 400 && line.response_flags.is_empty()) {
        facts.push(format!(
            "No response flag: Envoy did not produce the {code} itself; unless the details say otherwise, the upstream answered it."
        ));
    }
    let fields = [
        ("Response code details", Field::ResponseCodeDetails),
        (
            "Connection termination details",
            Field::ConnectionTerminationDetails,
        ),
        (
            "Upstream transport failure reason",
            Field::UpstreamTransportFailureReason,
        ),
    ];
    for (label, field) in fields {
        let Some(text) = line.get(field) else {
            continue;
        };
        // In the order they appear; each said once, where it first appears (the details
        // often repeat the transport failure reason).
        let mut found: Vec<(usize, &'static Evidence)> = Vec::new();
        for e in EVIDENCE {
            let needle = e.needle.as_bytes();
            let Some(at) = text
                .as_bytes()
                .windows(needle.len())
                .position(|w| w == needle)
            else {
                continue;
            };
            if !evidence.iter().any(|known| known.needle == e.needle) {
                found.insert(found.partition_point(|(other, _)| *other <= at), (at, e));
            }
        }
        let meanings: Vec<&str> = found.iter().map(|(_, e)| e.meaning).collect();
        evidence.extend(found.iter().map(|(_, e)| *e));
        let mut fact = format!("{label} `{text}`");
        if !meanings.is_empty() {
            fact.push_str(": ");
            fact.push_str(&meanings.join("; "));
        }
        fact.push('.');
        facts.push(fact);
    }
}

/// The host the line is about: the upstream cluster's, else the SNI's, else the
/// authority's (without its port).
fn line_host(line: &LogLine) -> Option<String> {
    let from_cluster = line
        .get(Field::UpstreamCluster)
        .and_then(cluster_parts)
        .map(|parts| parts[3])
        .filter(|host| !host.is_empty());
    let from_authority = || {
        let authority = line.get(Field::Authority)?;
        // Without a `:port` (the only colon, or one after an IPv6 address's `]`).
        let bytes = authority.as_bytes();
        let port = bytes
            .iter()
            .rposition(|&b| b == b':')
            .filter(|&at| bytes[at + 1..].iter().all(u8::is_ascii_digit));
        Some(&authority[..port.unwrap_or(authority.len())])
    };
    let host = from_cluster
        .or_else(|| line.get(Field::RequestedServerName).map(sni_host))
        .or_else(from_authority)?;
    Some(host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase())
}

fn cluster_fact(name: &str) -> Option<String> {
    let meaning = match cluster_parts(name) {
        Some(["outbound", port, subset, host]) => {
            let mut meaning = format!("outbound to {host} port {port}");
            if !subset.is_empty() {
                meaning = meaning + ", subset " + subset;
            }
            meaning
        }
        Some([_, port, ..]) => format!(
            "inbound, to the workload behind this sidecar on port {port}; the line comes from the server's side"
        ),
        None => match name {
            "BlackHoleCluster" => {
                "the sidecar dropped the request: the host is not in the mesh's registry and the outbound traffic policy is REGISTRY_ONLY; declare it with a ServiceEntry"
            }
            "PassthroughCluster" => {
                "the host is unknown to the mesh and went out as it was (outbound traffic policy ALLOW_ANY): no VirtualService or DestinationRule applies to it"
            }
            _ => return None,
        }
        .to_string(),
    };
    Some(format!("Upstream cluster `{name}`: {meaning}."))
}

fn relate(
    index: usize,
    diagnostic: &Diagnostic,
    mesh: &Mesh,
    flags: &[&'static ResponseFlag],
    evidence: &[&Evidence],
    host: Option<&str>,
) -> Option<RelatedDiagnostic> {
    let mut produces: Vec<&'static str> = Vec::new();
    for e in evidence {
        if e.checks.contains(&diagnostic.check) {
            produces.push(e.needle);
        }
    }
    let by_evidence = !produces.is_empty();
    for flag in flags {
        if flag.checks.contains(&diagnostic.check) {
            produces.push(flag.short);
        }
    }
    let about = |span| {
        mesh.resource_at(span)
            .is_some_and(|r| names_host(r, host.unwrap_or("")))
    };
    let same_host = host.filter(|_| {
        about(diagnostic.span) || diagnostic.related.iter().any(|related| about(related.span))
    });
    if produces.is_empty() && same_host.is_none() {
        return None;
    }
    let why = match (produces.join(", "), same_host) {
        (produced, None) => format!("Can produce {produced}."),
        (produced, Some(host)) if produced.is_empty() => format!("About {host}, the line's host."),
        (produced, Some(host)) => format!("Can produce {produced}; about {host}."),
    };
    Some(RelatedDiagnostic {
        diagnostic: index,
        produces,
        by_evidence,
        same_host: same_host.is_some(),
        why,
    })
}

/// Whether a resource configures `host`: as a ServiceEntry, DestinationRule or Service host,
/// a VirtualService host or destination, or a Gateway server host (without its namespace
/// prefix). Short names are expanded in the resource's namespace.
fn names_host(resource: &Resource, host: &str) -> bool {
    let mut patterns: Vec<&str> = Vec::new();
    match &resource.spec {
        Spec::ServiceEntry(entry) => patterns.extend(entry.host_values().map(|h| h.value.as_str())),
        Spec::DestinationRule(rule) => {
            patterns.extend(rule.host.as_ref().map(|h| h.value.as_str()))
        }
        Spec::VirtualService(service) => {
            patterns.extend(service.host_values().map(|h| h.value.as_str()));
            let rules = service.http_routes().iter().map(|rule| &rule.route);
            let l4 = service.tls_routes().iter().chain(service.tcp_routes());
            for routes in rules.chain(l4.map(|rule| &rule.route)) {
                for route in routes {
                    patterns.extend(route.destination.host.as_ref().map(|h| h.value.as_str()));
                }
            }
        }
        Spec::Gateway(gateway) => {
            for server in &gateway.servers {
                for h in server.host_values() {
                    let slash = h.value.bytes().rposition(|b| b == b'/');
                    patterns.push(&h.value[slash.map_or(0, |at| at + 1)..]);
                }
            }
        }
        Spec::Service(_) => patterns.push(&resource.name.value),
        Spec::Route(route) => patterns.extend(route.hostname_values().map(|h| h.value.as_str())),
        Spec::KubernetesGateway(gateway) => patterns.extend(
            gateway
                .listeners
                .iter()
                .filter_map(|listener| listener.hostname_value()),
        ),
        Spec::PeerAuthentication(_)
        | Spec::GatewayClass(_)
        | Spec::ListenerSet(_)
        | Spec::ReferenceGrant(_)
        | Spec::BackendTlsPolicy(_)
        | Spec::Namespace(_)
        | Spec::KeyStore(_) => {}
    }
    patterns
        .iter()
        .any(|pattern| host_matches(&fqdn(pattern, &resource.namespace), host))
}

/// Whether a configured host pattern names the line's host; a short host of the line
/// (`reviews`, from an authority) matches the services of that name. The catch-all `*`
/// names no host in particular.
fn host_matches(configured: &str, host: &str) -> bool {
    configured != "*" && hosts_intersect(configured, host)
        || (!host.contains('.')
            && configured
                .strip_prefix(host)
                .is_some_and(|rest| rest.starts_with('.')))
}

#[cfg(test)]
mod tests;
