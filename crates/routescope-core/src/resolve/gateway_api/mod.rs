//! The Kubernetes Gateway API half of the mesh: which GatewayClass is Istio's, which listeners
//! each route's parentRefs attach to (and why not), and what the references of routes and
//! listeners resolve to — computed from YAML alone the way Istio's Gateway API controller
//! (`pilot/pkg/config/kube/gateway/`) computes them in a cluster.

use std::collections::HashMap;

use crate::model::gateway_api::{self as gwapi, GROUP, ObjectRef};
use crate::model::{Resource, ResourceKind, Spec};
use crate::resolve::Mesh;

mod attach;
mod conflicts;
mod hostnames;
mod policy;
mod refs;
pub mod status;

pub use attach::{
    Attachment, Denial, DenialCause, ListenerResult, ParentTarget, protocol_route_kinds,
    supported_kinds,
};
pub use conflicts::{CONFLICT_MESSAGE, Conflict, ConflictReason, conflicted_listeners};
pub use hostnames::{hostnames_intersect, wildcard_differs_from_spec};
pub use policy::{
    BackendTls, CaProblem, MESH_CONTROLLER, PolicyEvaluation, TargetOutcome, TargetProblem,
    backend_tls_for, evaluate_policy,
};
pub use refs::{
    BackendProblem, CertificateProblem, GrantMiss, ISTIO_GROUP, MCS_GROUP, ReferenceGrantNeed,
    UNATTACHED, backend_with_grant, certificate_grant_need, is_unattached, istio_listener_holders,
    istio_routes, listeners_of, usable_certificates,
};

/// The controller name of Istio's `istio` GatewayClass.
pub const ISTIO_CONTROLLER: &str = "istio.io/gateway-controller";

/// The GatewayClasses istiod creates itself, with their controllers: a Gateway naming one of
/// them is Istio's even when the GatewayClass is not in the input.
pub const BUILT_IN_CLASSES: &[(&str, &str)] = &[
    ("istio", ISTIO_CONTROLLER),
    ("istio-east-west", ISTIO_CONTROLLER),
    ("istio-remote", "istio.io/unmanaged-gateway"),
    ("istio-waypoint", "istio.io/mesh-controller"),
];

/// Whether a GatewayClass controller name is one of Istio's.
pub fn is_istio_controller(controller: &str) -> bool {
    BUILT_IN_CLASSES.iter().any(|(_, c)| *c == controller)
}

/// Who runs a Gateway, by its `gatewayClassName`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClassOwner<'m> {
    /// Istio: the GatewayClass in the input names an Istio controller, or it is a built-in
    /// class (`istio`, `istio-waypoint`, …). `controller` is the one Istio writes in statuses.
    Istio { controller: &'m str },
    /// The GatewayClass in the input belongs to another controller.
    Foreign { controller: &'m str },
    /// Neither in the input nor one of Istio's built-in classes: in a cluster Istio would
    /// ignore the Gateway, unless that class exists there with an Istio controller.
    Unknown,
    /// The Gateway names no class (the API server refuses that).
    Missing,
}

impl ClassOwner<'_> {
    pub fn is_istio(&self) -> bool {
        matches!(self, ClassOwner::Istio { .. })
    }
}

/// Index of the Gateway API objects of one input, and the attachment of every route.
#[derive(Default)]
pub struct GatewayApi {
    /// (namespace, name) → resource index, by kind.
    gateways: HashMap<(String, String), usize>,
    listener_sets: HashMap<(String, String), usize>,
    classes: HashMap<String, usize>,
    namespaces: HashMap<String, usize>,
    /// Namespace → ReferenceGrants in it.
    grants: HashMap<String, Vec<usize>>,
    /// (kind, namespace, name) → Secret or ConfigMap.
    key_stores: HashMap<(ResourceKind, String, String), usize>,
    /// (namespace, targetRef name) → the BackendTLSPolicies of that namespace naming it.
    backend_tls_policies: HashMap<(String, String), Vec<usize>>,
    /// Route resource index → the attachment of each of its parentRefs, in order.
    attachments: HashMap<usize, Vec<Attachment>>,
    /// ListenerSet resource index → whether its parent Gateway takes it (and which one).
    listener_set_parents: HashMap<usize, Option<usize>>,
}

