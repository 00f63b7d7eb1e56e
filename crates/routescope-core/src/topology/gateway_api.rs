//! The Kubernetes Gateway API in the traffic graph, in the same columns as the Istio kinds:
//! outside client → a listener of a Gateway Istio runs (or of a ListenerSet it takes) → a rule
//! of a route attached to it → each backendRef (Service port, weight) → the BackendTLSPolicy or
//! DestinationRule that applies → port → upstream. Routes whose parentRef is a Service (GAMMA)
//! sit behind the sidecar's outbound port, for pods in the mesh. A route a listener refuses
//! stays as a dead end with Istio's reason (`NotAllowedByListeners: …`), and so does a route
//! Istio's controller drops for a hard error.
//!
//! The helpers here (backends, summaries, the BackendTLSPolicy look-up) serve the tracer too.

use std::fmt::{self, Display};

use super::keys::PortText;
use super::{Builder, NodeKey, NodeText, Stage, Target, Wire};
use crate::model::gateway_api::{
    self as gwapi, Listener, ObjectRef, RouteRule, RouteType, ValueMatchType,
};
use crate::model::{Protocol, Resource, Spec};
use crate::resolve::gateway_api::{
    BackendProblem, BackendTls, ClassOwner, ISTIO_CONTROLLER, ParentTarget, View, group_kind,
    listeners_of,
};
use crate::resolve::{Fqdn, Mesh, RouteKind};
use crate::source::Span;

/// Why a listener no route takes is a dead end.
const IDLE_LISTENER: &str = "no route is attached to this listener: HTTP requests get 404 (NR), TLS connections are \
     closed";

/// The dead end of a Gateway API listener node (by its key) that no live hop leaves.
pub(super) fn idle_listener(key: &str) -> Option<&'static str> {
    let holder = key.strip_prefix("listener:")?.split(':').next()?;
    matches!(holder, "Gateway" | "ListenerSet").then_some(IDLE_LISTENER)
}

/// Whether Istio runs `gateway` as an ingress (its class belongs to Istio's gateway controller,
/// not the waypoint or remote one): only those take outside clients.
pub fn programs_ingress(view: &View<'_>, gateway: &gwapi::Gateway) -> bool {
    matches!(view.class_owner(gateway), ClassOwner::Istio { controller } if controller == ISTIO_CONTROLLER)
}

/// The filter types Istio's controller converts; any other makes it drop the route
/// (`InvalidFilter`).
const SUPPORTED_FILTERS: [&str; 6] = [
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestRedirect",
    "URLRewrite",
    "RequestMirror",
    "CORS",
];

/// The hard error for which Istio's controller drops the whole route (it then configures
/// nothing, though its parents may still accept it): an unsupported filter, a backendRef
/// without a port, a hostname where a Service name belongs. As `Reason: message`.
pub fn dropped_reason(mesh: &Mesh, route: &Resource, spec: &gwapi::Route) -> Option<String> {
    for rule in spec.rules() {
        for filter in rule.filters() {
            let Some(kind) = &filter.kind else { continue };
            if !SUPPORTED_FILTERS.contains(&kind.value.as_str()) {
                return Some(format!(
                    "InvalidFilter: unsupported filter type {:?}",
                    kind.value
                ));
            }
        }
    }
    spec.backend_refs()
        .find_map(|backend| match mesh.gateway_api_backend(route, backend) {
            Err(problem @ (BackendProblem::PortRequired | BackendProblem::HostnameAsName)) => Some(
                format!("{}: {}", problem.reason(), problem.message(route, backend)),
            ),
            _ => None,
        })
}

/// One backendRef of a rule, as the proxy sends to it.
pub struct Backend<'m> {
    pub reference: &'m ObjectRef,
    /// `weight`, 1 when absent.
    pub weight: i64,
    /// The host (a Service name, or a ServiceEntry host) and the namespace it is written in;
    /// `None` for a kind Istio does not route to.
    pub host: Option<(&'m str, &'m str)>,
    /// Why it does not resolve; `NotInInput` for a Service that Istio assumes exists.
    pub problem: Option<BackendProblem>,
}

