//! What the references of routes (backendRefs) and listeners (certificateRefs) resolve to, and
//! which of them cross a namespace without the ReferenceGrant they need — in the order and with
//! the messages of Istio's controller (`buildDestination`, `buildTLS`/`buildSecretReference`,
//! `ReferenceGrantsCollection` in `pilot/pkg/config/kube/gateway/`).

use super::{ParentTarget, View, group_kind};
use crate::model::gateway_api::{self as gwapi, GROUP, GrantFrom, GrantTo, ObjectRef};
use crate::model::{Field, Resource, ResourceKind, Spec};
use crate::resolve::Mesh;
use crate::source::Span;

/// The group of `ServiceImport` (the Multi-Cluster Services API), a backend kind Istio routes to.
pub const MCS_GROUP: &str = "multicluster.x-k8s.io";
/// The group of Istio's synthetic backend kind `Hostname` (a ServiceEntry host).
pub const ISTIO_GROUP: &str = "networking.istio.io";
/// The group of the experimental `XListenerSet`.
const EXPERIMENTAL_GROUP: &str = "gateway.networking.x-k8s.io";
/// The groups of `InferencePool` (Istio routes to it only with the inference extension on).
const INFERENCE_GROUPS: &[&str] = &[
    "inference.networking.k8s.io",
    "inference.networking.x-k8s.io",
];

/// The ReferenceGrant a cross-namespace reference needs: in `to_namespace`, from
/// (`from_group`, `from_kind`, `from_namespace`) to (`to_group`, `to_kind`, `to_name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceGrantNeed {
    pub from_group: &'static str,
    pub from_kind: &'static str,
    pub from_namespace: String,
    pub to_group: String,
    pub to_kind: String,
    pub to_namespace: String,
    pub to_name: String,
}

/// A ReferenceGrant of the input that looks meant for a reference but does not allow it.
#[derive(Clone, Debug)]
pub struct GrantMiss<'m> {
    pub grant: &'m Resource,
    /// The entry that does not match (or the grant's namespace, when it is in the wrong one).
    pub span: Span,
    /// Which part does not match, as a sentence naming the grant.
    pub why: String,
}

impl ReferenceGrantNeed {
    fn allows_from(&self, from: &GrantFrom) -> bool {
        from.group == self.from_group
            && from.kind == self.from_kind
            && from.namespace == self.from_namespace
    }

    fn allows_to(&self, to: &GrantTo) -> bool {
        to.group == self.to_group
            && to.kind == self.to_kind
            && to.name.as_ref().is_none_or(|name| *name == self.to_name)
    }

    /// Whether a ReferenceGrant of the input allows it: one in the target namespace with a
    /// matching `from` entry and a matching `to` entry (no `name` there allows every name).
    pub fn is_granted(&self, view: &View<'_>) -> bool {
        view.grants_in(&self.to_namespace).any(|(_, grant)| {
            grant.from.iter().any(|from| self.allows_from(&from.value))
                && grant.to.iter().any(|to| self.allows_to(&to.value))
        })
    }

