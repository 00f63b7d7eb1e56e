//! The tracer's way through the Kubernetes Gateway API: a Gateway's listener (by port, then the
//! most specific hostname for the SNI or the Host), TLS terminated or passed through, the
//! routes attached to that listener in Istio's order (`sortHTTPRoutes`: exact path, longest
//! prefix, regex, method, headers, query parameters, then the oldest route and rule order),
//! their filters and backendRefs; and the routes of the mesh (a Service parentRef) for pods.

mod rules;

use super::{End, Outcome, Tracer, host_rank};
use crate::model::Resource;
use crate::model::gateway_api::{
    self as gwapi, Listener, ListenerProtocol, ListenerTlsMode, RouteType,
};
use crate::model::{Spanned, Spec};
use crate::resolve::gateway_api::{DenialCause, ParentTarget, listener_problems};
use crate::resolve::{Fqdn, RouteKind, host_covers};
use crate::topology::gateway_api::{dropped_reason, mesh_route_kind, programs_ingress};
use crate::topology::{NodeKey, Stage, Wire};

/// A listener of the traced Gateway: its own, or one of a ListenerSet it takes.
#[derive(Clone, Copy)]
struct Entry<'m> {
    holder_index: usize,
    holder: &'m Resource,
    index: usize,
    listener: &'m Listener,
}

/// A route that takes traffic here.
#[derive(Clone, Copy)]
struct Attached<'m> {
    route: &'m Resource,
    route_type: RouteType,
    spec: &'m gwapi::Route,
}

impl Attached<'_> {
    fn rule_key(&self, rule: usize) -> String {
        NodeKey::api_rule(self.route, self.route_type, rule).text()
    }
}

/// A route the listener refuses, with Istio's reason.
struct Refused<'m> {
    attached: Attached<'m>,
    reason: &'static str,
    message: &'m str,
}

/// The ListenerSet or Gateway holding the listener's listeners.
fn listeners_of(holder: &Resource) -> &[Listener] {
    crate::resolve::gateway_api::listeners_of(holder)
}

