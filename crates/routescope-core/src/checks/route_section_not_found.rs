//! `route-section-not-found`: a route's parentRef names a listener (`sectionName`) or a port
//! that its Gateway or ListenerSet does not have, so Istio refuses it with NoMatchingParent.
//! Also the helpers the other route-acceptance checks share: listener labels, what a refusal
//! costs, nearest names, and the edit pointing a parentRef at a listener.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{insert_one_line_entry, replace_scalar, scalar_like};
use crate::model::Resource;
use crate::model::gateway_api::{Listener, ObjectRef};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{DenialCause, ParentTarget, listeners_of};
use crate::resolve::gateway_api::{listener_label, lost_traffic, routes};
use crate::suggest::{is_close, nearest_first};

pub static CHECK: Check = Check {
    id: "route-section-not-found",
    summary: "A route's parentRef names a `sectionName` or `port` that no listener of its Gateway has.",
    istio_code: None,
    docs: r#"
## What it does
Resolves each parentRef of an HTTPRoute, GRPCRoute, TLSRoute or TCPRoute to the listeners of
the Gateway (or ListenerSet) it names, in the order Istio's controller checks them: the
parentRef's `port` first, then its `sectionName`. Reports a parentRef that every listener
refuses by port or section name: the `sectionName` when no listener has that name, the `port`
when the named listener is on another port or no listener has that port.

## Why is this bad?
Istio attaches the route to no listener and writes `Accepted: False` with reason
`NoMatchingParent` (`sectionName "…" not found`, `port … not found`) in the route's status.
The gateway serves nothing of the route: requests for its hostnames get 404, connections of a
TLSRoute or TCPRoute are closed.

## Fix
Name a listener that exists: the listeners of that Gateway are offered nearest first (by
edit distance to what was written), or the port of the named listener.

## Fix safety
Only listeners that would accept the route (hostname, namespace and kind) are offered. The fix
is safe when exactly one of them is close to the name (or port) written, or when the named
listener exists and only the port was wrong; otherwise each candidate is offered as unsafe:
the choice is the user's.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs:
      - name: shop-cert
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
spec:
  parentRefs:
  - name: gateway
    sectionName: htps
  rules:
  - backendRefs:
    - name: shop
      port: 8080
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs:
      - name: shop-cert
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
spec:
  parentRefs:
  - name: gateway
    sectionName: https
  rules:
  - backendRefs:
    - name: shop
      port: 8080
"#,
    run: Run::OnMesh(run),
};

/// Edits making `reference` name `listener` of its parent: its `sectionName` set (inserted
/// after `name` when absent) and a `port` that differs replaced by the listener's.
pub(super) fn point_at_listener(
    mesh: &Mesh,
    reference: &ObjectRef,
    listener: &Listener,
) -> Option<Vec<Edit>> {
    let sources = &mesh.sources;
    let name = listener.name.as_ref()?;
    let mut edits = Vec::new();
    match &reference.section_name {
        Some(section) => edits.push(replace_scalar(sources, section.span, &name.value)),
        None => {
            let node = mesh.node_at(reference.span)?;
            let after = node.entry_index("name")?;
            let sibling = node.get("name")?;
            let value = scalar_like(sources, sibling, &name.value);
            edits.push(insert_one_line_entry(
                sources,
                node,
                Some(after),
                &format!("sectionName: {value}"),
            )?);
        }
    }
    if let Some(port) = &reference.port
        && listener.port_number() != Some(port.value)
    {
        edits.push(Edit::replace(
            port.span,
            listener.port_number()?.to_string(),
        ));
    }
    Some(edits)
}

