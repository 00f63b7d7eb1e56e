//! Which Gateway servers a VirtualService binds to and its rules reach, and what kind of
//! rules each server hands its traffic to.

use std::ptr;

use super::{GatewayTarget, Mesh, fqdn, hosts_intersect};
use crate::model::{Gateway, HttpMatch, Protocol, Resource, Server, Spanned, TlsMatch};
use crate::model::{ServerTls, TlsRoute, VirtualService};
use crate::yaml::Node;

/// The kind of VirtualService rule a Gateway server hands its traffic to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteKind {
    Http,
    Tls,
    Tcp,
}

impl RouteKind {
    /// PASSTHROUGH servers route still-encrypted connections with `tls` rules; HTTP and HTTPS
    /// servers (terminating or plain) with `http` rules; other servers (TLS terminated, TCP)
    /// with `tcp` rules.
    pub fn of(server: &Server) -> RouteKind {
        if server.tls_mode().is_some_and(|mode| !mode.terminates()) {
            return RouteKind::Tls;
        }
        match server.protocol() {
            Some(protocol) if !protocol.is_http() && protocol != Protocol::Https => RouteKind::Tcp,
            _ => RouteKind::Http,
        }
    }

    /// The rules a sidecar's outbound port of `protocol` routes with: `tls` rules (by SNI)
    /// for ports that carry TLS, `http` rules for HTTP ports, `tcp` rules for the rest.
    pub fn of_protocol(protocol: Protocol) -> RouteKind {
        if protocol.is_encrypted() {
            RouteKind::Tls
        } else if protocol.is_http() {
            RouteKind::Http
        } else {
            RouteKind::Tcp
        }
    }

    /// Whether a sidecar's outbound port routing with `self` rules tries `rule` rules too: a
    /// TLS port's filter chains are its `tls` rules by SNI, then its `tcp` rules (Istio's
    /// buildSidecarOutboundTCPTLSFilterChainOpts).
    pub fn sidecar_port_tries(self, rule: RouteKind) -> bool {
        match self {
            RouteKind::Tls => rule != RouteKind::Http,
            kind => rule == kind,
        }
    }

    /// The VirtualService key of these rules.
    pub fn key(self) -> &'static str {
        match self {
            RouteKind::Http => "http",
            RouteKind::Tls => "tls",
            RouteKind::Tcp => "tcp",
        }
    }
}

/// The `tls` keys besides `credentialName`, `serverCertificate` and `privateKey` that give a
/// Gateway server certificates to present (the model leaves them out).
const OTHER_CERTIFICATE_KEYS: &[&str] = &["credentialNames", "tlsCertificates"];

/// Whether a Gateway server's `tls` settings (and `node`, their YAML mapping) give it a
/// certificate to present when it terminates TLS: `credentialName`, both `serverCertificate`
/// and `privateKey`, `credentialNames` or `tlsCertificates`. A key without a value gives none.
pub fn has_server_certificate(tls: &ServerTls, node: &Node) -> bool {
    tls.credential_name.is_some()
        || (tls.server_certificate.is_some() && tls.private_key.is_some())
        || OTHER_CERTIFICATE_KEYS
            .iter()
            .any(|key| node.get(key).is_some_and(|value| !value.is_null()))
}

/// `Gateway ns/name port 443`, for messages about one server (`port ?` without a number).
pub fn server_label(gateway: &Resource, server: &Server) -> String {
    let port = server
        .port_number()
        .map_or_else(|| "?".to_string(), |number| number.to_string());
    format!("{} port {port}", gateway.label())
}

/// A Gateway server that rules of a VirtualService reach.
pub struct ReachedServer<'m> {
    pub gateway: &'m Resource,
    pub server: &'m Server,
}

