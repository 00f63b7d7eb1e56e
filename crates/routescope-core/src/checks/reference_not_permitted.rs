//! `reference-not-permitted`: a route's backendRef or a listener's certificateRef reaches into
//! another namespace without a ReferenceGrant there that allows it.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::append_document;
use crate::model::Resource;
use crate::model::gateway_api::{ListenerTlsMode, ObjectRef};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{
    BackendProblem, CertificateProblem, ReferenceGrantNeed, backend_with_grant,
    certificate_grant_need, istio_listener_holders, istio_routes, listeners_of,
    usable_certificates,
};

pub static CHECK: Check = Check {
    id: "reference-not-permitted",
    summary: "A backendRef or certificateRef reaches into another namespace without a ReferenceGrant that allows it.",
    istio_code: None,
    docs: r#"
## What it does
Finds the references that cross a namespace and need a ReferenceGrant in the namespace they
point to: a route's `backendRefs` (when the route has a Gateway parent; Istio enforces no
grant for mesh routes, whose parent is a Service) and a Gateway's or ListenerSet's listener
`certificateRefs`. Reports those that no ReferenceGrant of the input allows, as Istio's
`ResolvedRefs` condition would (`RefNotPermitted`), and says which part of a ReferenceGrant
that seems meant for them does not match: its `from` group, kind or namespace, its `to`
group, kind or name, or the namespace it lives in.

Istio matches a backendRef's grant against `to: {group: "", kind: Service}` whatever the
backend's kind, so a grant `to: ServiceImport` does not let a route reach a ServiceImport.

## Why is this bad?
A backend that is not permitted gets no destination: the data plane answers 500 to the
requests routed to it (TCP and TLS connections are reset). A certificate that is not
permitted is not served; a listener left without a certificate is not programmed and TLS
handshakes on it fail.

## Fix
Add a ReferenceGrant in the target's namespace, from the route's (or Gateway's) kind and
namespace, to the Service (or Secret) by name; or move the reference into its own namespace.

## Fix safety
The fix appends the ReferenceGrant as a new document at the end of the file of the
referencing resource. It is unsafe: it opens the target namespace to the referencing one,
a decision for the target namespace's owners. It is not offered for a backendRef that would
still fail once permitted (a kind Istio does not route to, no port).
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: store
  namespace: frontend
spec:
  parentRefs:
  - name: public
    namespace: infra
  rules:
  - backendRefs:
    - name: store
      namespace: backend
      port: 8080
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: store
  namespace: frontend
spec:
  parentRefs:
  - name: public
    namespace: infra
  rules:
  - backendRefs:
    - name: store
      namespace: backend
      port: 8080
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: allow-frontend-httproute
  namespace: backend
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: frontend
  to:
  - group: ""
    kind: Service
    name: store
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (_, route, spec) in istio_routes(mesh) {
        for backend in spec.backend_refs() {
            let Err(problem) = mesh.gateway_api_backend(route, backend) else {
                continue;
            };
            let BackendProblem::NotPermitted(need) = &problem else {
                continue;
            };
            let message = format!(
                "{} sends to Service {}/{} in another namespace, and no ReferenceGrant there \
                 allows it: Istio sets `ResolvedRefs` to False (`RefNotPermitted`: \"{}\"), \
                 and {}",
                route.label(),
                need.to_namespace,
                need.to_name,
                problem.message(route, backend),
                problem.outcome(route)
            );
            // Adding the grant must not uncover an error (a bad kind, no port).
            let permitted_resolves = matches!(
                backend_with_grant(mesh, route, backend),
                Ok(_) | Err(BackendProblem::NotInInput { .. })
            );
            out.push(diagnose(
                mesh,
                route,
                backend,
                need,
                message,
                permitted_resolves,
            ));
        }
    }
    for holder in istio_listener_holders(mesh) {
        for listener in listeners_of(holder) {
            if listener.tls_mode() != Some(ListenerTlsMode::Terminate) {
                continue;
            }
            let refs = listener
                .tls
                .as_ref()
                .map_or(&[][..], |t| t.value.certificate_refs());
            for reference in refs {
                let Some(need) = certificate_grant_need(holder, reference) else {
                    continue;
                };
                if need.is_granted(&mesh.gateway_api()) {
                    continue;
                }
                let consequence = if usable_certificates(mesh, holder, listener) > 0 {
                    "Istio does not serve this certificate"
                } else {
                    "the listener is not programmed and TLS handshakes on it fail"
                };
                let problem = CertificateProblem::NotPermitted(Box::new(need.clone()));
                let message = format!(
                    "{} listener `{}` uses Secret {}/{} in another namespace, and no \
                     ReferenceGrant there allows it: Istio sets the listener's `ResolvedRefs` \
                     to False (`RefNotPermitted`: \"{}\"), and {consequence}",
                    holder.label(),
                    listener.name_value(),
                    need.to_namespace,
                    need.to_name,
                    problem.message(&holder.namespace, reference)
                );
                out.push(diagnose(mesh, holder, reference, &need, message, true));
            }
        }
    }
}

