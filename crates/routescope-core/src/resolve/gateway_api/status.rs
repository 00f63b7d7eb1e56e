//! The `status` Istio's Gateway API controller would write for every Gateway API object of the
//! input (Istio 1.31, Gateway API v1.6), predicted from YAML alone: route parents, listeners,
//! Gateways, ListenerSets, GatewayClasses and BackendTLSPolicy ancestors. Shaped as the
//! Kubernetes API shapes it, so a user can hold it against `kubectl get … -o yaml`.

use std::collections::HashMap;

use super::attach::{self, ParentTarget};
use super::refs::listeners_of;
use super::{CONFLICT_MESSAGE, ClassOwner, Conflict, ISTIO_CONTROLLER};
use crate::model::gateway_api::{GROUP, Listener, ListenerProtocol, ObjectRef, RouteType};
use crate::model::{Resource, Spec};
use crate::resolve::Mesh;

/// One condition (`metav1.Condition` without its times).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub type_: &'static str,
    pub status: bool,
    pub reason: String,
    pub message: String,
}

impl Condition {
    /// Whether the condition says all is well: every type True, except `Conflicted` False.
    pub fn is_healthy(&self) -> bool {
        self.status != (self.type_ == "Conflicted")
    }

    pub(super) fn new(
        type_: &'static str,
        status: bool,
        reason: &str,
        message: impl Into<String>,
    ) -> Self {
        Condition {
            type_,
            status,
            reason: reason.to_string(),
            message: message.into(),
        }
    }
}

/// A parentRef (or ancestorRef) as the status echoes it: Istio copies the object as written,
/// after the API server filled in the CRD defaults (group and kind; never the namespace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentReference {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub section_name: Option<String>,
    pub port: Option<u32>,
}

impl ParentReference {
    fn of(reference: &ObjectRef) -> ParentReference {
        ParentReference {
            group: reference.group_or(GROUP).to_string(),
            kind: reference.kind_or("Gateway").to_string(),
            namespace: reference.namespace.as_ref().map(|n| n.value.clone()),
            name: reference.name_value().to_string(),
            section_name: reference.section_name.as_ref().map(|s| s.value.clone()),
            port: reference.port.as_ref().map(|p| p.value),
        }
    }
}

/// `status.parents[]` of a route, `status.ancestors[]` of a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentStatus {
    pub parent_ref: ParentReference,
    pub controller_name: String,
    pub conditions: Vec<Condition>,
}

/// `status.listeners[]` of a Gateway or ListenerSet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerStatus {
    pub name: String,
    pub supported_kinds: Vec<RouteType>,
    pub attached_routes: usize,
    pub conditions: Vec<Condition>,
}

/// The status of one object, by kind. `Empty` where Istio writes none: a Gateway of another
/// controller, a ReferenceGrant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Empty,
    /// GatewayClass.
    Conditions(Vec<Condition>),
    /// Gateway and ListenerSet.
    Listeners {
        conditions: Vec<Condition>,
        listeners: Vec<ListenerStatus>,
    },
    /// Routes.
    Parents(Vec<ParentStatus>),
    /// BackendTLSPolicy.
    Ancestors(Vec<ParentStatus>),
}

/// The predicted status of one Gateway API object of the input.
#[derive(Clone, Debug)]
pub struct ObjectStatus<'m> {
    pub resource: &'m Resource,
    pub status: Status,
}

/// The status of every Gateway API object, in input order.
pub fn statuses(mesh: &Mesh) -> Vec<ObjectStatus<'_>> {
    let attached = attached_routes(mesh);
    let mut out = Vec::new();
    for (index, resource) in mesh.resources.iter().enumerate() {
        if !resource.kind.is_gateway_api() {
            continue;
        }
        let status = match &resource.spec {
            Spec::GatewayClass(class) => class_status(class),
            Spec::KubernetesGateway(gateway) => {
                if mesh.gateway_api().class_owner(gateway).is_istio() {
                    holder_status(mesh, index, &attached)
                } else {
                    Status::Empty
                }
            }
            Spec::ListenerSet(_) => listener_set_status(mesh, index, &attached),
            Spec::Route(_) => Status::Parents(route_parents(mesh, index)),
            Spec::BackendTlsPolicy(_) => Status::Ancestors(super::policy::ancestors(mesh, index)),
            _ => Status::Empty,
        };
        out.push(ObjectStatus { resource, status });
    }
    out
}

fn class_status(class: &crate::model::gateway_api::GatewayClass) -> Status {
    let controller = class
        .controller_name
        .as_ref()
        .map_or("", |c| c.value.as_str());
    if !super::is_istio_controller(controller) {
        return Status::Empty;
    }
    Status::Conditions(vec![Condition::new(
        "Accepted",
        true,
        "Accepted",
        "Handled by Istio controller",
    )])
}