    /// The ReferenceGrants that come close without allowing it: those in the target namespace
    /// (saying which `from` or `to` part differs), and those elsewhere that would allow it if
    /// they were in the target namespace. In input order.
    pub fn near_misses<'m>(&self, view: &View<'m>) -> Vec<GrantMiss<'m>> {
        let mut grants: Vec<usize> = view.api.grants.values().flatten().copied().collect();
        crate::order::sort(&mut grants);
        grants
            .into_iter()
            .filter_map(|index| {
                let resource = view.resource(index);
                let Spec::ReferenceGrant(grant) = &resource.spec else {
                    return None;
                };
                self.miss(resource, grant)
            })
            .collect()
    }

    fn miss<'m>(
        &self,
        resource: &'m Resource,
        grant: &'m gwapi::ReferenceGrant,
    ) -> Option<GrantMiss<'m>> {
        let label = format!(
            "ReferenceGrant {}/{}",
            resource.namespace, resource.name.value
        );
        let from_ok = grant.from.iter().any(|from| self.allows_from(&from.value));
        let to_ok = grant.to.iter().any(|to| self.allows_to(&to.value));
        if resource.namespace != self.to_namespace {
            return (from_ok && to_ok).then(|| GrantMiss {
                grant: resource,
                span: resource
                    .namespace_field
                    .as_ref()
                    .map_or(resource.name.span, |n| n.span),
                why: format!(
                    "{label} would allow it, but a ReferenceGrant only takes effect in the \
                     namespace it grants access to, `{}`",
                    self.to_namespace
                ),
            });
        }
        if !from_ok {
            let closest = grant
                .from
                .iter()
                .min_by_key(|from| self.differences_in_from(&from.value).len());
            let (span, why) = match closest {
                Some(from) => (
                    from.span,
                    format!(
                        "its `from` entry names {}",
                        self.differences_in_from(&from.value).join(" and ")
                    ),
                ),
                None => (resource.name.span, "it has no `from` entry".to_string()),
            };
            return Some(GrantMiss {
                grant: resource,
                span,
                why: format!("{label} does not allow it: {why}"),
            });
        }
        let closest = grant
            .to
            .iter()
            .min_by_key(|to| self.differences_in_to(&to.value).len());
        let (span, why) = match closest {
            Some(to) => (
                to.span,
                format!(
                    "its `to` entry names {}",
                    self.differences_in_to(&to.value).join(" and ")
                ),
            ),
            None => (resource.name.span, "it has no `to` entry".to_string()),
        };
        Some(GrantMiss {
            grant: resource,
            span,
            why: format!("{label} does not allow it: {why}"),
        })
    }

    fn differences_in_from(&self, from: &GrantFrom) -> Vec<String> {
        let mut differences = Vec::new();
        if from.group != self.from_group {
            differences.push(format!("group `{}`, not `{}`", from.group, self.from_group));
        }
        if from.kind != self.from_kind {
            differences.push(format!("kind `{}`, not `{}`", from.kind, self.from_kind));
        }
        if from.namespace != self.from_namespace {
            differences.push(format!(
                "namespace `{}`, not `{}`",
                from.namespace, self.from_namespace
            ));
        }
        differences
    }

    fn differences_in_to(&self, to: &GrantTo) -> Vec<String> {
        let mut differences = Vec::new();
        if to.group != self.to_group {
            differences.push(format!("group `{}`, not `{:?}`", to.group, self.to_group));
        }
        if to.kind != self.to_kind {
            let mut kind = format!("kind `{}`, not `{}`", to.kind, self.to_kind);
            if self.to_kind == "Service" {
                // `BackendAllowed` looks for `to: Service` whatever the backend's kind.
                kind.push_str(" (Istio checks backendRefs of every kind against `Service`)");
            }
            differences.push(kind);
        }
        if let Some(name) = to.name.as_ref().filter(|name| **name != self.to_name) {
            differences.push(format!("only name `{name}`, not `{}`", self.to_name));
        }
        differences
    }

    /// The ReferenceGrant document that allows it, as YAML (`\n` line breaks).
    pub fn document(&self) -> String {
        let name = format!(
            "allow-{}-{}",
            self.from_namespace,
            self.from_kind.to_ascii_lowercase()
        );
        let quoted = |group: &str| {
            if group.is_empty() {
                "\"\"".to_string()
            } else {
                group.to_string()
            }
        };
        format!(
            "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata:\n  \
             name: {name}\n  namespace: {}\nspec:\n  from:\n  - group: {}\n    kind: {}\n    \
             namespace: {}\n  to:\n  - group: {}\n    kind: {}\n    name: {}\n",
            self.to_namespace,
            self.from_group,
            self.from_kind,
            self.from_namespace,
            quoted(&self.to_group),
            self.to_kind,
            self.to_name
        )
    }
}

