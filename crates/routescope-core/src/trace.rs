//! The request tracer: one request in (from outside through a Gateway, or from a pod), the
//! path Envoy takes out — listener, filter chain, TLS termination or passthrough, the route
//! rule chosen and why earlier ones did not match, destination, TLS origination, upstream —
//! and the outcome: success, `404 NR`, `503 UF`, `400 DPE`, the client's
//! `wrong version number`, …. Kubernetes Gateway API Gateways and the routes of the mesh are
//! followed by [`gateway_api`].

mod destination;
mod gateway;
mod gateway_api;
mod matching;
mod route;
mod sidecar;

use std::fmt;

use crate::model::{Protocol, Resource};
use crate::resolve::{GatewayTarget, Mesh};
use crate::source::Span;
use crate::topology::gateway_api::programs_ingress;
use crate::topology::{Stage, Wire};

use gateway::host_rank;

/// Where the request starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An outside client, through this Gateway.
    Gateway { namespace: String, name: String },
    /// A pod with a sidecar in this namespace.
    Pod { namespace: String },
}

impl Origin {
    /// `gateway:<ns>/<name>`, `gateway:<name>` (in `default_namespace`), `pod:<namespace>`
    /// or `pod`.
    pub fn parse(text: &str, default_namespace: &str) -> Result<Origin, String> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("gateway:") {
            let (namespace, name) = rest.split_once('/').unwrap_or((default_namespace, rest));
            if name.is_empty() || namespace.is_empty() {
                return Err(format!("`{text}`: write gateway:<namespace>/<name>"));
            }
            return Ok(Origin::Gateway {
                namespace: namespace.to_string(),
                name: name.to_string(),
            });
        }
        match text.strip_prefix("pod") {
            Some("") => Ok(Origin::Pod {
                namespace: default_namespace.to_string(),
            }),
            Some(rest) if rest.len() > 1 && rest.starts_with(':') => Ok(Origin::Pod {
                namespace: rest[1..].to_string(),
            }),
            _ => Err(format!(
                "`{text}`: the request starts at gateway:<namespace>/<name> or pod:<namespace>"
            )),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Gateway { namespace, name } => write!(f, "gateway:{namespace}/{name}"),
            Origin::Pod { namespace } => write!(f, "pod:{namespace}"),
        }
    }
}

/// The URL a client asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub host: String,
    pub port: u32,
    /// The port was written, not implied by the scheme.
    pub explicit_port: bool,
    /// The path with its query, `/` when empty.
    pub path: String,
}

impl Url {
    /// Parses `http://host[:port][/path]` and `https://…`, and `tcp://host:port` or
    /// `tls://host:port` for a connection that is not HTTP; the scheme defaults to `http`.
    pub fn parse(text: &str) -> Result<Url, String> {
        let text = text.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("http".to_string(), text),
        };
        let default_port = match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            "tcp" | "tls" => None,
            _ => {
                return Err(format!(
                    "`{scheme}`: the URL must start with http://, https://, tcp:// or tls://"
                ));
            }
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        let path = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse::<u32>()
                    .ok()
                    .filter(|p| (1..=65535).contains(p))
                    .ok_or_else(|| format!("`{port}` is not a port number"))?;
                (host, Some(port))
            }
            None => (authority, None),
        };
        let Some(port) = port.or(default_port) else {
            return Err(format!("`{text}`: a {scheme}:// address needs a port"));
        };
        if host.is_empty() || host.contains(['@', ' ']) {
            return Err(format!("`{text}` has no host name"));
        }
        Ok(Url {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            explicit_port: default_port != Some(port),
            path,
        })
    }

    /// The Host header the client sends.
    pub fn authority(&self) -> String {
        if self.explicit_port {
            format!("{}:{}", self.host, self.port)
        } else {
            self.host.clone()
        }
    }
}

/// One request to trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub origin: Origin,
    pub url: Url,
    pub method: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    /// The client itself speaks TLS (by default: the URL is `https`).
    pub client_tls: bool,
    /// The SNI the client sends, when not the URL's host: a browser reusing an HTTP/2
    /// connection opened for another host sends that host's SNI.
    pub sni: Option<String>,
    /// The labels of the client pod (`sourceLabels` matches compare them); a gateway's
    /// workload has the labels its Gateways select.
    pub source_labels: Vec<(String, String)>,
}

impl Request {
    pub fn new(origin: Origin, url: Url) -> Request {
        let client_tls = matches!(url.scheme.as_str(), "https" | "tls");
        Request {
            origin,
            url,
            method: "GET".to_string(),
            headers: Vec::new(),
            client_tls,
            sni: None,
            source_labels: Vec::new(),
        }
    }

