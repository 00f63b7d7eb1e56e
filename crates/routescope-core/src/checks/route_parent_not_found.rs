//! `route-parent-not-found`: a route's parentRef names a Gateway or ListenerSet that is not in
//! the input, or one Istio does not run, so Istio attaches the route nowhere there and writes
//! no status that would tell.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{insert_one_line_entry, replace_scalar, scalar_like};
use crate::model::gateway_api::ObjectRef;
use crate::model::{Field, Resource, ResourceKind, Spec};
use crate::names::is_dns1123_label;
use crate::resolve::Mesh;
use crate::resolve::gateway_api::routes;
use crate::resolve::gateway_api::status::owner_text;
use crate::resolve::gateway_api::{Attachment, ClassOwner, ParentTarget};
use crate::suggest::{is_close, nearest_first};

pub static CHECK: Check = Check {
    id: "route-parent-not-found",
    summary: "A route's parentRef names a Gateway or ListenerSet that is not in the input or that Istio does not run.",
    istio_code: None,
    docs: r#"
## What it does
Resolves each parentRef of an HTTPRoute, GRPCRoute, TLSRoute or TCPRoute that names a Gateway
(the default kind) or a ListenerSet: a missing `namespace` means the route's own. Reports a
parentRef naming no object of the input, suggesting a namesake in another namespace or a close
name; and one naming a Gateway Istio does not run: its GatewayClass belongs to another
controller, or is neither in the input nor one of Istio's built-in classes (`istio`,
`istio-waypoint`, …), or a ListenerSet its Gateway does not take.

A parentRef to nothing of the input is an info when the input may be partial (the object may
exist in the cluster) and no other object of that kind is in the input; a warning otherwise.
A Gateway of another controller is a warning when the input also has Gateways Istio runs
(the route was likely meant for Istio), an info otherwise (configuration for another
implementation); a GatewayClass that is nowhere in the input is an info.

## Why is this bad?
Istio's controller skips a parentRef it cannot resolve to one of its own listeners: it
attaches the route to nothing there and writes no entry for it in the route's
`status.parents`. Nothing in the cluster says the route is not served, and requests get 404.

## Fix
Refer to the Gateway where it is: set the parentRef's `namespace` when a Gateway of that name
is in another namespace (a bare name means the route's namespace), or correct a misspelt name.

## Fix safety
Safe when exactly one Gateway of the input fits (one namespace has that name, or one name is
close in that namespace) and it would accept the route; other candidates are unsafe. There is
no fix for a Gateway of another controller.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-ingress
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: All
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: shop
spec:
  parentRefs:
  - name: gateway
  rules:
  - backendRefs:
    - name: shop
      port: 8080
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-ingress
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: All
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: shop
spec:
  parentRefs:
  - name: gateway
    namespace: istio-ingress
  rules:
  - backendRefs:
    - name: shop
      port: 8080
"#,
    run: Run::OnMesh(run),
};

/// Every Gateway (`kind` `Gateway`) or ListenerSet of the input.
fn objects_of<'m>(mesh: &'m Mesh, kind: &str) -> Vec<&'m Resource> {
    let kind = match kind {
        "Gateway" => ResourceKind::KubernetesGateway,
        _ => ResourceKind::ListenerSet,
    };
    mesh.resources.iter().filter(|r| r.kind == kind).collect()
}

/// Whether the route at `route` would be accepted through `reference`.
fn accepted_through(mesh: &Mesh, route: usize, reference: &ObjectRef) -> bool {
    Attachment {
        parent_ref: 0,
        target: mesh.gateway_api().attach_as(route, reference),
    }
    .is_accepted()
}

fn field(value: &str, like: &ObjectRef) -> Option<Field<String>> {
    Some(Field {
        value: value.to_string(),
        key: like.span,
        span: like.span,
    })
}

