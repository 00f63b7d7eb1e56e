//! `backend-tls-policy-invalid`: a BackendTLSPolicy that Istio marks `Accepted: False` or
//! `ResolvedRefs: False` — a target that is not a Service of its namespace, a `sectionName`
//! that names no port, an unusable CA certificate, or a target another policy already holds.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::gateway_api::ObjectRef;
use crate::model::{Resource, ResourceKind, Spec};
use crate::resolve::gateway_api::{
    CaProblem, PolicyEvaluation, TargetProblem, evaluate_policy, group_kind_text,
};
use crate::resolve::{Mesh, PortRef};

pub static CHECK: Check = Check {
    id: "backend-tls-policy-invalid",
    summary: "A BackendTLSPolicy that Istio does not accept: bad target, sectionName or CA certificate, or a target another policy holds.",
    istio_code: None,
    docs: r#"
## What it does
Predicts the conditions Istio's Gateway API controller writes on each BackendTLSPolicy and
reports every one that is not `True`:

- a `targetRefs` entry that is not a core `Service` (`Accepted: False`, `TargetNotFound`);
- a targeted Service that is not in the input, when the input is the whole mesh
  (`--complete`); without it the Service is assumed to exist, and only a Service of the same
  name in another namespace is pointed out (a policy applies only to Services of its own
  namespace);
- a `sectionName` that names no port of the Service (`TargetNotFound`);
- a target (group, kind, name and sectionName) that an older policy already holds: the oldest
  wins, then the namespace, then the name (`Conflicted`; Istio 1.28 skips the loser silently,
  newer Istio reports it);
- `wellKnownCACertificates` other than `System` (`Accepted: False`, `Invalid`);
- a first `caCertificateRefs` entry that is not a ConfigMap (`ResolvedRefs: False`,
  `InvalidKind`), a ConfigMap without a `ca.crt` (or `cacert`) key, or, with `--complete`,
  one that is not in the input (`InvalidCACertificateRef`); and, as info, further
  `caCertificateRefs` entries, which Istio ignores.

## Why is this bad?
A target Istio cannot resolve gets no TLS origination: the gateway sends plaintext to a
backend that expects TLS, and the connection is reset. Of two policies for the same target
only the oldest takes effect, so edits to the other change nothing. A CA reference Istio
cannot read makes it point the TLS settings at an invalid certificate, so every connection to
the backend fails certificate validation and requests fail with 503.

## Fix
Target the Service by its name, in the policy's own namespace, with `group: ""` and
`kind: Service`; use a `sectionName` that is one of the Service's port names. Merge policies
that target the same Service port, or delete the one that loses. Put the CA certificate in a
ConfigMap of the policy's namespace under the key `ca.crt`, reference only that one, or use
`wellKnownCACertificates: System`.

## Fix safety
No fix is offered: the right target, port or CA bundle is the user's to choose.
"#,
    bad_example: r#"apiVersion: v1
kind: Service
metadata:
  name: auth
spec:
  ports:
  - name: https
    port: 443
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: auth-tls
spec:
  targetRefs:
  - group: ""
    kind: Service
    name: auth
    sectionName: tls
  validation:
    hostname: auth.example.com
    wellKnownCACertificates: System
"#,
    good_example: r#"apiVersion: v1
kind: Service
metadata:
  name: auth
spec:
  ports:
  - name: https
    port: 443
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: auth-tls
spec:
  targetRefs:
  - group: ""
    kind: Service
    name: auth
    sectionName: https
  validation:
    hostname: auth.example.com
    wellKnownCACertificates: System
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (index, resource) in mesh.resources.iter().enumerate() {
        if resource.kind != ResourceKind::BackendTlsPolicy {
            continue;
        }
        let Some(evaluation) = evaluate_policy(mesh, index) else {
            continue;
        };
        let report = Report { mesh, evaluation };
        report.ca(out);
        report.targets(out);
    }
}

struct Report<'m> {
    mesh: &'m Mesh,
    evaluation: PolicyEvaluation<'m>,
}