impl Backend<'_> {
    pub fn port(&self) -> Option<u32> {
        self.reference.port.as_ref().map(|p| p.value)
    }

    /// Whether traffic gets to the host: it resolves, or it is a Service the input lacks.
    pub fn reaches_host(&self) -> bool {
        self.host.is_some()
            && matches!(self.problem, None | Some(BackendProblem::NotInInput { .. }))
    }
}

/// The backendRefs of `rule` of `route`, resolved. Parents in the mesh (a Service parentRef)
/// need no ReferenceGrant for another namespace's Service; Gateways do.
pub fn backends<'m>(
    mesh: &Mesh,
    route: &'m Resource,
    rule: &'m RouteRule,
    mesh_parent: bool,
) -> Vec<Backend<'m>> {
    rule.backend_refs()
        .iter()
        .map(|reference| {
            let host = match group_kind(reference, "", "Service") {
                ("" | "core", "Service") => Some((
                    reference.name_value(),
                    reference.namespace_or(&route.namespace),
                )),
                ("networking.istio.io", "Hostname") => {
                    Some((reference.name_value(), route.namespace.as_str()))
                }
                _ => None,
            };
            let problem = match mesh.gateway_api_backend(route, reference) {
                Ok(_) | Err(BackendProblem::NotPermitted(_)) if mesh_parent => None,
                Ok(_) => None,
                Err(problem) => Some(problem),
            };
            Backend {
                reference,
                weight: reference.weight.as_ref().map_or(1, |w| w.value),
                host,
                problem,
            }
        })
        .collect()
}

/// The share of a rule's traffic that `weight` takes among the `weights` that carry traffic:
/// a percentage of a split, or all of it (`None`) for a single backend.
pub fn share(weight: i64, weights: impl Iterator<Item = i64> + Clone) -> Option<i64> {
    let total: i64 = weights.clone().filter(|w| *w > 0).sum();
    let count = weights.filter(|w| *w > 0).count();
    (count > 1).then(|| weight * 100 / total)
}

/// Whether a rule answers itself with a redirect.
pub fn redirect(rule: &RouteRule) -> Option<&gwapi::Redirect> {
    rule.filters()
        .iter()
        .find_map(|filter| filter.redirect.as_ref().map(|r| &r.value))
}

/// Why a rule's traffic reaches no backend, when it does not: no backendRefs, all of weight
/// 0, none that resolves. (Istio answers HTTP requests with 500 and closes connections.)
pub fn no_backend(route: &Resource, backends: &[Backend]) -> Option<String> {
    if backends.iter().any(|b| b.weight > 0 && b.reaches_host()) {
        return None;
    }
    if backends.is_empty() {
        return Some("the rule has no backendRefs".to_string());
    }
    let Some(failing) = backends.iter().find(|b| b.weight > 0) else {
        return Some("every backendRef has weight 0".to_string());
    };
    Some(match &failing.problem {
        Some(problem) => format!(
            "its backendRef does not resolve ({}: {})",
            problem.reason(),
            problem.message(route, failing.reference)
        ),
        None => "its backendRef is of a kind Istio does not route to".to_string(),
    })
}

/// What the client gets when a rule's traffic reaches no backend.
pub fn no_backend_effect(route_type: RouteType) -> &'static str {
    match route_type {
        RouteType::Http | RouteType::Grpc => "requests get 500",
        RouteType::Tls | RouteType::Tcp => "connections are closed",
    }
}

/// The sidecar's rules for a route kind.
pub fn mesh_route_kind(route_type: RouteType) -> RouteKind {
    match route_type {
        RouteType::Http | RouteType::Grpc => RouteKind::Http,
        RouteType::Tls => RouteKind::Tls,
        RouteType::Tcp => RouteKind::Tcp,
    }
}

