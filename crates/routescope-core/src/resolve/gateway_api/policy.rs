//! BackendTLSPolicy: what Istio makes of each targetRef and CA reference, the `ancestors`
//! status it writes, and which policy originates TLS to a Service port.
//!
//! Modelled on istio/istio `pilot/pkg/config/kube/gateway/backend_policies.go` (~1.28:
//! `BackendTLSPolicyCollection`, `getBackendTLSCredentialName`, `DestinationRuleCollection`),
//! plus `Conflicted` from the newest `gatewaycommon` (`btlsCheckConflicted`).

use super::ISTIO_CONTROLLER;
use super::status::{Condition, ParentReference, ParentStatus};
use crate::model::gateway_api::{BackendTlsPolicy, GROUP, ObjectRef};
use crate::model::{Field, Resource, ResourceKind, Spec};
use crate::resolve::{Mesh, PortRef};

/// The controller Istio names in a policy's ancestor for a targeted Service (the mesh).
pub const MESH_CONTROLLER: &str = "istio.io/mesh-controller";

/// Istio truncates `status.ancestors` to the API's maximum, and keeps applying the policy.
const MAX_ANCESTORS: usize = 16;

const VALID: &str = "Configuration is valid";

/// The kinds of Istio's reference set other than Service: a targetRef or caCertificateRef of
/// one of them reads "unsupported reference kind", any other kind "unsupported kind" (the set
/// is inferred from the controller's look-ups, not read).
const KNOWN_KINDS: &[&str] = &["ConfigMap", "Secret", "Service"];

/// Why one targetRef of a policy takes no effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetProblem {
    /// Not a core `Service`; `known` when it is another kind Istio can look up.
    UnsupportedKind { known: bool },
    /// The Service is not in the input, which is the whole mesh.
    NotFound,
    /// `sectionName` names no port of the Service.
    NoSuchPort,
    /// Another policy with the same target (group, kind, name and sectionName) ranks higher:
    /// older, then namespace, then name. That policy's resource index.
    Conflicted { winner: usize },
}

impl TargetProblem {
    /// The reason of the policy's `Accepted: False`.
    pub fn reason(&self) -> &'static str {
        match self {
            TargetProblem::Conflicted { .. } => "Conflicted",
            _ => "TargetNotFound",
        }
    }

    /// Istio's message for it.
    pub fn message(&self, mesh: &Mesh, policy: &Resource, target: &ObjectRef) -> String {
        let (kind, name) = (target.kind_or(""), target.name_value());
        let namespace = &policy.namespace;
        let cause = match self {
            TargetProblem::Conflicted { winner } => {
                return format!(
                    "policy {} matches the same target but with higher priority",
                    mesh.resources[*winner].name.value
                );
            }
            TargetProblem::UnsupportedKind { known: true } => {
                format!("unsupported reference kind: {kind}")
            }
            TargetProblem::UnsupportedKind { known: false } => format!("unsupported kind {kind}"),
            TargetProblem::NotFound => {
                format!("reference {namespace}/{name} (of kind {kind}) not found")
            }
            TargetProblem::NoSuchPort => format!(
                "sectionName {:?} does not exist in Service {namespace}/{name}",
                target
                    .section_name
                    .as_ref()
                    .map_or("", |s| s.value.as_str())
            ),
        };
        format!("targetRefs invalid: {cause}")
    }
}