/// (holder resource, listener index) → how many routes it accepts.
fn attached_routes(mesh: &Mesh) -> HashMap<(usize, usize), usize> {
    let view = mesh.gateway_api();
    let mut counts: HashMap<(usize, usize), usize> = HashMap::new();
    for (index, resource) in mesh.resources.iter().enumerate() {
        if resource.kind.route_type().is_none() {
            continue;
        }
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for attachment in view.attachments(index) {
            if let ParentTarget::Listeners { parent, .. } = attachment.target {
                for listener in attachment.accepted_listeners() {
                    if !seen.contains(&(parent, listener)) {
                        seen.push((parent, listener));
                        *counts.entry((parent, listener)).or_default() += 1;
                    }
                }
            }
        }
    }
    counts
}

/// The status of a Gateway or accepted ListenerSet that Istio runs.
fn holder_status(mesh: &Mesh, index: usize, attached: &HashMap<(usize, usize), usize>) -> Status {
    let holder = &mesh.resources[index];
    let conflicts = super::conflicted_listeners(&mesh.gateway_api(), index);
    let listeners: Vec<ListenerStatus> = listeners_of(holder)
        .iter()
        .enumerate()
        .map(|(at, listener)| {
            let (supported_kinds, kinds_valid) = attach::supported_kinds(listener);
            if let Some(conflict) = conflicts.iter().find(|c| c.listener == at) {
                return conflicted_status(listener, supported_kinds, kinds_valid, conflict);
            }
            let problems = super::listener_problems(mesh, holder, at);
            let mut accepted = Condition::new("Accepted", true, "Accepted", "No errors found");
            let mut programmed =
                Condition::new("Programmed", true, "Programmed", "No errors found");
            let mut resolved =
                Condition::new("ResolvedRefs", true, "ResolvedRefs", "No errors found");
            let conflicted = Condition::new("Conflicted", false, "NoConflicts", "No errors found");
            if listener
                .protocol_value()
                .is_none_or(|p| p == ListenerProtocol::Udp)
            {
                let protocol = listener.protocol.as_ref().map_or("", |p| p.value.as_str());
                accepted = Condition::new(
                    "Accepted",
                    false,
                    "UnsupportedProtocol",
                    format!("protocol {protocol:?} is unsupported"),
                );
            }
            if let Some((reason, message)) = problems.first() {
                resolved = Condition::new("ResolvedRefs", false, reason, message.clone());
                programmed =
                    Condition::new("Programmed", false, "Invalid", "Bad TLS configuration");
            }
            if !kinds_valid {
                resolved = Condition::new(
                    "ResolvedRefs",
                    false,
                    "InvalidRouteKinds",
                    "Invalid route kinds",
                );
            }
            ListenerStatus {
                name: listener.name_value().to_string(),
                supported_kinds,
                attached_routes: attached.get(&(index, at)).copied().unwrap_or(0),
                // In Istio's order: `setConditions` walks the types sorted.
                conditions: vec![accepted, conflicted, programmed, resolved],
            }
        })
        .collect();
    let conditions = vec![
        Condition::new("Accepted", true, "Accepted", "Resource accepted"),
        gateway_programmed(holder),
    ];
    Status::Listeners {
        conditions,
        listeners,
    }
}

/// A listener that lost a conflict: Istio skips it (`ReportListenerConflict`), so it has
/// only the three conflict conditions, and `ResolvedRefs` when its route kinds are invalid.
fn conflicted_status(
    listener: &Listener,
    supported_kinds: Vec<RouteType>,
    kinds_valid: bool,
    conflict: &Conflict,
) -> ListenerStatus {
    let reason = conflict.reason.reason();
    let mut conditions = vec![
        Condition::new("Accepted", false, reason, CONFLICT_MESSAGE),
        Condition::new("Conflicted", true, reason, CONFLICT_MESSAGE),
        Condition::new("Programmed", false, reason, CONFLICT_MESSAGE),
    ];
    if !kinds_valid {
        conditions.push(Condition::new(
            "ResolvedRefs",
            false,
            "InvalidRouteKinds",
            "Invalid route kinds",
        ));
    }
    ListenerStatus {
        name: listener.name_value().to_string(),
        supported_kinds,
        attached_routes: 0,
        conditions,
    }
}

/// `Programmed` of a Gateway: Istio deploys `<name>-<class>` for it and reports the Service it
/// assigned (the address itself comes from the cluster).
fn gateway_programmed(holder: &Resource) -> Condition {
    let Spec::KubernetesGateway(gateway) = &holder.spec else {
        return Condition::new("Programmed", true, "Programmed", "Resource programmed");
    };
    let class = gateway
        .gateway_class_name
        .as_ref()
        .map_or("", |c| c.value.as_str());
    let mut ports: Vec<u32> = gateway
        .listeners
        .iter()
        .filter_map(|l| l.port_number())
        .collect();
    crate::order::sort(&mut ports);
    ports.dedup();
    let service = format!(
        "{}-{class}.{}.svc.{}",
        holder.name.value, holder.namespace, "cluster.local"
    );
    let services: Vec<String> = ports
        .iter()
        .map(|port| format!("{service}:{port}"))
        .collect();
    Condition::new(
        "Programmed",
        true,
        "Programmed",
        format!(
            "Resource programmed, assigned to service(s) {}",
            human_readable_join(&services)
        ),
    )
}