    pub fn sni(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.url.host)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// How the request ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A redirect with this status (Istio's default 301; the Gateway API's 302).
    Redirect(u32),
    DirectResponse,
    /// `404 NR`: no route matches.
    NoRoute,
    /// `503 NC`: the route names a cluster (a subset) that does not exist.
    NoCluster,
    /// `500`: the matched rule has no backend to send to (a Gateway API rule without
    /// backendRefs, of weight 0, or whose backendRef does not resolve).
    InternalError,
    /// Nothing listens on the port.
    ConnectionRefused,
    /// The listener closes the connection (no filter chain, a failed handshake).
    ConnectionReset,
    /// `400 DPE`: the proxy could not parse what the client sent (and the client reports
    /// `wrong version number`).
    DownstreamProtocolError,
    /// The client's TLS handshake gets an answer that is not TLS.
    WrongVersionNumber,
    /// `503 UF`: the upstream connection fails (an mTLS mismatch).
    UpstreamFailure,
    /// The upstream answers with an error of its own (plaintext sent to a TLS port).
    UpstreamRejects,
    /// A TCP proxy (a `tcp` rule, or the default route of a TCP port) hands the connection
    /// to the cluster: bytes flow both ways, whatever they are.
    Proxied,
    /// The rule's `fault.abort` answers with this status before any upstream is asked.
    FaultAbort(u32),
}

impl Outcome {
    /// What the client or the access log shows.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Success => "200",
            Outcome::Redirect(301) => "301 redirect",
            Outcome::Redirect(302) => "302 redirect",
            Outcome::Redirect(303) => "303 redirect",
            Outcome::Redirect(307) => "307 redirect",
            Outcome::Redirect(308) => "308 redirect",
            Outcome::Redirect(_) => "redirect",
            Outcome::DirectResponse => "direct response",
            Outcome::NoRoute => "404 NR",
            Outcome::NoCluster => "503 NC",
            Outcome::InternalError => "500",
            Outcome::ConnectionRefused => "connection refused",
            Outcome::ConnectionReset => "connection reset",
            Outcome::DownstreamProtocolError => "400 DPE",
            Outcome::WrongVersionNumber => "wrong version number",
            Outcome::UpstreamFailure => "503 UF",
            Outcome::UpstreamRejects => "400 from the upstream",
            Outcome::Proxied => "connection proxied",
            Outcome::FaultAbort(status) => match status {
                400 => "400 (fault injected)",
                403 => "403 (fault injected)",
                404 => "404 (fault injected)",
                429 => "429 (fault injected)",
                500 => "500 (fault injected)",
                502 => "502 (fault injected)",
                503 => "503 (fault injected)",
                504 => "504 (fault injected)",
                _ => "fault injected",
            },
        }
    }

    pub fn is_success(self) -> bool {
        matches!(
            self,
            Outcome::Success | Outcome::Redirect(_) | Outcome::DirectResponse | Outcome::Proxied
        )
    }
}

/// One step of the path.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub stage: Stage,
    pub text: String,
    /// The traffic graph node of this step.
    pub node: Option<String>,
    /// The YAML that decided it.
    pub span: Option<Span>,
    /// What is on the wire after this step.
    pub wire: Option<Wire>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub steps: Vec<Step>,
    pub outcome: Outcome,
    /// Why it ends that way, in words.
    pub explanation: String,
    /// The Envoy cluster the request is sent to, `outbound|port|subset|host` (the FQDN host),
    /// when the route reaches one that exists.
    pub cluster: Option<String>,
}

impl Trace {
    /// The traffic graph nodes on the path, in order.
    pub fn node_keys(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|step| step.node.as_deref())
            .collect()
    }
}

/// Traces `request` through `mesh`. Fails only when the request cannot start: a Gateway that
/// is not in the input (an Istio Gateway, else a Kubernetes Gateway of that name), or one
/// Istio does not run as an ingress.
pub fn trace(mesh: &Mesh, request: &Request) -> Result<Trace, String> {
    let mut tracer = Tracer {
        mesh,
        request,
        steps: Vec::new(),
        sidecar_port: None,
        terminated: false,
        proxies_connection: false,
        cluster: None,
    };
    let (outcome, explanation) = match &request.origin {
        Origin::Gateway { namespace, name } => {
            let istio = mesh.gateways().find(|(resource, _)| {
                resource.namespace == *namespace && resource.name.value == *name
            });
            let view = mesh.gateway_api();
            match (istio, view.gateway(namespace, name)) {
                (Some((gateway, _)), _) => tracer.start_at_gateway(gateway),
                (None, Some((index, gateway))) if programs_ingress(&view, gateway) => {
                    tracer.start_at_api_gateway(index)
                }
                (None, Some((_, gateway))) => {
                    let class = gateway
                        .gateway_class_name
                        .as_ref()
                        .map_or("", |c| c.value.as_str());
                    return Err(format!(
                        "Gateway {namespace}/{name} has GatewayClass `{class}`, which Istio does not run as an ingress gateway"
                    ));
                }
                (None, None) => return Err(format!("no Gateway {namespace}/{name} in the input")),
            }
        }
        Origin::Pod { namespace } => tracer.start_at_pod(namespace),
    };
    Ok(Trace {
        steps: tracer.steps,
        outcome,
        explanation,
        cluster: tracer.cluster,
    })
}