impl GatewayApi {
    /// The index of `resources` and the attachment of their routes.
    pub(super) fn new(resources: &[Resource]) -> GatewayApi {
        let mut api = GatewayApi::index(resources);
        let (parents, attachments) = {
            let view = api.view(resources);
            let parents = attach::listener_set_parents(&view);
            let attachments = attach::attach_routes(resources, &view, &parents);
            (parents, attachments)
        };
        api.listener_set_parents = parents;
        api.attachments = attachments;
        api
    }

    fn index(resources: &[Resource]) -> GatewayApi {
        let mut api = GatewayApi::default();
        for (index, resource) in resources.iter().enumerate() {
            let key = || (resource.namespace.clone(), resource.name.value.clone());
            match resource.kind {
                ResourceKind::KubernetesGateway => {
                    api.gateways.entry(key()).or_insert(index);
                }
                ResourceKind::ListenerSet => {
                    api.listener_sets.entry(key()).or_insert(index);
                }
                ResourceKind::GatewayClass => {
                    api.classes
                        .entry(resource.name.value.clone())
                        .or_insert(index);
                }
                ResourceKind::Namespace => {
                    api.namespaces
                        .entry(resource.name.value.clone())
                        .or_insert(index);
                }
                ResourceKind::ReferenceGrant => api
                    .grants
                    .entry(resource.namespace.clone())
                    .or_default()
                    .push(index),
                ResourceKind::BackendTlsPolicy => {
                    let Spec::BackendTlsPolicy(policy) = &resource.spec else {
                        continue;
                    };
                    for target in policy.target_refs() {
                        let entry = api
                            .backend_tls_policies
                            .entry((resource.namespace.clone(), target.name_value().to_string()))
                            .or_default();
                        if entry.last() != Some(&index) {
                            entry.push(index);
                        }
                    }
                }
                ResourceKind::Secret | ResourceKind::ConfigMap => {
                    let (namespace, name) = key();
                    api.key_stores
                        .entry((resource.kind, namespace, name))
                        .or_insert(index);
                }
                _ => {}
            }
        }
        api
    }

    pub(super) fn view<'m>(&'m self, resources: &'m [Resource]) -> View<'m> {
        View {
            api: self,
            resources,
        }
    }
}

/// The index together with the resources it indexes: what attachment and the look-ups read.
#[derive(Clone, Copy)]
pub struct View<'m> {
    api: &'m GatewayApi,
    resources: &'m [Resource],
}