/// Fixes pointing `reference` at each of `candidates` (listener indices of `holder`, nearest
/// first): safe when exactly one is `close`.
pub(super) fn listener_fixes(
    mesh: &Mesh,
    reference: &ObjectRef,
    holder: &Resource,
    candidates: &[(usize, bool)],
) -> Vec<Fix> {
    let listeners = listeners_of(holder);
    let close = candidates.iter().filter(|(_, close)| *close).count();
    candidates
        .iter()
        .take(3)
        .filter_map(|&(index, is_close)| {
            let listener = &listeners[index];
            let edits = point_at_listener(mesh, reference, listener)?;
            let label = format!("Refer to listener `{}`", listener.name_value());
            Some(if close == 1 && is_close {
                Fix::safe(label, edits)
            } else {
                Fix::unsafe_(label, edits)
            })
        })
        .collect()
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let view = mesh.gateway_api();
    for (index, route, spec, attachments) in routes(mesh) {
        for attachment in attachments {
            let (Some(denial), ParentTarget::Listeners { parent, .. }) =
                (attachment.denial(), &attachment.target)
            else {
                continue;
            };
            if !matches!(denial.cause, DenialCause::Port | DenialCause::SectionName) {
                continue;
            }
            let reference = &spec.parent_refs()[attachment.parent_ref];
            let holder = view.resource(*parent);
            let listeners = listeners_of(holder);
            let takes = |listener: usize| view.listener_takes(index, None, *parent, listener);
            let named = reference.section_name.as_ref().and_then(|section| {
                listeners
                    .iter()
                    .position(|l| l.name_value() == section.value)
                    .map(|at| (section, at))
            });
            let (span, problem, fixes) = match (named, &reference.section_name, &reference.port) {
                (Some((section, at)), _, Some(port)) => {
                    let listener = &listeners[at];
                    let on = listener
                        .port_number()
                        .map_or("no port".to_string(), |p| format!("port {p}"));
                    let fixes = if takes(at) {
                        listener_fixes(mesh, reference, holder, &[(at, true)])
                    } else {
                        Vec::new()
                    };
                    (
                        port.span,
                        format!(
                            "names listener `{}` on port {}, but that listener is on {on}",
                            section.value, port.value
                        ),
                        fixes,
                    )
                }
                (_, Some(section), port) => {
                    let candidates: Vec<(String, usize)> = listeners
                        .iter()
                        .enumerate()
                        .filter(|(at, l)| {
                            port.as_ref()
                                .is_none_or(|p| l.port_number() == Some(p.value))
                                && takes(*at)
                        })
                        .map(|(at, l)| (l.name_value().to_string(), at))
                        .collect();
                    let ranked: Vec<(usize, bool)> = nearest_first(&section.value, candidates)
                        .into_iter()
                        .map(|(name, at)| (at, is_close(&section.value, &name)))
                        .collect();
                    let names: Vec<String> = listeners
                        .iter()
                        .map(|l| format!("`{}`", l.name_value()))
                        .collect();
                    (
                        section.span,
                        format!(
                            "names listener `{}`, which {} does not have (its listeners: {})",
                            section.value,
                            holder.label(),
                            names.join(", ")
                        ),
                        listener_fixes(mesh, reference, holder, &ranked),
                    )
                }
                (_, None, Some(port)) => {
                    let written = port.value.to_string();
                    let mut ports: Vec<(String, u32)> = Vec::new();
                    for (at, listener) in listeners.iter().enumerate() {
                        if let Some(number) = listener.port_number()
                            && takes(at)
                            && !ports.iter().any(|(_, p)| *p == number)
                        {
                            ports.push((number.to_string(), number));
                        }
                    }
                    let ranked = nearest_first(&written, ports);
                    let close = ranked.iter().filter(|(p, _)| is_close(&written, p)).count();
                    let fixes = ranked
                        .iter()
                        .take(3)
                        .map(|(text, _)| {
                            let label = format!("Refer to port {text}");
                            let edit = vec![Edit::replace(port.span, text.clone())];
                            if close == 1 && is_close(&written, text) {
                                Fix::safe(label, edit)
                            } else {
                                Fix::unsafe_(label, edit)
                            }
                        })
                        .collect();
                    let mut all: Vec<String> = listeners
                        .iter()
                        .filter_map(|l| l.port_number().map(|p| p.to_string()))
                        .collect();
                    all.dedup();
                    (
                        port.span,
                        format!(
                            "names port {}, which no listener of {} has (its ports: {})",
                            port.value,
                            holder.label(),
                            all.join(", ")
                        ),
                        fixes,
                    )
                }
                (_, None, None) => continue,
            };
            let message = format!(
                "{}'s parentRef {problem}: Istio refuses the route (Accepted: False, \
                 NoMatchingParent: {}) and {}",
                route.label(),
                denial.message,
                lost_traffic(route)
            );
            let mut diagnostic = Diagnostic::new(CHECK.id, Severity::Error, span, message)
                .condition("Accepted", denial.reason())
                .resource(route.reference());
            for (at, _) in attachment.denying_listeners() {
                let listener = &listeners[at];
                let port = listener
                    .port_number()
                    .map_or(String::new(), |p| format!(" (port {p})"));
                diagnostic = diagnostic.related(
                    listener.name_span(),
                    format!("{}{port}", listener_label(holder, listener)),
                );
            }
            for fix in fixes {
                diagnostic = diagnostic.fix(fix);
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: http, port: 80, protocol: HTTP}\n  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert}]}}\n  - {name: tcp, port: 9000, protocol: TCP}\n---\n";

    fn route(parent_refs: &str) -> String {
        format!(
            "{GATEWAY}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r}}\nspec:\n  parentRefs:\n{parent_refs}"
        )
    }

    #[test]
    fn flags_names_and_ports_no_listener_has() {
        check(
            "route-section-not-found",
            &route(
                r#"  - name: gw
    sectionName: htps
#                ^^^^ error: names listener `htps`, which Gateway default/gw does not have (its listeners: `http`, `https`, `tcp`) [fix]
  - name: gw
    port: 8443
#         ^^^^ error: names port 8443, which no listener of Gateway default/gw has (its ports: 80, 443, 9000) [fix]
  - name: gw
    sectionName: http
    port: 443
#         ^^^ error: names listener `http` on port 443, but that listener is on port 80 [fix]
  - name: gw
    sectionName: zzzzzzzzzz
#                ^^^^^^^^^^ error: NoMatchingParent: sectionName "zzzzzzzzzz" not found; sectionName [fix]
"#,
            ),
        );
    }

    #[test]
    fn does_not_flag_listeners_that_exist_or_other_refusals() {
        check(
            "route-section-not-found",
            &route(
                "  - {name: gw, sectionName: https}\n  - {name: gw, port: 80}\n  - {name: gw, sectionName: http, port: 80}\n  - {name: gw, sectionName: tcp}\n  - {name: elsewhere, sectionName: x}\n",
            ),
        );
    }

    #[test]
    fn fixes_name_the_nearest_listener() {
        let before = route("  - name: gw\n    sectionName: htps\n");
        assert_fix(
            "route-section-not-found",
            0,
            &before,
            &before.replace("sectionName: htps", "sectionName: https"),
        );
        let before = route("  - {name: gw, port: 8443}\n");
        assert_fix(
            "route-section-not-found",
            0,
            &before,
            &before.replace("port: 8443", "port: 443"),
        );
        let before = route("  - name: gw\n    sectionName: http\n    port: 443\n");
        assert_fix(
            "route-section-not-found",
            0,
            &before,
            &before.replace("port: 443\n", "port: 80\n"),
        );
    }

    #[test]
    fn only_listeners_that_take_the_route_are_offered() {
        // `tcp` is nearest to `tc`, but it would refuse an HTTPRoute.
        let before = route("  - name: gw\n    sectionName: tc\n");
        assert_fix(
            "route-section-not-found",
            0,
            &before,
            &before.replace("sectionName: tc", "sectionName: http"),
        );
    }
}
