//! `route-backend-invalid-kind`: a route's backendRef names a group and kind Istio does not
//! route to.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::respell_group_kind;
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{
    BackendProblem, ISTIO_GROUP, MCS_GROUP, UNATTACHED, is_unattached, istio_routes,
};

pub static CHECK: Check = Check {
    id: "route-backend-invalid-kind",
    summary: "A route's backendRef names a kind of backend Istio does not route to.",
    istio_code: None,
    docs: r#"
## What it does
Reports backendRefs of HTTPRoutes, GRPCRoutes, TLSRoutes and TCPRoutes whose `group` and
`kind` are none of those Istio's Gateway API controller routes to: a core `Service` (the
default), a `ServiceImport` of `multicluster.x-k8s.io`, a `Hostname` of `networking.istio.io`
(a ServiceEntry host). Istio compares them exactly, so `kind: service` or `group: core` is
refused too. Its `ResolvedRefs` condition then says `InvalidKind`: `referencing unsupported
backendRef: group "…" kind "…"`.

An `InferencePool` is reported as a warning: Istio routes to it only when istiod runs with
`SUPPORT_GATEWAY_API_INFERENCE_EXTENSION=true`.

## Why is this bad?
Istio keeps the rule but gives the backend no destination: the data plane answers 500 to the
requests routed to it (TCP and TLS connections are reset).

## Fix
Refer to the Service itself (`kind: Service`, no `group` or `group: ""`), or to the
ServiceEntry's host with `group: networking.istio.io`, `kind: Hostname`.

## Fix safety
Safe when the group or kind misses a supported one only by letter case or by spelling the
core group `core`, and the corrected reference resolves without an error. No fix otherwise:
which backend was meant is the user's call.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs:
  - name: gateway
  rules:
  - backendRefs:
    - group: networking.istio.io
      kind: ServiceEntry
      name: httpbin
      port: 80
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  rules:
  - backendRefs:
    - group: networking.istio.io
      kind: Hostname
      name: httpbin.org
      port: 80
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin
spec:
  hosts: [httpbin.org]
  ports:
  - {number: 80, name: http, protocol: HTTP}
"#,
    run: Run::OnMesh(run),
};

/// The backend kinds Istio routes to.
const ROUTED: &[(&str, &str)] = &[
    ("", "Service"),
    (MCS_GROUP, "ServiceImport"),
    (ISTIO_GROUP, "Hostname"),
];

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (_, route, spec) in istio_routes(mesh) {
        for backend in spec.backend_refs() {
            let problem = match mesh.gateway_api_backend(route, backend) {
                Err(
                    problem @ (BackendProblem::InvalidKind { .. }
                    | BackendProblem::InferencePoolDisabled),
                ) => problem,
                _ => continue,
            };
            let (severity, what) = match problem {
                BackendProblem::InferencePoolDisabled => (
                    Severity::Warning,
                    "an InferencePool, which Istio routes to only when istiod runs with \
                     `SUPPORT_GATEWAY_API_INFERENCE_EXTENSION=true`",
                ),
                _ => (Severity::Error, "a kind of backend Istio does not route to"),
            };
            // Istio converts a route without parentRefs for no parent: the problem is latent.
            let (severity, latent) = if is_unattached(route) {
                (Severity::Info, UNATTACHED)
            } else {
                (severity, "")
            };
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                severity,
                backend
                    .kind
                    .as_ref()
                    .map_or(backend.name_span(), |k| k.span),
                format!(
                    "{} sends to `{}` {} ({what}): Istio sets `ResolvedRefs` to False (`{}`: \
                     \"{}\"), and {}{latent}",
                    route.label(),
                    backend.kind_or("Service"),
                    backend.name_value(),
                    problem.reason(),
                    problem.message(route, backend),
                    problem.outcome(route)
                ),
            )
            .condition("ResolvedRefs", problem.reason())
            .resource(route.reference());
            if let Some((respelled, edits)) =
                respell_group_kind(&mesh.sources, backend, ("", "Service"), ROUTED)
                && matches!(
                    mesh.gateway_api_backend(route, &respelled),
                    Ok(_) | Err(BackendProblem::NotInInput { .. })
                )
            {
                diagnostic = diagnostic.fix(Fix::safe(
                    format!(
                        "Refer to a `{}` of group {:?}",
                        respelled.kind_or("Service"),
                        respelled.group_or("")
                    ),
                    edits,
                ));
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs:\n";

    #[test]
    fn flags_kinds_istio_does_not_route_to() {
        check(
            "route-backend-invalid-kind",
            &format!(
                r#"{ROUTE}    - kind: service
#           ^^^^^^^ error: HTTPRoute default/web sends to `service` reviews (a kind of backend Istio does not route to): Istio sets `ResolvedRefs` to False (`InvalidKind`: "referencing unsupported backendRef: group "" kind "service""), and the data plane answers 500 [fix]
      name: reviews
      port: 9080
    - {{group: core, kind: Service, name: ratings, port: 9080}}
#                         ^^^^^^^ error: group "core" kind "Service" [fix]
    - {{group: example.com, kind: Bucket, name: assets}}
#                                ^^^^^^ error: group "example.com" kind "Bucket"
    - {{group: inference.networking.k8s.io, kind: InferencePool, name: llm}}
#                                                ^^^^^^^^^^^^^ warning: `SUPPORT_GATEWAY_API_INFERENCE_EXTENSION=true`
    - {{group: "", kind: Service, name: details, port: 9080}}
    - {{group: multicluster.x-k8s.io, kind: ServiceImport, name: details, port: 9080}}
"#
            ),
        );
    }

    #[test]
    fn no_fix_when_the_corrected_reference_still_fails() {
        // Without a port, `Service` would be an InvalidDestination error.
        check(
            "route-backend-invalid-kind",
            &format!(
                "{ROUTE}    - {{kind: SERVICE, name: reviews}}\n#            ^^^^^^^ error: kind \"SERVICE\"\n"
            ),
        );
    }

    #[test]
    fn fixes_respell_the_kind_and_the_core_group() {
        let before = format!("{ROUTE}    - kind: service\n      name: reviews\n      port: 9080\n");
        assert_fix(
            "route-backend-invalid-kind",
            0,
            &before,
            &before.replace("kind: service", "kind: Service"),
        );
        let before =
            format!("{ROUTE}    - {{group: core, kind: Service, name: ratings, port: 9080}}\n");
        assert_fix(
            "route-backend-invalid-kind",
            0,
            &before,
            &before.replace("group: core", "group: \"\""),
        );
    }
}
