//! The sidecars' side of the graph: each outbound port a mesh VirtualService's hosts declare
//! and the rules behind it, and the default routes of the hosts (and the TCP and TLS ports)
//! that no rule takes whole.

use std::fmt;

use rustc_hash::FxHashSet;

use super::keys::PortText;
use super::{Builder, NodeKey, NodeText, Stage, Target, Wire, rules};
use crate::model::{Protocol, Resource, Spec, VirtualService};
use crate::resolve::{Fqdn, RouteKind};
use crate::source::Span;

/// A declared port number and the protocol it announces.
type PortProtocol = (u32, Option<Protocol>);

impl<'m> Builder<'m> {
    /// Rules of a VirtualService bound to `mesh`, behind the sidecar's outbound port of each
    /// port its hosts declare (or one "any port" listener when none is declared).
    pub(super) fn mesh_rules(&mut self, resource: &'m Resource, service: &'m VirtualService) {
        let mut ports: Vec<(u32, Option<Protocol>)> = Vec::new();
        for host in service.host_values() {
            for declared in self.mesh.declared_ports(&host.value, &resource.namespace) {
                if !ports.iter().any(|(number, _)| *number == declared.number) {
                    ports.push((declared.number, declared.protocol));
                }
            }
        }
        let listeners: Vec<(Option<u32>, Option<Protocol>)> = if ports.is_empty() {
            vec![(None, None)]
        } else {
            ports.into_iter().map(|(n, p)| (Some(n), p)).collect()
        };
        for (port, protocol) in listeners {
            let listener = self.sidecar_listener(port, protocol);
            let wire = Wire::from_protocol(protocol);
            let kind = protocol.map(RouteKind::of_protocol);
            for rule in rules(service) {
                if kind.is_some_and(|kind| !kind.sidecar_port_tries(rule.kind))
                    || !rule.admits_mesh_port(port)
                {
                    continue;
                }
                let node = self.rule_node(resource, &rule);
                self.edge(listener, node, None, wire, None);
                self.rule_destinations(node, resource, &rule, wire, port);
            }
        }
    }

    /// The sidecar's outbound listener for `port` and the pods that send to it.
    pub(super) fn sidecar_listener(
        &mut self,
        port: Option<u32>,
        protocol: Option<Protocol>,
    ) -> usize {
        let listener = self.node(NodeKey::SidecarListener(port), Stage::Listener, || {
            let detail = fmt::from_fn(|f| match protocol {
                Some(protocol) => write!(f, "{protocol}"),
                None => f.write_str("any protocol"),
            });
            NodeText::new(
                format_args!("sidecar outbound :{}", PortText(port)),
                detail,
                Vec::new(),
            )
        });
        let client = self.node(NodeKey::MeshClient, Stage::Client, || {
            NodeText::new("pod in the mesh", "through its sidecar", Vec::new())
        });
        self.edge(client, listener, None, Wire::from_protocol(protocol), None);
        listener
    }