/// Why a backendRef does not resolve, in the order Istio checks (`buildDestination`): the
/// ReferenceGrant, then the kind (with the name and namespace rules of each kind), then the
/// port, then whether the backend exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendProblem {
    /// Another namespace, and no ReferenceGrant there allows it (`RefNotPermitted`).
    NotPermitted(Box<ReferenceGrantNeed>),
    /// A group and kind Istio does not route to (`InvalidKind`), as written (empty when absent).
    InvalidKind { group: String, kind: String },
    /// An `InferencePool`, which Istio routes to only with its inference extension enabled
    /// (`InvalidKind` otherwise).
    InferencePoolDisabled,
    /// A Service name with a dot: a hostname where the Service's name belongs.
    HostnameAsName,
    /// A `Hostname` backend with a `namespace` (the host is global).
    HostnameWithNamespace,
    /// No `port` (required for every kind Istio routes to).
    PortRequired,
    /// The Service (or ServiceEntry host) is not in the input (`BackendNotFound` when the
    /// input is the whole mesh).
    NotInInput { host: String },
}

impl BackendProblem {
    /// The route's `ResolvedRefs` reason.
    pub fn reason(&self) -> &'static str {
        match self {
            BackendProblem::NotPermitted(_) => "RefNotPermitted",
            BackendProblem::InvalidKind { .. } | BackendProblem::InferencePoolDisabled => {
                "InvalidKind"
            }
            BackendProblem::HostnameAsName
            | BackendProblem::HostnameWithNamespace
            | BackendProblem::PortRequired => "InvalidDestination",
            BackendProblem::NotInInput { .. } => "BackendNotFound",
        }
    }

    /// Whether Istio drops the route's rules for it (a "hard" error: no VirtualService, so
    /// the route's hosts answer 404) rather than keeping the rule with a backend that fails.
    pub fn drops_rules(&self) -> bool {
        self.reason() == "InvalidDestination"
    }

    /// What traffic meets, in words, for a backendRef of `route`.
    pub fn outcome(&self, route: &Resource) -> &'static str {
        let streams = matches!(
            route.kind.route_type(),
            Some(gwapi::RouteType::Tcp | gwapi::RouteType::Tls)
        );
        match (self.drops_rules(), streams) {
            (true, false) => {
                "Istio drops the route's rules (no VirtualService is generated), so requests for \
                 its hostnames get 404"
            }
            (true, true) => {
                "Istio drops the route's rules (no VirtualService is generated), so its \
                 connections are not routed and get reset"
            }
            (false, false) => "the data plane answers 500 to the requests routed to it",
            (false, true) => "the connections routed to it are reset",
        }
    }

    /// The condition's message, as Istio writes it.
    pub fn message(&self, route: &Resource, backend: &ObjectRef) -> String {
        match self {
            BackendProblem::NotPermitted(need) => format!(
                "backendRef {}/{} not accessible to a {} in namespace {:?} (missing a \
                 ReferenceGrant?)",
                backend.name_value(),
                need.to_namespace,
                route.kind.name(),
                route.namespace
            ),
            BackendProblem::InvalidKind { group, kind } => {
                format!("referencing unsupported backendRef: group {group:?} kind {kind:?}")
            }
            BackendProblem::InferencePoolDisabled => "InferencePool is not enabled. To enable, \
                                                      set SUPPORT_GATEWAY_API_INFERENCE_EXTENSION \
                                                      to true in istiod"
                .to_string(),
            BackendProblem::HostnameAsName => "service name invalid; the name of the Service \
                                               must be used, not the hostname."
                .to_string(),
            BackendProblem::HostnameWithNamespace => {
                "namespace may not be set with Hostname type".to_string()
            }
            BackendProblem::PortRequired => "port is required in backendRef".to_string(),
            BackendProblem::NotInInput { host } => format!("backend({host}) not found"),
        }
    }
}

