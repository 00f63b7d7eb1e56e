//! `gateway-api-version`: a Gateway API object whose `apiVersion` the standard channel of the
//! CRDs does not serve — deprecated versions only the experimental channel still serves, and
//! versions (or kinds) no channel serves at all.

use super::gateway_api_rejected::{route_problems, version};
use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::replace_scalar;
use crate::model::gateway_api::GROUP;
use crate::model::{Resource, Spec};
use crate::resolve::Mesh;

pub static CHECK: Check = Check {
    id: "gateway-api-version",
    summary: "A Gateway API object uses an `apiVersion` the standard channel of the CRDs does not serve.",
    istio_code: None,
    docs: r#"
## What it does
Compares each Gateway API object's `apiVersion` with the versions the Gateway API v1.6 CRDs
serve. The standard channel serves GatewayClass, Gateway, HTTPRoute and ReferenceGrant at v1
and v1beta1, and ListenerSet, GRPCRoute, TLSRoute, TCPRoute and BackendTLSPolicy at v1 only.
The deprecated TLSRoute v1alpha2 and v1alpha3, TCPRoute v1alpha2 and BackendTLSPolicy
v1alpha3 are served by the experimental channel only: reported as info. A version (or kind)
no channel serves, such as a typo `v1beta2` or the old `XListenerSet`, is an error.

## Why is this bad?
On a cluster with the standard CRDs, `kubectl apply` fails with "no matches for kind": the
object never exists. The experimental-only versions are deprecated and will be removed; Istio
1.31 requires TLSRoute v1 (Gateway API v1.5 or later), and reads the other kinds at v1 too.

## Fix
Use `apiVersion: gateway.networking.k8s.io/v1`. TLSRoute v1alpha3 and BackendTLSPolicy
v1alpha3 have the schema of v1. TCPRoute v1alpha2 allows up to 16 rules where v1 allows one;
TLSRoute v1alpha2 also makes `hostnames` optional, where v1 requires them.

## Fix safety
Moving to v1 is safe where the schema is the same (TLSRoute v1alpha3, BackendTLSPolicy
v1alpha3) and where the object already satisfies v1's constraints (TCPRoute and TLSRoute
v1alpha2 with a single rule, and for TLSRoute with hostnames); otherwise no fix is offered.
For a version no channel serves, the move to v1 is unsafe (that schema may differ from what
the author wrote for), and only offered when the object passes v1's rules.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1beta2
kind: HTTPRoute
metadata:
  name: shop
spec:
  parentRefs:
  - name: edge
  rules:
  - backendRefs:
    - name: shop
      port: 8080
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
spec:
  parentRefs:
  - name: edge
  rules:
  - backendRefs:
    - name: shop
      port: 8080
"#,
    run: Run::OnMesh(run),
};

/// Per kind: the versions the standard channel serves, and those only the experimental
/// channel serves (all deprecated).
const SERVED: &[(&str, &[&str], &[&str])] = &[
    ("GatewayClass", &["v1", "v1beta1"], &[]),
    ("Gateway", &["v1", "v1beta1"], &[]),
    ("ListenerSet", &["v1"], &[]),
    ("HTTPRoute", &["v1", "v1beta1"], &[]),
    ("GRPCRoute", &["v1"], &[]),
    ("TLSRoute", &["v1"], &["v1alpha2", "v1alpha3"]),
    ("TCPRoute", &["v1"], &["v1alpha2"]),
    ("ReferenceGrant", &["v1", "v1beta1"], &[]),
    ("BackendTLSPolicy", &["v1"], &["v1alpha3"]),
];

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for resource in &mesh.resources {
        let Some(api_version) = &resource.api_version else {
            continue;
        };
        if !resource.kind.is_gateway_api() {
            continue;
        }
        let kind = written_kind(resource);
        let version = version(resource);
        let served = SERVED.iter().find(|(name, _, _)| *name == kind);
        let v1 = format!("{GROUP}/v1");
        let diagnostic = match served {
            Some((_, standard, _)) if standard.contains(&version) => continue,
            Some((_, _, experimental)) if experimental.contains(&version) => {
                let mut message = format!(
                    "{kind} `{}` is served only by the experimental channel of the Gateway API \
                     CRDs (deprecated; with the standard CRDs `kubectl apply` fails: no matches \
                     for kind {kind}); {}",
                    api_version.value,
                    if kind == "TLSRoute" {
                        "Istio 1.31 requires TLSRoute v1 (Gateway API v1.5 or later)"
                    } else {
                        "both channels serve v1"
                    }
                );
                let v1_problem = v1_problem(resource);
                let fix = match &v1_problem {
                    None => Some(Fix::safe(
                        format!("Use `{v1}`"),
                        vec![replace_scalar(&mesh.sources, api_version.span, &v1)],
                    )),
                    Some(problem) => {
                        message.push_str(&format!("; as v1 it would be refused: {problem}"));
                        None
                    }
                };
                let d = Diagnostic::new(CHECK.id, Severity::Info, api_version.span, message);
                match fix {
                    Some(fix) => d.fix(fix),
                    None => d,
                }
            }
            _ => {
                let what = match served {
                    Some(_) => {
                        format!("no channel of the Gateway API CRDs serves {kind} at `{version}`")
                    }
                    None => format!("no Gateway API CRD defines kind {kind}"),
                };
                let mut d = Diagnostic::new(
                    CHECK.id,
                    Severity::Error,
                    api_version.span,
                    format!(
                        "`kubectl apply` fails with \"no matches for kind {kind} in version \
                         {}\": {what}",
                        api_version.value
                    ),
                );
                if served.is_some() && v1_problem(resource).is_none() {
                    d = d.fix(Fix::unsafe_(
                        format!("Use `{v1}`"),
                        vec![replace_scalar(&mesh.sources, api_version.span, &v1)],
                    ));
                }
                if served.is_none() && kind == "XListenerSet" {
                    d.message
                        .push_str("; the experimental XListenerSet became ListenerSet v1");
                }
                d
            }
        };
        out.push(diagnostic.resource(resource.reference()));
    }
}