impl Report<'_> {
    fn policy(&self) -> &Resource {
        self.evaluation.resource
    }

    fn diagnostic(
        &self,
        severity: Severity,
        span: crate::source::Span,
        message: String,
    ) -> Diagnostic {
        Diagnostic::new(CHECK.id, severity, span, message).resource(self.policy().reference())
    }

    fn ca(&self, out: &mut Vec<Diagnostic>) {
        let policy = self.policy();
        let label = policy.label();
        let namespace = &policy.namespace;
        for ignored in self.evaluation.ignored_ca_refs {
            out.push(self.diagnostic(
                Severity::Info,
                ignored.name_span(),
                format!(
                    "{label} lists several caCertificateRefs, but Istio uses only the first: \
                     `{}` is ignored, and a backend whose certificate only it signs fails \
                     validation",
                    ignored.name_value()
                ),
            ));
        }
        let Some(problem) = &self.evaluation.ca else {
            return;
        };
        let fails = "Istio points the TLS settings at an invalid certificate, so every \
                     connection to the backend fails and requests get 503";
        let diagnostic = match problem {
            CaProblem::UnknownWellKnown(value) => self
                .diagnostic(
                    Severity::Warning,
                    value.span,
                    format!(
                        "{label} sets `wellKnownCACertificates: {}`, which Istio does not know \
                         (only `System`): the policy is `Accepted: False` (`Invalid`); Istio 1.28 \
                         validates the backend with the system CAs, newer versions fail the \
                         connections",
                        value.value
                    ),
                )
                .condition("Accepted", "Invalid"),
            CaProblem::WrongKind { reference, .. } => self
                .diagnostic(
                    Severity::Error,
                    reference.kind.as_ref().map_or(reference.span, |k| k.span),
                    format!(
                        "{label} takes its CA certificate from {} `{}`, but Istio reads CA \
                         certificates only from a ConfigMap of the policy's namespace: \
                         `ResolvedRefs: False` (`InvalidKind`), and {fails}",
                        group_kind_text(reference.group_or(""), reference.kind_or("")),
                        reference.name_value()
                    ),
                )
                .condition("ResolvedRefs", "InvalidKind"),
            CaProblem::NotFound { reference } => self
                .diagnostic(
                    self.mesh.missing_reference_severity(),
                    reference.name_span(),
                    format!(
                        "{label} takes its CA certificate from ConfigMap {namespace}/{}, which is \
                         not in the input (the whole mesh): `ResolvedRefs: False` \
                         (`InvalidCACertificateRef`), and {fails}",
                        reference.name_value()
                    ),
                )
                .condition("ResolvedRefs", "InvalidCACertificateRef"),
            CaProblem::NoCaKey {
                reference,
                store,
                keys,
            } => {
                let found = if keys.is_empty() {
                    "no keys".to_string()
                } else {
                    format!("the keys {}", keys.join(", "))
                };
                self.diagnostic(
                    Severity::Error,
                    reference.name_span(),
                    format!(
                        "{label} takes its CA certificate from {}, which has no `ca.crt` key: \
                         `ResolvedRefs: False` (`InvalidCACertificateRef`), and {fails}",
                        store.label()
                    ),
                )
                .related(store.name.span, format!("{} has {found}", store.label()))
                .condition("ResolvedRefs", "InvalidCACertificateRef")
            }
        };
        out.push(diagnostic);
    }

    fn targets(&self, out: &mut Vec<Diagnostic>) {
        for outcome in &self.evaluation.targets {
            let target = outcome.target;
            let diagnostic = match &outcome.problem {
                Some(problem) => self.target_problem(target, problem),
                None => self.namesake(target),
            };
            out.extend(diagnostic);
        }
    }

    fn target_problem(&self, target: &ObjectRef, problem: &TargetProblem) -> Option<Diagnostic> {
        let policy = self.policy();
        let label = policy.label();
        let (namespace, name) = (&policy.namespace, target.name_value());
        let status = format!(
            "`Accepted: False` (`{}`: {})",
            problem.reason(),
            problem.message(self.mesh, policy, target)
        );
        let diagnostic = match problem {
            TargetProblem::Conflicted { winner } => {
                let winner = &self.mesh.resources[*winner];
                let why = if winner.created.is_some() && policy.created.is_some() {
                    "which is older".to_string()
                } else {
                    "which ranks first by namespace and name (the input has no creation \
                     times; in a cluster the older policy wins)"
                        .to_string()
                };
                let mut diagnostic = self
                    .diagnostic(
                        Severity::Warning,
                        target.name_span(),
                        format!(
                            "{label} targets Service {namespace}/{name}{}, as {} does, {why}: \
                             Istio applies only that policy's TLS settings there; this one is \
                             {status} (Istio 1.28 skips it without a status)",
                            section_text(target),
                            winner.label()
                        ),
                    )
                    .condition("Accepted", "Conflicted");
                if let Some(span) = same_target_span(winner, target) {
                    diagnostic =
                        diagnostic.related(span, format!("{} holds this target", winner.label()));
                }
                diagnostic
            }
            TargetProblem::UnsupportedKind { .. } => self
                .diagnostic(
                    Severity::Warning,
                    target.kind.as_ref().map_or(target.span, |k| k.span),
                    format!(
                        "{label} targets {} `{name}`, but Istio applies BackendTLSPolicy only \
                         to core Services (`group: \"\"`, `kind: Service`): {status}, and no TLS \
                         is originated to it",
                        group_kind_text(target.group_or(""), target.kind_or(""))
                    ),
                )
                .condition("Accepted", "TargetNotFound"),
            TargetProblem::NotFound => {
                let mut diagnostic = self
                    .diagnostic(
                        self.mesh.missing_reference_severity(),
                        target.name_span(),
                        format!(
                            "{label} targets Service {namespace}/{name}, which is not in the \
                             input (the whole mesh): {status}, and no TLS is originated to \
                             it{}",
                            namesake_hint(&namesakes(self.mesh, namespace, name))
                        ),
                    )
                    .condition("Accepted", "TargetNotFound");
                for other in namesakes(self.mesh, namespace, name) {
                    diagnostic =
                        diagnostic.related(other.name.span, format!("{} exists", other.label()));
                }
                diagnostic
            }
            TargetProblem::NoSuchPort => {
                let ports = service_port_names(self.mesh, namespace, name);
                let section = target.section_name.as_ref()?;
                let mut diagnostic = self
                    .diagnostic(
                        Severity::Warning,
                        section.span,
                        format!(
                            "{label} targets port `{}` of Service {namespace}/{name}, which has no \
                             port of that name ({}): {status}, and no TLS is originated for it",
                            section.value,
                            if ports.is_empty() {
                                "it names none of its ports".to_string()
                            } else {
                                format!("its ports are named {}", ports.join(", "))
                            }
                        ),
                    )
                    .condition("Accepted", "TargetNotFound");
                if let Some(service) = service_resource(self.mesh, namespace, name) {
                    diagnostic = diagnostic.related(
                        service.name.span,
                        format!("{} declares its ports", service.label()),
                    );
                }
                diagnostic
            }
        };
        Some(diagnostic)
    }

    /// A Service target that is not in the input, while a Service of that name is in another
    /// namespace: the policy is likely in the wrong namespace (targetRefs have none).
    fn namesake(&self, target: &ObjectRef) -> Option<Diagnostic> {
        let policy = self.policy();
        let (namespace, name) = (&policy.namespace, target.name_value());
        if target.kind_or("") != "Service" || self.mesh.has_service(namespace, name) {
            return None;
        }
        let others = namesakes(self.mesh, namespace, name);
        let first = others.first()?;
        let mut diagnostic = self.diagnostic(
            Severity::Info,
            target.name_span(),
            format!(
                "{} targets Service {namespace}/{name}, which is not in the input{}",
                policy.label(),
                namesake_hint(&others)
            ),
        );
        diagnostic = diagnostic.related(first.name.span, format!("{} exists", first.label()));
        Some(diagnostic)
    }
}