impl ReachedServer<'_> {
    pub fn routes_with(&self) -> RouteKind {
        RouteKind::of(self.server)
    }

    /// `Gateway ns/name port 443 (mode SIMPLE)`, for messages.
    pub fn describe(&self) -> String {
        let tls = self.server.tls.as_ref();
        let mode = match (
            self.server.tls_mode(),
            tls.and_then(|t| t.value.mode.as_ref()),
        ) {
            (Some(mode), Some(_)) => format!(" (mode {mode})"),
            (Some(mode), None) => format!(" (mode {mode}: a `tls` block without `mode`)"),
            (None, _) => String::new(),
        };
        format!("{}{mode}", server_label(self.gateway, self.server))
    }
}

/// What narrows a rule's match entry to some Gateway servers: its `port` and `gateways`.
#[derive(Clone, Copy)]
struct MatchScope<'a> {
    port: Option<u32>,
    gateways: Option<&'a [Spanned<String>]>,
}

impl<'a> From<&'a HttpMatch> for MatchScope<'a> {
    fn from(item: &'a HttpMatch) -> MatchScope<'a> {
        MatchScope {
            port: item.port.as_ref().map(|port| port.value),
            gateways: item.gateways.as_ref().map(|g| g.value.as_slice()),
        }
    }
}

impl<'a> From<&'a TlsMatch> for MatchScope<'a> {
    fn from(item: &'a TlsMatch) -> MatchScope<'a> {
        MatchScope {
            port: item.port.as_ref().map(|port| port.value),
            gateways: item.gateways.as_ref().map(|g| g.value.as_slice()),
        }
    }
}

impl MatchScope<'_> {
    fn admits(&self, mesh: &Mesh, namespace: &str, gateway: &Resource, server: &Server) -> bool {
        let port_ok = match (self.port, server.port_number()) {
            (Some(wanted), Some(number)) => wanted == number,
            _ => true,
        };
        let gateway_ok = self.gateways.is_none_or(|entries| {
            entries.iter().any(|entry| {
                matches!(mesh.gateway_target(&entry.value, namespace),
                    GatewayTarget::Found(found, _) if ptr::eq(found, gateway))
            })
        });
        port_ok && gateway_ok
    }
}

impl Mesh {
    /// Does a server of a gateway in `gateway_namespace` accept VirtualService host `host`
    /// from namespace `vs_namespace`? Server hosts may carry a namespace prefix (`ns/host`,
    /// `./host` for the gateway's own namespace, `*/host` for any).
    pub fn server_accepts(
        server_host: &str,
        gateway_namespace: &str,
        host: &str,
        vs_namespace: &str,
    ) -> bool {
        let (allowed_namespace, server_host) = match server_host.split_once('/') {
            Some((ns, host)) => (ns, host),
            None => ("*", server_host),
        };
        let namespace_ok = match allowed_namespace {
            "*" => true,
            "." => gateway_namespace == vs_namespace,
            ns => ns == vs_namespace,
        };
        namespace_ok
            && (hosts_intersect(server_host, host)
                || hosts_intersect(server_host, &fqdn(host, vs_namespace)))
    }

