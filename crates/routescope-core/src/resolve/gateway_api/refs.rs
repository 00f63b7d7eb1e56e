//! What the references of routes (backendRefs) and listeners (certificateRefs) resolve to, and
//! which of them cross a namespace without the ReferenceGrant they need.

use super::View;
use crate::model::gateway_api::{self as gwapi, GROUP, ObjectRef};
use crate::model::{Resource, ResourceKind, Spec};

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

impl ReferenceGrantNeed {
    /// Whether a ReferenceGrant of the input allows it.
    pub fn is_granted(&self, view: &View<'_>) -> bool {
        view.grants_in(&self.to_namespace).any(|(_, grant)| {
            grant.from.iter().any(|from| {
                from.value.group == self.from_group
                    && from.value.kind == self.from_kind
                    && from.value.namespace == self.from_namespace
            }) && grant.to.iter().any(|to| {
                to.value.group == self.to_group
                    && to.value.kind == self.to_kind
                    && to
                        .value
                        .name
                        .as_ref()
                        .is_none_or(|name| *name == self.to_name)
            })
        })
    }

    /// The ReferenceGrant document that allows it, as YAML.
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

/// Why a backendRef does not resolve, in the order Istio checks (`buildDestination`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendProblem {
    /// Another namespace, and no ReferenceGrant there allows it (`RefNotPermitted`).
    NotPermitted(Box<ReferenceGrantNeed>),
    /// A kind Istio does not route to (`InvalidKind`).
    InvalidKind { group: String, kind: String },
    /// A Service name with a dot: a hostname where the Service's name belongs.
    HostnameAsName,
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
            BackendProblem::InvalidKind { .. } => "InvalidKind",
            BackendProblem::HostnameAsName | BackendProblem::PortRequired => "InvalidDestination",
            BackendProblem::NotInInput { .. } => "BackendNotFound",
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
            BackendProblem::HostnameAsName => "service name invalid; the name of the Service \
                                               must be used, not the hostname."
                .to_string(),
            BackendProblem::PortRequired => "port is required in backendRef".to_string(),
            BackendProblem::NotInInput { host } => format!("backend({host}) not found"),
        }
    }
}

/// What a backendRef of `route` names: the Service's FQDN (`name.namespace.svc.cluster.local`)
/// or the ServiceEntry host, or why it does not resolve. `NotInInput` is returned only after
/// every other check passed.
pub fn resolve_backend(
    view: &View<'_>,
    services: impl Fn(&str, &str) -> bool,
    hostnames: impl Fn(&str, &str) -> bool,
    route: &Resource,
    backend: &ObjectRef,
) -> Result<String, BackendProblem> {
    let namespace = backend.namespace_or(&route.namespace);
    if namespace != route.namespace {
        let (group, kind) = (backend.group_or(""), backend.kind_or("Service"));
        let need = ReferenceGrantNeed {
            from_group: GROUP,
            from_kind: route.kind.name(),
            from_namespace: route.namespace.clone(),
            to_group: group.to_string(),
            to_kind: kind.to_string(),
            to_namespace: namespace.to_string(),
            to_name: backend.name_value().to_string(),
        };
        if !need.is_granted(view) {
            return Err(BackendProblem::NotPermitted(Box::new(need)));
        }
    }
    let name = backend.name_value();
    let host = match (backend.group_or(""), backend.kind_or("Service")) {
        ("" | "core", "Service") => {
            if name.contains('.') {
                return Err(BackendProblem::HostnameAsName);
            }
            let host = format!("{name}.{namespace}.svc.cluster.local");
            if backend.port.is_none() {
                return Err(BackendProblem::PortRequired);
            }
            if !services(namespace, name) {
                return Err(BackendProblem::NotInInput { host });
            }
            host
        }
        ("networking.istio.io", "Hostname") => {
            if backend.port.is_none() {
                return Err(BackendProblem::PortRequired);
            }
            if !hostnames(name, namespace) {
                return Err(BackendProblem::NotInInput {
                    host: name.to_string(),
                });
            }
            name.to_string()
        }
        (group, kind) => {
            return Err(BackendProblem::InvalidKind {
                group: group.to_string(),
                kind: kind.to_string(),
            });
        }
    };
    Ok(host)
}