/// ` port `https`` for a target with a sectionName.
fn section_text(target: &ObjectRef) -> String {
    target
        .section_name
        .as_ref()
        .map_or(String::new(), |s| format!(" port `{}`", s.value))
}

/// Services named `name` in namespaces other than `namespace`.
fn namesakes<'m>(mesh: &'m Mesh, namespace: &str, name: &str) -> Vec<&'m Resource> {
    mesh.resources
        .iter()
        .filter(|r| {
            matches!(r.spec, Spec::Service(_)) && r.name.value == name && r.namespace != namespace
        })
        .collect()
}

fn namesake_hint(others: &[&Resource]) -> String {
    match others.first() {
        Some(other) => format!(
            "; {} is, but a BackendTLSPolicy applies only to Services of its own namespace \
             (targetRefs have no namespace): create the policy in namespace {} if it is meant \
             for that one",
            other.label(),
            other.namespace
        ),
        None => String::new(),
    }
}

/// The Service `namespace/name` of the input.
fn service_resource<'m>(mesh: &'m Mesh, namespace: &str, name: &str) -> Option<&'m Resource> {
    mesh.resources.iter().find(|r| {
        matches!(r.spec, Spec::Service(_)) && r.namespace == namespace && r.name.value == name
    })
}

/// The port names of Service `namespace/name`, in order.
fn service_port_names(mesh: &Mesh, namespace: &str, name: &str) -> Vec<String> {
    mesh.declared_ports(name, namespace)
        .into_iter()
        .filter_map(|declared| match declared.port {
            PortRef::Service(port) if declared.resource.name.value == name => {
                Some(format!("`{}`", port.value.name.as_ref()?.value))
            }
            _ => None,
        })
        .collect()
}

