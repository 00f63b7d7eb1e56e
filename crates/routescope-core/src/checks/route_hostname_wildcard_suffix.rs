//! `route-hostname-wildcard-suffix`: a route attaches to a wildcard listener only because Istio
//! matches two wildcards by suffix, which the Gateway API specification does not promise.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{
    ParentTarget, hostnames_intersect, listeners_of, wildcard_differs_from_spec,
};
use crate::resolve::gateway_api::{listener_label, routes};

pub static CHECK: Check = Check {
    id: "route-hostname-wildcard-suffix",
    summary: "A route's wildcard hostname attaches to a narrower wildcard listener only by Istio's suffix match.",
    istio_code: None,
    docs: r#"
## What it does
Finds routes whose hostnames meet a wildcard listener hostname only through a broader
wildcard: a route for `*.example.com` on a listener for `*.api.example.com`. Istio compares
hostnames with its `host.Name.Matches`, a suffix match in both directions, and accepts the
route. The Gateway API specification's examples have a wildcard listener take only route
hostnames at least as specific as its own (`*.api.example.com`, `v1.api.example.com`), and
Istio's own code carries a comment that the specification means a label match.

## Why is this bad?
It works on Istio, so this is a note, not a warning: the route serves the listener's hosts
(Istio narrows the route's hostname to the listener's). Moved to another implementation, or
to a future Istio that follows the specification's label match, the route may be refused
with `NoMatchingListenerHostname` and its requests get 404.

## Fix
Write the hostname the listener serves (`*.api.example.com`), or a more specific one, in the
route's `hostnames`.

## Fix safety
No fix is offered: which hostnames the route should claim is the user's choice.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: api
    port: 80
    protocol: HTTP
    hostname: "*.api.example.com"
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: api
spec:
  parentRefs:
  - name: gateway
  hostnames: ["*.example.com"]
  rules:
  - backendRefs:
    - name: api
      port: 8080
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: api
    port: 80
    protocol: HTTP
    hostname: "*.api.example.com"
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: api
spec:
  parentRefs:
  - name: gateway
  hostnames: ["*.api.example.com"]
  rules:
  - backendRefs:
    - name: api
      port: 8080
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let view = mesh.gateway_api();
    for (_, route, spec, attachments) in routes(mesh) {
        let hostnames: Vec<_> = spec.hostname_values().collect();
        for attachment in attachments {
            let ParentTarget::Listeners { parent, .. } = attachment.target else {
                continue;
            };
            let holder = view.resource(parent);
            let listeners = listeners_of(holder);
            for at in attachment.accepted_listeners() {
                let listener = &listeners[at];
                let Some(listener_hostname) = listener.hostname_value() else {
                    continue;
                };
                let meeting: Vec<_> = hostnames
                    .iter()
                    .filter(|h| hostnames_intersect(listener_hostname, &h.value))
                    .collect();
                let Some(first) = meeting.first() else {
                    continue;
                };
                if !meeting
                    .iter()
                    .all(|h| wildcard_differs_from_spec(listener_hostname, &h.value))
                {
                    continue;
                }
                let diagnostic = Diagnostic::new(
                    CHECK.id,
                    Severity::Info,
                    first.span,
                    format!(
                        "{} attaches to {} (`{listener_hostname}`) only because Istio matches \
                         wildcards by suffix: `{}` is broader than the listener's hostname, and \
                         the Gateway API specification has a wildcard listener take only \
                         hostnames at least as specific as its own; another implementation may \
                         refuse the route (NoMatchingListenerHostname)",
                        route.label(),
                        listener_label(holder, listener),
                        first.value
                    ),
                )
                .resource(route.reference());
                let diagnostic = match &listener.hostname {
                    Some(hostname) => diagnostic.related(
                        hostname.span,
                        format!("the hostname of {}", listener_label(holder, listener)),
                    ),
                    None => diagnostic,
                };
                out.push(diagnostic);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: api, port: 80, protocol: HTTP, hostname: \"*.api.example.com\"}\n---\n";

    #[test]
    fn notes_a_broader_wildcard_route_hostname() {
        check(
            "route-hostname-wildcard-suffix",
            &format!(
                "{GATEWAY}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r}}\nspec:\n  parentRefs: [{{name: gw}}]\n  hostnames: [\"*.example.com\"]\n#             ^^^^^^^^^^^^^^^ info: only because Istio matches wildcards by suffix\n"
            ),
        );
    }

    #[test]
    fn hostnames_as_specific_as_the_listener_are_not_noted() {
        for hostnames in [
            "[\"*.api.example.com\"]",
            "[v1.api.example.com]",
            "[\"*.v1.api.example.com\"]",
            "[\"*.example.com\", v1.api.example.com]",
        ] {
            check(
                "route-hostname-wildcard-suffix",
                &format!(
                    "{GATEWAY}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r}}\nspec:\n  parentRefs: [{{name: gw}}]\n  hostnames: {hostnames}\n"
                ),
            );
        }
    }
}