/// Edits setting the parentRef's `namespace` (inserted after `name` when absent).
fn namespace_edits(mesh: &Mesh, reference: &ObjectRef, namespace: &str) -> Option<Vec<Edit>> {
    // A Gateway in an invalid namespace cannot exist in a cluster: never refer to it.
    if !is_dns1123_label(namespace) {
        return None;
    }
    let sources = &mesh.sources;
    if let Some(written) = &reference.namespace {
        return Some(vec![replace_scalar(sources, written.span, namespace)]);
    }
    let node = mesh.node_at(reference.span)?;
    let value = scalar_like(sources, node.get("name")?, namespace);
    Some(vec![insert_one_line_entry(
        sources,
        node,
        Some(node.entry_index("name")?),
        &format!("namespace: {value}"),
    )?])
}

fn missing(
    mesh: &Mesh,
    route_index: usize,
    route: &Resource,
    reference: &ObjectRef,
    (kind, namespace, name): (&str, &str, &str),
) -> Diagnostic {
    let objects = objects_of(mesh, kind);
    let elsewhere: Vec<&Resource> = objects
        .iter()
        .copied()
        .filter(|o| o.name.value == name && o.namespace != namespace)
        .collect();
    let close: Vec<(String, ())> = nearest_first(
        name,
        objects
            .iter()
            .filter(|o| o.namespace == namespace && is_close(name, &o.name.value))
            .map(|o| (o.name.value.clone(), ()))
            .collect(),
    );
    let mut hints = Vec::new();
    if !elsewhere.is_empty() {
        let namespaces: Vec<&str> = elsewhere.iter().map(|o| o.namespace.as_str()).collect();
        hints.push(format!(
            "a {kind} `{name}` exists in namespace {} (without `namespace`, a parentRef names \
             the route's own, {})",
            namespaces.join(", "),
            route.namespace
        ));
    }
    if !close.is_empty() {
        let names: Vec<String> = close.iter().map(|(n, _)| format!("`{n}`")).collect();
        hints.push(format!(
            "did you mean {} in namespace {namespace}?",
            names.join(" or ")
        ));
    }
    if kind == "Gateway" && mesh.has_service(namespace, name) {
        hints.push(format!(
            "a Service `{name}` exists in namespace {namespace}: a Service parent needs \
             `group: \"\"` and `kind: Service`"
        ));
    }
    let severity = if objects.is_empty() {
        mesh.missing_reference_severity()
    } else {
        Severity::Warning
    };
    let hint = if hints.is_empty() {
        String::new()
    } else {
        format!("; {}", hints.join("; "))
    };
    let message = format!(
        "{}'s parentRef names {kind} {namespace}/{name}, which is not in the input: Istio \
         attaches the route to nothing there and writes no status for it, so the cluster shows \
         no error while requests get 404{hint}",
        route.label()
    );
    let mut diagnostic = Diagnostic::new(CHECK.id, severity, reference.name_span(), message)
        .resource(route.reference());
    for object in &elsewhere {
        diagnostic = diagnostic.related(object.name.span, object.label());
    }
    let sole = elsewhere.len() + close.len() == 1;
    for object in &elsewhere {
        let moved = ObjectRef {
            namespace: field(&object.namespace, reference),
            ..reference.clone()
        };
        if accepted_through(mesh, route_index, &moved)
            && let Some(edits) = namespace_edits(mesh, reference, &object.namespace)
        {
            let label = format!("Refer to {}", object.label());
            diagnostic = diagnostic.fix(if sole {
                Fix::safe(label, edits)
            } else {
                Fix::unsafe_(label, edits)
            });
        }
    }
    if let Some(written) = &reference.name {
        for (other, _) in close.iter().take(3) {
            let renamed = ObjectRef {
                name: field(other, reference),
                ..reference.clone()
            };
            if accepted_through(mesh, route_index, &renamed) {
                let edits = vec![replace_scalar(&mesh.sources, written.span, other)];
                let label = format!("Refer to {kind} `{other}`");
                diagnostic = diagnostic.fix(if sole {
                    Fix::safe(label, edits)
                } else {
                    Fix::unsafe_(label, edits)
                });
            }
        }
    }
    diagnostic
}