/// Where `policy` names the same target as `target`.
fn same_target_span(policy: &Resource, target: &ObjectRef) -> Option<crate::source::Span> {
    let Spec::BackendTlsPolicy(spec) = &policy.spec else {
        return None;
    };
    spec.target_refs()
        .iter()
        .find(|other| {
            other.name_value() == target.name_value()
                && other.kind_or("") == target.kind_or("")
                && other.section_name.as_ref().map(|s| &s.value)
                    == target.section_name.as_ref().map(|s| &s.value)
        })
        .map(ObjectRef::name_span)
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{check, check_with};
    use crate::settings::MeshSettings;

    fn complete() -> MeshSettings {
        MeshSettings {
            input_complete: true,
            ..MeshSettings::default()
        }
    }

    const SERVICE: &str = "apiVersion: v1
kind: Service
metadata: {name: auth, namespace: apps}
spec:
  ports:
  - {name: https, port: 443}
  - {name: http, port: 80}
---
";

    #[test]
    fn flags_bad_targets() {
        check(
            "backend-tls-policy-invalid",
            &format!(
                r#"{SERVICE}apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: auth-tls, namespace: apps}}
spec:
  targetRefs:
  - group: ""
    kind: Service
    name: auth
    sectionName: grpc
#                ^^^^ warning: BackendTLSPolicy apps/auth-tls targets port `grpc` of Service apps/auth, which has no port of that name (its ports are named `https`, `http`): `Accepted: False` (`TargetNotFound`: targetRefs invalid: sectionName "grpc" does not exist in Service apps/auth)
  - group: networking.istio.io
    kind: ServiceEntry
#         ^^^^^^^^^^^^ warning: targets networking.istio.io/ServiceEntry `auth`, but Istio applies BackendTLSPolicy only to core Services
    name: auth
  - group: ""
    kind: Service
    name: elsewhere
  validation:
    hostname: auth.example.com
    wellKnownCACertificates: System
"#
            ),
        );
    }

    #[test]
    fn a_missing_service_counts_only_in_a_complete_input_or_beside_a_namesake() {
        let text = format!(
            r#"{SERVICE}apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: auth-tls}}
spec:
  targetRefs:
  - {{group: "", kind: Service, name: auth}}
#                                    ^^^^ {{severity}}: targets Service default/auth, which is not in the input{{rest}}
  - {{group: "", kind: Service, name: billing}}
{{billing}}  validation: {{hostname: auth.example.com, wellKnownCACertificates: System}}
"#
        );
        check(
            "backend-tls-policy-invalid",
            &text
                .replace("{severity}", "info")
                .replace("{rest}", "; Service apps/auth is, but a BackendTLSPolicy applies only to Services of its own namespace")
                .replace("{billing}", ""),
        );
        check_with(
            complete(),
            "backend-tls-policy-invalid",
            &text
                .replace("{severity}", "warning")
                .replace("{rest}", " (the whole mesh): `Accepted: False` (`TargetNotFound`: targetRefs invalid: reference default/auth (of kind Service) not found), and no TLS is originated to it; Service apps/auth is, but")
                .replace("{billing}", "#                                    ^^^^^^^ warning: targets Service default/billing, which is not in the input (the whole mesh)\n"),
        );
    }

    #[test]
    fn flags_ca_certificate_problems() {
        check(
            "backend-tls-policy-invalid",
            &format!(
                r#"{SERVICE}apiVersion: v1
kind: ConfigMap
metadata: {{name: bundle, namespace: apps}}
data: {{root.pem: x}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: one, namespace: apps}}
spec:
  targetRefs: [{{group: "", kind: Service, name: auth, sectionName: https}}]
  validation:
    hostname: auth.example.com
    caCertificateRefs:
    - {{group: "", kind: ConfigMap, name: bundle}}
#                                        ^^^^^^ error: BackendTLSPolicy apps/one takes its CA certificate from ConfigMap apps/bundle, which has no `ca.crt` key: `ResolvedRefs: False` (`InvalidCACertificateRef`), and Istio points the TLS settings at an invalid certificate
    - {{group: "", kind: ConfigMap, name: second}}
#                                        ^^^^^^ info: `second` is ignored
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: two, namespace: apps}}
spec:
  targetRefs: [{{group: "", kind: Service, name: auth, sectionName: http}}]
  validation:
    hostname: auth.example.com
    caCertificateRefs: [{{group: "", kind: Secret, name: bundle}}]
#                                         ^^^^^^ error: takes its CA certificate from Secret `bundle`, but Istio reads CA certificates only from a ConfigMap
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: three, namespace: apps}}
spec:
  targetRefs: [{{group: "", kind: Service, name: auth}}]
  validation:
    hostname: auth.example.com
    wellKnownCACertificates: example.com/roots