/// Istio's words (sic: the field is `allowedListeners`).
const NOT_ALLOWED_SET: &str =
    "The parent Gateway does not allow this reference; check the 'spec.allowedRoutes'";

/// Istio's `humanReadableJoin`: `a`, `a and b`, `a, b, and c`.
fn human_readable_join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

fn listener_set_status(
    mesh: &Mesh,
    index: usize,
    attached: &HashMap<(usize, usize), usize>,
) -> Status {
    let view = mesh.gateway_api();
    match view.listener_set_parent(index) {
        Some(_) => holder_status(mesh, index, attached),
        None => {
            let Spec::ListenerSet(set) = &mesh.resources[index].spec else {
                return Status::Empty;
            };
            // A parent Gateway of Istio's that refuses the set says so; otherwise nobody does.
            let parent = set.parent_ref.as_ref().and_then(|reference| {
                let namespace = reference
                    .value
                    .namespace_or(&mesh.resources[index].namespace);
                view.gateway(namespace, reference.value.name_value())
            });
            match parent {
                Some((_, gateway)) if view.class_owner(gateway).is_istio() => Status::Listeners {
                    conditions: vec![
                        Condition::new("Accepted", false, "NotAllowed", NOT_ALLOWED_SET),
                        Condition::new("Programmed", false, "NotAllowed", NOT_ALLOWED_SET),
                    ],
                    listeners: Vec::new(),
                },
                _ => Status::Empty,
            }
        }
    }
}

/// `status.parents` of a route: one entry per parentRef Istio handles (a missing or foreign
/// parent gets none), sorted as Istio sorts them.
pub fn route_parents(mesh: &Mesh, index: usize) -> Vec<ParentStatus> {
    let route = &mesh.resources[index];
    let Spec::Route(spec) = &route.spec else {
        return Vec::new();
    };
    let refs_condition = super::route_resolved_refs(mesh, index)
        .map(|(reason, message)| Condition::new("ResolvedRefs", false, reason, message))
        .unwrap_or_else(|| {
            Condition::new(
                "ResolvedRefs",
                true,
                "ResolvedRefs",
                "All references resolved",
            )
        });
    let mut parents: Vec<ParentStatus> = Vec::new();
    for attachment in mesh.gateway_api().attachments(index) {
        let reference = &spec.parent_refs()[attachment.parent_ref];
        let controller = match &attachment.target {
            ParentTarget::Listeners { .. } => ISTIO_CONTROLLER,
            ParentTarget::Service { .. } => ISTIO_CONTROLLER,
            _ => continue,
        };
        let accepted = match attachment.denial() {
            None => {
                let count = attachment.accepted_listeners().count();
                let message = if count > 1 {
                    format!("Route was valid, bound to {count} parents")
                } else {
                    "Route was valid".to_string()
                };
                Condition::new("Accepted", true, "Accepted", message)
            }
            Some(denial) => Condition::new("Accepted", false, denial.reason(), denial.message),
        };
        let parent_ref = ParentReference::of(reference);
        if parents.iter().any(|p| p.parent_ref == parent_ref) {
            continue;
        }
        parents.push(ParentStatus {
            parent_ref,
            controller_name: controller.to_string(),
            conditions: vec![accepted, refs_condition.clone()],
        });
    }
    crate::order::sort_by(&mut parents, |a, b| {
        parent_key(&b.parent_ref, &route.namespace)
            .cmp(&parent_key(&a.parent_ref, &route.namespace))
    });
    parents
}

/// Istio's `parentRefString` (`group/kind/name/sectionName/port.namespace`), which orders
/// status entries (descending); `namespace` defaults to the route's.
fn parent_key(reference: &ParentReference, route_namespace: &str) -> String {
    format!(
        "{}/{}/{}/{}/{}.{}",
        reference.group,
        reference.kind,
        reference.name,
        reference.section_name.as_deref().unwrap_or(""),
        reference.port.unwrap_or(0),
        reference.namespace.as_deref().unwrap_or(route_namespace)
    )
}

/// How Istio's controller sees the Gateway a route's parentRef names, for messages.
pub fn owner_text(owner: &ClassOwner<'_>) -> String {
    match owner {
        ClassOwner::Istio { controller } => format!("run by Istio ({controller})"),
        ClassOwner::Foreign { controller } => format!("run by {controller}, not Istio"),
        ClassOwner::Unknown => "of a GatewayClass that is neither in the input nor one of \
                                Istio's (istio, istio-east-west, istio-remote, istio-waypoint)"
            .to_string(),
        ClassOwner::Missing => "without a gatewayClassName".to_string(),
    }
}