/// Whether Istio enforces ReferenceGrants for the backends of `route`: it does for Gateway
/// (and ListenerSet) parents only, not for mesh (Service) parents (`convertHTTPRoute(…,
/// !mesh)`). A route without parentRefs has no parent to enforce them for.
pub(super) fn enforces_grants(route: &Resource) -> bool {
    let Spec::Route(spec) = &route.spec else {
        return false;
    };
    spec.parent_refs().iter().any(|parent| {
        matches!(
            group_kind(parent, GROUP, "Gateway"),
            (GROUP, "Gateway" | "ListenerSet" | "XListenerSet")
                | (EXPERIMENTAL_GROUP, "XListenerSet")
        )
    })
}

/// What a check adds to a problem of a route without parentRefs.
pub const UNATTACHED: &str =
    "; the route has no `parentRefs` yet, so this takes effect once it is attached";

/// Whether a route names no parent yet: Istio then converts it for none, so what its
/// backendRefs would break stays latent until it is attached.
pub fn is_unattached(route: &Resource) -> bool {
    matches!(&route.spec, Spec::Route(spec) if spec.parent_refs().is_empty())
}

/// What a backendRef of `route` would resolve to once every ReferenceGrant it needs exists:
/// where a fix that adds the grant leads.
pub fn backend_with_grant(
    mesh: &Mesh,
    route: &Resource,
    backend: &ObjectRef,
) -> Result<String, BackendProblem> {
    resolve_backend(mesh, route, backend, false)
}

/// What a backendRef of `route` names: the Service's FQDN (`name.namespace.svc.cluster.local`)
/// or the ServiceEntry host, or why it does not resolve. ReferenceGrants are checked when
/// `enforce_grants`.
pub(super) fn resolve_backend(
    mesh: &Mesh,
    route: &Resource,
    backend: &ObjectRef,
    enforce_grants: bool,
) -> Result<String, BackendProblem> {
    let view = mesh.gateway_api();
    // Only an explicit `namespace` can cross one.
    if let Some(namespace) = &backend.namespace
        && namespace.value != route.namespace
        && enforce_grants
    {
        // Istio's `BackendAllowed` looks for a grant to `Service`, whatever the kind.
        let need = ReferenceGrantNeed {
            from_group: GROUP,
            from_kind: route.kind.name(),
            from_namespace: route.namespace.clone(),
            to_group: String::new(),
            to_kind: "Service".to_string(),
            to_namespace: namespace.value.clone(),
            to_name: backend.name_value().to_string(),
        };
        if !need.is_granted(&view) {
            return Err(BackendProblem::NotPermitted(Box::new(need)));
        }
    }
    let namespace = backend.namespace_or(&route.namespace);
    let name = backend.name_value();
    let service_host = || format!("{name}.{namespace}.svc.cluster.local");
    let (host, found) = match (backend.group_or(""), backend.kind_or("Service")) {
        ("", "Service") => {
            if name.contains('.') {
                return Err(BackendProblem::HostnameAsName);
            }
            (service_host(), mesh.has_service(namespace, name))
        }
        (ISTIO_GROUP, "Hostname") => {
            if backend.namespace.is_some() {
                return Err(BackendProblem::HostnameWithNamespace);
            }
            (name.to_string(), mesh.is_declared(name, namespace))
        }
        // Without MCS host support (the default) Istio treats it as the Service of that name.
        (MCS_GROUP, "ServiceImport") => (service_host(), mesh.has_service(namespace, name)),
        (group, "InferencePool") if INFERENCE_GROUPS.contains(&group) => {
            return Err(BackendProblem::InferencePoolDisabled);
        }
        _ => {
            let written = |field: &Option<Field<String>>| {
                field.as_ref().map_or(String::new(), |f| f.value.clone())
            };
            return Err(BackendProblem::InvalidKind {
                group: written(&backend.group),
                kind: written(&backend.kind),
            });
        }
    };
    if backend.port.is_none() {
        return Err(BackendProblem::PortRequired);
    }
    if !found {
        return Err(BackendProblem::NotInInput { host });
    }
    Ok(host)
}

