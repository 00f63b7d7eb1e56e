//! The tracer at a pod's sidecar: the outbound listener of the port called, the
//! VirtualServices of the mesh for the host, else the default route to the host as addressed.

use super::{End, Outcome, Step, Tracer, host_rank};
use crate::model::{Protocol, Resource, VirtualService};
use crate::resolve::{Fqdn, RouteKind, fqdn, host_covers};
use crate::topology::{Matches, NodeKey, Stage, rules};

impl<'m> Tracer<'m, '_> {
    pub(super) fn start_at_pod(&mut self, namespace: &str) -> End {
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
        // A host the input does not declare has the listeners of the ports it is called on.
        let listener_port = (mesh.is_declared(&url.host, namespace)
            || mesh
                .called_ports()
                .get(&Fqdn::of(&url.host, namespace))
                .is_some_and(|ports| ports.contains(&url.port)))
        .then_some(url.port);
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
            // A port without a protocol is sniffed: TLS, HTTP, else opaque TCP.
            None if self.request.client_tls => RouteKind::Tls,
            None if url.scheme == "tcp" => RouteKind::Tcp,
            None => RouteKind::Http,
        };
        // An ExternalName Service is an alias: the sidecar routes its host as the target's
        // (the target's virtual host carries the alias as a domain).
        let alias = mesh.external_name_alias(&url.host, namespace);
        if let Some((resource, target)) = alias {
            self.step(
                Stage::Listener,
                format!(
                    "{} is an ExternalName Service: Istio routes {} as an alias of {}.",
                    resource.label(),
                    url.host,
                    target.value
                ),
                None,
                Some(target.span),
            );
        }
        let routed_host = alias.map_or(url.host.as_str(), |(_, target)| target.value.as_str());
        let routing = self.mesh_virtual_service(routed_host, namespace);
        if let Some((resource, service)) = routing {
            // A TLS port tries `tls` rules by SNI, then `tcp` rules; a TCP or TLS port
            // falls back to the default route.
            for rule in rules(service) {
                if !kind.sidecar_port_tries(rule.kind) {
                    continue;
                }
                if !rule.admits_mesh_port(Some(url.port)) {
                    self.rule_not_admitted(resource, &rule, "another port or only gateways");
                    continue;
                }
                let verdict = match rule.matches {
                    Matches::Http(items) => self.http_verdict(items),
                    Matches::Tls(items) => {
                        let sni = (rule.kind == RouteKind::Tls).then(|| self.request.sni());
                        self.l4_verdict(items, sni, true)
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
        let why = match routing {
            Some((resource, _)) => format!("No rule of {} takes the connection", resource.label()),
            None => format!("No VirtualService routes {}", url.host),
        };
        self.step(
            Stage::Rule,
            format!("{why}: the default route sends it to the host as addressed."),
            Some(
                NodeKey::DefaultRule {
                    host: Fqdn::of(&url.host, namespace),
                    port: listener_port,
                }
                .text(),
            ),
            None,
        );
        self.proxies_connection = kind == RouteKind::Tcp;
        let wire = self.client_wire();
        self.follow_destination(&url.host, namespace, listener_port, None, None, wire)
    }

    /// The VirtualService of the mesh whose virtual host takes the request: the one of the
    /// most specific host covering it (exact, then the longest wildcard); of several for one
    /// host the oldest, as a sidecar merges none (the others are IST0109's conflict).
    fn mesh_virtual_service(
        &self,
        host: &str,
        namespace: &str,
    ) -> Option<(&'m Resource, &'m VirtualService)> {
        let host = fqdn(host, namespace);
        self.mesh
            .virtual_services()
            .filter(|(_, service)| crate::resolve::applies_to_mesh(service))
            .filter_map(|(resource, service)| {
                let rank = service
                    .host_values()
                    .map(|pattern| fqdn(&pattern.value, &resource.namespace))
                    .filter(|pattern| host_covers(pattern, &host))
                    .map(|pattern| host_rank(&pattern))
                    .max()?;
                Some((rank, resource, service))
            })
            .min_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.istio_config_order(b.1)))
            .map(|(_, resource, service)| (resource, service))
    }
}