/// Why the policy's CA certificate cannot be used. Istio then points the TLS setting at an
/// invalid credential, which fails every connection (except for an unknown well-known set).
#[derive(Clone, Debug, PartialEq)]
pub enum CaProblem<'m> {
    /// `wellKnownCACertificates` other than `System`: Istio keeps the system CAs.
    UnknownWellKnown(&'m Field<String>),
    /// The first caCertificateRef is not a core ConfigMap.
    WrongKind {
        reference: &'m ObjectRef,
        known: bool,
    },
    /// The ConfigMap is not in the input, which is the whole mesh.
    NotFound { reference: &'m ObjectRef },
    /// The ConfigMap has neither `ca.crt` nor `cacert` (Istio's `ExtractRoot` takes either).
    NoCaKey {
        reference: &'m ObjectRef,
        store: &'m Resource,
        keys: &'m [String],
    },
}

impl CaProblem<'_> {
    /// (reason, message) of `ResolvedRefs: False`, when Istio sets it.
    pub fn resolved_refs(&self, namespace: &str) -> Option<(&'static str, String)> {
        let error = self.error(namespace);
        match self {
            CaProblem::UnknownWellKnown(_) => None,
            CaProblem::WrongKind { known: true, .. } => Some((
                "InvalidKind",
                format!("Certificate reference invalid: {error}"),
            )),
            CaProblem::WrongKind { known: false, .. } => Some((
                "InvalidKind",
                format!("Certificate reference not supported: {error}"),
            )),
            CaProblem::NotFound { .. } => Some((
                "InvalidCACertificateRef",
                format!("Certificate reference not found: {error}"),
            )),
            CaProblem::NoCaKey { .. } => Some((
                "InvalidCACertificateRef",
                format!("Certificate invalid: {error}"),
            )),
        }
    }

    /// (reason, message) of `Accepted: False`.
    pub fn accepted(&self, namespace: &str) -> (&'static str, String) {
        let error = self.error(namespace);
        match self {
            CaProblem::UnknownWellKnown(_) => ("Invalid", error),
            _ => (
                "NoValidCACertificate",
                format!("Certificate reference invalid: {error}"),
            ),
        }
    }

    /// The error text Istio builds its messages from.
    fn error(&self, namespace: &str) -> String {
        match self {
            CaProblem::UnknownWellKnown(value) => {
                format!("Unknown wellKnownCACertificates: {}", value.value)
            }
            CaProblem::WrongKind {
                reference,
                known: true,
            } => format!("unsupported reference kind: {}", reference.kind_or("")),
            CaProblem::WrongKind {
                reference,
                known: false,
            } => format!("unsupported kind {}", reference.kind_or("")),
            CaProblem::NotFound { reference } => format!(
                "reference {namespace}/{} (of kind {}) not found",
                reference.name_value(),
                reference.kind_or("")
            ),
            CaProblem::NoCaKey { keys, .. } => format!(
                "found secret, but didn't have expected keys cacert or ca.crt; found: {}",
                truncated_keys(keys)
            ),
        }
    }
}

/// Istio's `truncatedKeysMessage`: up to three keys, then how many more.
fn truncated_keys(keys: &[String]) -> String {
    if keys.len() < 3 {
        keys.join(", ")
    } else {
        format!("{}, and {} more...", keys[..3].join(", "), keys.len() - 3)
    }
}

/// One targetRef and what Istio makes of it.
#[derive(Clone, Debug)]
pub struct TargetOutcome<'m> {
    pub target: &'m ObjectRef,
    pub problem: Option<TargetProblem>,
}

/// Everything Istio checks of one BackendTLSPolicy.
#[derive(Clone, Debug)]
pub struct PolicyEvaluation<'m> {
    pub resource: &'m Resource,
    pub policy: &'m BackendTlsPolicy,
    pub ca: Option<CaProblem<'m>>,
    /// caCertificateRefs after the first, which Istio ignores.
    pub ignored_ca_refs: &'m [ObjectRef],
    pub targets: Vec<TargetOutcome<'m>>,
}

/// What Istio makes of the BackendTLSPolicy at resource `index`; `None` for other resources.
pub fn evaluate_policy(mesh: &Mesh, index: usize) -> Option<PolicyEvaluation<'_>> {
    let resource = &mesh.resources[index];
    let Spec::BackendTlsPolicy(policy) = &resource.spec else {
        return None;
    };
    let (ca, ignored_ca_refs) = ca_problem(mesh, resource, policy);
    let targets = policy
        .target_refs()
        .iter()
        .map(|target| TargetOutcome {
            target,
            problem: target_problem(mesh, index, target),
        })
        .collect();
    Some(PolicyEvaluation {
        resource,
        policy,
        ca,
        ignored_ca_refs,
        targets,
    })
}

