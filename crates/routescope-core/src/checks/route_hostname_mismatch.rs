//! `route-hostname-mismatch`: no hostname of a route intersects the hostname of any listener
//! its parentRef names, so Istio refuses it with NoMatchingListenerHostname.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{append_items, replace_scalar, scalar_like};
use crate::model::Resource;
use crate::model::gateway_api::Route;
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{DenialCause, ParentTarget, listeners_of};
use crate::resolve::gateway_api::{listener_label, lost_traffic, routes};

pub static CHECK: Check = Check {
    id: "route-hostname-mismatch",
    summary: "No hostname of a route matches the hostname of a listener its parentRef names.",
    istio_code: None,
    docs: r#"
## What it does
Intersects the `hostnames` of an HTTPRoute, GRPCRoute or TLSRoute with the `hostname` of each
listener its parentRef names, as Istio does (a leftmost `*.` matches by suffix, a listener
without hostname matches everything). Reports a parentRef whose listeners refuse the route
because no hostname intersects (and none refuses it for its namespace or kind, which Istio
would report instead).

## Why is this bad?
Istio attaches the route to no listener and writes `Accepted: False` with reason
`NoMatchingListenerHostname` (`no hostnames matched parent hostname "…"`). The gateway serves
nothing of the route: requests for its hostnames get 404.

## Fix
Add the listener's hostname to the route's `hostnames`; when the route has a single hostname,
replace it (it matches no listener anyway).

## Fix safety
Safe when exactly one listener hostname is a candidate and it names one host. A wildcard
listener hostname widens the route to every host under it, and with several listener
hostnames the choice is the user's: those fixes are unsafe. Only hostnames of listeners that
would then accept the route (namespace, kind) are offered.
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
    hostname: shop.example.com
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
spec:
  parentRefs:
  - name: gateway
  hostnames:
  - shop.example.org
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
  - name: http
    port: 80
    protocol: HTTP
    hostname: shop.example.com
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
spec:
  parentRefs:
  - name: gateway
  hostnames:
  - shop.example.com
  rules:
  - backendRefs:
    - name: shop
      port: 8080
"#,
    run: Run::OnMesh(run),
};