/// Why a listener's certificateRef does not resolve (`InvalidCertificateRef`,
/// `RefNotPermitted`), in Istio's order: the kind, the Secret's existence, its keys, then the
/// ReferenceGrant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateProblem {
    /// Only core Secrets hold certificates for Istio.
    InvalidKind,
    /// The Secret is not in the input (a problem only when the input is the whole mesh).
    NotInInput,
    /// The input has the Secret, without `tls.crt`/`tls.key` (or `cert`/`key`): its keys.
    MissingKeys {
        keys: Vec<String>,
    },
    NotPermitted(Box<ReferenceGrantNeed>),
}

impl CertificateProblem {
    /// The listener's `ResolvedRefs` reason.
    pub fn reason(&self) -> &'static str {
        match self {
            CertificateProblem::NotPermitted(_) => "RefNotPermitted",
            _ => "InvalidCertificateRef",
        }
    }

    /// The condition's message, as Istio writes it, for a reference of a listener whose
    /// holder is in `namespace`.
    pub fn message(&self, namespace: &str, reference: &ObjectRef) -> String {
        let name = reference.name_value();
        let secret_namespace = reference.namespace_or(namespace);
        let written = reference_string(reference);
        match self {
            CertificateProblem::NotPermitted(need) => format!(
                "certificateRef {name}/{secret_namespace} not accessible to a Gateway in namespace \
                 {:?} (missing a ReferenceGrant?)",
                need.from_namespace
            ),
            CertificateProblem::InvalidKind => {
                format!("invalid certificate reference {written}, only secret is allowed")
            }
            CertificateProblem::MissingKeys { keys } => format!(
                "invalid certificate reference {written}, found secret, but didn't have expected \
                 keys (cert and key) or (tls.crt and tls.key); found: {}",
                truncated_keys(keys)
            ),
            CertificateProblem::NotInInput => format!(
                "invalid certificate reference {written}, secret {secret_namespace}/{name} not \
                 found"
            ),
        }
    }
}

/// Istio's `objectReferenceString`: `group/kind/name.namespace` as written (`//cert.`).
fn reference_string(reference: &ObjectRef) -> String {
    let written =
        |field: &Option<Field<String>>| field.as_ref().map_or("", |f| f.value.as_str()).to_string();
    format!(
        "{}/{}/{}.{}",
        written(&reference.group),
        written(&reference.kind),
        reference.name_value(),
        written(&reference.namespace)
    )
}

/// Istio's `truncatedKeysMessage`: the sorted keys, at most three of them named.
fn truncated_keys(keys: &[String]) -> String {
    let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    crate::order::sort(&mut keys);
    if keys.len() < 3 {
        keys.join(", ")
    } else {
        format!("{}, and {} more...", keys[..3].join(", "), keys.len() - 3)
    }
}

/// The ReferenceGrant a certificateRef of a listener of `holder` needs: `None` in the
/// holder's own namespace, and for a kind other than Secret (which fails before the grant).
pub fn certificate_grant_need(
    holder: &Resource,
    reference: &ObjectRef,
) -> Option<ReferenceGrantNeed> {
    let namespace = reference.namespace_or(&holder.namespace);
    if namespace == holder.namespace || group_kind(reference, "", "Secret") != ("", "Secret") {
        return None;
    }
    // The from-kind is the holder's own kind (`GvkFromObject`).
    let experimental = holder
        .api_version
        .as_ref()
        .is_some_and(|v| v.value.starts_with(EXPERIMENTAL_GROUP));
    let (from_group, from_kind) = match holder.kind {
        ResourceKind::ListenerSet if experimental => (EXPERIMENTAL_GROUP, "XListenerSet"),
        kind => (GROUP, kind.name()),
    };
    Some(ReferenceGrantNeed {
        from_group,
        from_kind,
        from_namespace: holder.namespace.clone(),
        to_group: String::new(),
        to_kind: "Secret".to_string(),
        to_namespace: namespace.to_string(),
        to_name: reference.name_value().to_string(),
    })
}