fn is_known_kind(reference: &ObjectRef) -> bool {
    reference.group_or("").is_empty() && KNOWN_KINDS.contains(&reference.kind_or(""))
}

fn is_service(reference: &ObjectRef) -> bool {
    reference.group_or("").is_empty() && reference.kind_or("") == "Service"
}

/// Istio's `getBackendTLSCredentialName`: a well-known set must be `System`; otherwise only
/// the first caCertificateRef counts, and it must be a local ConfigMap holding a CA.
fn ca_problem<'m>(
    mesh: &'m Mesh,
    resource: &'m Resource,
    policy: &'m BackendTlsPolicy,
) -> (Option<CaProblem<'m>>, &'m [ObjectRef]) {
    let Some(validation) = &policy.validation else {
        return (None, &[]);
    };
    if let Some(well_known) = &validation.value.well_known_ca_certificates {
        let problem =
            (well_known.value != "System").then_some(CaProblem::UnknownWellKnown(well_known));
        return (problem, &[]);
    }
    let Some((reference, ignored)) = validation.value.ca_certificate_refs().split_first() else {
        return (None, &[]);
    };
    let problem = if reference.group_or("").is_empty() && reference.kind_or("") == "ConfigMap" {
        match mesh.gateway_api().key_store(
            ResourceKind::ConfigMap,
            &resource.namespace,
            reference.name_value(),
        ) {
            Some((store, keys))
                if !keys
                    .keys
                    .iter()
                    .any(|key| key == "ca.crt" || key == "cacert") =>
            {
                Some(CaProblem::NoCaKey {
                    reference,
                    store,
                    keys: &keys.keys,
                })
            }
            Some(_) => None,
            // A ConfigMap that is not in the input is assumed to exist with a CA.
            None => mesh
                .settings
                .input_complete
                .then_some(CaProblem::NotFound { reference }),
        }
    } else {
        // Istio reports "not found" instead when a Secret of that name does not exist; the
        // reference is unusable either way.
        Some(CaProblem::WrongKind {
            reference,
            known: is_known_kind(reference),
        })
    };
    (problem, ignored)
}

/// Why a targetRef takes no effect: outranked first (the newest code checks that before
/// anything else), then its kind, then the Service and its port. A Service that is not in
/// the input is assumed to exist, unless the input is the whole mesh.
fn target_problem(mesh: &Mesh, index: usize, target: &ObjectRef) -> Option<TargetProblem> {
    if let Some(winner) = conflict_winner(mesh, index, target) {
        return Some(TargetProblem::Conflicted { winner });
    }
    if !is_service(target) {
        return Some(TargetProblem::UnsupportedKind {
            known: is_known_kind(target),
        });
    }
    let namespace = &mesh.resources[index].namespace;
    let name = target.name_value();
    if !mesh.has_service(namespace, name) {
        return mesh
            .settings
            .input_complete
            .then_some(TargetProblem::NotFound);
    }
    let section = target.section_name.as_ref()?;
    (!section.value.is_empty() && section_port(mesh, namespace, name, &section.value).is_none())
        .then_some(TargetProblem::NoSuchPort)
}

/// The number of the port named `section` of Service `namespace/name` in the input.
fn section_port(mesh: &Mesh, namespace: &str, name: &str, section: &str) -> Option<u32> {
    mesh.declared_ports(name, namespace)
        .into_iter()
        .find_map(|declared| match declared.port {
            PortRef::Service(port)
                if declared.resource.name.value == name
                    && port.value.name.as_ref().is_some_and(|n| n.value == section) =>
            {
                Some(declared.number)
            }
            _ => None,
        })
}