/// The fix giving the route `hostname`: replacing its only hostname, else adding it.
fn hostname_fix(mesh: &Mesh, spec: &Route, hostname: &str, safe: bool) -> Option<Fix> {
    let hostnames = spec.hostnames.as_ref()?;
    let sources = &mesh.sources;
    let list = mesh.node_at(hostnames.span)?;
    let (label, edit) = match hostnames.value.as_slice() {
        [only] => {
            // Keeps the quotes written; a plain scalar gets them where YAML needs them.
            let quoted = sources.slice(only.span).starts_with(['"', '\'']);
            let edit = if quoted {
                replace_scalar(sources, only.span, hostname)
            } else {
                let item = list.as_sequence()?.first()?;
                Edit::replace(only.span, scalar_like(sources, item, hostname))
            };
            (
                format!("Replace hostname `{}` with `{hostname}`", only.value),
                edit,
            )
        }
        _ => {
            let sibling = list.as_sequence()?.first()?;
            (
                format!("Add hostname `{hostname}`"),
                append_items(sources, list, &[scalar_like(sources, sibling, hostname)])?,
            )
        }
    };
    Some(if safe {
        Fix::safe(label, vec![edit])
    } else {
        Fix::unsafe_(label, vec![edit])
    })
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
            if denial.cause != DenialCause::Hostname {
                continue;
            }
            let reference = &spec.parent_refs()[attachment.parent_ref];
            let holder: &Resource = view.resource(*parent);
            let listeners = listeners_of(holder);
            let refusing: Vec<usize> = attachment
                .denying_listeners()
                .into_iter()
                .map(|(at, _)| at)
                .collect();
            let route_hostnames: Vec<&str> =
                spec.hostname_values().map(|h| h.value.as_str()).collect();
            let written: Vec<String> = route_hostnames.iter().map(|h| format!("`{h}`")).collect();
            let theirs: Vec<String> = refusing
                .iter()
                .map(|&at| {
                    let listener = &listeners[at];
                    format!(
                        "{} (`{}`)",
                        listener_label(holder, listener),
                        listener.hostname_value().unwrap_or("*")
                    )
                })
                .collect();
            let message = format!(
                "{}'s hostnames ({}) match the hostname of no listener it names: {}; Istio \
                 refuses the route (Accepted: False, NoMatchingListenerHostname) and {}",
                route.label(),
                written.join(", "),
                theirs.join(", "),
                lost_traffic(route)
            );
            let mut diagnostic =
                Diagnostic::new(CHECK.id, Severity::Error, reference.name_span(), message)
                    .condition("Accepted", denial.reason())
                    .resource(route.reference());
            // The listener hostnames that would take the route once it has them.
            let mut candidates: Vec<&str> = Vec::new();
            for &at in &refusing {
                let listener = &listeners[at];
                if let Some(hostname) = &listener.hostname {
                    diagnostic = diagnostic.related(
                        hostname.span,
                        format!(
                            "{} accepts only `{}`",
                            listener_label(holder, listener),
                            hostname.value
                        ),
                    );
                    let changed: Vec<&str> = if route_hostnames.len() == 1 {
                        vec![hostname.value.as_str()]
                    } else {
                        let mut all = route_hostnames.clone();
                        all.push(&hostname.value);
                        all
                    };
                    if !candidates.contains(&hostname.value.as_str())
                        && view.listener_takes(index, Some(&changed), *parent, at)
                    {
                        candidates.push(&hostname.value);
                    }
                }
            }
            let only_one = candidates.len() == 1;
            for hostname in candidates {
                let safe = only_one && !hostname.starts_with('*');
                if let Some(fix) = hostname_fix(mesh, spec, hostname, safe) {
                    diagnostic = diagnostic.fix(fix);
                }
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: shop, port: 80, protocol: HTTP, hostname: shop.example.com}\n  - {name: api, port: 80, protocol: HTTP, hostname: \"*.api.example.com\"}\n---\n";

    fn route(spec: &str) -> String {
        format!(
            "{GATEWAY}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r}}\nspec:\n{spec}"
        )
    }

    #[test]
    fn flags_routes_whose_hostnames_match_no_listener() {
        check(
            "route-hostname-mismatch",
            &route(
                "  parentRefs:\n  - name: gw\n#         ^^ error: HTTPRoute default/r's hostnames (`shop.example.org`) match the hostname of no listener it names: listener `shop` of Gateway default/gw (`shop.example.com`), listener `api` of Gateway default/gw (`*.api.example.com`) [fix]\n  hostnames: [shop.example.org]\n",
            ),
        );
        check(
            "route-hostname-mismatch",
            &route(
                "  parentRefs:\n  - name: gw\n#         ^^ error: requests for its hostnames get 404 [fix]\n    sectionName: shop\n  hostnames: [a.api.example.com]\n",
            ),
        );
    }

    #[test]
    fn does_not_flag_intersecting_hostnames() {
        check(
            "route-hostname-mismatch",
            &route("  parentRefs: [{name: gw}]\n  hostnames: [a.b.api.example.com]\n"),
        );
        check(
            "route-hostname-mismatch",
            &route("  parentRefs: [{name: gw, sectionName: shop}]\n"),
        );
    }

    #[test]
    fn fix_replaces_a_single_hostname_with_the_listeners() {
        let before = route(
            "  parentRefs: [{name: gw, sectionName: shop}]\n  hostnames: [\"shop.example.org\"]\n",
        );
        assert_fix(
            "route-hostname-mismatch",
            0,
            &before,
            &before.replace("[\"shop.example.org\"]", "[\"shop.example.com\"]"),
        );
    }

    #[test]
    fn fix_adds_a_hostname_to_several() {
        let before = route(
            "  parentRefs: [{name: gw, sectionName: api}]\n  hostnames:\n  - a.example.org\n  - b.example.org\n",
        );
        assert_fix(
            "route-hostname-mismatch",
            0,
            &before,
            &before.replace(
                "  - b.example.org\n",
                "  - b.example.org\n  - \"*.api.example.com\"\n",
            ),
        );
    }
}