impl<'m> Tracer<'m, '_> {
    /// From an outside client through the Gateway API Gateway at resource `gateway`.
    pub(super) fn start_at_api_gateway(&mut self, gateway: usize) -> End {
        let mesh = self.mesh;
        let view = mesh.gateway_api();
        let url = &self.request.url;
        let resource = &mesh.resources[gateway];
        let mut holders = vec![gateway];
        holders.extend(
            (0..mesh.resources.len()).filter(|&set| view.listener_set_parent(set) == Some(gateway)),
        );
        let on_port: Vec<Entry<'m>> = holders
            .into_iter()
            .flat_map(|holder_index| {
                let holder = &mesh.resources[holder_index];
                listeners_of(holder)
                    .iter()
                    .enumerate()
                    .map(move |(index, listener)| Entry {
                        holder_index,
                        holder,
                        index,
                        listener,
                    })
            })
            .filter(|entry| {
                entry.listener.port_number() == Some(url.port)
                    && entry
                        .listener
                        .protocol_value()
                        .is_some_and(|p| p != ListenerProtocol::Udp)
            })
            .collect();
        let sni = self.request.sni().to_string();
        let speaks = if self.request.client_tls {
            format!("TLS with SNI {sni}")
        } else {
            "plaintext".to_string()
        };
        self.step_with_wire(
            Stage::Client,
            format!(
                "An outside client connects to {} port {} and speaks {speaks}.",
                resource.label(),
                url.port
            ),
            (!on_port.is_empty()).then(|| NodeKey::OutsideClient(Some(url.port)).text()),
            self.client_wire(),
        );
        if on_port.is_empty() {
            return (
                Outcome::ConnectionRefused,
                format!("{} has no listener on port {}.", resource.label(), url.port),
            );
        }
        let protocol = |entry: &Entry| entry.listener.protocol_value();
        let best = |protocols: &[ListenerProtocol], host: &str| {
            on_port
                .iter()
                .filter(|entry| protocol(entry).is_some_and(|p| protocols.contains(&p)))
                .filter_map(|entry| {
                    let pattern = entry.listener.hostname_value().unwrap_or("*");
                    host_covers(pattern, host).then(|| (host_rank(pattern), *entry))
                })
                // The most specific hostname; the first listener among equals.
                .fold(
                    None,
                    |best: Option<(usize, Entry)>, (rank, entry)| match best {
                        Some((top, _)) if top >= rank => best,
                        _ => Some((rank, entry)),
                    },
                )
                .map(|(_, entry)| entry)
        };
        let tcp = on_port
            .iter()
            .find(|entry| protocol(entry) == Some(ListenerProtocol::Tcp))
            .copied();
        let http = on_port
            .iter()
            .find(|entry| protocol(entry) == Some(ListenerProtocol::Http))
            .copied();
        let chosen = if self.request.client_tls {
            best(&[ListenerProtocol::Https, ListenerProtocol::Tls], &sni).or(tcp)
        } else {
            best(&[ListenerProtocol::Http], &url.host).or(tcp)
        };
        let Some(entry) = chosen else {
            return if self.request.client_tls
                && let Some(plain) = http
            {
                self.api_listener_step(plain);
                (
                    Outcome::WrongVersionNumber,
                    format!(
                        "Listener `{}` on port {} is plain HTTP: it answers the client's TLS handshake with plaintext HTTP, and the client reports `wrong version number`.",
                        plain.listener.name_value(),
                        url.port
                    ),
                )
            } else if self.request.client_tls {
                (
                    Outcome::ConnectionReset,
                    format!(
                        "No listener of {} on port {} accepts SNI {sni}: no filter chain matches and the connection is reset.",
                        resource.label(),
                        url.port
                    ),
                )
            } else if http.is_some() {
                // The HTTP listeners of a port share one set of virtual hosts.
                (
                    Outcome::NoRoute,
                    format!(
                        "No HTTP listener of {} on port {} has a hostname that covers Host {}.",
                        resource.label(),
                        url.port,
                        url.host
                    ),
                )
            } else {
                (
                    Outcome::ConnectionReset,
                    format!(
                        "The listeners of {} on port {} expect TLS; the plaintext request fails the handshake and the connection is reset.",
                        resource.label(),
                        url.port
                    ),
                )
            };
        };
        self.api_listener_step(entry);
        let listener = entry.listener;
        let terminates = listener.tls_mode() == Some(ListenerTlsMode::Terminate);
        if terminates
            && let Some((reason, message)) = listener_problems(mesh, entry.holder, entry.index)
                .into_iter()
                .next()
        {
            return (
                Outcome::ConnectionReset,
                format!(
                    "The listener has no usable certificate ({reason}: {message}): the TLS handshake fails and the connection is reset."
                ),
            );
        }
        match protocol(&entry) {
            Some(ListenerProtocol::Tls) if !terminates => {
                self.step_with_wire(
                    Stage::Listener,
                    "TLS mode Passthrough: the TLS passes through undecrypted and is routed by SNI with the TLSRoutes attached to this listener.".to_string(),
                    None,
                    Wire::ClientTls,
                );
                self.api_tls_routing(entry, Wire::ClientTls)
            }
            Some(ListenerProtocol::Tls) => {
                self.step_with_wire(
                    Stage::Listener,
                    "TLS mode Terminate: the gateway terminates TLS; the decrypted stream is routed by SNI with TLSRoutes, or by TCPRoutes.".to_string(),
                    None,
                    Wire::Plaintext,
                );
                self.api_tls_routing(entry, Wire::Plaintext)
            }
            Some(ListenerProtocol::Tcp) => {
                let wire = self.client_wire();
                self.step_with_wire(
                    Stage::Listener,
                    "TCP: the connection is forwarded as it comes by the TCPRoute attached to this listener.".to_string(),
                    None,
                    wire,
                );
                self.api_tcp_routing(entry, wire)
            }
            _ => {
                let how = if terminates {
                    "TLS mode Terminate: the gateway terminates TLS; the decrypted request is routed by the HTTPRoutes and GRPCRoutes attached to this listener."
                } else {
                    "Plain HTTP: the request is routed by the HTTPRoutes and GRPCRoutes attached to this listener."
                };
                self.step_with_wire(Stage::Listener, how.to_string(), None, Wire::Plaintext);
                self.api_http_routing(entry)
            }
        }
    }

    fn api_listener_step(&mut self, entry: Entry) {
        let listener = entry.listener;
        let mut detail = vec![
            listener
                .protocol
                .as_ref()
                .map_or("?".to_string(), |p| p.value.clone()),
        ];
        if let Some(mode) = listener.tls_mode() {
            detail.push(format!("mode {mode}"));
        }
        detail.push(format!(
            "hostname {}",
            listener.hostname_value().unwrap_or("*")
        ));
        self.step(
            Stage::Listener,
            format!(
                "Listener `{}` of {} ({}) takes the connection.",
                listener.name_value(),
                entry.holder.label(),
                detail.join(", ")
            ),
            Some(NodeKey::api_listener(entry.holder, entry.index).text()),
            Some(listener.span),
        );
    }

    /// The routes attached to `entry`'s listener (oldest first), and those it refuses for
    /// their kind or namespace.
    fn attached(&self, entry: Entry) -> (Vec<Attached<'m>>, Vec<Refused<'m>>) {
        let mesh = self.mesh;
        let view = mesh.gateway_api();
        let mut attached = Vec::new();
        let mut refused = Vec::new();
        for (index, route) in mesh.resources.iter().enumerate() {
            let (Some(route_type), Spec::Route(spec)) = (route.kind.route_type(), &route.spec)
            else {
                continue;
            };
            let this = Attached {
                route,
                route_type,
                spec,
            };
            let mut accepted = false;
            let mut denial = None;
            for attachment in view.attachments(index) {
                let ParentTarget::Listeners {
                    parent, results, ..
                } = &attachment.target
                else {
                    continue;
                };
                let Some(result) = results
                    .iter()
                    .find(|r| *parent == entry.holder_index && r.listener == entry.index)
                else {
                    continue;
                };
                match &result.denial {
                    None => accepted = true,
                    Some(d) if matches!(d.cause, DenialCause::Kind | DenialCause::Namespace) => {
                        denial.get_or_insert(d);
                    }
                    Some(_) => {}
                }
            }
            if accepted {
                attached.push(this);
            } else if let Some(denial) = denial {
                refused.push(Refused {
                    attached: this,
                    reason: denial.reason(),
                    message: &denial.message,
                });
            }
        }
        crate::order::sort_by(&mut attached, |a, b| a.route.oldest_first(b.route));
        (attached, refused)
    }

    /// Says which routes for `host` the listener refuses: the reason they take no traffic.
    fn note_refused(&mut self, entry: Entry, refused: &[Refused], host: &str) {
        for refused in refused {
            let route = refused.attached;
            let mut hostnames = route.spec.hostname_values().peekable();
            if hostnames.peek().is_some() && !hostnames.any(|h| host_covers(&h.value, host)) {
                continue;
            }
            let node = (!route.spec.rules().is_empty()).then(|| route.rule_key(0));
            self.step(
                Stage::Rule,
                format!(
                    "{} is not attached to listener `{}`: {} ({}).",
                    route.route.label(),
                    entry.listener.name_value(),
                    refused.message,
                    refused.reason
                ),
                node,
                route.spec.parent_refs.as_ref().map(|p| p.span),
            );
        }
    }

    /// Leaves out the routes Istio drops for a hard error, saying so.
    fn without_dropped(&mut self, routes: Vec<Attached<'m>>) -> Vec<Attached<'m>> {
        let mut kept = Vec::new();
        for route in routes {
            match dropped_reason(self.mesh, route.route, route.spec) {
                Some(reason) => {
                    let node = (!route.spec.rules().is_empty()).then(|| route.rule_key(0));
                    self.step(
                        Stage::Rule,
                        format!(
                            "{} configures nothing: Istio drops the route ({reason}).",
                            route.route.label()
                        ),
                        node,
                        Some(route.route.name.span),
                    );
                }
                None => kept.push(route),
            }
        }
        kept
    }

    fn api_http_routing(&mut self, entry: Entry) -> End {
        let url = &self.request.url;
        let host = url.host.clone();
        let (attached, refused) = self.attached(entry);
        self.note_refused(entry, &refused, &host);
        let listener_host = entry.listener.hostname_value().unwrap_or("*");
        if !host_covers(listener_host, &host) {
            return (
                Outcome::NoRoute,
                format!(
                    "The listener's hostname {listener_host} does not cover Host {host}: no route of this listener serves it."
                ),
            );
        }
        // Envoy picks the virtual host of the most specific hostname that covers the Host.
        let ranked: Vec<(usize, Attached<'m>)> = attached
            .into_iter()
            .filter(|route| matches!(route.route_type, RouteType::Http | RouteType::Grpc))
            .filter_map(|route| Some((hostname_rank(route.spec, listener_host, &host)?, route)))
            .collect();
        let best = ranked.iter().map(|(rank, _)| *rank).max();
        let routes: Vec<Attached<'m>> = ranked
            .into_iter()
            .filter(|(rank, _)| Some(*rank) == best)
            .map(|(_, route)| route)
            .collect();
        if routes.is_empty() {
            return (
                Outcome::NoRoute,
                format!(
                    "No HTTPRoute attached to listener `{}` has hostname {host}.",
                    entry.listener.name_value()
                ),
            );
        }
        let routes = self.without_dropped(routes);
        self.http_rules(&routes, false).unwrap_or_else(|| {
            (
                Outcome::NoRoute,
                format!(
                    "No rule of the routes for {host} matches {} {}.",
                    self.request.method, self.request.url.path
                ),
            )
        })
    }

    /// A TLS listener: the TLSRoute whose hostname covers the SNI most specifically, else (a
    /// terminating listener) a TCPRoute.
    fn api_tls_routing(&mut self, entry: Entry, wire: Wire) -> End {
        let sni = self.request.sni().to_string();
        let (attached, refused) = self.attached(entry);
        self.note_refused(entry, &refused, &sni);
        let attached = self.without_dropped(attached);
        let listener_host = entry.listener.hostname_value().unwrap_or("*");
        let by_sni = attached
            .iter()
            .filter(|route| route.route_type == RouteType::Tls)
            .filter_map(|route| Some((hostname_rank(route.spec, listener_host, &sni)?, *route)))
            .fold(
                None,
                |best: Option<(usize, Attached)>, (rank, route)| match best {
                    Some((top, _)) if top >= rank => best,
                    _ => Some((rank, route)),
                },
            )
            .map(|(_, route)| route);
        if let Some(route) = by_sni {
            return self.first_rule(route, format!("takes SNI {sni}"), wire);
        }
        if entry.listener.tls_mode() == Some(ListenerTlsMode::Terminate) {
            return self.api_tcp_routing(entry, wire);
        }
        (
            Outcome::ConnectionReset,
            format!(
                "No TLSRoute attached to listener `{}` takes SNI {sni}: the gateway has no route for the connection and resets it.",
                entry.listener.name_value()
            ),
        )
    }

    /// A TCP listener (or a terminating TLS one without a TLSRoute for the SNI): the oldest
    /// TCPRoute attached.
    fn api_tcp_routing(&mut self, entry: Entry, wire: Wire) -> End {
        let (attached, _) = self.attached(entry);
        let attached = self.without_dropped(attached);
        match attached
            .into_iter()
            .find(|r| r.route_type == RouteType::Tcp)
        {
            Some(route) => self.first_rule(route, "takes the connection".to_string(), wire),
            None => (
                Outcome::ConnectionReset,
                format!(
                    "No TCPRoute is attached to listener `{}`: the gateway has no route for the connection and closes it.",
                    entry.listener.name_value()
                ),
            ),
        }
    }

    /// A TLSRoute's or TCPRoute's first rule (they have no matches) and its backend.
    fn first_rule(&mut self, route: Attached<'m>, what: String, wire: Wire) -> End {
        let Some(rule) = route.spec.rules().first() else {
            return (
                Outcome::ConnectionReset,
                format!(
                    "{} has no rules: the connection is closed.",
                    route.route.label()
                ),
            );
        };
        self.step(
            Stage::Rule,
            format!("{} rule 1 {what}.", route.route.label()),
            Some(route.rule_key(0)),
            Some(rule.span),
        );
        self.follow_api_backends(route, rule, wire, false)
    }

    /// A pod's request to a Service that routes of the mesh (a Service parentRef) route, for
    /// the rules of `kind` (the port's protocol); `None` when no such route applies.
    pub(super) fn mesh_api_routes(&mut self, namespace: &str, kind: RouteKind) -> Option<End> {
        let mesh = self.mesh;
        let view = mesh.gateway_api();
        let url = &self.request.url;
        let host = Fqdn::of(&url.host, namespace);
        let mut routes: Vec<Attached<'m>> = Vec::new();
        for (index, route) in mesh.resources.iter().enumerate() {
            let (Some(route_type), Spec::Route(spec)) = (route.kind.route_type(), &route.spec)
            else {
                continue;
            };
            if mesh_route_kind(route_type) != kind {
                continue;
            }
            let applies = view.attachments(index).iter().any(|attachment| {
                let port = spec.parent_refs()[attachment.parent_ref].port.as_ref();
                matches!(&attachment.target, ParentTarget::Service { namespace, name }
                    if Fqdn::of(name, namespace) == host)
                    && port.is_none_or(|port| port.value == url.port)
            });
            if applies {
                routes.push(Attached {
                    route,
                    route_type,
                    spec,
                });
            }
        }
        if routes.is_empty() {
            return None;
        }
        crate::order::sort_by(&mut routes, |a, b| a.route.oldest_first(b.route));
        let routes = self.without_dropped(routes);
        if kind != RouteKind::Http {
            let wire = self.client_wire();
            let route = *routes.first()?;
            return Some(self.first_rule(route, "takes the connection".to_string(), wire));
        }
        let end = self.http_rules(&routes, true).unwrap_or_else(|| {
            (
                Outcome::NoRoute,
                format!(
                    "Routes of the mesh route {} but no rule matches {} {}.",
                    self.request.url.host, self.request.method, self.request.url.path
                ),
            )
        });
        Some(end)
    }
}

/// How specifically a route's hostnames (the listener's when it has none) cover `host`;
/// `None` when they do not.
fn hostname_rank(spec: &gwapi::Route, listener_host: &str, host: &str) -> Option<usize> {
    let own: Vec<&Spanned<String>> = spec.hostname_values().collect();
    if own.is_empty() {
        return host_covers(listener_host, host).then(|| host_rank(listener_host));
    }
    own.iter()
        .filter(|pattern| host_covers(&pattern.value, host))
        .map(|pattern| host_rank(&pattern.value))
        .max()
}

/// A first request for a Gateway API input: through the first listener a route attaches to,
/// for one of the route's hostnames (or the listener's).
pub(super) fn suggest(mesh: &crate::resolve::Mesh) -> Option<(super::Origin, String)> {
    let view = mesh.gateway_api();
    for (index, route) in mesh.resources.iter().enumerate() {
        let Spec::Route(spec) = &route.spec else {
            continue;
        };
        for attachment in view.attachments(index) {
            let ParentTarget::Listeners {
                parent, gateway, ..
            } = &attachment.target
            else {
                continue;
            };
            let gateway_resource = view.resource(*gateway);
            let Spec::KubernetesGateway(found) = &gateway_resource.spec else {
                continue;
            };
            let Some(listener) = attachment.accepted_listeners().next() else {
                continue;
            };
            if !programs_ingress(&view, found) {
                continue;
            }
            let listener = &listeners_of(view.resource(*parent))[listener];
            let host = spec
                .hostname_values()
                .next()
                .map(|h| h.value.as_str())
                .or(listener.hostname_value())
                .unwrap_or("*");
            let tls = Wire::from_listener_client(listener) == Wire::ClientTls;
            let origin = super::Origin::Gateway {
                namespace: gateway_resource.namespace.clone(),
                name: gateway_resource.name.value.clone(),
            };
            return Some((
                origin,
                super::suggested_url(tls, &super::concrete_host(host), listener.port_number()),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests;