struct Tracer<'m, 'r> {
    mesh: &'m Mesh,
    request: &'r Request,
    steps: Vec<Step>,
    /// For a pod: the sidecar port the graph draws (none for a host the input does not
    /// declare, whose ports it cannot know).
    sidecar_port: Option<u32>,
    /// A gateway server terminated the client's TLS: what follows is plaintext.
    terminated: bool,
    /// The connection is routed by a TCP proxy (a `tcp` rule or a TCP port's default route).
    proxies_connection: bool,
    /// The cluster chosen, once the destination is known.
    cluster: Option<String>,
}

type End = (Outcome, String);

impl<'m> Tracer<'m, '_> {
    fn step(&mut self, stage: Stage, text: String, node: Option<String>, span: Option<Span>) {
        self.steps.push(Step {
            stage,
            text,
            node,
            span,
            wire: None,
        });
    }

    fn step_with_wire(&mut self, stage: Stage, text: String, node: Option<String>, wire: Wire) {
        self.steps.push(Step {
            stage,
            text,
            node,
            span: None,
            wire: Some(wire),
        });
    }

    /// A rule's traffic split, each share described; the trace follows the largest.
    fn split_step(&mut self, shares: &[String]) {
        self.step(
            Stage::Rule,
            format!(
                "Traffic is split: {}; following the largest share.",
                shares.join(", ")
            ),
            None,
            None,
        );
    }

    fn client_wire(&self) -> Wire {
        if self.request.client_tls {
            Wire::ClientTls
        } else {
            Wire::Plaintext
        }
    }
}

/// Where a trace can start, each with a label: one gateway workload per distinct Gateway
/// selector (named by its oldest Gateway, labelled by the selector and the Gateways it
/// carries), then a pod in the default namespace.
pub fn origins(mesh: &Mesh) -> Vec<(Origin, String)> {
    let mut origins: Vec<(Origin, String)> = mesh
        .gateway_workloads()
        .into_iter()
        .filter_map(|workload| {
            let first = workload.gateways.first()?;
            let names: Vec<String> = workload
                .gateways
                .iter()
                .map(|g| format!("{}/{}", g.namespace, g.name.value))
                .collect();
            let origin = Origin::Gateway {
                namespace: first.namespace.clone(),
                name: first.name.value.clone(),
            };
            let label = format!(
                "gateway workload {} (Gateway {})",
                workload.label_text(),
                names.join(", ")
            );
            Some((origin, label))
        })
        .collect();
    origins.push((
        Origin::Pod {
            namespace: mesh.settings.default_namespace.clone(),
        },
        format!("a pod in namespace {}", mesh.settings.default_namespace),
    ));
    origins
}

/// A request worth tracing first: through the first Gateway server a VirtualService binds to,
/// for one of its hosts; else from a pod to the first host a ServiceEntry or DestinationRule
/// names.
pub fn suggest(mesh: &Mesh) -> Option<(Origin, String)> {
    for (resource, service) in mesh.virtual_services() {
        let Some(host) = service.host_values().next() else {
            continue;
        };
        for reference in mesh.gateway_refs(resource, service) {
            let GatewayTarget::Found(gateway, found) = reference.target else {
                continue;
            };
            if let Some(server) = mesh
                .bound_servers(resource, service, gateway, found)
                .first()
            {
                let tls = Wire::from_client(server) == Wire::ClientTls;
                let origin = Origin::Gateway {
                    namespace: gateway.namespace.clone(),
                    name: gateway.name.value.clone(),
                };
                return Some((
                    origin,
                    suggested_url(tls, &concrete_host(&host.value), server.port_number()),
                ));
            }
        }
    }
    if let Some(found) = gateway_api::suggest(mesh) {
        return Some(found);
    }
    let pod = |resource: &Resource| Origin::Pod {
        namespace: resource.namespace.clone(),
    };
    for (resource, entry) in mesh.service_entries() {
        let (Some(host), Some(port)) = (entry.host_values().next(), entry.ports.first()) else {
            continue;
        };
        let protocol = port.value.protocol.as_ref().map(|p| p.value);
        let tls = protocol.is_some_and(Protocol::is_encrypted);
        let number = port.value.number.as_ref().map(|n| n.value);
        return Some((
            pod(resource),
            suggested_url(tls, &concrete_host(&host.value), number),
        ));
    }
    let (resource, rule) = mesh
        .destination_rules()
        .find(|(_, rule)| rule.host.is_some())?;
    let host = concrete_host(&rule.host.as_ref()?.value);
    Some((pod(resource), suggested_url(false, &host, None)))
}

/// A host a client can ask for under a host pattern.
fn concrete_host(host: &str) -> String {
    match host.strip_prefix('*') {
        Some("") => "example.com".to_string(),
        Some(rest) => format!("www{rest}"),
        None => host.to_string(),
    }
}

/// `scheme://host[:port]/`, the port left out when it is the scheme's.
fn suggested_url(tls: bool, host: &str, port: Option<u32>) -> String {
    let (scheme, default) = if tls { ("https", 443) } else { ("http", 80) };
    match port {
        Some(port) if port != default => format!("{scheme}://{host}:{port}/"),
        _ => format!("{scheme}://{host}/"),
    }
}

#[cfg(test)]
mod tests;
