//! `listener-invalid-route-kinds`: a listener's `allowedRoutes.kinds` lists a kind its protocol
//! cannot carry, so Istio sets its `ResolvedRefs` False with reason InvalidRouteKinds.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::{delete_entries, delete_items};
use crate::model::gateway_api::{GROUP, Listener};
use crate::model::{Named, Resource, Spec};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::listener_label;
use crate::resolve::gateway_api::{group_kind, group_kind_text, protocol_route_kinds};

pub static CHECK: Check = Check {
    id: "listener-invalid-route-kinds",
    summary: "A listener's `allowedRoutes.kinds` lists a route kind its protocol cannot carry.",
    istio_code: None,
    docs: r#"
## What it does
Compares each entry of a listener's `allowedRoutes.kinds` with the kinds its protocol
carries in Istio: HTTP and HTTPS carry HTTPRoute and GRPCRoute, TLS with `mode: Passthrough`
TLSRoute, TLS that terminates TLSRoute and TCPRoute, TCP TCPRoute (the `group` defaults to
`gateway.networking.k8s.io`). Reports an entry naming another kind, and an entry listed twice
(Istio counts the kinds it keeps against the entries written). Listeners of Gateways (and
ListenerSets) that Istio runs are checked.

## Why is this bad?
Istio sets the listener's `ResolvedRefs` condition False with reason `InvalidRouteKinds`
(`Invalid route kinds`) and leaves the entry out of `supportedKinds`; routes of that kind
are refused (`NotAllowedByListeners`). The listener keeps serving its other kinds, but the
configuration does not do what it says: usually the listener's protocol or the kind is wrong.

## Fix
Remove the entry. When it is the only one, remove `kinds` (the listener then carries every
kind of its protocol).

## Fix safety
Removing an entry that cannot take effect is safe while other entries remain. Removing the
last one, and with it `kinds`, is unsafe: the listener then admits every kind of its
protocol, not only the ones listed.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      kinds:
      - kind: HTTPRoute
      - kind: TCPRoute
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      kinds:
      - kind: HTTPRoute
"#,
    run: Run::OnMesh(run),
};

