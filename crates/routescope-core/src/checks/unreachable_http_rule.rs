//! `unreachable-http-rule`: a routing rule that no request can reach, because an earlier rule
//! matches every request or already matches everything it matches.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{HttpRoute, Resource, TlsRoute};
use crate::resolve::Mesh;
use crate::source::Span;
use crate::yaml::{Entry, Node, Value};

pub static CHECK: Check = Check {
    id: "unreachable-http-rule",
    summary: "A routing rule comes after a rule that already takes all of its requests.",
    istio_code: Some("IST0130"),
    docs: r#"
## What it does
Istio tries the rules of a VirtualService in order and uses the first that matches. This
check reports a rule that can never be the first match:

- a rule after a catch-all: an HTTP rule without `match` (or with a `match` entry that sets no
  condition at all) takes every request, so every rule after it is dead. The same holds for
  `tcp` and `tls` rules;
- a rule whose every `match` entry repeats, condition for condition, an entry of earlier rules
  (match `name`s aside), as Istio's own analyzer reports.

Conditions restricting by `gateways`, `port` or `sourceLabels` are conditions too: a rule
with `match: - gateways: [mesh]` is not a catch-all.

## Why is this bad?
The rule's routes, faults, retries or rewrites never take effect, usually because a default
route was written first. Istio accepts the resource and only its analyzer warns (IST0130).

## Fix
Move the catch-all rule to the end of the list, give it a `match`, or delete the dead rule.

## Fix safety
No automatic fix: rule order is the user's intent, and whether the catch-all or the later
rule is the mistake cannot be told from the text.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: reviews, subset: v2}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
"#,
    run: Run::OnMesh(run),
};

/// What reachability needs to know of an `http`, `tls` or `tcp` rule.
struct Rule {
    span: Span,
    /// `"name"` for a named HTTP rule, else its place (`http[2]`).
    label: String,
    matches: Vec<Span>,
    matches_everything: bool,
}

impl Rule {
    fn http(index: usize, route: &HttpRoute) -> Rule {
        Rule {
            span: route.span,
            label: route.name.as_ref().map_or_else(
                || format!("http[{index}]"),
                |name| format!("\"{}\"", name.value),
            ),
            matches: route.match_items().iter().map(|m| m.span).collect(),
            matches_everything: route.is_unconditional(),
        }
    }

    fn layer4(kind: &str, index: usize, route: &TlsRoute) -> Rule {
        let items = route.match_items();
        Rule {
            span: route.span,
            label: format!("{kind}[{index}]"),
            matches: items.iter().map(|m| m.span).collect(),
            matches_everything: items.is_empty() || items.iter().any(|m| m.keys.is_empty()),
        }
    }
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        let http = service.http_routes().iter().enumerate();
        check_rules(
            mesh,
            resource,
            http.map(|(i, r)| Rule::http(i, r)).collect(),
            out,
        );
        for (kind, routes) in [("tls", service.tls_routes()), ("tcp", service.tcp_routes())] {
            let rules = routes.iter().enumerate();
            check_rules(
                mesh,
                resource,
                rules.map(|(i, r)| Rule::layer4(kind, i, r)).collect(),
                out,
            );
        }
    }
}

fn check_rules(mesh: &Mesh, resource: &Resource, rules: Vec<Rule>, out: &mut Vec<Diagnostic>) {
    let mut catch_all: Option<&Rule> = None;
    // Match entries seen so far, parsed for comparison, with the rule that holds each.
    let mut seen: Vec<(&Node, &Rule, Span)> = Vec::new();
    for rule in &rules {
        let primary = mesh.sources.first_line(rule.span);
        if let Some(earlier) = catch_all {
            let why = if earlier.matches.is_empty() {
                "has no `match`"
            } else {
                "has a `match` entry without conditions"
            };
            out.push(
                Diagnostic::new(
                    CHECK.id,
                    Severity::Warning,
                    primary,
                    format!(
                        "rule {} of {} is never used: rule {} before it {why}, so it takes \
                         every request",
                        rule.label,
                        resource.label(),
                        earlier.label
                    ),
                )
                .related(
                    mesh.sources.first_line(earlier.span),
                    format!("rule {} matches every request", earlier.label),
                )
                .istio_code("IST0130")
                .resource(resource.reference()),
            );
            continue;
        }
        if rule.matches_everything {
            catch_all = Some(rule);
            continue;
        }
        let parsed: Vec<(&Node, Span)> = rule
            .matches
            .iter()
            .filter_map(|&span| Some((mesh.node_at(span)?, span)))
            .collect();
        let repeated: Vec<(&Rule, Span)> = parsed
            .iter()
            .filter_map(|(node, _)| {
                seen.iter()
                    .find(|(other, _, _)| same_match(node, other))
                    .map(|&(_, earlier, span)| (earlier, span))
            })
            .collect();
        if !parsed.is_empty() && repeated.len() == rule.matches.len() {
            let mut earlier: Vec<&str> = Vec::new();
            for (rule, _) in &repeated {
                if !earlier.contains(&rule.label.as_str()) {
                    earlier.push(&rule.label);
                }
            }
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Warning,
                primary,
                format!(
                    "rule {} of {} is never used: each of its `match` entries repeats one of \
                     rule {}, which comes first",
                    rule.label,
                    resource.label(),
                    earlier.join(", ")
                ),
            )
            .istio_code("IST0130")
            .resource(resource.reference());
            for (earlier, span) in repeated {
                diagnostic = diagnostic.related(
                    mesh.sources.first_line(span),
                    format!("the same match, in rule {}", earlier.label),
                );
            }
            out.push(diagnostic);
        }
        seen.extend(parsed.into_iter().map(|(node, span)| (node, rule, span)));
    }
}

