//! `unknown-gateway`: a VirtualService bound to a Gateway that is not in the input.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::replace_scalar;
use crate::model::{ResourceKind, VirtualService};
use crate::names::is_dns1123_label;
use crate::resolve::{GatewayTarget, Mesh, RouteKind};
use crate::suggest::{is_close, nearest_first};

pub static CHECK: Check = Check {
    id: "unknown-gateway",
    summary: "A VirtualService's `gateways` entry names a Gateway that does not exist.",
    istio_code: Some("IST0101"),
    docs: r#"
## What it does
Resolves each `gateways` entry of a VirtualService the way Istio does: `ns/name` as written,
a bare `name` in the **VirtualService's** namespace (not the Gateway's), `mesh` for the
sidecars. Reports an entry naming no Gateway of the input. When a Gateway of that name exists
in another namespace, the message says so: the usual cause is a missing `ns/` prefix.

Covers the gateway part of Istio's IST0101 (ReferencedResourceNotFound); missing hosts and
secrets, which IST0101 also covers, are out of its scope.

When the input has no Gateway at all it may be partial (the default): the reference is
reported as info, and with "input is complete" as a warning. When the input has Gateways but
none of that name and namespace, it is a warning, with the names that are close ("did you
mean `istio-system/public`?"). A Gateway that is in the input under another namespace is always
a warning.

## Why is this bad?
Istio ignores the binding: the routes never reach the gateway and requests get `404 NR`.

## Fix
Qualify the reference with the namespace the Gateway is in (`istio-system/my-gateway`), or
correct its name.

## Fix safety
Safe when exactly one namespace of the input has a Gateway of that name: the edit only adds
the prefix the docs prescribe. No fix otherwise, nor when none of that Gateway's servers
routes with the kind of rules the VirtualService has (`tls` rules behind a gateway that
terminates TLS, for one): binding to it would only trade this warning for an error.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: public
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["shop.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
spec:
  hosts: ["shop.example.com"]
  gateways: [public]
  http:
  - route:
    - destination: {host: shop}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: public
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["shop.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
spec:
  hosts: ["shop.example.com"]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: shop}
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        for reference in mesh.gateway_refs(resource, service) {
            let (GatewayTarget::Missing { namespace, name }, Some(entry)) =
                (&reference.target, reference.entry)
            else {
                continue;
            };
            let elsewhere = mesh.namespaces_with_gateway(name);
            let mut message = format!(
                "{} is bound to Gateway {namespace}/{name}, which is not in the input",
                resource.label()
            );
            let existing = existing_gateways(mesh);
            let severity = if !elsewhere.is_empty() {
                message.push_str(&format!(
                    "; a Gateway `{name}` exists in namespace {} (a bare name resolves in the \
                     VirtualService's namespace, {})",
                    elsewhere.join(", "),
                    resource.namespace
                ));
                Severity::Warning
            } else if existing.is_empty() {
                // Nothing of the kind in the input: most likely a partial paste.
                mesh.missing_reference_severity()
            } else {
                let near: Vec<String> = nearest_first(name, existing)
                    .into_iter()
                    .filter(|(candidate, _)| is_close(name, candidate))
                    .map(|(_, qualified)| format!("`{qualified}`"))
                    .take(3)
                    .collect();
                if !near.is_empty() {
                    message.push_str(&format!("; did you mean {}?", near.join(" or ")));
                }
                Severity::Warning
            };
            let mut diagnostic = Diagnostic::new(CHECK.id, severity, entry.span, message)
                .istio_code("IST0101")
                .resource(resource.reference());
            // An invalid namespace (`./gw`) would give a reference that cannot resolve.
            if let [other] = elsewhere
                && is_dns1123_label(other)
                && takes_the_rules(mesh, other, name, service)
            {
                let qualified = format!("{other}/{name}");
                let edit: Edit = replace_scalar(&mesh.sources, entry.span, &qualified);
                diagnostic =
                    diagnostic.fix(Fix::safe(format!("Refer to `{qualified}`"), vec![edit]));
            }
            out.push(diagnostic);
        }
    }
}

/// Every Gateway of the input (Istio's and the Gateway API's), as (name, `namespace/name`).
fn existing_gateways(mesh: &Mesh) -> Vec<(String, String)> {
    mesh.resources
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                ResourceKind::Gateway | ResourceKind::KubernetesGateway
            )
        })
        .map(|r| {
            (
                r.name.value.clone(),
                format!("{}/{}", r.namespace, r.name.value),
            )
        })
        .collect()
}