/// The Gateways and accepted ListenerSets Istio runs, with their resource index.
fn istio_holders(mesh: &Mesh) -> impl Iterator<Item = &Resource> {
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

fn check_listener(mesh: &Mesh, holder: &Resource, listener: &Listener, out: &mut Vec<Diagnostic>) {
    let Some(kinds) = listener
        .allowed_routes
        .as_ref()
        .and_then(|a| a.value.kinds.as_ref())
    else {
        return;
    };
    let carried = protocol_route_kinds(listener);
    let carried_text: Vec<&str> = carried.iter().map(|k| k.kind()).collect();
    let protocol = listener.protocol.as_ref().map_or("", |p| p.value.as_str());
    let entries = &kinds.value;
    for (at, entry) in entries.iter().enumerate() {
        let (group, kind) = group_kind(entry, GROUP, "");
        let carries = group == GROUP && carried.iter().any(|c| c.kind() == kind);
        let twice = entries[..at]
            .iter()
            .any(|earlier| group_kind(earlier, GROUP, "") == (group, kind));
        if carries && !twice {
            continue;
        }
        let what = group_kind_text(group, kind);
        let problem = if twice {
            format!("lists `{what}` twice")
        } else if carried.is_empty() {
            format!(
                "lists `{what}`, but protocol {protocol} carries no route kind Istio implements"
            )
        } else {
            format!(
                "lists `{what}`, but its protocol ({protocol}{}) carries only {}",
                match listener.tls_mode() {
                    Some(mode) if protocol == "TLS" => format!(", mode {}", mode.name()),
                    _ => String::new(),
                },
                carried_text.join(" and ")
            )
        };
        let message = format!(
            "`allowedRoutes.kinds` of {} {problem}: Istio sets the listener's ResolvedRefs \
             False (InvalidRouteKinds) and refuses routes of that kind",
            listener_label(holder, listener)
        );
        let span = entry.kind.as_ref().map_or(entry.span, |k| k.span);
        let mut diagnostic = Diagnostic::new(CHECK.id, Severity::Warning, span, message)
            .condition("ResolvedRefs", "InvalidRouteKinds")
            .resource(holder.reference())
            .related(listener.name_span(), listener_label(holder, listener));
        if let Some(fix) = removal(mesh, listener, at) {
            diagnostic = diagnostic.fix(fix);
        }
        out.push(diagnostic);
    }
}

/// Removes entry `at` of the listener's `kinds`; when it is the last, `kinds` itself (and
/// `allowedRoutes` when nothing else is in it).
fn removal(mesh: &Mesh, listener: &Listener, at: usize) -> Option<Fix> {
    let sources = &mesh.sources;
    let allowed = listener.allowed_routes.as_ref()?;
    let kinds = allowed.value.kinds.as_ref()?;
    let list = mesh.node_at(kinds.span)?;
    if let Some(edits) = delete_items(sources, list, &[at]) {
        return Some(Fix::safe("Remove the kind", edits));
    }
    let allowed_node = mesh.node_at(allowed.span)?;
    let label = "Remove `kinds`: the listener admits every kind of its protocol";
    if let Some(edits) =
        delete_entries(sources, allowed_node, &[allowed_node.entry_index("kinds")?])
    {
        return Some(Fix::unsafe_(label, edits));
    }
    let listener_node = mesh.node_at(listener.span)?;
    let edits = delete_entries(
        sources,
        listener_node,
        &[listener_node.entry_index("allowedRoutes")?],
    )?;
    Some(Fix::unsafe_(label, edits))
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for holder in istio_holders(mesh) {
        let listeners = match &holder.spec {
            Spec::KubernetesGateway(gateway) => &gateway.listeners,
            Spec::ListenerSet(set) => &set.listeners,
            _ => continue,
        };
        for listener in listeners {
            check_listener(mesh, holder, listener, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    fn gateway(class: &str, listeners: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n  gatewayClassName: {class}\n  listeners:\n{listeners}"
        )
    }

    #[test]
    fn flags_kinds_the_protocol_cannot_carry() {
        check(
            "listener-invalid-route-kinds",
            &gateway(
                "istio",
                r#"  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      kinds:
      - kind: HTTPRoute
      - kind: TLSRoute
#             ^^^^^^^^ warning: `allowedRoutes.kinds` of listener `http` of Gateway default/gw lists `gateway.networking.k8s.io/TLSRoute`, but its protocol (HTTP) carries only HTTPRoute and GRPCRoute [fix]
      - {group: "", kind: GRPCRoute}
#                         ^^^^^^^^^ warning: lists `GRPCRoute`, but its protocol [fix]
      - kind: HTTPRoute
#             ^^^^^^^^^ warning: lists `gateway.networking.k8s.io/HTTPRoute` twice [fix]
  - name: tls
    port: 443
    protocol: TLS
    tls: {mode: Passthrough}
    allowedRoutes: {kinds: [{kind: TCPRoute}]}
#                                  ^^^^^^^^ warning: its protocol (TLS, mode Passthrough) carries only TLSRoute [fix]
"#,
            ),
        );
    }

    #[test]
    fn does_not_flag_carried_kinds_or_gateways_istio_does_not_run() {
        check(
            "listener-invalid-route-kinds",
            &gateway(
                "istio",
                "  - {name: tls, port: 443, protocol: TLS, tls: {mode: Terminate, certificateRefs: [{name: c}]}, allowedRoutes: {kinds: [{kind: TLSRoute}, {kind: TCPRoute}]}}\n",
            ),
        );
        check(
            "listener-invalid-route-kinds",
            &gateway(
                "example",
                "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: TCPRoute}]}}\n",
            ),
        );
    }

    #[test]
    fn fixes_remove_the_entry_or_the_kinds() {
        let before = gateway(
            "istio",
            "  - name: http\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      kinds:\n      - kind: HTTPRoute\n      - kind: TCPRoute\n",
        );
        assert_fix(
            "listener-invalid-route-kinds",
            0,
            &before,
            &before.replace("      - kind: TCPRoute\n", ""),
        );
        let before = gateway(
            "istio",
            "  - name: http\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      namespaces: {from: All}\n      kinds:\n      - kind: TCPRoute\n",
        );
        assert_fix(
            "listener-invalid-route-kinds",
            0,
            &before,
            &before.replace("      kinds:\n      - kind: TCPRoute\n", ""),
        );
        let before = gateway(
            "istio",
            "  - name: http\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      kinds: [{kind: TCPRoute}]\n",
        );
        assert_fix(
            "listener-invalid-route-kinds",
            0,
            &before,
            &before.replace("    allowedRoutes:\n      kinds: [{kind: TCPRoute}]\n", ""),
        );
    }
}