/// Whether two match entries set the same conditions, ignoring layout, key order and the
/// entry's `name` (as Istio compares them).
fn same_match(a: &Node, b: &Node) -> bool {
    match (a.as_mapping(), b.as_mapping()) {
        (Some(x), Some(y)) => same_entries(x, y, |entry| entry.key.as_str() != Some("name")),
        _ => false,
    }
}

fn same_node(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Scalar(x), Value::Scalar(y)) => x.text == y.text,
        (Value::Sequence(x), Value::Sequence(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_node(x, y))
        }
        (Value::Mapping(x), Value::Mapping(y)) => same_entries(x, y, |_| true),
        _ => false,
    }
}

/// Whether two mappings have the same entries (those `compared`), in any order.
fn same_entries(x: &[Entry], y: &[Entry], compared: impl Fn(&Entry) -> bool) -> bool {
    let x: Vec<&Entry> = x.iter().filter(|e| compared(e)).collect();
    let y: Vec<&Entry> = y.iter().filter(|e| compared(e)).collect();
    x.len() == y.len()
        && x.iter().all(|e| {
            y.iter()
                .any(|f| same_node(&e.key, &f.key) && same_node(&e.value, &f.value))
        })
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    const VS: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [reviews]\n";
    const VS2: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs2}\nspec:\n  hosts: [reviews]\n";

    #[test]
    fn flags_rules_after_a_catch_all() {
        check(
            "unreachable-http-rule",
            &format!(
                r#"{VS}  http:
  - fault: # café ☕
      abort: {{httpStatus: 555, percentage: {{value: 100}}}}
    route:
    - destination: {{host: reviews, subset: v1}}
  - route: # the default
#   ^^^^^^ warning: rule http[1] of VirtualService default/vs is never used: rule http[0] before it has no `match`, so it takes every request
    - destination: {{host: reviews, subset: v1}}
  - name: jason
#   ^^^^^^^^^^^ warning: rule "jason" of VirtualService default/vs is never used
    match: [{{headers: {{end-user: {{exact: jason}}}}}}]
    route:
    - destination: {{host: reviews, subset: v2}}
---
{VS2}  http:
  - match:
    - uri: {{prefix: /api}}
    - {{}}
    route:
    - destination: {{host: reviews}}
  - {{route: [{{destination: {{host: reviews}}}}]}}
#   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ warning: rule http[0] before it has a `match` entry without conditions
  tcp:
  - route:
    - destination: {{host: reviews, port: {{number: 9000}}}}
  - route:
#   ^^^^^^ warning: rule tcp[1] of VirtualService default/vs2 is never used: rule tcp[0] before it has no `match`
    - destination: {{host: reviews, port: {{number: 9001}}}}
"#
            ),
        );
    }

    #[test]
    fn flags_rules_whose_matches_all_repeat_earlier_ones() {
        check(
            "unreachable-http-rule",
            &format!(
                r#"{VS}  http:
  - name: send /api/v1/products to sample.foo
    match:
    - name: prefix /api/v1/products
      uri:
        prefix: /api/v1/products
    route:
    - destination: {{host: foo}}
  - match:
    - {{uri: {{prefix: /potato}}, method: {{exact: GET}}}}
    route:
    - destination: {{host: foo}}
  - name: again
#   ^^^^^^^^^^^ warning: each of its `match` entries repeats one of rule "send /api/v1/products to sample.foo", http[1], which comes first
    match:
    - uri: {{prefix: /api/v1/products}}
    - method:
        exact: GET
      uri:
        prefix: /potato
    route:
    - destination: {{host: bar}}
  tls:
  - match:
    - port: 2443
      sniHosts: [www1.googleapis.com]
    route:
    - destination: {{host: www1.googleapis.com}}
  - match:
#   ^^^^^^ warning: rule tls[1] of VirtualService default/vs is never used: each of its `match` entries repeats one of rule tls[0]
    - sniHosts: [www1.googleapis.com]
      port: 2443
    route:
    - destination: {{host: api1.facebook.com}}
"#
            ),
        );
    }

    #[test]
    fn crlf_line_breaks_do_not_widen_the_span() {
        let fixture = format!(
            r#"{VS}  http:
  - match: [{{uri: {{prefix: /a}}}}]
    route: [{{destination: {{host: reviews}}}}]
  - match: [{{uri: {{prefix: "/a"}}}}]
#   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ warning: each of its `match` entries repeats one of rule http[0]
    route: [{{destination: {{host: ratings}}}}]
"#
        );
        check("unreachable-http-rule", &fixture.replace('\n', "\r\n"));
    }

    #[test]
    fn conditions_and_partial_overlaps_are_not_flagged() {
        check(
            "unreachable-http-rule",
            &format!(
                r#"{VS}  http:
  - match:
    - gateways: [mesh]
    route:
    - destination: {{host: reviews, subset: v1}}
  - match:
    - port: 8080
    route:
    - destination: {{host: reviews, subset: v2}}
  - match:
    - port: 8080
    - sourceLabels: {{app: productpage}}
    route:
    - destination: {{host: reviews, subset: v3}}
  - match:
    - uri: {{prefix: /api}}
    route:
    - destination: {{host: reviews, subset: v3}}
  - match:
    - uri: {{exact: /api}}
    route:
    - destination: {{host: reviews, subset: v3}}
  - route:
    - destination: {{host: reviews, subset: v1}}
  tcp:
  - match: [{{port: 31400}}]
    route:
    - destination: {{host: tcp-echo}}
  - match: [{{port: 31401}}]
    route:
    - destination: {{host: tcp-echo}}
"#
            ),
        );
    }
}