/// What a route rule matches and does, briefly: its first match, its filters, and where its
/// traffic stops when it has no backend.
pub fn rule_summary<'a>(
    route_type: RouteType,
    route: &'a gwapi::Route,
    rule: &'a RouteRule,
) -> impl Display + 'a {
    fmt::from_fn(move |f| {
        let mut first = true;
        let mut part = |f: &mut fmt::Formatter, args: fmt::Arguments| {
            if !std::mem::take(&mut first) {
                f.write_str(" ")?;
            }
            f.write_fmt(args)
        };
        match route_type {
            RouteType::Http | RouteType::Grpc => {
                let matches = rule.matches();
                if let Some(item) = matches.first() {
                    if let Some(path) = &item.path {
                        part(
                            f,
                            format_args!("path {} {}", path.value.kind, path.value.value),
                        )?;
                    }
                    if let Some(method) = &item.method {
                        part(f, format_args!("method {}", method.value))?;
                    }
                    for header in &item.headers {
                        let op = value_op(header.value.kind);
                        let (name, value) = (&header.value.name, &header.value.value);
                        part(f, format_args!("{name}{op}{value}"))?;
                    }
                    for query in &item.query_params {
                        let op = value_op(query.value.kind);
                        let (name, value) = (&query.value.name, &query.value.value);
                        part(f, format_args!("?{name}{op}{value}"))?;
                    }
                }
                if matches.len() > 1 {
                    part(f, format_args!("(+{} more)", matches.len() - 1))?;
                }
                if first {
                    f.write_str("any request")?;
                }
            }
            RouteType::Tls => {
                let mut hostnames = route.hostname_values().peekable();
                if hostnames.peek().is_none() {
                    f.write_str("any SNI")?;
                } else {
                    f.write_str("sni")?;
                    for hostname in hostnames {
                        write!(f, " {}", hostname.value)?;
                    }
                }
            }
            RouteType::Tcp => f.write_str("any connection")?,
        }
        for filter in rule.filters() {
            if filter.rewrite.is_some() {
                f.write_str(" · rewrite")?;
            }
            if let Some(mirror) = &filter.mirror {
                write!(f, " · mirror to {}", mirror.name_value())?;
            }
        }
        if let Some(redirect) = redirect(rule) {
            return write!(f, " → redirect {}", redirect.status_code.unwrap_or(302));
        }
        let weights = rule
            .backend_refs()
            .iter()
            .map(|b| b.weight.as_ref().map_or(1, |w| w.value));
        if weights.clone().all(|w| w <= 0) {
            f.write_str(match route_type {
                RouteType::Http | RouteType::Grpc => " → 500",
                RouteType::Tls | RouteType::Tcp => " → closed",
            })?;
        }
        Ok(())
    })
}

fn value_op(kind: ValueMatchType) -> &'static str {
    match kind {
        ValueMatchType::Exact => "=",
        ValueMatchType::RegularExpression => "~",
    }
}

/// How the traffic graph shows a BackendTLSPolicy that applies to a destination.
impl BackendTls<'_> {
    /// Where the policy says how: its `validation`, else the whole policy.
    pub fn span(&self) -> Span {
        self.policy
            .validation
            .as_ref()
            .map_or(self.resource.span, |v| v.span)
    }
}

impl Display for BackendTls<'_> {
    /// The policy node's detail: TLS and the SNI (`validation.hostname`) it sends.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("originates TLS")?;
        match self.hostname {
            Some(hostname) => write!(f, " · SNI {}", hostname.value),
            None => Ok(()),
        }
    }
}