impl<'m> View<'m> {
    pub fn resource(&self, index: usize) -> &'m Resource {
        &self.resources[index]
    }

    /// The Gateway API Gateway `namespace/name`, with its resource index.
    pub fn gateway(&self, namespace: &str, name: &str) -> Option<(usize, &'m gwapi::Gateway)> {
        let index = *self
            .api
            .gateways
            .get(&(namespace.to_string(), name.to_string()))?;
        match &self.resources[index].spec {
            Spec::KubernetesGateway(gateway) => Some((index, gateway)),
            _ => None,
        }
    }

    pub fn listener_set(
        &self,
        namespace: &str,
        name: &str,
    ) -> Option<(usize, &'m gwapi::ListenerSet)> {
        let index = *self
            .api
            .listener_sets
            .get(&(namespace.to_string(), name.to_string()))?;
        match &self.resources[index].spec {
            Spec::ListenerSet(set) => Some((index, set)),
            _ => None,
        }
    }

    /// Who runs `gateway`.
    pub fn class_owner(&self, gateway: &'m gwapi::Gateway) -> ClassOwner<'m> {
        let Some(class) = &gateway.gateway_class_name else {
            return ClassOwner::Missing;
        };
        if let Some(&index) = self.api.classes.get(&class.value)
            && let Spec::GatewayClass(spec) = &self.resources[index].spec
        {
            let controller = spec
                .controller_name
                .as_ref()
                .map_or("", |c| c.value.as_str());
            return if is_istio_controller(controller) {
                ClassOwner::Istio { controller }
            } else {
                ClassOwner::Foreign { controller }
            };
        }
        BUILT_IN_CLASSES
            .iter()
            .find(|(name, _)| *name == class.value)
            .map_or(ClassOwner::Unknown, |(_, controller)| ClassOwner::Istio {
                controller,
            })
    }

    /// The labels of namespace `name`: those of its Namespace object when the input has one;
    /// else `None` (only the automatic `kubernetes.io/metadata.name` label is then known).
    pub fn namespace_labels(&self, name: &str) -> Option<&'m [(String, String)]> {
        let index = *self.api.namespaces.get(name)?;
        match &self.resources[index].spec {
            Spec::Namespace(namespace) => Some(&namespace.labels),
            _ => None,
        }
    }

    pub fn grants_in(
        &self,
        namespace: &str,
    ) -> impl Iterator<Item = (&'m Resource, &'m gwapi::ReferenceGrant)> {
        let resources = self.resources;
        self.api
            .grants
            .get(namespace)
            .into_iter()
            .flatten()
            .filter_map(move |&index| match &resources[index].spec {
                Spec::ReferenceGrant(grant) => Some((&resources[index], grant)),
                _ => None,
            })
    }

    /// The Secret or ConfigMap `namespace/name`.
    pub fn key_store(
        &self,
        kind: ResourceKind,
        namespace: &str,
        name: &str,
    ) -> Option<(&'m Resource, &'m gwapi::KeyStore)> {
        let index = *self
            .api
            .key_stores
            .get(&(kind, namespace.to_string(), name.to_string()))?;
        match &self.resources[index].spec {
            Spec::KeyStore(store) => Some((&self.resources[index], store)),
            _ => None,
        }
    }

    /// The BackendTLSPolicies in `namespace` with a targetRef named `name` (of any kind), as
    /// resource indices in input order.
    pub fn backend_tls_policies(&self, namespace: &str, name: &str) -> &'m [usize] {
        // Asked for every destination of the traffic graph: no key built when there are none.
        if self.api.backend_tls_policies.is_empty() {
            return &[];
        }
        self.api
            .backend_tls_policies
            .get(&(namespace.to_string(), name.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// The attachment of each parentRef of the route at resource `index`.
    pub fn attachments(&self, index: usize) -> &'m [Attachment] {
        self.api.attachments.get(&index).map_or(&[], Vec::as_slice)
    }

    /// The Gateway a ListenerSet joins, when that Gateway takes it.
    pub fn listener_set_parent(&self, set: usize) -> Option<usize> {
        self.api.listener_set_parents.get(&set).copied().flatten()
    }
}

/// Every route of the input with its resource index and the attachment of each parentRef.
pub fn routes(
    mesh: &Mesh,
) -> impl Iterator<Item = (usize, &Resource, &gwapi::Route, &[Attachment])> {
    let view = mesh.gateway_api();
    mesh.resources
        .iter()
        .enumerate()
        .filter_map(move |(index, resource)| match &resource.spec {
            Spec::Route(route) if resource.kind.route_type().is_some() => {
                Some((index, resource, route, view.attachments(index)))
            }
            _ => None,
        })
}

/// `listener `https` of Gateway infra/gw`.
pub fn listener_label(holder: &Resource, listener: &gwapi::Listener) -> String {
    format!("listener `{}` of {}", listener.name_value(), holder.label())
}

/// What a refused route costs its clients.
pub fn lost_traffic(route: &Resource) -> &'static str {
    match route.kind.route_type() {
        Some(gwapi::RouteType::Http | gwapi::RouteType::Grpc) => {
            "requests for its hostnames get 404"
        }
        _ => "its connections are closed",
    }
}

/// The group and kind a reference names, with defaults applied, as Istio compares them.
pub fn group_kind<'a>(
    reference: &'a gwapi::ObjectRef,
    default_group: &'a str,
    default_kind: &'a str,
) -> (&'a str, &'a str) {
    (
        reference.group_or(default_group),
        reference.kind_or(default_kind),
    )
}