fn diagnose(
    mesh: &Mesh,
    from: &Resource,
    reference: &ObjectRef,
    need: &ReferenceGrantNeed,
    mut message: String,
    offer_fix: bool,
) -> Diagnostic {
    let misses = need.near_misses(&mesh.gateway_api());
    for miss in &misses {
        message.push_str("; ");
        message.push_str(&miss.why);
    }
    let mut diagnostic = Diagnostic::new(CHECK.id, Severity::Error, reference.name_span(), message)
        .condition("ResolvedRefs", "RefNotPermitted")
        .resource(from.reference());
    for miss in &misses {
        diagnostic = diagnostic.related(miss.span, miss.why.clone());
    }
    if offer_fix {
        let edit = append_document(&mesh.sources, from.file, &need.document());
        diagnostic = diagnostic.fix(Fix::unsafe_(
            format!(
                "Add a ReferenceGrant in namespace {} from {} {} to {} {}",
                need.to_namespace, need.from_kind, need.from_namespace, need.to_kind, need.to_name
            ),
            vec![edit],
        ));
    }
    diagnostic
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: store, namespace: frontend}\nspec:\n  parentRefs: [{name: public, namespace: infra}]\n  rules:\n  - backendRefs:\n    - name: store\n#           ^^^^^ error: HTTPRoute frontend/store sends to Service backend/store in another namespace, and no ReferenceGrant there allows it: Istio sets `ResolvedRefs` to False (`RefNotPermitted`: \"backendRef store/backend not accessible to a HTTPRoute in namespace \"frontend\" (missing a ReferenceGrant?)\"), and the data plane answers 500 to the requests routed to it";

    fn grant(namespace: &str, from: &str, to: &str) -> String {
        format!(
            "---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {{name: g, namespace: {namespace}}}\nspec:\n  from: [{from}]\n  to: [{to}]\n"
        )
    }

    const FROM_FRONTEND: &str =
        "{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: frontend}";
    const TO_SERVICES: &str = "{group: \"\", kind: Service}";

    #[test]
    fn flags_cross_namespace_backends_without_a_grant() {
        check(
            "reference-not-permitted",
            &format!("{ROUTE} [fix]\n      namespace: backend\n      port: 8080\n"),
        );
    }

    #[test]
    fn says_which_part_of_a_grant_does_not_match() {
        let cases = [
            (
                grant(
                    "backend",
                    "{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: staging}",
                    TO_SERVICES,
                ),
                "ReferenceGrant backend/g does not allow it: its `from` entry names namespace `staging`, not `frontend`",
            ),
            (
                grant(
                    "backend",
                    "{group: gateway.networking.k8s.io, kind: GRPCRoute, namespace: frontend}",
                    TO_SERVICES,
                ),
                "ReferenceGrant backend/g does not allow it: its `from` entry names kind `GRPCRoute`, not `HTTPRoute`",
            ),
            (
                grant(
                    "backend",
                    FROM_FRONTEND,
                    "{group: \"\", kind: Service, name: cart}",
                ),
                "ReferenceGrant backend/g does not allow it: its `to` entry names only name `cart`, not `store`",
            ),
            (
                grant(
                    "backend",
                    FROM_FRONTEND,
                    "{group: multicluster.x-k8s.io, kind: ServiceImport}",
                ),
                "ReferenceGrant backend/g does not allow it: its `to` entry names group `multicluster.x-k8s.io`, not `\"\"` and kind `ServiceImport`, not `Service` (Istio checks backendRefs of every kind against `Service`)",
            ),
            (
                grant("frontend", FROM_FRONTEND, TO_SERVICES),
                "ReferenceGrant frontend/g would allow it, but a ReferenceGrant only takes effect in the namespace it grants access to, `backend`",
            ),
        ];
        for (grant, why) in cases {
            check(
                "reference-not-permitted",
                &format!(
                    "{ROUTE}; {why} [fix]\n      namespace: backend\n      port: 8080\n{grant}"
                ),
            );
        }
    }

    #[test]
    fn granted_same_namespace_and_mesh_references_are_not_flagged() {
        let route = |parent: &str, namespace: &str| {
            format!(
                "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: store, namespace: frontend}}\nspec:\n  parentRefs: [{parent}]\n  rules:\n  - backendRefs: [{{name: store, namespace: {namespace}, port: 8080}}]\n"
            )
        };
        let gateway = "{name: public, namespace: infra}";
        check(
            "reference-not-permitted",
            &format!(
                "{}{}",
                route(gateway, "backend"),
                grant("backend", FROM_FRONTEND, TO_SERVICES)
            ),
        );
        check("reference-not-permitted", &route(gateway, "frontend"));
        check(
            "reference-not-permitted",
            &route("{kind: Service, group: \"\", name: cart}", "backend"),
        );
    }

    #[test]
    fn no_fix_when_the_backend_would_still_fail() {
        check(
            "reference-not-permitted",
            &format!("{ROUTE}\n      namespace: backend\n"),
        );
    }

    #[test]
    fn fix_appends_the_grant_with_the_files_line_breaks() {
        let before = "apiVersion: gateway.networking.k8s.io/v1\r\nkind: HTTPRoute\r\nmetadata: {name: store, namespace: frontend}\r\nspec:\r\n  parentRefs: [{name: public, namespace: infra}]\r\n  rules:\r\n  - backendRefs: [{name: store, namespace: backend, port: 8080}]";
        let after = format!(
            "{before}\r\n---\r\napiVersion: gateway.networking.k8s.io/v1beta1\r\nkind: ReferenceGrant\r\nmetadata:\r\n  name: allow-frontend-httproute\r\n  namespace: backend\r\nspec:\r\n  from:\r\n  - group: gateway.networking.k8s.io\r\n    kind: HTTPRoute\r\n    namespace: frontend\r\n  to:\r\n  - group: \"\"\r\n    kind: Service\r\n    name: store\r\n"
        );
        assert_fix("reference-not-permitted", 0, before, &after);
    }

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: infra}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: https\n    port: 443\n    protocol: HTTPS\n    tls:\n      certificateRefs:\n      - name: wildcard\n";

    #[test]
    fn flags_cross_namespace_certificates_without_a_grant() {
        check(
            "reference-not-permitted",
            &format!(
                "{GATEWAY}#             ^^^^^^^^ error: Gateway infra/public listener `https` uses Secret certs/wildcard in another namespace, and no ReferenceGrant there allows it: Istio sets the listener's `ResolvedRefs` to False (`RefNotPermitted`: \"certificateRef wildcard/certs not accessible to a Gateway in namespace \"infra\" (missing a ReferenceGrant?)\"), and the listener is not programmed and TLS handshakes on it fail; ReferenceGrant certs/g does not allow it: its `from` entry names kind `HTTPRoute`, not `Gateway` [fix]\n        namespace: certs\n{}",
                grant(
                    "certs",
                    "{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}",
                    "{group: \"\", kind: Secret}"
                )
            ),
        );
        let granted = grant(
            "certs",
            "{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}",
            "{group: \"\", kind: Secret, name: wildcard}",
        );
        check(
            "reference-not-permitted",
            &format!("{GATEWAY}        namespace: certs\n{granted}"),
        );
        check("reference-not-permitted", GATEWAY);
    }

    #[test]
    fn fix_grants_the_gateway_its_secret() {
        let before = format!("{GATEWAY}        namespace: certs\n");
        let after = format!(
            "{before}---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: allow-infra-gateway\n  namespace: certs\nspec:\n  from:\n  - group: gateway.networking.k8s.io\n    kind: Gateway\n    namespace: infra\n  to:\n  - group: \"\"\n    kind: Secret\n    name: wildcard\n"
        );
        assert_fix("reference-not-permitted", 0, &before, &after);
    }
}
