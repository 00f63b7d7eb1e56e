//! The tracer at an Istio gateway workload: the servers of every Gateway that selects it,
//! merged as Istio merges them; the server (filter chain) the connection lands on, by port,
//! then SNI among TLS servers or the Host among plain ones; TLS terminated or passed through;
//! and the VirtualServices bound to that server, by `http`, `tls` or `tcp` rules.

use super::{End, Outcome, Tracer};
use crate::model::{Protocol, Resource, Server, ServerTlsMode, VirtualService};
use crate::resolve::{DropCause, GatewayTarget, MergedServer, PortRef, RouteKind, host_covers};
use crate::topology::auto_passthrough_covers;
use crate::topology::{Matches, NodeKey, Rule, Stage, Wire, rules};

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

/// Envoy's virtual host precedence: an exact domain, then the longest suffix wildcard
/// (`*.example.com`), then the longest prefix wildcard (`example.*`), then `*`.
pub(super) fn host_rank(pattern: &str) -> usize {
    const TIER: usize = 1 << 16;
    if pattern == "*" {
        0
    } else if pattern.starts_with('*') {
        2 * TIER + pattern.len()
    } else if pattern.ends_with('*') {
        TIER + pattern.len()
    } else {
        usize::MAX
    }
}

impl<'m> Tracer<'m, '_> {
    pub(super) fn start_at_gateway(&mut self, gateway: &'m Resource) -> End {
        let url = &self.request.url;
        let workload = self.mesh.gateway_workload(gateway);
        let sni = self.request.sni().to_string();
        let speaks = if self.request.client_tls {
            format!("TLS with SNI {sni}")
        } else {
            "plaintext".to_string()
        };
        let on_port: Vec<MergedServer<'m>> = workload
            .servers
            .iter()
            .filter(|entry| entry.server.port_number() == Some(url.port))
            .copied()
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
        if workload.gateways.len() > 1 {
            let names: Vec<String> = workload.gateways.iter().map(|g| g.label()).collect();
            self.step(
                Stage::Listener,
                format!(
                    "The gateway workload ({}) serves the servers of {}, merged oldest first.",
                    workload.label_text(),
                    names.join(", ")
                ),
                None,
                None,
            );
        }
        for dropped in &workload.dropped {
            if dropped.dropped.server.port_number() != Some(url.port) {
                continue;
            }
            let (lost, kept) = (&dropped.dropped, &dropped.kept);
            let why = match &dropped.cause {
                DropCause::DuplicateTlsHost(host) => format!("it repeats host {host}"),
                DropCause::ProtocolConflict => {
                    "only HTTP servers share a plaintext port".to_string()
                }
                DropCause::PlaintextOnTlsPort => {
                    "the port takes TLS, and it has no `tls`".to_string()
                }
            };
            self.step(
                Stage::Listener,
                format!(
                    "Istio leaves out server {} of {}: {why} of server {} of {}, merged before it.",
                    lost.index + 1,
                    lost.gateway.label(),
                    kept.index + 1,
                    kept.gateway.label()
                ),
                None,
                Some(lost.server.span),
            );
        }
        if on_port.is_empty() {
            return (
                Outcome::ConnectionRefused,
                format!("{} has no server on port {}.", gateway.label(), url.port),
            );
        }
        let with_tls = |entry: &&MergedServer| entry.server.tls.is_some();
        // Among equals, the server merged first.
        let first = |position: usize| usize::MAX - position;
        let chosen = if self.request.client_tls {
            // Filter chains are chosen by SNI among the servers that take TLS.
            on_port
                .iter()
                .enumerate()
                .filter(|(_, entry)| with_tls(entry))
                .filter_map(|(at, entry)| Some((server_host_rank(entry.server, &sni)?, at, *entry)))
                .max_by_key(|(rank, at, _)| (*rank, first(*at)))
                .map(|(_, _, entry)| entry)
                // A plain TCP server's filter chain matches any bytes, TLS included.
                .or_else(|| {
                    on_port
                        .iter()
                        .find(|entry| {
                            !with_tls(entry) && RouteKind::of(entry.server) == RouteKind::Tcp
                        })
                        .copied()
                })
        } else {
            on_port
                .iter()
                .enumerate()
                .filter(|(_, entry)| {
                    !with_tls(entry) || entry.server.protocol().is_some_and(Protocol::is_http)
                })
                .max_by_key(|(at, entry)| {
                    (
                        server_host_rank(entry.server, &url.host).unwrap_or(0),
                        first(*at),
                    )
                })
                .map(|(_, entry)| *entry)
        };
        let Some(entry) = chosen else {
            return if self.request.client_tls
                && let Some(plain) = on_port.iter().find(|entry| !with_tls(entry))
            {
                self.listener_step(
                    plain.gateway,
                    plain.index,
                    plain.server,
                    "takes the connection",
                );
                (
                    Outcome::WrongVersionNumber,
                    format!(
                        "The server on port {} is plain {}: it answers the client's TLS handshake with plaintext HTTP, and the client reports `wrong version number`.",
                        url.port,
                        plain
                            .server
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
        let server = entry.server;
        self.listener_step(entry.gateway, entry.index, server, "takes the connection");
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
        match (server.tls_mode(), RouteKind::of(server)) {
            (Some(ServerTlsMode::AutoPassthrough), _) => {
                self.step_with_wire(
                    Stage::Listener,
                    "Mode AUTO_PASSTHROUGH: the TLS passes through undecrypted, to the cluster its SNI names (`outbound_.<port>_.<subset>_.<host>`), without VirtualServices.".to_string(),
                    None,
                    Wire::ClientTls,
                );
                self.auto_passthrough(entry)
            }
            (Some(mode), _) if !mode.terminates() => {
                self.step_with_wire(
                    Stage::Listener,
                    format!(
                        "Mode {mode}: the TLS passes through undecrypted and is routed by SNI with `tls` rules."
                    ),
                    None,
                    Wire::ClientTls,
                );
                self.gateway_tls_routing(entry)
            }
            (mode, RouteKind::Tcp) => {
                let protocol = server.protocol().map_or(String::new(), |p| format!("{p} "));
                let how = match mode {
                    Some(mode) => {
                        self.terminated = true;
                        format!(
                            "Mode {mode}: the gateway terminates TLS and proxies the decrypted bytes by `tcp` rules."
                        )
                    }
                    None => format!(
                        "A {protocol}server does not parse what it gets: the connection is proxied by `tcp` rules."
                    ),
                };
                let wire = if self.terminated {
                    Wire::Plaintext
                } else {
                    self.client_wire()
                };
                self.step_with_wire(Stage::Listener, how, None, wire);
                self.gateway_tcp_routing(entry)
            }
            (mode, _) => {
                let how = match mode {
                    Some(mode) => format!(
                        "Mode {mode}: the gateway terminates TLS; the decrypted request is routed by `http` rules."
                    ),
                    None => "Plain HTTP: the request is routed by `http` rules.".to_string(),
                };
                self.step_with_wire(Stage::Listener, how, None, Wire::Plaintext);
                // Plain HTTP servers of one port share one route configuration (`http.<port>`);
                // a terminating server has its own.
                let sharing: Vec<MergedServer<'m>> = if mode.is_none() {
                    on_port
                        .iter()
                        .filter(|other| other.server.tls_mode().is_none())
                        .copied()
                        .collect()
                } else {
                    vec![entry]
                };
                self.gateway_http_routing(&sharing)
            }
        }
    }

    pub(super) fn listener_step(
        &mut self,
        gateway: &Resource,
        index: usize,
        server: &Server,
        what: &str,
    ) {
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

    /// VirtualServices bound to one of `servers` whose hosts cover `host`, with the server
    /// each is bound to: only those of the most specific host (Envoy picks one virtual host,
    /// by exact domain, then the longest wildcard), merged oldest first.
    fn bound_services(
        &self,
        servers: &[MergedServer<'m>],
        host: &str,
    ) -> Vec<(&'m Resource, &'m VirtualService, MergedServer<'m>)> {
        let mut found: Vec<_> = self
            .services_on(servers)
            .into_iter()
            .filter_map(|(resource, service, entry)| {
                let rank = service
                    .host_values()
                    .filter(|pattern| host_covers(&pattern.value, host))
                    .map(|pattern| host_rank(&pattern.value))
                    .max()?;
                Some((rank, resource, service, entry))
            })
            .collect();
        let best = found.iter().map(|(rank, ..)| *rank).max();
        found.retain(|(rank, ..)| Some(*rank) == best);
        found
            .into_iter()
            .map(|(_, resource, service, entry)| (resource, service, entry))
            .collect()
    }

    /// VirtualServices bound to one of `servers` (a host of theirs within the server's), oldest
    /// first as Istio takes them.
    fn services_on(
        &self,
        servers: &[MergedServer<'m>],
    ) -> Vec<(&'m Resource, &'m VirtualService, MergedServer<'m>)> {
        let mesh = self.mesh;
        let mut found = Vec::new();
        for (resource, service) in mesh.virtual_services() {
            let bound = servers.iter().find(|entry| {
                mesh.gateway_refs(resource, service).iter().any(|reference| {
                    matches!(reference.target, GatewayTarget::Found(g, gw)
                        if std::ptr::eq(g, entry.gateway)
                            && mesh.bound_servers(resource, service, g, gw).iter().any(|s| std::ptr::eq(*s, entry.server)))
                })
            });
            if let Some(entry) = bound {
                found.push((resource, service, *entry));
            }
        }
        crate::order::sort_by(&mut found, |a, b| a.0.istio_config_order(b.0));
        found
    }

    /// A rule of a kind this server does not route by: shown, and passed over.
    fn unused_rule_step(&mut self, resource: &Resource, rule: &Rule, why: &str) {
        self.step(
            Stage::Rule,
            format!(
                "{} {}[{}] {why}.",
                resource.label(),
                rule.kind.key(),
                rule.index
            ),
            Some(NodeKey::rule(resource, rule.kind, rule.index).text()),
            Some(rule.list_key.unwrap_or(rule.span)),
        );
    }

    fn gateway_http_routing(&mut self, servers: &[MergedServer<'m>]) -> End {
        let url = &self.request.url;
        let services = self.bound_services(servers, &url.host);
        if services.is_empty() {
            return (
                Outcome::NoRoute,
                format!(
                    "No VirtualService bound to this server has host {}.",
                    url.host
                ),
            );
        }
        let unused = |_| "is never used: a terminating server hands requests to `http` rules only";
        let verdict = |tracer: &Self, rule: &Rule| match rule.matches {
            Matches::Http(items) => tracer.http_verdict(items),
            Matches::Tls(_) => unreachable!("http rules have http match entries"),
        };
        if let Some(end) = self.first_bound_rule(&services, RouteKind::Http, &unused, &verdict) {
            return end;
        }
        (
            Outcome::NoRoute,
            format!(
                "No `http` rule matches {} {}.",
                self.request.method, url.path
            ),
        )
    }

    fn gateway_tls_routing(&mut self, entry: MergedServer<'m>) -> End {
        let sni = self.request.sni();
        let services = self.bound_services(&[entry], sni);
        let unused = |kind| match kind {
            RouteKind::Http => {
                "never sees this traffic: it is still encrypted, and only `tls` rules route it"
            }
            _ => "is never used: a passthrough server routes by SNI with `tls` rules only",
        };
        let verdict = |tracer: &Self, rule: &Rule| match rule.matches {
            Matches::Tls(items) => tracer.l4_verdict(items, Some(sni), false),
            Matches::Http(_) => unreachable!("tls rules have tls match entries"),
        };
        if let Some(end) = self.first_bound_rule(&services, RouteKind::Tls, &unused, &verdict) {
            return end;
        }
        (
            Outcome::ConnectionReset,
            format!(
                "No `tls` rule matches SNI {sni}: the gateway has no route for the connection and closes it."
            ),
        )
    }

    /// Istio's builtAutoPassthroughFilterChains: one filter chain per cluster of a Service in
    /// the mesh that the server's hosts cover, matched by the SNI that names the cluster.
    fn auto_passthrough(&mut self, entry: MergedServer<'m>) -> End {
        let sni = self.request.sni().to_string();
        let named = sni
            .strip_prefix("outbound_.")
            .and_then(|rest| rest.split_once("_."))
            .and_then(|(port, rest)| {
                let (subset, host) = rest.split_once("_.")?;
                Some((port.parse::<u32>().ok()?, subset, host))
            });
        let namespace = &entry.gateway.namespace;
        let Some((port, subset, host)) = named.filter(|(port, _, host)| {
            auto_passthrough_covers(entry.server, host)
                && self
                    .mesh
                    .declared_ports(host, namespace)
                    .iter()
                    .any(|d| d.number == *port && matches!(d.port, PortRef::Service(_)))
        }) else {
            return (
                Outcome::ConnectionReset,
                format!(
                    "SNI {sni} names no cluster of a Service in the mesh that this server covers: AUTO_PASSTHROUGH has no filter chain for it and the connection is reset."
                ),
            );
        };
        let subset = (!subset.is_empty()).then_some(subset);
        let wire = self.client_wire();
        self.follow_destination(host, namespace, Some(port), subset, None, wire)
    }

    /// Istio's `buildGatewayNetworkFiltersFromTCPRoutes`: the VirtualServices bound to the
    /// server, oldest first; the first `tcp` rule (with a destination) whose match entries
    /// admit this server proxies the connection. None: the server has no filter chain, and
    /// Envoy resets the connection.
    fn gateway_tcp_routing(&mut self, entry: MergedServer<'m>) -> End {
        let services = self.services_on(&[entry]);
        let unused = |_| "is never used: this server proxies connections by `tcp` rules only";
        let verdict = |_: &Self, rule: &Rule| {
            if rule.route.is_empty() {
                Err("it has no destination".to_string())
            } else {
                Ok(())
            }
        };
        if let Some(end) = self.first_bound_rule(&services, RouteKind::Tcp, &unused, &verdict) {
            return end;
        }
        (
            Outcome::ConnectionReset,
            format!(
                "No `tcp` rule takes connections on port {}: the server gets no filter chain and Envoy resets the connection.",
                self.request.url.port
            ),
        )
    }

    /// The rules of `services` as one server's route table: rules of another kind than `kind`
    /// are shown unused (`unused` says why), rules whose match entries name another gateway
    /// or port are passed over, and the first whose `verdict` holds takes the request.
    fn first_bound_rule(
        &mut self,
        services: &[(&'m Resource, &'m VirtualService, MergedServer<'m>)],
        kind: RouteKind,
        unused: &dyn Fn(RouteKind) -> &'static str,
        verdict: &dyn Fn(&Self, &Rule) -> Result<(), String>,
    ) -> Option<End> {
        for (resource, service, entry) in services {
            for rule in rules(service) {
                if rule.kind != kind {
                    self.unused_rule_step(resource, &rule, unused(rule.kind));
                    continue;
                }
                let (namespace, gateway, server) =
                    (&resource.namespace, entry.gateway, entry.server);
                let admitted = match rule.matches {
                    Matches::Http(items) => self
                        .mesh
                        .http_rule_admits(namespace, items, gateway, server),
                    Matches::Tls(items) => {
                        self.mesh.tls_rule_admits(namespace, items, gateway, server)
                    }
                };
                if !admitted {
                    self.rule_not_admitted(resource, &rule, "another gateway or port");
                    continue;
                }
                let verdict = verdict(self, &rule);
                if let Some(end) = self.rule_verdict(resource, &rule, verdict) {
                    return Some(end);
                }
            }
        }
        None
    }
}