/// `group/kind` as messages write it (`gateway.networking.k8s.io/Gateway`, `Service`).
pub fn group_kind_text(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{group}/{kind}")
    }
}

/// Whether a parentRef names a Gateway API Gateway (the default).
pub fn names_gateway(reference: &gwapi::ObjectRef) -> bool {
    group_kind(reference, GROUP, "Gateway") == (GROUP, "Gateway")
}

impl Mesh {
    /// What a backendRef of `route` resolves to: the destination host, or why not. A Service
    /// (or ServiceEntry host) that is not in the input is `NotInInput`. ReferenceGrants count
    /// when the route has a Gateway parent (Istio enforces them for those only).
    pub fn gateway_api_backend(
        &self,
        route: &Resource,
        backend: &ObjectRef,
    ) -> Result<String, BackendProblem> {
        refs::resolve_backend(self, route, backend, refs::enforces_grants(route))
    }

    /// Checks one certificateRef of a listener of `holder` (a Gateway or ListenerSet). On
    /// partial input a Secret that is not in it is taken to exist, so its ReferenceGrant counts.
    pub fn gateway_api_certificate(
        &self,
        holder: &Resource,
        reference: &ObjectRef,
    ) -> Result<(), CertificateProblem> {
        refs::check_certificate(
            &self.gateway_api(),
            holder,
            reference,
            !self.settings.input_complete,
        )
    }
}

/// The problems that make a listener's `ResolvedRefs` False, as (reason, message): its
/// certificateRefs when none of them is valid (Istio needs one), more than two of them. A
/// Secret that is not in the input counts only when the input is the whole mesh.
pub fn listener_problems(
    mesh: &Mesh,
    holder: &Resource,
    listener: usize,
) -> Vec<(&'static str, String)> {
    let Some(listener) = listeners_of(holder).get(listener) else {
        return Vec::new();
    };
    let Some(tls) = &listener.tls else {
        return Vec::new();
    };
    if listener.tls_mode() != Some(gwapi::ListenerTlsMode::Terminate) {
        return Vec::new();
    }
    let refs = tls.value.certificate_refs();
    if refs.len() > 2 {
        return vec![(
            "InvalidCertificateRef",
            "TLS mode can only support up to 2 server certificates".to_string(),
        )];
    }
    let mut problems = Vec::new();
    for reference in refs {
        match mesh.gateway_api_certificate(holder, reference) {
            Ok(()) => return Vec::new(),
            Err(CertificateProblem::NotInInput) if !mesh.settings.input_complete => {
                return Vec::new();
            }
            Err(problem) => {
                let namespace = reference.namespace_or(&holder.namespace);
                problems.push((problem.reason(), problem.message(namespace, reference)));
            }
        }
    }
    // Istio joins the messages of every failing reference; the first reason stays.
    match problems.first() {
        Some((reason, _)) => {
            let joined: Vec<&str> = problems.iter().map(|(_, m)| m.as_str()).collect();
            vec![(reason, joined.join("; "))]
        }
        None => Vec::new(),
    }
}

/// The route's `ResolvedRefs` problem as Istio reports it: the last failing backendRef of the
/// last rule with one. A backend that is not in the input counts only when the input is the
/// whole mesh.
pub fn route_resolved_refs(mesh: &Mesh, index: usize) -> Option<(&'static str, String)> {
    let route = &mesh.resources[index];
    let Spec::Route(spec) = &route.spec else {
        return None;
    };
    let mut reported = None;
    for rule in spec.rules() {
        for backend in rule.backend_refs() {
            match mesh.gateway_api_backend(route, backend) {
                Ok(_) => {}
                Err(BackendProblem::NotInInput { .. }) if !mesh.settings.input_complete => {}
                Err(problem) => {
                    reported = Some((problem.reason(), problem.message(route, backend)))
                }
            }
        }
    }
    reported
}

#[cfg(test)]
mod tests;