/// Whether the input has a Gateway that Istio runs.
fn runs_istio_gateways(mesh: &Mesh) -> bool {
    let view = mesh.gateway_api();
    mesh.resources.iter().any(|r| match &r.spec {
        Spec::KubernetesGateway(gateway) => view.class_owner(gateway).is_istio(),
        _ => false,
    })
}

/// Why Istio does not run the Gateway or ListenerSet at `parent`: severity, explanation, and
/// where to point at it. `None` when the input already says everything (no class at all).
fn not_istio(mesh: &Mesh, parent: usize) -> Option<(Severity, String, &Resource)> {
    let view = mesh.gateway_api();
    let holder = view.resource(parent);
    let gateway_reason = |gateway_resource: &Resource| -> Option<(Severity, String)> {
        let Spec::KubernetesGateway(gateway) = &gateway_resource.spec else {
            return None;
        };
        let class = gateway.gateway_class_name.as_ref()?;
        let owner = view.class_owner(gateway);
        let severity = match owner {
            // Configuration for another controller is not a mistake by itself; beside
            // Gateways that Istio runs, a route on one Istio ignores likely is.
            ClassOwner::Foreign { .. } if runs_istio_gateways(mesh) => Severity::Warning,
            ClassOwner::Foreign { .. } | ClassOwner::Unknown => Severity::Info,
            _ => return None,
        };
        let consequence = match owner {
            ClassOwner::Foreign { .. } => "Istio ignores this Gateway; its routes get no status \
                                           from Istio"
                .to_string(),
            _ => "unless that class is Istio's in the cluster, Istio ignores the Gateway and \
                  its routes"
                .to_string(),
        };
        Some((
            severity,
            format!(
                "{} of GatewayClass `{}` is {}: {consequence}",
                gateway_resource.label(),
                class.value,
                owner_text(&owner)
            ),
        ))
    };
    match &holder.spec {
        Spec::KubernetesGateway(_) => {
            let (severity, why) = gateway_reason(holder)?;
            Some((severity, why, holder))
        }
        Spec::ListenerSet(set) => {
            let parent_ref = &set.parent_ref.as_ref()?.value;
            let namespace = parent_ref.namespace_or(&holder.namespace);
            let name = parent_ref.name_value();
            let Some((index, gateway)) = view.gateway(namespace, name) else {
                return Some((
                    mesh.missing_reference_severity(),
                    format!(
                        "{} joins Gateway {namespace}/{name}, which is not in the input",
                        holder.label()
                    ),
                    holder,
                ));
            };
            let gateway_resource = view.resource(index);
            if view.class_owner(gateway).is_istio() {
                return Some((
                    Severity::Warning,
                    format!(
                        "{} does not admit ListenerSets of namespace {} (its \
                         `allowedListeners`): Istio ignores {} and routes attached to it",
                        gateway_resource.label(),
                        holder.namespace,
                        holder.label()
                    ),
                    holder,
                ));
            }
            let (severity, why) = gateway_reason(gateway_resource)?;
            Some((severity, why, holder))
        }
        _ => None,
    }
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (index, route, spec, attachments) in routes(mesh) {
        for attachment in attachments {
            let reference = &spec.parent_refs()[attachment.parent_ref];
            match &attachment.target {
                ParentTarget::Missing {
                    kind,
                    namespace,
                    name,
                } => out.push(missing(
                    mesh,
                    index,
                    route,
                    reference,
                    (kind, namespace, name),
                )),
                ParentTarget::NotIstio { parent } => {
                    let Some((severity, why, holder)) = not_istio(mesh, *parent) else {
                        continue;
                    };
                    let message = format!(
                        "{}'s parentRef names {}, which Istio does not run: {why}",
                        route.label(),
                        holder.label()
                    );
                    out.push(
                        Diagnostic::new(CHECK.id, severity, reference.name_span(), message)
                            .related(holder.name.span, holder.label())
                            .resource(route.reference()),
                    );
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check, check_with};
    use crate::settings::MeshSettings;

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: infra}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n---\n";

    fn route(parent_refs: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: apps}}\nspec:\n  parentRefs:\n{parent_refs}"
        )
    }

    #[test]
    fn flags_parents_not_in_the_input() {
        check(
            "route-parent-not-found",
            &format!(
                "{GATEWAY}{}",
                route(
                    "  - name: public\n#         ^^^^^^ warning: HTTPRoute apps/r's parentRef names Gateway apps/public, which is not in the input: Istio attaches the route to nothing there and writes no status for it, so the cluster shows no error while requests get 404; a Gateway `public` exists in namespace infra [fix]\n  - {name: publik, namespace: infra}\n#          ^^^^^^ warning: did you mean `public` in namespace infra? [fix]\n  - {name: private, namespace: infra}\n#          ^^^^^^^ warning: Gateway infra/private, which is not in the input\n"
                )
            ),
        );
    }

    #[test]
    fn nothing_of_its_kind_in_the_input_is_an_info_unless_the_input_is_complete() {
        let fixture = route(
            "  - name: public\n#         ^^^^^^ SEVERITY: Gateway apps/public, which is not in the input\n",
        );
        check(
            "route-parent-not-found",
            &fixture.replace("SEVERITY", "info"),
        );
        let settings = MeshSettings {
            input_complete: true,
            ..MeshSettings::default()
        };
        check_with(
            settings,
            "route-parent-not-found",
            &fixture.replace("SEVERITY", "warning"),
        );
    }

    #[test]
    fn flags_gateways_istio_does_not_run() {
        let class = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: other}\nspec: {controllerName: example.com/lb}\n---\n";
        let gateway = |class: &str| {
            GATEWAY.replace(
                "gatewayClassName: istio",
                &format!("gatewayClassName: {class}"),
            )
        };
        check(
            "route-parent-not-found",
            &format!(
                "{class}{}{}",
                gateway("other"),
                route(
                    "  - {name: public, namespace: infra}\n#          ^^^^^^ info: Gateway infra/public of GatewayClass `other` is run by example.com/lb, not Istio: Istio ignores this Gateway; its routes get no status from Istio\n"
                )
            ),
        );
        check(
            "route-parent-not-found",
            &format!(
                "{class}{}{}{}",
                gateway("other"),
                GATEWAY.replace("name: public", "name: istio-run"),
                route(
                    "  - {name: public, namespace: infra}\n#          ^^^^^^ warning: is run by example.com/lb, not Istio\n"
                )
            ),
        );
        check(
            "route-parent-not-found",
            &format!(
                "{}{}",
                gateway("acme-lb"),
                route(
                    "  - {name: public, namespace: infra}\n#          ^^^^^^ info: of GatewayClass `acme-lb` is of a GatewayClass that is neither in the input nor one of Istio's\n"
                )
            ),
        );
    }

    #[test]
    fn a_service_of_that_name_hints_at_the_kind() {
        check(
            "route-parent-not-found",
            &format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: reviews, namespace: apps}}\nspec: {{ports: [{{port: 9080}}]}}\n---\n{}",
                route(
                    "  - name: reviews\n#         ^^^^^^^ info: a Service `reviews` exists in namespace apps: a Service parent needs `group: \"\"` and `kind: Service`\n"
                )
            ),
        );
    }

    #[test]
    fn does_not_flag_resolved_parents() {
        check(
            "route-parent-not-found",
            &format!(
                "{GATEWAY}{}",
                route(
                    "  - {name: public, namespace: infra}\n  - {group: \"\", kind: Service, name: reviews}\n"
                )
            ),
        );
    }

    #[test]
    fn fixes_set_the_namespace_or_the_name() {
        let before = format!("{GATEWAY}{}", route("  - name: public\n"));
        assert_fix(
            "route-parent-not-found",
            0,
            &before,
            &before.replace(
                "  - name: public\n",
                "  - name: public\n    namespace: infra\n",
            ),
        );
        let before = format!(
            "{GATEWAY}{}",
            route("  - {name: \"publik\", namespace: infra}\n")
        );
        assert_fix(
            "route-parent-not-found",
            0,
            &before,
            &before.replace("\"publik\"", "\"public\""),
        );
    }
}
