//! The tracer at an Istio Gateway: the server (filter chain) the connection lands on, by port,
//! then SNI among TLS servers or the Host among plain ones; TLS terminated or passed through;
//! and the VirtualServices bound to that server.

use super::{End, Outcome, Tracer, sni_verdict};
use crate::model::{Protocol, Resource, Server};
use crate::resolve::{GatewayTarget, RouteKind, host_covers};
use crate::topology::{Matches, NodeKey, Stage, Wire, rules};

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
pub(super) fn host_rank(pattern: &str) -> usize {
    if pattern.starts_with('*') {
        pattern.len()
    } else {
        usize::MAX
    }
}

impl<'m> Tracer<'m, '_> {
    pub(super) fn start_at_gateway(&mut self, gateway: &'m Resource) -> End {
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

    /// VirtualServices bound to this server whose hosts cover `host`, most specific first
    /// (Envoy picks one virtual host by its most specific domain).
    pub(super) fn bound_services(
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

    pub(super) fn gateway_http_routing(
        &mut self,
        gateway: &'m Resource,
        server: &'m Server,
    ) -> End {
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

    pub(super) fn gateway_tls_routing(&mut self, gateway: &'m Resource, server: &'m Server) -> End {
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
}