    /// ServiceEntry and Service hosts that no mesh VirtualService routes: the sidecar sends
    /// to them directly (a default route per declared port).
    pub(super) fn default_routes(&mut self) {
        let mesh = self.mesh;
        let mut routed: FxHashSet<Fqdn> = FxHashSet::default();
        // Hosts with a `tcp` rule that takes every connection: their TCP and TLS ports have
        // no default route left.
        let mut all_tcp_routed: FxHashSet<Fqdn> = FxHashSet::default();
        for (resource, service) in mesh.virtual_services() {
            if crate::resolve::applies_to_mesh(service) {
                let takes_all = service
                    .tcp_routes()
                    .iter()
                    .any(|rule| rule.match_items().is_empty());
                for host in service.host_values() {
                    let host = Fqdn::of(&host.value, &resource.namespace);
                    routed.insert(host);
                    if takes_all {
                        all_tcp_routed.insert(host);
                    }
                }
            }
        }
        for resource in &mesh.resources {
            let (hosts, ports): (Vec<(&str, Span)>, Vec<PortProtocol>) = match &resource.spec {
                Spec::ServiceEntry(entry) => (
                    entry
                        .hosts
                        .iter()
                        .flat_map(|hosts| hosts.value.iter())
                        .map(|host| (host.value.as_str(), host.span))
                        .collect(),
                    entry
                        .ports
                        .iter()
                        .filter_map(|port| {
                            let number = port.value.number.as_ref()?.value;
                            Some((number, port.value.protocol.as_ref().map(|p| p.value)))
                        })
                        .collect(),
                ),
                Spec::Service(service) => (
                    vec![(resource.name.value.as_str(), resource.name.span)],
                    service
                        .ports
                        .iter()
                        .filter_map(|port| {
                            let number = port.value.number.as_ref()?.value;
                            let protocol = port
                                .value
                                .name
                                .as_ref()
                                .and_then(|name| Protocol::from_port_name(&name.value));
                            Some((number, protocol))
                        })
                        .collect(),
                ),
                _ => continue,
            };
            for (host, host_span) in hosts {
                let host_fqdn = Fqdn::of(host, &resource.namespace);
                if self.mesh_routed.contains(&(host_fqdn, None)) {
                    continue;
                }
                for &(port, protocol) in &ports {
                    if self.mesh_routed.contains(&(host_fqdn, Some(port))) {
                        continue;
                    }
                    // A TCP or TLS port keeps its default route behind the VirtualService's
                    // rules unless a `tcp` rule takes every connection (Istio adds it then).
                    let layer4 =
                        protocol.is_some_and(|p| RouteKind::of_protocol(p) != RouteKind::Http);
                    let falls_back = layer4 && !all_tcp_routed.contains(&host_fqdn);
                    if routed.contains(&host_fqdn) && !falls_back {
                        continue;
                    }
                    self.default_route(host, &resource.namespace, host_span, Some(port), protocol);
                }
            }
        }
        // A DestinationRule for a host the input neither routes nor declares (a Kubernetes
        // Service not pasted) still shapes the traffic pods send to it.
        let called_ports = mesh.called_ports();
        for (resource, rule) in mesh.destination_rules() {
            let Some(host) = &rule.host else {
                continue;
            };
            let declared = mesh.is_declared(&host.value, &resource.namespace);
            let host_fqdn = Fqdn::of(&host.value, &resource.namespace);
            if host.value.starts_with('*')
                || declared
                || routed.contains(&host_fqdn)
                || self.mesh_routed.contains(&(host_fqdn, None))
            {
                continue;
            }
            // The ports it is called on, else one listener for any port.
            let called = called_ports.get(&host_fqdn).map_or(&[][..], Vec::as_slice);
            if called.is_empty() {
                self.default_route(&host.value, &resource.namespace, host.span, None, None);
            }
            for &port in called {
                self.default_route(
                    &host.value,
                    &resource.namespace,
                    host.span,
                    Some(port),
                    None,
                );
            }
        }
    }

    /// Pods → the sidecar's port → the default route to `host` (no VirtualService) → ….
    fn default_route(
        &mut self,
        host: &'m str,
        namespace: &'m str,
        span: Span,
        port: Option<u32>,
        protocol: Option<Protocol>,
    ) {
        let listener = self.sidecar_listener(port, protocol);
        let wire = Wire::from_protocol(protocol);
        let rule = self.node(
            NodeKey::DefaultRule {
                host: Fqdn::of(host, namespace),
                port,
            },
            Stage::Rule,
            || {
                NodeText::new(
                    "default route",
                    format_args!("{host} (no VirtualService)"),
                    vec![span],
                )
            },
        );
        self.edge(listener, rule, None, wire, None);
        let target = Target {
            host,
            namespace,
            port,
            subset: None,
            span,
        };
        self.destination_chain(rule, None, wire, target);
    }
}
