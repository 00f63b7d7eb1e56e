//! `listener-certificate-invalid`: a terminating listener's certificateRef is not a usable TLS
//! Secret, so Istio does not serve it.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::respell_group_kind;
use crate::model::ResourceKind;
use crate::model::gateway_api::ListenerTlsMode;
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{
    CertificateProblem, istio_listener_holders, listeners_of, usable_certificates,
};

pub static CHECK: Check = Check {
    id: "listener-certificate-invalid",
    summary: "A listener's certificateRef is not a TLS Secret Istio can serve.",
    istio_code: None,
    docs: r#"
## What it does
Checks the `tls.certificateRefs` of each terminating listener of a Gateway (of an Istio
GatewayClass) or of a ListenerSet its Gateway takes, in the order Istio's controller does:
more than two references; a reference whose group and kind are not a core `Secret`; a Secret
that is not in the input; a Secret without the keys Istio reads (`tls.crt` and `tls.key`, or
`cert` and `key`). It reports what the listener's `ResolvedRefs` condition would say
(`InvalidCertificateRef`). References across namespaces without a ReferenceGrant are
`reference-not-permitted`'s.

A Secret that is nowhere in the input is reported as info, since the input may be partial;
with "input is complete" it is a warning. A bad reference is an error when the listener has no
other certificate Istio can serve, and a warning when it has one.

## Why is this bad?
Istio skips a certificate it cannot use. A listener left without any is not programmed
(`Programmed=False`, `Bad TLS configuration`): TLS handshakes on it fail and no route answers
there.

## Fix
Refer to a Secret of type `kubernetes.io/tls` (with `tls.crt` and `tls.key`) in the
Gateway's namespace, with at most two certificateRefs (one RSA and one ECDSA certificate).

## Fix safety
Safe when the reference misses `Secret` only by letter case (`kind: secret`) or by spelling
the core group `core`, and the Secret it then names is in the input and usable. No fix
otherwise.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs:
      - kind: ConfigMap
        name: shop-cert
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs:
      - kind: Secret
        name: shop-cert
---
apiVersion: v1
kind: Secret
metadata:
  name: shop-cert
type: kubernetes.io/tls
data:
  tls.crt: LS0tLS1CRUdJTg==
  tls.key: LS0tLS1CRUdJTg==
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for holder in istio_listener_holders(mesh) {
        for listener in listeners_of(holder) {
            if listener.tls_mode() != Some(ListenerTlsMode::Terminate) {
                continue;
            }
            let refs = listener
                .tls
                .as_ref()
                .map_or(&[][..], |t| t.value.certificate_refs());
            let place = format!("{} listener `{}`", holder.label(), listener.name_value());
            const FAILS: &str = "the listener is not programmed and TLS handshakes on it fail";
            if let Some(third) = refs.get(2) {
                out.push(
                    Diagnostic::new(
                        CHECK.id,
                        Severity::Error,
                        third.name_span(),
                        format!(
                            "{place} has {} certificateRefs: Istio sets the listener's \
                             `ResolvedRefs` to False (`InvalidCertificateRef`: \"TLS mode can \
                             only support up to 2 server certificates\"), and {FAILS}",
                            refs.len()
                        ),
                    )
                    .related(
                        listener.name_span(),
                        format!("the listener `{}`", listener.name_value()),
                    )
                    .condition("ResolvedRefs", "InvalidCertificateRef")
                    .resource(holder.reference()),
                );
                continue;
            }
            let served = usable_certificates(mesh, holder, listener) > 0;
            for reference in refs {
                let problem = match mesh.gateway_api_certificate(holder, reference) {
                    Ok(()) | Err(CertificateProblem::NotPermitted(_)) => continue,
                    Err(problem) => problem,
                };
                let namespace = reference.namespace_or(&holder.namespace);
                let secret = match problem {
                    CertificateProblem::InvalidKind => None,
                    _ => mesh.gateway_api().key_store(
                        ResourceKind::Secret,
                        namespace,
                        reference.name_value(),
                    ),
                };
                let (severity, what) = match (&problem, served) {
                    (CertificateProblem::NotInInput, _) => (
                        mesh.missing_reference_severity(),
                        "which is not in the input: unless the cluster has it,",
                    ),
                    (CertificateProblem::InvalidKind, _) if served => {
                        (Severity::Warning, "which is not a Secret:")
                    }
                    (CertificateProblem::InvalidKind, _) => {
                        (Severity::Error, "which is not a Secret:")
                    }
                    (_, true) => (Severity::Warning, "which holds no TLS certificate:"),
                    _ => (Severity::Error, "which holds no TLS certificate:"),
                };
                let consequence = if served {
                    "Istio does not serve this certificate"
                } else {
                    FAILS
                };
                let secret_type = secret
                    .and_then(|(_, s)| s.type_.as_ref())
                    .map(|t| format!(" (type `{}`)", t.value))
                    .unwrap_or_default();
                let mut diagnostic = Diagnostic::new(
                    CHECK.id,
                    severity,
                    reference.name_span(),
                    format!(
                        "{place} uses `{}` {namespace}/{}{secret_type}, {what} Istio sets the \
                         listener's `ResolvedRefs` to False (`InvalidCertificateRef`: \"{}\"), \
                         and {consequence}",
                        reference.kind_or("Secret"),
                        reference.name_value(),
                        problem.message(&holder.namespace, reference),
                    ),
                )
                .related(
                    listener.name_span(),
                    format!("the listener `{}`", listener.name_value()),
                )
                .condition("ResolvedRefs", "InvalidCertificateRef")
                .resource(holder.reference());
                if let Some((secret, _)) = secret {
                    diagnostic = diagnostic.related(secret.name.span, "the Secret");
                }
                if let Some((respelled, edits)) =
                    respell_group_kind(&mesh.sources, reference, ("", "Secret"), &[("", "Secret")])
                    && mesh.gateway_api_certificate(holder, &respelled).is_ok()
                {
                    diagnostic = diagnostic.fix(Fix::safe("Refer to a `Secret`", edits));
                }
                out.push(diagnostic);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check, check_with};
    use crate::settings::MeshSettings;

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: public}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: https\n    port: 443\n    protocol: HTTPS\n    tls:\n      certificateRefs:\n";
    const SECRETS: &str = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: good}\ntype: kubernetes.io/tls\ndata: {tls.crt: eA==, tls.key: eA==}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: login}\ntype: kubernetes.io/basic-auth\nstringData: {username: a, password: b}\n";

    #[test]
    fn flags_references_istio_cannot_serve() {
        check(
            "listener-certificate-invalid",
            &format!(
                "{GATEWAY}      - {{kind: ConfigMap, name: good}}\n#                               ^^^^ error: Gateway default/public listener `https` uses `ConfigMap` default/good, which is not a Secret: Istio sets the listener's `ResolvedRefs` to False (`InvalidCertificateRef`: \"invalid certificate reference /ConfigMap/good., only secret is allowed\"), and the listener is not programmed and TLS handshakes on it fail\n      - name: login\n#             ^^^^^ error: uses `Secret` default/login (type `kubernetes.io/basic-auth`), which holds no TLS certificate: Istio sets the listener's `ResolvedRefs` to False (`InvalidCertificateRef`: \"invalid certificate reference //login., found secret, but didn't have expected keys (cert and key) or (tls.crt and tls.key); found: password, username\")\n{SECRETS}"
            ),
        );
    }

    #[test]
    fn a_bad_reference_beside_a_good_one_is_a_warning() {
        check(
            "listener-certificate-invalid",
            &format!(
                "{GATEWAY}      - name: good\n      - name: login\n#             ^^^^^ warning: Istio does not serve this certificate\n{SECRETS}"
            ),
        );
    }

    #[test]
    fn secrets_not_in_the_input_are_infos_unless_it_is_complete() {
        let fixture = |severity: &str| {
            format!(
                "{GATEWAY}      - name: elsewhere\n#             ^^^^^^^^^ {severity}: \"invalid certificate reference //elsewhere., secret default/elsewhere not found\"\n"
            )
        };
        check("listener-certificate-invalid", &fixture("info"));
        let complete = MeshSettings {
            input_complete: true,
            ..MeshSettings::default()
        };
        check_with(
            complete,
            "listener-certificate-invalid",
            &fixture("warning"),
        );
    }

    #[test]
    fn more_than_two_references_fail_the_listener() {
        check(
            "listener-certificate-invalid",
            &format!(
                "{GATEWAY}      - name: good\n      - name: good\n      - name: good\n#             ^^^^ error: has 3 certificateRefs: Istio sets the listener's `ResolvedRefs` to False (`InvalidCertificateRef`: \"TLS mode can only support up to 2 server certificates\")\n{SECRETS}"
            ),
        );
    }

    #[test]
    fn passthrough_listeners_foreign_gateways_and_good_secrets_are_not_flagged() {
        check(
            "listener-certificate-invalid",
            &format!(
                "{GATEWAY}      - name: good\n      - {{group: \"\", kind: Secret, name: good}}\n{SECRETS}"
            ),
        );
        check(
            "listener-certificate-invalid",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: tls\n    port: 443\n    protocol: TLS\n    tls: {mode: Passthrough}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: theirs}\nspec:\n  gatewayClassName: someone-else\n  listeners:\n  - name: https\n    port: 443\n    protocol: HTTPS\n    tls: {certificateRefs: [{kind: ConfigMap, name: x}]}\n",
        );
    }

    #[test]
    fn fix_respells_the_kind_of_a_secret_in_the_input() {
        let before = format!("{GATEWAY}      - kind: secret\n        name: good\n{SECRETS}");
        let after = before.replace("kind: secret", "kind: Secret");
        assert_fix("listener-certificate-invalid", 0, &before, &after);
    }
}
