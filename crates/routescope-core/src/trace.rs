//! The request tracer: one request in (from outside through a Gateway, or from a pod), the
//! path Envoy takes out — listener, filter chain, TLS termination or passthrough, the route
//! rule chosen and why earlier ones did not match, destination, TLS origination, upstream —
//! and the outcome: success, `404 NR`, `503 UF`, `400 DPE`, the client's
//! `wrong version number`, …. Kubernetes Gateway API Gateways and the routes of the mesh are
//! followed by [`gateway_api`].

mod gateway_api;

use std::fmt;

use crate::model::{HttpMatch, MatchKind, Protocol, Resource, Server, Spanned};
use crate::resolve::{Fqdn, GatewayTarget, Mesh, RouteKind, fqdn, host_covers};
use crate::source::Span;
use crate::topology::gateway_api::programs_ingress;
use crate::topology::{DestinationPath, Matches, NodeKey, Rule, Stage, Wire, rules};

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
    /// Parses `http://host[:port][/path]` and `https://…`; the scheme defaults to `http`.
    pub fn parse(text: &str) -> Result<Url, String> {
        let text = text.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("http".to_string(), text),
        };
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => {
                return Err(format!(
                    "`{scheme}`: the URL must start with http:// or https://"
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
        if host.is_empty() || host.contains(['@', ' ']) {
            return Err(format!("`{text}` has no host name"));
        }
        Ok(Url {
            scheme,
            host: host.to_ascii_lowercase(),
            port: port.unwrap_or(default_port),
            explicit_port: port.is_some(),
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
}

impl Request {
    pub fn new(origin: Origin, url: Url) -> Request {
        let client_tls = url.scheme == "https";
        Request {
            origin,
            url,
            method: "GET".to_string(),
            headers: Vec::new(),
            client_tls,
            sni: None,
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
        }
    }

    pub fn is_success(self) -> bool {
        matches!(
            self,
            Outcome::Success | Outcome::Redirect(_) | Outcome::DirectResponse
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
    })
}

struct Tracer<'m, 'r> {
    mesh: &'m Mesh,
    request: &'r Request,
    steps: Vec<Step>,
    /// For a pod: the sidecar port the graph draws (none for a host the input does not
    /// declare, whose ports it cannot know).
    sidecar_port: Option<u32>,
}

type End = (Outcome, String);

/// A server's hosts cover `host` (namespace prefixes aside); more specific patterns rank
/// higher.
fn server_host_rank(server: &Server, host: &str) -> Option<usize> {
    server
        .host_values()
        .filter_map(|pattern| {
            let pattern = pattern
                .value
                .split_once('/')
                .map_or(pattern.value.as_str(), |(_, host)| host);
            host_covers(pattern, host).then(|| host_rank(pattern))
        })
        .max()
}

/// Exact hosts beat wildcards, longer wildcards beat shorter ones.
fn host_rank(pattern: &str) -> usize {
    if pattern.starts_with('*') {
        pattern.len()
    } else {
        usize::MAX
    }
}

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

    fn client_wire(&self) -> Wire {
        if self.request.client_tls {
            Wire::ClientTls
        } else {
            Wire::Plaintext
        }
    }

    fn start_at_gateway(&mut self, gateway: &'m Resource) -> End {
        let url = &self.request.url;
        let Some(servers) = self
            .mesh
            .gateways()
            .find_map(|(resource, g)| std::ptr::eq(resource, gateway).then_some(&g.servers))
        else {
            return (Outcome::ConnectionRefused, "no such Gateway".to_string());
        };
        let sni = self.request.sni().to_string();
        let speaks = if self.request.client_tls {
            format!("TLS with SNI {sni}")
        } else {
            "plaintext".to_string()
        };
        let on_port: Vec<(usize, &'m Server)> = servers
            .iter()
            .enumerate()
            .filter(|(_, server)| server.port_number() == Some(url.port))
            .collect();
        self.step_with_wire(
            Stage::Client,
            format!(
                "An outside client connects to {} port {} and speaks {speaks}.",
                gateway.label(),
                url.port
            ),
            (!on_port.is_empty()).then(|| NodeKey::OutsideClient(Some(url.port)).text()),
            self.client_wire(),
        );
        if on_port.is_empty() {
            return (
                Outcome::ConnectionRefused,
                format!("{} has no server on port {}.", gateway.label(), url.port),
            );
        }
        let with_tls = |server: &&(usize, &Server)| server.1.tls.is_some();
        let chosen = if self.request.client_tls {
            // Filter chains are chosen by SNI among the servers that take TLS.
            on_port
                .iter()
                .filter(with_tls)
                .filter_map(|entry| Some((server_host_rank(entry.1, &sni)?, *entry)))
                .max_by_key(|(rank, entry)| (*rank, usize::MAX - entry.0))
                .map(|(_, entry)| entry)
        } else {
            on_port
                .iter()
                .filter(|entry| {
                    !with_tls(entry) || entry.1.protocol().is_some_and(Protocol::is_http)
                })
                .max_by_key(|entry| {
                    (
                        server_host_rank(entry.1, &url.host).unwrap_or(0),
                        usize::MAX - entry.0,
                    )
                })
                .copied()
        };
        let Some((index, server)) = chosen else {
            return if self.request.client_tls
                && let Some((index, plain)) = on_port.iter().find(|entry| !with_tls(entry))
            {
                self.listener_step(gateway, *index, plain, "takes the connection");
                (
                    Outcome::WrongVersionNumber,
                    format!(
                        "The server on port {} is plain {}: it answers the client's TLS handshake with plaintext HTTP, and the client reports `wrong version number`.",
                        url.port,
                        plain
                            .protocol()
                            .map_or("HTTP".to_string(), |p| p.to_string())
                    ),
                )
            } else if self.request.client_tls {
                (
                    Outcome::ConnectionReset,
                    format!(
                        "No server of {} on port {} accepts SNI {sni}: no filter chain matches and the connection is reset.",
                        gateway.label(),
                        url.port,
                    ),
                )
            } else {
                (
                    Outcome::ConnectionReset,
                    format!(
                        "The servers of {} on port {} expect TLS; the plaintext request fails the handshake and the connection is reset.",
                        gateway.label(),
                        url.port
                    ),
                )
            };
        };
        self.listener_step(gateway, index, server, "takes the connection");
        if !self.request.client_tls
            && server
                .tls
                .as_ref()
                .and_then(|tls| tls.value.https_redirect.as_ref())
                .is_some_and(|redirect| redirect.value)
        {
            return (
                Outcome::Redirect(301),
                "The server sets httpsRedirect: the client is sent to https.".to_string(),
            );
        }
        match server.tls_mode() {
            Some(mode) if !mode.terminates() => {
                self.step_with_wire(
                    Stage::Listener,
                    format!(
                        "Mode {mode}: the TLS passes through undecrypted and is routed by SNI with `tls` rules."
                    ),
                    None,
                    Wire::ClientTls,
                );
                self.gateway_tls_routing(gateway, server)
            }
            mode => {
                let how = match mode {
                    Some(mode) => format!(
                        "Mode {mode}: the gateway terminates TLS; the decrypted request is routed by `http` rules."
                    ),
                    None => "Plain HTTP: the request is routed by `http` rules.".to_string(),
                };
                self.step_with_wire(Stage::Listener, how, None, Wire::Plaintext);
                self.gateway_http_routing(gateway, server)
            }
        }
    }

    fn listener_step(&mut self, gateway: &Resource, index: usize, server: &Server, what: &str) {
        let mut detail = Vec::new();
        if let Some(protocol) = server.protocol() {
            detail.push(protocol.to_string());
        }
        if let Some(mode) = server.tls_mode() {
            detail.push(format!("mode {mode}"));
        }
        let hosts: Vec<&str> = server.host_values().map(|h| h.value.as_str()).collect();
        self.step(
            Stage::Listener,
            format!(
                "Server {} of {} ({}; hosts {}) {what}.",
                index + 1,
                gateway.label(),
                detail.join(", "),
                hosts.join(", ")
            ),
            Some(NodeKey::gateway_listener(gateway, index).text()),
            Some(server.span),
        );
    }

    /// VirtualServices bound to this server whose hosts cover `host`, most specific first
    /// (Envoy picks one virtual host by its most specific domain).
    fn bound_services(
        &self,
        gateway: &Resource,
        server: &Server,
        host: &str,
    ) -> Vec<(&'m Resource, &'m crate::model::VirtualService)> {
        let mesh = self.mesh;
        let mut found: Vec<(usize, &'m Resource, &'m crate::model::VirtualService)> = Vec::new();
        for (resource, service) in mesh.virtual_services() {
            let bound = mesh.gateway_refs(resource, service).iter().any(|reference| {
                matches!(reference.target, GatewayTarget::Found(g, gw)
                    if std::ptr::eq(g, gateway)
                        && mesh.bound_servers(resource, service, g, gw).iter().any(|s| std::ptr::eq(*s, server)))
            });
            if !bound {
                continue;
            }
            let rank = service
                .host_values()
                .filter(|pattern| host_covers(&pattern.value, host))
                .map(|pattern| host_rank(&pattern.value))
                .max();
            if let Some(rank) = rank {
                found.push((rank, resource, service));
            }
        }
        let best = found.iter().map(|(rank, ..)| *rank).max();
        found
            .into_iter()
            .filter(|(rank, ..)| Some(*rank) == best)
            .map(|(_, resource, service)| (resource, service))
            .collect()
    }

    fn gateway_http_routing(&mut self, gateway: &'m Resource, server: &'m Server) -> End {
        let url = &self.request.url;
        let services = self.bound_services(gateway, server, &url.host);
        if services.is_empty() {
            return (
                Outcome::NoRoute,
                format!(
                    "No VirtualService bound to this server has host {}.",
                    url.host
                ),
            );
        }
        for (resource, service) in &services {
            for rule in rules(service) {
                if rule.kind != RouteKind::Http {
                    self.step(
                        Stage::Rule,
                        format!(
                            "{} {}[{}] is never used: a terminating server hands requests to `http` rules only.",
                            resource.label(),
                            rule.kind.key(),
                            rule.index
                        ),
                        Some(NodeKey::rule(resource, rule.kind, rule.index).text()),
                        Some(rule.list_key.unwrap_or(rule.span)),
                    );
                    continue;
                }
                let Matches::Http(items) = rule.matches else {
                    continue;
                };
                let admitted =
                    self.mesh
                        .http_rule_admits(&resource.namespace, items, gateway, server);
                let verdict = if admitted {
                    self.http_verdict(items)
                } else {
                    Err("its match entries name another gateway or port".to_string())
                };
                if let Some(end) = self.rule_verdict(resource, &rule, verdict) {
                    return end;
                }
            }
        }
        (
            Outcome::NoRoute,
            format!(
                "No `http` rule matches {} {}.",
                self.request.method, url.path
            ),
        )
    }

    fn gateway_tls_routing(&mut self, gateway: &'m Resource, server: &'m Server) -> End {
        let url = &self.request.url;
        let sni = self.request.sni();
        let services = self.bound_services(gateway, server, sni);
        for (resource, service) in &services {
            for rule in rules(service) {
                if rule.kind == RouteKind::Http {
                    self.step(
                        Stage::Rule,
                        format!(
                            "{} http[{}] never sees this traffic: it is still encrypted, and only `tls` rules route it.",
                            resource.label(),
                            rule.index
                        ),
                        Some(NodeKey::rule(resource, rule.kind, rule.index).text()),
                        Some(rule.list_key.unwrap_or(rule.span)),
                    );
                    continue;
                }
                let Matches::Tls(items) = rule.matches else {
                    continue;
                };
                let admitted =
                    self.mesh
                        .tls_rule_admits(&resource.namespace, items, gateway, server);
                let verdict = if admitted {
                    sni_verdict(items, sni, url.port)
                } else {
                    Err("its match entries name another gateway or port".to_string())
                };
                if let Some(end) = self.rule_verdict(resource, &rule, verdict) {
                    return end;
                }
            }
        }
        (
            Outcome::ConnectionReset,
            format!(
                "No `tls` rule matches SNI {sni}: the gateway has no route for the connection and closes it."
            ),
        )
    }

    /// Records a rule's verdict; a match goes on to its destination and ends the trace.
    fn rule_verdict(
        &mut self,
        resource: &Resource,
        rule: &Rule,
        verdict: Result<(), String>,
    ) -> Option<End> {
        let name = format!("{} {}[{}]", resource.label(), rule.kind.key(), rule.index);
        let node = Some(NodeKey::rule(resource, rule.kind, rule.index).text());
        match verdict {
            Err(reason) => {
                self.step(
                    Stage::Rule,
                    format!("{name} does not match: {reason}."),
                    node,
                    Some(rule.span),
                );
                None
            }
            Ok(()) => {
                self.step(
                    Stage::Rule,
                    format!("{name} matches."),
                    node,
                    Some(rule.span),
                );
                Some(self.follow_rule(resource, rule))
            }
        }
    }

    fn follow_rule(&mut self, resource: &Resource, rule: &Rule) -> End {
        if let Some(answer) = rule.answers {
            let outcome = if answer == "redirect" {
                Outcome::Redirect(301)
            } else {
                Outcome::DirectResponse
            };
            return (outcome, format!("The rule answers with a {answer} itself."));
        }
        let routes: Vec<_> = rule
            .route
            .iter()
            .filter(|route| route.destination.host.is_some())
            .collect();
        let Some(chosen) = routes
            .iter()
            .enumerate()
            .max_by_key(|(index, route)| {
                (
                    route.weight.as_ref().map_or(0, |w| w.value),
                    usize::MAX - index,
                )
            })
            .map(|(_, route)| *route)
        else {
            return (Outcome::NoRoute, "The rule has no destination.".to_string());
        };
        if routes.len() > 1 {
            let split: Vec<String> = routes
                .iter()
                .map(|route| {
                    let destination = &route.destination;
                    let weight = route.weight.as_ref().map_or(0, |w| w.value);
                    let subset = destination
                        .subset
                        .as_ref()
                        .map_or(String::new(), |s| format!(" subset {}", s.value));
                    let host = destination.host.as_ref().map_or("", |h| h.value.as_str());
                    format!("{weight}% to {host}{subset}")
                })
                .collect();
            self.step(
                Stage::Rule,
                format!(
                    "Traffic is split: {}; following the largest share.",
                    split.join(", ")
                ),
                None,
                None,
            );
        }
        let destination = &chosen.destination;
        let host = destination.host.as_ref().map_or("", |h| h.value.as_str());
        let port = destination
            .port
            .as_ref()
            .map(|p| p.value)
            .or_else(|| {
                match self
                    .mesh
                    .declared_ports(host, &resource.namespace)
                    .as_slice()
                {
                    [only] => Some(only.number),
                    _ => None,
                }
            })
            .or(self.sidecar_port);
        let subset = destination.subset.as_ref().map(|s| s.value.as_str());
        let wire = match rule.kind {
            RouteKind::Http => Wire::Plaintext,
            _ => self.client_wire(),
        };
        self.follow_destination(
            host,
            &resource.namespace,
            port,
            subset,
            Some(destination.span),
            wire,
        )
    }

    fn start_at_pod(&mut self, namespace: &str) -> End {
        let url = &self.request.url;
        let mesh = self.mesh;
        let declared = mesh
            .declared_ports(&url.host, namespace)
            .into_iter()
            .find(|declared| declared.number == url.port);
        let protocol = declared.as_ref().and_then(|declared| declared.protocol);
        let speaks = if self.request.client_tls {
            "TLS"
        } else {
            "plaintext"
        };
        self.step_with_wire(
            Stage::Client,
            format!(
                "A pod in namespace {namespace} sends {speaks} to {}:{}.",
                url.host, url.port
            ),
            Some(NodeKey::MeshClient.text()),
            self.client_wire(),
        );
        let listener_port = mesh.is_declared(&url.host, namespace).then_some(url.port);
        let declared_as = match (&declared, protocol) {
            (Some(declared), Some(protocol)) => {
                format!(
                    "{} declares port {} as {protocol}",
                    declared.resource.label(),
                    url.port
                )
            }
            (Some(declared), None) => format!(
                "{} declares port {} without a protocol",
                declared.resource.label(),
                url.port
            ),
            (None, _) => format!("the input declares no port {} for {}", url.port, url.host),
        };
        self.steps.push(Step {
            stage: Stage::Listener,
            text: format!(
                "The sidecar's outbound listener on port {} takes it: {declared_as}.",
                url.port
            ),
            node: Some(NodeKey::SidecarListener(listener_port).text()),
            span: declared.as_ref().map(|declared| declared.protocol_span),
            wire: None,
        });
        if self.request.client_tls && protocol.is_some_and(Protocol::is_http) {
            return (
                Outcome::DownstreamProtocolError,
                format!(
                    "Port {} is declared {}, so the sidecar parses the request as HTTP, but it is encrypted: the client reports `wrong version number` and the access log shows 400 DPE.",
                    url.port,
                    protocol.map_or(String::new(), |p| p.to_string())
                ),
            );
        }
        let kind = match protocol {
            Some(protocol) => RouteKind::of_protocol(protocol),
            None if self.request.client_tls => RouteKind::Tls,
            None => RouteKind::Http,
        };
        let host = fqdn(&url.host, namespace);
        for (resource, service) in mesh.virtual_services() {
            if !crate::resolve::applies_to_mesh(service)
                || !service
                    .host_values()
                    .any(|pattern| host_covers(&fqdn(&pattern.value, &resource.namespace), &host))
            {
                continue;
            }
            for rule in rules(service) {
                if rule.kind != kind {
                    continue;
                }
                let verdict = if !rule.admits_mesh_port(Some(url.port)) {
                    Err("its match entries name another port or only gateways".to_string())
                } else {
                    match rule.matches {
                        Matches::Http(items) => self.http_verdict(items),
                        Matches::Tls(items) => sni_verdict(items, self.request.sni(), url.port),
                    }
                };
                if let Some(end) = self.rule_verdict(resource, &rule, verdict) {
                    return end;
                }
            }
            if kind == RouteKind::Http {
                return (
                    Outcome::NoRoute,
                    format!(
                        "{} routes {} but no `http` rule matches {} {}.",
                        resource.label(),
                        url.host,
                        self.request.method,
                        url.path
                    ),
                );
            }
        }
        if let Some(end) = self.mesh_api_routes(namespace, kind) {
            return end;
        }
        self.step(
            Stage::Rule,
            format!(
                "No VirtualService routes {}: the default route sends it to the host as addressed.",
                url.host
            ),
            Some(
                NodeKey::DefaultRule {
                    host: Fqdn::of(&url.host, namespace),
                    port: listener_port,
                }
                .text(),
            ),
            None,
        );
        let wire = self.client_wire();
        self.follow_destination(&url.host, namespace, listener_port, None, None, wire)
    }

    /// Whether an `http` rule's match entries take this request (the first entry's reasons
    /// when none does).
    fn http_verdict(&self, items: &[HttpMatch]) -> Result<(), String> {
        if items.is_empty() {
            return Ok(());
        }
        let mut first_reason = None;
        for item in items {
            match self.http_item_verdict(item) {
                Ok(()) => return Ok(()),
                Err(reason) => {
                    first_reason.get_or_insert(reason);
                }
            }
        }
        Err(first_reason.unwrap_or_default())
    }

    fn http_item_verdict(&self, item: &HttpMatch) -> Result<(), String> {
        let request = self.request;
        let url = &request.url;
        if let Some(port) = &item.port
            && port.value != url.port
        {
            return Err(format!("port {} is not {}", port.value, url.port));
        }
        let authority = url.authority();
        let scheme = url.scheme.clone();
        let checks = [
            (
                "uri",
                &item.uri,
                Some(url.path.as_str()),
                item.ignore_uri_case,
            ),
            (
                "authority",
                &item.authority,
                Some(authority.as_str()),
                false,
            ),
            ("method", &item.method, Some(request.method.as_str()), false),
            ("scheme", &item.scheme, Some(scheme.as_str()), false),
        ];
        let headers = item
            .headers
            .iter()
            .map(|(name, condition)| (name.as_str(), condition, request.header(name), false));
        let conditions = checks
            .into_iter()
            .filter_map(|(name, condition, value, ignore_case)| {
                condition.as_ref().map(|c| (name, c, value, ignore_case))
            })
            .chain(headers);
        for (name, condition, value, ignore_case) in conditions {
            let Some(value) = value else {
                return Err(format!("the request has no {name} header"));
            };
            match condition.value.matches(value, ignore_case) {
                Some(true) => {}
                Some(false) => {
                    return Err(format!(
                        "{name} {} does not match `{value}`",
                        condition.value
                    ));
                }
                None => {
                    debug_assert_eq!(condition.value.kind, MatchKind::Regex);
                    return Err(format!(
                        "{name} {} is a regular expression, which the tracer does not evaluate",
                        condition.value
                    ));
                }
            }
        }
        Ok(())
    }

    /// Destination → TLS policy → port → upstream, and the outcome there.
    fn follow_destination(
        &mut self,
        host: &str,
        namespace: &str,
        port: Option<u32>,
        subset: Option<&str>,
        span: Option<Span>,
        wire: Wire,
    ) -> End {
        let mesh = self.mesh;
        let path =
            DestinationPath::new(mesh, host, namespace, port, subset, wire).with_backend_tls(mesh);
        let subset_text = subset.map_or(String::new(), |s| format!(", subset {s}"));
        self.step(
            Stage::Destination,
            format!("Destination {host}:{}{subset_text}.", path.port_text()),
            Some(path.destination_key().text()),
            span,
        );
        if let Some(subset) = subset {
            let defined = path.rule.is_some_and(|(_, rule)| {
                rule.subsets
                    .iter()
                    .any(|s| s.name.as_ref().is_some_and(|n| n.value == subset))
            });
            if !defined && (path.rule.is_some() || mesh.settings.input_complete) {
                return (
                    Outcome::NoCluster,
                    format!(
                        "No DestinationRule defines subset {subset} for {host}: the route names a cluster that does not exist, 503 NC."
                    ),
                );
            }
        }
        let policy = match (path.rule, path.setting, path.mode()) {
            _ if let Some(tls) = path.backend_tls => (
                format!(
                    "{} applies: the proxy originates TLS ({tls}).",
                    tls.resource.label()
                ),
                Some(tls.span()),
            ),
            (Some((resource, _)), Some(setting), Some(mode)) => {
                let effect = if mode.originates() {
                    "the proxy originates TLS"
                } else if mode == crate::model::ClientTlsMode::IstioMutual {
                    "the proxy uses mesh mTLS"
                } else {
                    "the proxy sends what it has, without TLS of its own"
                };
                (
                    format!(
                        "{} sets tls {mode}{}: {effect}.",
                        resource.label(),
                        setting.place()
                    ),
                    Some(setting.tls.span),
                )
            }
            (Some((resource, _)), _, _) => (
                format!(
                    "{} sets no TLS mode here{}.",
                    resource.label(),
                    auto_text(&path, mesh)
                ),
                Some(resource.name.span),
            ),
            (None, _, _) => (
                format!("No DestinationRule applies{}.", auto_text(&path, mesh)),
                None,
            ),
        };
        self.step(
            Stage::Policy,
            policy.0,
            Some(path.policy_key().text()),
            policy.1,
        );
        let port_span = path
            .declared
            .as_ref()
            .map(|declared| declared.protocol_span);
        self.step(
            Stage::Port,
            format!("Port {} ({}).", path.port_label(), path.port_detail()),
            Some(path.port_key().text()),
            port_span,
        );
        let pod_port = match self.request.origin {
            Origin::Pod { .. } => Some(self.request.url.port),
            Origin::Gateway { .. } => None,
        };
        let connect_port = path
            .target_port()
            .or(path.port)
            .or(pod_port)
            .map_or("?".to_string(), |p| p.to_string());
        self.steps.push(Step {
            stage: Stage::Upstream,
            text: format!(
                "The proxy connects to {host}:{connect_port} ({}) with {}.",
                path.upstream_detail(),
                path.wire_out.describe()
            ),
            node: Some(path.upstream_key().text()),
            span: None,
            wire: Some(path.wire_out),
        });
        if path.wire_out == Wire::Double {
            return (
                Outcome::WrongVersionNumber,
                "The proxy wraps the client's own TLS in TLS it originates: the upstream sees TLS inside TLS and the client's handshake fails with `wrong version number`.".to_string(),
            );
        }
        if path.breaks_strict_mtls() {
            return (
                Outcome::UpstreamFailure,
                format!(
                    "The workloads of {host} require mTLS (STRICT) but get {}: they reset the connection, 503 UF (`upstream connect error or disconnect/reset before headers. reset reason: connection termination`).",
                    path.wire_out.describe()
                ),
            );
        }
        let tls_port =
            path.target_port().is_none() && path.protocol().is_some_and(Protocol::is_encrypted);
        if path.wire_out == Wire::Plaintext && tls_port && !path.in_mesh {
            return (
                Outcome::UpstreamRejects,
                format!(
                    "{host} expects TLS on port {connect_port} but gets plaintext: it answers with an error (400) or closes the connection."
                ),
            );
        }
        (
            Outcome::Success,
            format!("{host} receives {} and answers.", path.wire_out.describe()),
        )
    }
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

fn auto_text(path: &DestinationPath, mesh: &Mesh) -> &'static str {
    if path.in_mesh && mesh.settings.auto_mtls {
        ": auto mTLS applies"
    } else {
        ": traffic goes as it is"
    }
}

/// Whether a `tls` rule's match entries take a connection with SNI `host` on `port`.
fn sni_verdict(items: &[crate::model::TlsMatch], host: &str, port: u32) -> Result<(), String> {
    if items.is_empty() {
        return Ok(());
    }
    let mut reasons = Vec::new();
    for item in items {
        if let Some(wanted) = &item.port
            && wanted.value != port
        {
            reasons.push(format!("port {} is not {port}", wanted.value));
            continue;
        }
        let sni: &[Spanned<String>] = item.sni_hosts.as_ref().map_or(&[], |s| &s.value);
        if sni.is_empty() || sni.iter().any(|pattern| host_covers(&pattern.value, host)) {
            return Ok(());
        }
        let patterns: Vec<&str> = sni.iter().map(|p| p.value.as_str()).collect();
        reasons.push(format!(
            "SNI {host} is not in sniHosts {}",
            patterns.join(", ")
        ));
    }
    Err(reasons.join("; "))
}

#[cfg(test)]
mod tests;