/// The highest-ranking other policy of the namespace with a target equal to `target` (group,
/// kind, name and sectionName as written), when it outranks the policy at `index`.
///
/// Istio ~1.28 applies only the oldest such policy and skips the others silently ("TODO:
/// report status if there are multiple"); the newest code reports `Conflicted` on the
/// losers. We follow the newest. Istio names the first higher-ranking policy it finds, in no
/// defined order; we name the winner.
fn conflict_winner(mesh: &Mesh, index: usize, target: &ObjectRef) -> Option<usize> {
    let resource = &mesh.resources[index];
    let same = |other: &ObjectRef| {
        other.group_or("") == target.group_or("")
            && other.kind_or("") == target.kind_or("")
            && other.name_value() == target.name_value()
            && other.section_name.as_ref().map(|s| &s.value)
                == target.section_name.as_ref().map(|s| &s.value)
    };
    mesh.gateway_api()
        .backend_tls_policies(&resource.namespace, target.name_value())
        .iter()
        .copied()
        .filter(|&other| other != index)
        .filter(|&other| match &mesh.resources[other].spec {
            Spec::BackendTlsPolicy(policy) => policy.target_refs().iter().any(same),
            _ => false,
        })
        .min_by(|&a, &b| mesh.resources[a].oldest_first(&mesh.resources[b]))
        .filter(|&winner| mesh.resources[winner].oldest_first(resource).is_lt())
}

/// The BackendTLSPolicy that originates TLS to one Service port, and where.
#[derive(Clone, Copy, Debug)]
pub struct BackendTls<'m> {
    pub index: usize,
    pub resource: &'m Resource,
    pub policy: &'m BackendTlsPolicy,
    /// The targetRef that selects the port.
    pub target: &'m ObjectRef,
    /// `validation.hostname`: the SNI and the name the backend's certificate must carry.
    pub hostname: Option<&'m Field<String>>,
}

/// The BackendTLSPolicy whose TLS Istio applies to `port` of Service `namespace/service`, for
/// every client (gateways and sidecars alike: Istio turns it into a DestinationRule
/// `<service>~istio-autogenerated-k8s-gateway` with TLS mode SIMPLE). A targetRef with the
/// port's name as `sectionName` beats one for the whole Service; among equals the oldest
/// wins. A `sectionName` counts only when the Service is in the input (it names the port).
pub fn backend_tls_for<'m>(
    mesh: &'m Mesh,
    namespace: &str,
    service: &str,
    port: u32,
) -> Option<BackendTls<'m>> {
    let mut port_level: Option<BackendTls> = None;
    let mut service_wide: Option<BackendTls> = None;
    for &index in mesh.gateway_api().backend_tls_policies(namespace, service) {
        let resource = &mesh.resources[index];
        let Spec::BackendTlsPolicy(policy) = &resource.spec else {
            continue;
        };
        for target in policy.target_refs() {
            if !is_service(target)
                || target.name_value() != service
                || conflict_winner(mesh, index, target).is_some()
            {
                continue;
            }
            let slot = match target.section_name.as_ref().map(|s| s.value.as_str()) {
                None | Some("") => &mut service_wide,
                Some(section) if section_port(mesh, namespace, service, section) == Some(port) => {
                    &mut port_level
                }
                Some(_) => continue,
            };
            if slot.is_none_or(|best| resource.oldest_first(best.resource).is_lt()) {
                *slot = Some(BackendTls {
                    index,
                    resource,
                    policy,
                    target,
                    hostname: policy
                        .validation
                        .as_ref()
                        .and_then(|v| v.value.hostname.as_ref()),
                });
            }
        }
    }
    port_level.or(service_wide)
}