/// Checks one certificateRef of a listener of `holder` (a Gateway or ListenerSet). A Secret
/// that is not in the input is taken to exist elsewhere when `assume_present` (partial
/// input), so the ReferenceGrant is checked for it as Istio would then.
pub fn check_certificate(
    view: &View<'_>,
    holder: &Resource,
    reference: &ObjectRef,
    assume_present: bool,
) -> Result<(), CertificateProblem> {
    if group_kind(reference, "", "Secret") != ("", "Secret") {
        return Err(CertificateProblem::InvalidKind);
    }
    let namespace = reference.namespace_or(&holder.namespace);
    let secret = view.key_store(ResourceKind::Secret, namespace, reference.name_value());
    match secret {
        Some((_, secret)) => {
            let has = |key: &str| secret.keys.iter().any(|k| k == key);
            let usable = (has("cert") && has("key")) || (has("tls.crt") && has("tls.key"));
            if !usable {
                return Err(CertificateProblem::MissingKeys {
                    keys: secret.keys.clone(),
                });
            }
        }
        None if !assume_present => return Err(CertificateProblem::NotInInput),
        None => {}
    }
    if let Some(need) = certificate_grant_need(holder, reference)
        && !need.is_granted(view)
    {
        return Err(CertificateProblem::NotPermitted(Box::new(need)));
    }
    match secret {
        Some(_) => Ok(()),
        None => Err(CertificateProblem::NotInInput),
    }
}

/// How many certificateRefs of `listener` (of `holder`) Istio can serve; a terminating
/// listener with none is not programmed. A Secret that is not in a partial input counts.
pub fn usable_certificates(mesh: &Mesh, holder: &Resource, listener: &gwapi::Listener) -> usize {
    let refs = listener
        .tls
        .as_ref()
        .map_or(&[][..], |tls| tls.value.certificate_refs());
    refs.iter()
        .filter(
            |reference| match mesh.gateway_api_certificate(holder, reference) {
                Ok(()) => true,
                Err(CertificateProblem::NotInInput) => !mesh.settings.input_complete,
                Err(_) => false,
            },
        )
        .count()
}

/// The Gateway API kinds' listeners, with the resource that holds them (Gateway or
/// ListenerSet).
pub fn listeners_of(resource: &Resource) -> &[gwapi::Listener] {
    match &resource.spec {
        Spec::KubernetesGateway(gateway) => &gateway.listeners,
        Spec::ListenerSet(set) => &set.listeners,
        _ => &[],
    }
}

/// The routes Istio's controller would convert, with their resource index: every route
/// except those whose parentRefs all name parents Istio does not run (another GatewayClass,
/// an unsupported kind). Parents not in the input count, as the input may be partial.
pub fn istio_routes(mesh: &Mesh) -> impl Iterator<Item = (usize, &Resource, &gwapi::Route)> {
    let view = mesh.gateway_api();
    mesh.resources
        .iter()
        .enumerate()
        .filter_map(move |(index, resource)| {
            let Spec::Route(route) = &resource.spec else {
                return None;
            };
            let attachments = view.attachments(index);
            let ignored = !attachments.is_empty()
                && attachments.iter().all(|a| {
                    matches!(
                        a.target,
                        ParentTarget::NotIstio { .. } | ParentTarget::Unsupported { .. }
                    )
                });
            (!ignored).then_some((index, resource, route))
        })
}

/// The Gateways and ListenerSets whose listeners Istio programs: Gateways of an Istio
/// GatewayClass, and ListenerSets such a Gateway takes.
pub fn istio_listener_holders(mesh: &Mesh) -> impl Iterator<Item = &Resource> {
    let view = mesh.gateway_api();
    mesh.resources
        .iter()
        .enumerate()
        .filter(move |(index, resource)| match &resource.spec {
            Spec::KubernetesGateway(gateway) => view.class_owner(gateway).is_istio(),
            Spec::ListenerSet(_) => view.listener_set_parent(*index).is_some(),
            _ => false,
        })
        .map(|(_, resource)| resource)
}

#[cfg(test)]
mod tests;
