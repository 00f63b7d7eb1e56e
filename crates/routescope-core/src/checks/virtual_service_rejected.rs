//! `virtual-service-rejected`: an `http` rule of a VirtualService that Istio's validation
//! webhook refuses (its `validateHTTPRouteConflict` and match checks), so `kubectl apply`
//! fails.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Resource;
use crate::names::is_dns1123_label;
use crate::resolve::Mesh;
use crate::source::Span;
use crate::yaml::Node;

pub static CHECK: Check = Check {
    id: "virtual-service-rejected",
    summary: "An `http` rule of a VirtualService combines what Istio's validation webhook refuses (a redirect with a route, fault or rewrite; a delegating rule with a route), or has none of route, redirect, direct response and delegate.",
    istio_code: Some("IST0106"),
    docs: r#"
## What it does
Ports these rules of Istio's validation webhook (`pkg/config/validation/virtualservice.go`)
for each `http` rule, with the webhook's own wording:

- a `redirect` with a non-empty `route`, with a `fault`, or with a `rewrite`;
- a rule with none of `route`, `redirect`, `directResponse` and `delegate`;
- a rule that delegates (`delegate`) and also sets `route` or `redirect`;
- in a delegate VirtualService (one without `hosts`), a rule that delegates again;
- a `match[].sourceNamespace` that is not a namespace name (RFC 1123 label).

Not ported here: header names and values, CORS, retries, timeouts, rewrite and redirect
details, and the delegate-only rules on regex matches.

## Why is this bad?
The webhook rejects the VirtualService (`admission webhook "validation.istio.io" denied the
request`), so none of its rules take effect; where the webhook is not installed, Envoy
gets a route whose outcome is not the one written.

## Fix
Keep one action per rule: a `redirect` alone, or a `route` (with its `fault` and
`rewrite`); a delegating rule only names its delegate.

## Fix safety
No automatic fix: which of the two actions was meant cannot be known.
"#,
    bad_example: "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: shop\nspec:\n  hosts: [shop.example.com]\n  http:\n  - redirect: {uri: /v2}\n    route:\n    - destination: {host: shop}\n",
    good_example: "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: shop\nspec:\n  hosts: [shop.example.com]\n  http:\n  - redirect: {uri: /v2}\n",
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, _) in mesh.virtual_services() {
        let Some(spec) = resource.node.get("spec") else {
            continue;
        };
        let delegate_service = spec
            .get("hosts")
            .and_then(Node::as_sequence)
            .is_none_or(<[Node]>::is_empty);
        let rules = spec.get("http").and_then(Node::as_sequence).unwrap_or(&[]);
        for rule in rules {
            check_rule(resource, rule, delegate_service, out);
        }
    }
}

fn check_rule(resource: &Resource, rule: &Node, delegate_service: bool, out: &mut Vec<Diagnostic>) {
    let Some(entries) = rule.as_mapping() else {
        return;
    };
    let key = |name: &str| {
        entries
            .iter()
            .find(|entry| entry.key.as_str() == Some(name) && !entry.value.is_null())
            .map(|entry| entry.key.span)
    };
    let route = entries
        .iter()
        .find(|entry| entry.key.as_str() == Some("route"))
        .filter(|entry| {
            entry
                .value
                .as_sequence()
                .is_some_and(|items| !items.is_empty())
        })
        .map(|entry| entry.key.span);
    let mut reject = |span: Span, message: &str| {
        out.push(
            Diagnostic::new(CHECK.id, Severity::Error, span, message.to_string())
                .istio_code("IST0106")
                .resource(resource.reference()),
        );
    };
    let redirect = key("redirect");
    let delegate = key("delegate");
    if let Some(delegate) = delegate {
        if delegate_service {
            reject(delegate, "delegate HTTP route cannot contain delegate");
        } else {
            if redirect.is_some() {
                reject(delegate, "root HTTP route must not specify redirect");
            }
            if route.is_some() {
                reject(delegate, "root HTTP route must not specify route");
            }
            return;
        }
    }
    if let Some(redirect) = redirect {
        if route.is_some() {
            reject(
                redirect,
                "HTTP route cannot contain both route and redirect",
            );
        }
        if key("fault").is_some() {
            reject(
                redirect,
                "HTTP route cannot contain both fault and redirect",
            );
        }
        if key("rewrite").is_some() {
            reject(
                redirect,
                "HTTP route rule cannot contain both rewrite and redirect",
            );
        }
    } else if route.is_none() && delegate.is_none() && key("directResponse").is_none() {
        let span = entries.first().map_or(rule.span, |entry| entry.key.span);
        reject(span, "HTTP route or redirect is required");
    }
    let matches = rule.get("match").and_then(Node::as_sequence).unwrap_or(&[]);
    for namespace in matches.iter().filter_map(|m| m.get("sourceNamespace")) {
        if let Some(text) = namespace.as_str()
            && !is_dns1123_label(text)
        {
            reject(
                namespace.span,
                &format!("sourceNamespace match {text} is invalid"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    const HEAD: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: shop\nspec:\n";

    #[test]
    fn flags_what_the_webhook_refuses() {
        check(
            "virtual-service-rejected",
            &format!(
                r#"{HEAD}  hosts: [shop.example.com]
  http:
  - redirect: {{uri: /v2}}
#   ^^^^^^^^ error: HTTP route cannot contain both route and redirect
    route:
    - destination: {{host: shop}}
  - redirect: {{uri: /v3}}
#   ^^^^^^^^ error: HTTP route cannot contain both fault and redirect
    fault: {{abort: {{httpStatus: 503, percentage: {{value: 1}}}}}}
  - match: [{{sourceNamespace: Front_End}}]
#   ^^^^^ error: HTTP route or redirect is required
#                             ^^^^^^^^^ error: sourceNamespace match Front_End is invalid
  - delegate: {{name: reviews}}
#   ^^^^^^^^ error: root HTTP route must not specify route
    route:
    - destination: {{host: shop}}
"#
            ),
        );
    }

    #[test]
    fn a_delegate_service_must_not_delegate_again() {
        check(
            "virtual-service-rejected",
            &format!(
                "{HEAD}  http:\n  - delegate: {{name: deeper}}\n#   ^^^^^^^^ error: delegate HTTP route cannot contain delegate\n"
            ),
        );
    }

    #[test]
    fn one_action_per_rule_is_accepted() {
        check(
            "virtual-service-rejected",
            &format!(
                r#"{HEAD}  hosts: [shop.example.com]
  http:
  - match: [{{sourceNamespace: front-end}}]
    redirect: {{uri: /v2}}
  - directResponse: {{status: 404}}
  - delegate: {{name: reviews}}
  - route: []
    redirect: {{uri: /v3}}
  - route:
    - destination: {{host: shop}}
    fault: {{abort: {{httpStatus: 503, percentage: {{value: 1}}}}}}
    rewrite: {{uri: /}}
"#
            ),
        );
    }
}