/// The Gateways whose HTTPRoutes or GRPCRoutes send to Service `namespace/name`, as
/// (namespace, name). Like Istio's `AncestorBackend` index this
/// reads the parentRefs and backendRefs as written, accepted or not.
fn gateways_reaching(mesh: &Mesh, namespace: &str, name: &str) -> Vec<(String, String)> {
    let mut gateways: Vec<(String, String)> = Vec::new();
    for route in &mesh.resources {
        let Spec::Route(spec) = &route.spec else {
            continue;
        };
        if !matches!(
            route.kind,
            ResourceKind::HttpRoute | ResourceKind::GrpcRoute
        ) {
            continue;
        }
        let reaches = spec.rules().iter().flat_map(|r| r.backend_refs()).any(|b| {
            b.kind_or("Service") == "Service"
                && b.namespace_or(&route.namespace) == namespace
                && b.name_value() == name
        });
        if !reaches {
            continue;
        }
        for parent in spec.parent_refs() {
            if super::names_gateway(parent) {
                let key = (
                    parent.namespace_or(&route.namespace).to_string(),
                    parent.name_value().to_string(),
                );
                if !gateways.contains(&key) {
                    gateways.push(key);
                }
            }
        }
    }
    gateways
}

/// `status.ancestors` of the BackendTLSPolicy at resource `index`, as Istio ~1.28 writes them:
/// one per targetRef (the Service, for the mesh: controller `istio.io/mesh-controller`, no
/// namespace), then one per Gateway whose routes reach a targeted Service (controller
/// `istio.io/gateway-controller`, no namespace even across namespaces), at most 16.
///
/// Istio's per-target conditions share their values: a target's error stays set for the
/// targets after it and for every Gateway entry, and a CA error for all of them.
pub fn ancestors(mesh: &Mesh, index: usize) -> Vec<ParentStatus> {
    let Some(evaluation) = evaluate_policy(mesh, index) else {
        return Vec::new();
    };
    let namespace = &evaluation.resource.namespace;
    let mut accepted_message = VALID.to_string();
    if !evaluation.ignored_ca_refs.is_empty() {
        accepted_message.push_str("; warning: only the first caCertificateRefs will be used");
    }
    let mut accepted = Condition::new("Accepted", true, "Accepted", accepted_message);
    let mut resolved = Condition::new("ResolvedRefs", true, "ResolvedRefs", VALID);
    if let Some(problem) = &evaluation.ca {
        if let Some((reason, message)) = problem.resolved_refs(namespace) {
            resolved = Condition::new("ResolvedRefs", false, reason, message);
        }
        let (reason, message) = problem.accepted(namespace);
        accepted = Condition::new("Accepted", false, reason, message);
    }
    let mut out = Vec::new();
    let mut gateways: Vec<(String, String)> = Vec::new();
    for outcome in &evaluation.targets {
        let target = outcome.target;
        if let Some(problem) = &outcome.problem {
            accepted = Condition::new(
                "Accepted",
                false,
                problem.reason(),
                problem.message(mesh, evaluation.resource, target),
            );
        }
        if matches!(
            outcome.problem,
            None | Some(TargetProblem::Conflicted { .. })
        ) {
            for gateway in gateways_reaching(mesh, namespace, target.name_value()) {
                if !gateways.contains(&gateway) {
                    gateways.push(gateway);
                }
            }
        }
        out.push(ParentStatus {
            parent_ref: target_reference(target),
            controller_name: MESH_CONTROLLER.to_string(),
            conditions: vec![accepted.clone(), resolved.clone()],
        });
    }
    crate::order::sort_by_key(&mut gateways, |(ns, name)| format!("{ns}/{name}"));
    out.extend(gateways.into_iter().map(|(_, name)| ParentStatus {
        parent_ref: ParentReference {
            group: GROUP.to_string(),
            kind: "Gateway".to_string(),
            namespace: None,
            name,
            section_name: None,
            port: None,
        },
        controller_name: ISTIO_CONTROLLER.to_string(),
        conditions: vec![accepted.clone(), resolved.clone()],
    }));
    out.truncate(MAX_ANCESTORS);
    out
}

fn target_reference(target: &ObjectRef) -> ParentReference {
    ParentReference {
        group: target.group_or("").to_string(),
        kind: target.kind_or("").to_string(),
        namespace: None,
        name: target.name_value().to_string(),
        section_name: target.section_name.as_ref().map(|s| s.value.clone()),
        port: None,
    }
}

#[cfg(test)]
mod tests;