impl<'m> Builder<'m> {
    /// Every listener of the Gateways Istio runs as ingresses (and of the ListenerSets they
    /// take), then the routes attached to them and the routes of the mesh.
    pub(super) fn gateway_api(&mut self) {
        let mesh = self.mesh;
        let view = mesh.gateway_api();
        let ingress = |index: usize| match &mesh.resources[index].spec {
            Spec::KubernetesGateway(gateway) => programs_ingress(&view, gateway),
            _ => false,
        };
        for (index, resource) in mesh.resources.iter().enumerate() {
            let drawn = match &resource.spec {
                Spec::KubernetesGateway(_) => ingress(index),
                Spec::ListenerSet(_) => view.listener_set_parent(index).is_some_and(ingress),
                _ => false,
            };
            if drawn {
                for (listener, spec) in listeners_of(resource).iter().enumerate() {
                    self.api_listener(resource, listener, spec);
                }
            }
        }
        for (index, route) in mesh.resources.iter().enumerate() {
            let (Some(route_type), Spec::Route(spec)) = (route.kind.route_type(), &route.spec)
            else {
                continue;
            };
            let attachments = view.attachments(index);
            if attachments.is_empty() {
                continue;
            }
            let dropped = dropped_reason(mesh, route, spec);
            let mut plan = RoutePlan {
                route,
                route_type,
                spec,
                dropped: dropped.map(|reason| format!("Istio drops the route: {reason}")),
                built: Vec::new(),
            };
            for attachment in attachments {
                let reference = &spec.parent_refs()[attachment.parent_ref];
                match &attachment.target {
                    ParentTarget::Listeners {
                        parent,
                        gateway,
                        results,
                    } if ingress(*gateway) => {
                        let holder = view.resource(*parent);
                        let listeners = listeners_of(holder);
                        let reported: Vec<usize> = attachment
                            .denying_listeners()
                            .iter()
                            .map(|(listener, _)| *listener)
                            .collect();
                        for result in results {
                            let dead = match &result.denial {
                                None => None,
                                Some(denial) if reported.contains(&result.listener) => {
                                    Some(format!("{}: {}", denial.reason(), denial.message))
                                }
                                Some(_) => continue,
                            };
                            let listener = &listeners[result.listener];
                            let from = self.api_listener(holder, result.listener, listener);
                            self.api_rules(
                                &mut plan,
                                from,
                                Wire::after_listener(listener),
                                dead,
                                false,
                            );
                        }
                    }
                    ParentTarget::Service { namespace, name } => {
                        self.mesh_api_route(&mut plan, reference, namespace, name);
                    }
                    ParentTarget::Missing {
                        kind: "Gateway",
                        namespace,
                        name,
                    } => {
                        let listener =
                            self.missing_gateway(namespace, name, Some(reference.name_span()));
                        let dead = format!("Gateway {namespace}/{name} does not exist");
                        self.api_rules(&mut plan, listener, Wire::Plaintext, Some(dead), false);
                    }
                    // Istio ignores parents it does not run: their controllers route.
                    _ => {}
                }
            }
        }
    }

    /// A Gateway API listener and the outside client that connects to its port.
    fn api_listener(
        &mut self,
        holder: &'m Resource,
        index: usize,
        listener: &'m Listener,
    ) -> usize {
        let port = listener.port_number();
        let node = self.node(
            NodeKey::api_listener(holder, index),
            Stage::Listener,
            || {
                let label = format_args!(
                    "{} {} :{}",
                    holder.name.value,
                    listener.name_value(),
                    PortText(port)
                );
                let detail = fmt::from_fn(|f| {
                    let protocol = listener.protocol.as_ref().map_or("?", |p| p.value.as_str());
                    f.write_str(protocol)?;
                    if let Some(mode) = listener.tls_mode() {
                        write!(f, " · {mode}")?;
                    }
                    write!(f, " · {}", listener.hostname_value().unwrap_or("*"))
                });
                NodeText::new(label, detail, vec![listener.span])
            },
        );
        let client = self.outside_client(port);
        self.edge(
            client,
            node,
            None,
            Wire::from_listener_client(listener),
            None,
        );
        node
    }

    /// The rules of `plan`'s route behind `from`, and (once per wire state) what lies beyond.
    fn api_rules(
        &mut self,
        plan: &mut RoutePlan<'m>,
        from: usize,
        wire: Wire,
        dead: Option<String>,
        mesh_parent: bool,
    ) {
        let dead = dead.or_else(|| plan.dropped.clone());
        let beyond = dead.is_none() && !plan.built.contains(&(wire, mesh_parent));
        if beyond {
            plan.built.push((wire, mesh_parent));
        }
        for (index, rule) in plan.spec.rules().iter().enumerate() {
            let node = self.api_rule_node(plan, index, rule);
            self.edge(from, node, None, wire, dead.clone());
            if beyond {
                self.api_backends(plan, node, rule, wire, mesh_parent);
            }
        }
    }