/// Why a listener's certificateRef does not resolve (`InvalidCertificateRef`,
/// `RefNotPermitted`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateProblem {
    NotPermitted(Box<ReferenceGrantNeed>),
    /// Only core Secrets hold certificates for Istio.
    InvalidKind {
        group: String,
        kind: String,
    },
    /// The input has the Secret, but not as a TLS certificate: its `type` or keys.
    NotTls {
        why: String,
    },
    /// Not in the input (a problem only when the input is the whole mesh).
    NotInInput,
}

impl CertificateProblem {
    /// The listener's `ResolvedRefs` reason.
    pub fn reason(&self) -> &'static str {
        match self {
            CertificateProblem::NotPermitted(_) => "RefNotPermitted",
            _ => "InvalidCertificateRef",
        }
    }

    pub fn message(&self, namespace: &str, reference: &ObjectRef) -> String {
        let name = reference.name_value();
        match self {
            CertificateProblem::NotPermitted(need) => format!(
                "certificateRef {}/{name} not accessible to a Gateway in namespace {:?} (missing \
                 a ReferenceGrant?)",
                need.to_namespace, need.from_namespace
            ),
            CertificateProblem::InvalidKind { group, kind } => format!(
                "invalid certificate reference {}, only secret is allowed",
                super::group_kind_text(group, kind)
            ),
            CertificateProblem::NotTls { why } => {
                format!("invalid certificate reference {namespace}/{name}: {why}")
            }
            CertificateProblem::NotInInput => {
                format!("invalid certificate reference {namespace}/{name}, secret not found")
            }
        }
    }
}

/// Checks one certificateRef of a listener of `holder` (a Gateway or ListenerSet).
pub fn check_certificate(
    view: &View<'_>,
    holder: &Resource,
    reference: &ObjectRef,
) -> Result<(), CertificateProblem> {
    let (group, kind) = (reference.group_or(""), reference.kind_or("Secret"));
    if !matches!((group, kind), ("" | "core", "Secret")) {
        return Err(CertificateProblem::InvalidKind {
            group: group.to_string(),
            kind: kind.to_string(),
        });
    }
    let namespace = reference.namespace_or(&holder.namespace);
    if namespace != holder.namespace {
        let need = ReferenceGrantNeed {
            from_group: GROUP,
            from_kind: holder.kind.name(),
            from_namespace: holder.namespace.clone(),
            to_group: String::new(),
            to_kind: "Secret".to_string(),
            to_namespace: namespace.to_string(),
            to_name: reference.name_value().to_string(),
        };
        if !need.is_granted(view) {
            return Err(CertificateProblem::NotPermitted(Box::new(need)));
        }
    }
    let Some((_, secret)) = view.key_store(ResourceKind::Secret, namespace, reference.name_value())
    else {
        return Err(CertificateProblem::NotInInput);
    };
    let type_ = secret.type_.as_ref().map(|t| t.value.as_str());
    let has = |key: &str| secret.keys.iter().any(|k| k == key);
    let why = match type_ {
        Some("kubernetes.io/tls") | Some("Opaque") | None if has("tls.crt") && has("tls.key") => {
            return Ok(());
        }
        // Istio also reads the generic `cert`/`key` layout.
        Some("Opaque") | None if has("cert") && has("key") => return Ok(()),
        Some(other) if other != "kubernetes.io/tls" && other != "Opaque" => {
            format!("the Secret has type {other}, not kubernetes.io/tls")
        }
        _ => "the Secret has no tls.crt and tls.key".to_string(),
    };
    Err(CertificateProblem::NotTls { why })
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