#                            ^^^^^^^^^^^^^^^^^ warning: sets `wellKnownCACertificates: example.com/roots`, which Istio does not know
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: four, namespace: apps}}
spec:
  targetRefs: [{{group: "", kind: Service, name: auth, sectionName: grpc-never}}]
#                                                                  ^^^^^^^^^^ warning: targets port `grpc-never`
  validation:
    hostname: auth.example.com
    caCertificateRefs: [{{group: "", kind: ConfigMap, name: not-here}}]
"#
            ),
        );
    }

    #[test]
    fn a_missing_config_map_counts_only_in_a_complete_input() {
        check_with(
            complete(),
            "backend-tls-policy-invalid",
            &format!(
                r#"{SERVICE}apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: one, namespace: apps}}
spec:
  targetRefs: [{{group: "", kind: Service, name: auth}}]
  validation:
    hostname: auth.example.com
    caCertificateRefs: [{{group: "", kind: ConfigMap, name: not-here}}]
#                                                          ^^^^^^^^ warning: takes its CA certificate from ConfigMap apps/not-here, which is not in the input (the whole mesh)
"#
            ),
        );
    }

    #[test]
    fn the_younger_of_two_policies_for_a_target_is_conflicted() {
        check(
            "backend-tls-policy-invalid",
            &format!(
                r#"{SERVICE}apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: young
  namespace: apps
  creationTimestamp: "2025-03-01T10:00:00Z"
spec:
  targetRefs: [{{group: "", kind: Service, name: auth}}]
#                                               ^^^^ warning: BackendTLSPolicy apps/young targets Service apps/auth, as BackendTLSPolicy apps/old does, which is older: Istio applies only that policy's TLS settings there; this one is `Accepted: False` (`Conflicted`: policy old matches the same target but with higher priority)
  validation: {{hostname: auth.example.com, wellKnownCACertificates: System}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: old
  namespace: apps
  creationTimestamp: "2024-03-01T10:00:00Z"
spec:
  targetRefs:
  - {{group: "", kind: Service, name: auth}}
  - {{group: "", kind: Service, name: auth, sectionName: https}}
  validation: {{hostname: auth.example.com, wellKnownCACertificates: System}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: b, namespace: apps}}
spec:
  targetRefs: [{{group: "", kind: Service, name: auth, sectionName: http}}]
#                                               ^^^^ warning: as BackendTLSPolicy apps/a does, which ranks first by namespace and name (the input has no creation times
  validation: {{hostname: auth.example.com, wellKnownCACertificates: System}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: a, namespace: apps}}
spec:
  targetRefs: [{{group: "", kind: Service, name: auth, sectionName: http}}]
  validation: {{hostname: auth.example.com, wellKnownCACertificates: System}}
"#
            ),
        );
    }
}