/// Whether the Gateway `namespace/name` has a server that routes with a kind of rule the
/// VirtualService has (or the VirtualService has no rules yet). Pointing a VirtualService with
/// only `tls` rules at a gateway that terminates TLS would trade this warning for
/// tls-route-behind-terminating-gateway's error, and the like.
fn takes_the_rules(mesh: &Mesh, namespace: &str, name: &str, service: &VirtualService) -> bool {
    let has = |kind: RouteKind| match kind {
        RouteKind::Http => service.http.is_some(),
        RouteKind::Tls => service.tls.is_some(),
        RouteKind::Tcp => service.tcp.is_some(),
    };
    let no_rules = [RouteKind::Http, RouteKind::Tls, RouteKind::Tcp]
        .into_iter()
        .all(|kind| !has(kind));
    no_rules
        || mesh
            .gateways()
            .filter(|(resource, _)| resource.namespace == namespace && resource.name.value == name)
            .flat_map(|(_, gateway)| &gateway.servers)
            .any(|server| has(RouteKind::of(server)))
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check, check_with};
    use crate::settings::MeshSettings;

    const GATEWAY: &str = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']\n---\n";

    #[test]
    fn flags_missing_gateways() {
        let fixture = format!(
            r#"{GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs}}
spec:
  hosts: [a.com]
  gateways:
  - gw
#   ^^ warning: Gateway default/gw, which is not in the input; a Gateway `gw` exists in namespace istio-system [fix]
  - other-ns/nothing
#   ^^^^^^^^^^^^^^^^ warning: bound to Gateway other-ns/nothing, which is not in the input
  - edge/gw1
#   ^^^^^^^^ warning: which is not in the input; did you mean `istio-system/gw`?
  - mesh
  - istio-system/gw
"#
        );
        check("unknown-gateway", &fixture);
    }

    #[test]
    fn complete_input_makes_missing_gateways_warnings() {
        let settings = MeshSettings {
            input_complete: true,
            ..MeshSettings::default()
        };
        check_with(
            settings,
            "unknown-gateway",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [a.com]\n  gateways: [\"nothing\"]\n#            ^^^^^^^^^ warning: Gateway default/nothing\n",
        );
    }

    #[test]
    fn with_no_gateway_in_the_input_a_missing_one_is_info() {
        check(
            "unknown-gateway",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [a.com]\n  gateways: [public]\n#            ^^^^^^ info: Gateway default/public, which is not in the input\n",
        );
    }

    #[test]
    fn resolved_and_legacy_references_are_not_flagged() {
        let fixture = format!(
            "{GATEWAY}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: vs, namespace: istio-system}}\nspec:\n  hosts: [a.com]\n  gateways: [gw, gw.istio-system.svc.cluster.local, mesh]\n"
        );
        check("unknown-gateway", &fixture);
    }

    #[test]
    fn a_kubernetes_gateway_is_a_gateway_too() {
        check(
            "unknown-gateway",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: web, namespace: ingress}\nspec:\n  gatewayClassName: istio\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: shop}\nspec:\n  hosts: [shop.com]\n  gateways: [ingress/web]\n",
        );
    }

    #[test]
    fn no_fix_refers_to_a_gateway_in_an_invalid_namespace() {
        // `./gw/web` would not resolve: the namespace is invalid-name's error, not a target.
        check(
            "unknown-gateway",
            "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: web, namespace: ./gw}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [a.com]\n  gateways: [web]\n#            ^^^ warning: a Gateway `web` exists in namespace ./gw\n",
        );
    }

    #[test]
    fn fix_adds_the_namespace_keeping_quotes() {
        let before = format!(
            "{GATEWAY}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: vs}}\nspec:\n  hosts: [a.com]\n  gateways: ['gw'] # the public one\n"
        );
        let after = before.replace("['gw']", "['istio-system/gw']");
        assert_fix("unknown-gateway", 0, &before, &after);
    }

    #[test]
    fn no_fix_points_at_a_gateway_whose_servers_cannot_take_the_rules() {
        // Found by fuzzing: the one Gateway of that name terminates TLS, the VirtualService
        // has only `tls` rules, so referring to it traded this warning for an error.
        check(
            "unknown-gateway",
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*.example.com"]
  gateways: [gw]
#            ^^ warning: a Gateway `gw` exists in namespace edge
  tls:
  - match: [{sniHosts: ["*.example.com"]}]
    route: [{destination: {host: httpbin.org}}]
"#,
        );
    }
}