    /// The servers of `gateway` that a VirtualService binds to: those accepting any of its
    /// hosts.
    pub fn bound_servers<'g>(
        &self,
        vs_resource: &Resource,
        service: &VirtualService,
        gateway_resource: &Resource,
        gateway: &'g Gateway,
    ) -> Vec<&'g Server> {
        gateway
            .servers
            .iter()
            .filter(|server| {
                server.host_values().any(|server_host| {
                    service.host_values().any(|host| {
                        Mesh::server_accepts(
                            &server_host.value,
                            &gateway_resource.namespace,
                            &host.value,
                            &vs_resource.namespace,
                        )
                    })
                })
            })
            .collect()
    }

    /// When a VirtualService routes with rules of `kind` only (it has some, and none of the
    /// other kinds), the Gateway servers those rules reach: servers accepting one of its hosts,
    /// of Gateways it is bound to, admitted by the `port` and `gateways` of some rule's match
    /// entry (a rule without match entries admits all). `None` for other VirtualServices, and
    /// for those also bound to `mesh` or to a Gateway not in the input: their rules may be
    /// meant for those.
    pub fn servers_reached_only_by<'m>(
        &'m self,
        resource: &'m Resource,
        service: &'m VirtualService,
        kind: RouteKind,
    ) -> Option<Vec<ReachedServer<'m>>> {
        let layer4 = |routes: &'m [TlsRoute]| -> Vec<Vec<MatchScope<'m>>> {
            let scopes = |rule: &'m TlsRoute| rule.match_items().iter().map(MatchScope::from);
            routes.iter().map(|rule| scopes(rule).collect()).collect()
        };
        let http: Vec<Vec<MatchScope>> = service
            .http_routes()
            .iter()
            .map(|rule| rule.match_items().iter().map(MatchScope::from).collect())
            .collect();
        let by_kind = [
            (RouteKind::Http, http),
            (RouteKind::Tls, layer4(service.tls_routes())),
            (RouteKind::Tcp, layer4(service.tcp_routes())),
        ];
        let only_kind = by_kind
            .iter()
            .all(|(other, rules)| (*other == kind) != rules.is_empty());
        if !only_kind {
            return None;
        }
        let (_, rules) = by_kind.iter().find(|(other, _)| *other == kind)?;
        self.reached_servers(resource, service, rules)
    }

    /// Does an `http` rule with match entries `items` take traffic from `server` of
    /// `gateway`? A rule without match entries takes all of it.
    pub fn http_rule_admits(
        &self,
        namespace: &str,
        items: &[HttpMatch],
        gateway: &Resource,
        server: &Server,
    ) -> bool {
        let scopes = items.iter().map(MatchScope::from);
        self.scopes_admit(namespace, scopes, gateway, server)
    }

    /// [`Mesh::http_rule_admits`] for a `tls` or `tcp` rule.
    pub fn tls_rule_admits(
        &self,
        namespace: &str,
        items: &[TlsMatch],
        gateway: &Resource,
        server: &Server,
    ) -> bool {
        let scopes = items.iter().map(MatchScope::from);
        self.scopes_admit(namespace, scopes, gateway, server)
    }

    fn scopes_admit<'a>(
        &self,
        namespace: &str,
        scopes: impl ExactSizeIterator<Item = MatchScope<'a>>,
        gateway: &Resource,
        server: &Server,
    ) -> bool {
        let mut scopes = scopes.peekable();
        scopes.peek().is_none()
            || scopes.any(|scope| scope.admits(self, namespace, gateway, server))
    }

    /// The servers that rules with match scopes `rules` reach; see
    /// [`Mesh::servers_reached_only_by`].
    fn reached_servers<'m>(
        &'m self,
        resource: &'m Resource,
        service: &'m VirtualService,
        rules: &[Vec<MatchScope>],
    ) -> Option<Vec<ReachedServer<'m>>> {
        let mut reached: Vec<ReachedServer> = Vec::new();
        for reference in self.gateway_refs(resource, service) {
            let GatewayTarget::Found(gateway_resource, gateway) = reference.target else {
                return None;
            };
            for server in self.bound_servers(resource, service, gateway_resource, gateway) {
                let admitted = rules.iter().any(|scopes| {
                    let scopes = scopes.iter().copied();
                    self.scopes_admit(&resource.namespace, scopes, gateway_resource, server)
                });
                if admitted && !reached.iter().any(|r| ptr::eq(r.server, server)) {
                    reached.push(ReachedServer {
                        gateway: gateway_resource,
                        server,
                    });
                }
            }
        }
        Some(reached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::tests::mesh;

    const GATEWAY: &str = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: edge}\nspec:\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [\"*.example.com\"]\n    tls: {mode: SIMPLE, credentialName: c}\n  - port: {number: 8443, name: tls, protocol: TLS}\n    hosts: [\"*.example.com\"]\n    tls: {credentialName: é}\n  - port: {number: 9443, name: tls-db, protocol: TLS}\n    hosts: [\"*.example.com\"]\n    tls: {mode: MUTUAL, credentialName: db}\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [other.org]\n  - hosts: [\"*\"]\n---\n";

    fn vs(gateways: &str, tls: &str) -> String {
        format!(
            "{GATEWAY}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: vs}}\nspec:\n  hosts: [a.example.com]\n  gateways: {gateways}\n  tls: {tls}\n"
        )
    }

    /// The servers the VirtualService's `tls` rules reach, described.
    fn reached(text: &str) -> Option<Vec<String>> {
        let mesh = mesh(text);
        let (resource, service) = mesh.virtual_services().next().unwrap();
        let reached = mesh.servers_reached_only_by(resource, service, RouteKind::Tls)?;
        Some(reached.iter().map(ReachedServer::describe).collect())
    }

    #[test]
    fn servers_route_with_the_rules_their_tls_mode_and_protocol_call_for() {
        let mesh = mesh(GATEWAY);
        let (_, gateway) = mesh.gateways().next().unwrap();
        let kinds: Vec<RouteKind> = gateway.servers.iter().map(RouteKind::of).collect();
        assert_eq!(
            kinds,
            [
                RouteKind::Http,
                RouteKind::Tls,
                RouteKind::Tcp,
                RouteKind::Http,
                RouteKind::Http
            ]
        );
        assert_eq!(RouteKind::Tcp.key(), "tcp");
    }

    #[test]
    fn rules_reach_the_servers_their_matches_admit() {
        let all = reached(&vs("[edge/gw]", "[{route: []}]")).unwrap();
        assert_eq!(
            all,
            [
                "Gateway edge/gw port 443 (mode SIMPLE)",
                "Gateway edge/gw port 8443 (mode PASSTHROUGH: a `tls` block without `mode`)",
                "Gateway edge/gw port 9443 (mode MUTUAL)",
                "Gateway edge/gw port ?",
            ]
        );
        let narrowed = reached(&vs(
            "[edge/gw]",
            "[{match: [{port: 8443}]}, {match: [{port: 1}]}]",
        ));
        assert_eq!(
            narrowed.unwrap(),
            [
                "Gateway edge/gw port 8443 (mode PASSTHROUGH: a `tls` block without `mode`)",
                "Gateway edge/gw port ?",
            ],
            "a server without a port number is not narrowed by `port`"
        );
        let other_gateway = reached(&vs("[edge/gw]", "[{match: [{gateways: [edge/x]}]}]"));
        assert_eq!(other_gateway.unwrap().len(), 0);
    }

    #[test]
    fn rules_bound_to_the_mesh_or_a_missing_gateway_are_left_alone() {
        assert_eq!(reached(&vs("[edge/gw, mesh]", "[{route: []}]")), None);
        assert_eq!(
            reached(&vs("[edge/gw, edge/missing]", "[{route: []}]")),
            None
        );
        let both_kinds = vs("[edge/gw]", "[{route: []}]\n  tcp: [{route: []}]");
        assert_eq!(reached(&both_kinds), None, "not only `tls` rules");
        assert_eq!(reached(&vs("[edge/gw]", "[]")), None, "no `tls` rules");
    }

    #[test]
    fn server_host_namespace_prefixes() {
        assert!(Mesh::server_accepts(
            "*/a.com",
            "istio-system",
            "a.com",
            "default"
        ));
        assert!(Mesh::server_accepts(
            "default/a.com",
            "istio-system",
            "a.com",
            "default"
        ));
        assert!(!Mesh::server_accepts(
            "prod/a.com",
            "istio-system",
            "a.com",
            "default"
        ));
        assert!(Mesh::server_accepts(
            "./a.com", "default", "a.com", "default"
        ));
        assert!(!Mesh::server_accepts(
            "./a.com",
            "istio-system",
            "a.com",
            "default"
        ));
        assert!(Mesh::server_accepts(
            "*",
            "istio-system",
            "reviews",
            "default"
        ));
    }
}