    fn api_rule_node(&mut self, plan: &RoutePlan<'m>, index: usize, rule: &'m RouteRule) -> usize {
        let RoutePlan {
            route,
            route_type,
            spec,
            ..
        } = *plan;
        self.node(
            NodeKey::api_rule(route, route_type, index),
            Stage::Rule,
            || {
                // The parentRefs and hostnames decide whether the rule takes traffic at all.
                let mut spans = vec![rule.span];
                spans.extend(spec.parent_refs.as_ref().map(|p| p.span));
                spans.extend(spec.hostnames.as_ref().map(|h| h.span));
                NodeText::new(
                    format_args!("{} {route_type}[{index}]", route.name.value),
                    rule_summary(route_type, spec, rule),
                    spans,
                )
            },
        )
    }

    /// Rule → each backendRef with traffic → its TLS policy, port and upstream.
    fn api_backends(
        &mut self,
        plan: &RoutePlan<'m>,
        node: usize,
        rule: &'m RouteRule,
        wire: Wire,
        mesh_parent: bool,
    ) {
        if redirect(rule).is_some() {
            return;
        }
        let backends = backends(self.mesh, plan.route, rule, mesh_parent);
        let weights = backends.iter().map(|b| b.weight);
        for backend in backends.iter().filter(|b| b.weight > 0) {
            let Some((host, namespace)) = backend.host else {
                continue;
            };
            let share = share(backend.weight, weights.clone());
            let span = backend.reference.span;
            if backend.reaches_host() {
                let target = Target {
                    host,
                    namespace,
                    port: backend.port(),
                    subset: None,
                    span,
                };
                self.destination_chain(node, share, wire, target);
            } else if let Some(problem) = &backend.problem {
                let destination = self.destination_node(host, namespace, backend.port(), None);
                self.add_span(destination, span);
                let dead = format!(
                    "{}: {}",
                    problem.reason(),
                    problem.message(plan.route, backend.reference)
                );
                self.edge(node, destination, share, wire, Some(dead));
            }
        }
        if let Some(why) = no_backend(plan.route, &backends) {
            let effect = no_backend_effect(plan.route_type);
            self.stops.push((node, format!("{effect}: {why}")));
        }
    }

    /// A route whose parentRef is Service `namespace/name`: the sidecars route traffic to that
    /// Service's ports (the parentRef's `port`, else each port the Service declares whose
    /// protocol carries the route's kind) by its rules.
    fn mesh_api_route(
        &mut self,
        plan: &mut RoutePlan<'m>,
        reference: &ObjectRef,
        namespace: &'m str,
        name: &'m str,
    ) {
        let mesh = self.mesh;
        let declared = mesh.declared_ports(name, namespace);
        let protocol_of = |port: u32| {
            declared
                .iter()
                .find(|d| d.number == port)
                .and_then(|d| d.protocol)
        };
        let mut ports: Vec<(Option<u32>, Option<Protocol>)> = match &reference.port {
            Some(port) => vec![(Some(port.value), protocol_of(port.value))],
            None => declared
                .iter()
                .map(|d| (Some(d.number), d.protocol))
                .collect(),
        };
        ports.dedup_by_key(|(port, _)| *port);
        if ports.is_empty() {
            ports.push((None, None));
        }
        let kind = mesh_route_kind(plan.route_type);
        let host = Fqdn::of(name, namespace);
        for (port, protocol) in ports {
            if protocol.is_some_and(|p| RouteKind::of_protocol(p) != kind) {
                continue;
            }
            self.mesh_routed.insert((host, port));
            let listener = self.sidecar_listener(port, protocol);
            self.api_rules(plan, listener, Wire::from_protocol(protocol), None, true);
        }
    }
}

/// One route as the graph builds it.
struct RoutePlan<'m> {
    route: &'m Resource,
    route_type: RouteType,
    spec: &'m gwapi::Route,
    /// Why Istio drops the whole route, as a dead hop's reason.
    dropped: Option<String>,
    /// The wire states (and parent kinds) whose backends were built.
    built: Vec<(Wire, bool)>,
}

#[cfg(test)]
pub(crate) mod tests;