/// `kind` as written (the model reads `XListenerSet` as a ListenerSet).
fn written_kind(resource: &Resource) -> &str {
    resource
        .node
        .get("kind")
        .and_then(|kind| kind.as_str())
        .unwrap_or(resource.kind.name())
}

/// The first rule the object would break at v1, in the API server's words.
fn v1_problem(resource: &Resource) -> Option<String> {
    let Spec::Route(route) = &resource.spec else {
        return None;
    };
    route_problems(resource, route, "v1")
        .into_iter()
        .next()
        .map(|problem| problem.message)
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "gateway-api-version";

    const TLS_ROUTE_BODY: &str = "metadata: {name: db}\nspec:\n  parentRefs: [{name: gw}]\n  hostnames: [db.example.com]\n  rules:\n  - backendRefs: [{name: db, port: 5432}]\n";

    #[test]
    fn experimental_only_versions_are_infos() {
        check(
            ID,
            r#"apiVersion: gateway.networking.k8s.io/v1alpha3
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ info: TLSRoute `gateway.networking.k8s.io/v1alpha3` is served only by the experimental channel of the Gateway API CRDs (deprecated; with the standard CRDs `kubectl apply` fails: no matches for kind TLSRoute); Istio 1.31 requires TLSRoute v1 (Gateway API v1.5 or later) [fix]
kind: TLSRoute
metadata: {name: a}
spec:
  hostnames: [a.example.com]
  rules:
  - backendRefs: [{name: a, port: 443}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ info: Istio 1.31 requires TLSRoute v1 (Gateway API v1.5 or later); as v1 it would be refused: the API server refuses this TLSRoute: `spec.hostnames: Required value`
kind: TLSRoute
metadata: {name: b}
spec:
  rules:
  - backendRefs: [{name: b, port: 443}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ info: TCPRoute `gateway.networking.k8s.io/v1alpha2` is served only by the experimental channel of the Gateway API CRDs (deprecated; with the standard CRDs `kubectl apply` fails: no matches for kind TCPRoute); both channels serve v1; as v1 it would be refused: the API server refuses this TCPRoute: `spec.rules: Too many: 2
kind: TCPRoute
metadata: {name: c}
spec:
  rules:
  - backendRefs: [{name: c1, port: 5432}]
  - backendRefs: [{name: c2, port: 5432}]
---
apiVersion: gateway.networking.k8s.io/v1alpha3
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ info: BackendTLSPolicy `gateway.networking.k8s.io/v1alpha3` is served only by the experimental channel [fix]
kind: BackendTLSPolicy
metadata: {name: d}
spec:
  targetRefs: [{group: "", kind: Service, name: d}]
  validation: {hostname: d.example.com, wellKnownCACertificates: System}
"#,
        );
    }

    #[test]
    fn versions_no_channel_serves_are_errors() {
        check(
            ID,
            r#"apiVersion: gateway.networking.k8s.io/v2
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error: `kubectl apply` fails with "no matches for kind Gateway in version gateway.networking.k8s.io/v2": no channel of the Gateway API CRDs serves Gateway at `v2` [fix]
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: istio
  listeners: [{name: web, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error: no channel of the Gateway API CRDs serves GRPCRoute at `v1alpha2` [fix]
kind: GRPCRoute
metadata: {name: grpc}
spec:
  parentRefs: [{name: gw}]
---
apiVersion: gateway.networking.k8s.io/v1
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error: no Gateway API CRD defines kind XListenerSet; the experimental XListenerSet became ListenerSet v1
kind: XListenerSet
metadata: {name: extra}
spec:
  parentRef: {name: gw}
  listeners: [{name: extra, port: 8080, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: served}
spec:
  parentRefs: [{name: gw}]
"#,
        );
    }

    #[test]
    fn fix_moves_a_route_of_v1_schema_to_v1() {
        let before = format!(
            "apiVersion: \"gateway.networking.k8s.io/v1alpha2\" # old\nkind: TLSRoute\n{TLS_ROUTE_BODY}"
        );
        let after = before.replace("v1alpha2\"", "v1\"");
        assert_fix(ID, 0, &before, &after);
        let before = "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: db}\nspec:\n  rules:\n  - backendRefs: [{name: db, port: 5432}]\n";
        assert_fix(ID, 0, before, &before.replace("v1alpha2", "v1"));
    }

    #[test]
    fn fix_of_a_typo_is_the_served_version() {
        let before = super::CHECK.bad_example;
        assert_fix(ID, 0, before, super::CHECK.good_example);
    }
}
