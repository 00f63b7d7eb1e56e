//! `route-weights-total`: the destinations of a rule split traffic with weights that do not
//! add up to 100.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{insert_one_line_entry, is_flow, replace_scalar};
use crate::model::{Field, Resource, RouteDestination, TlsRoute};
use crate::resolve::Mesh;

pub static CHECK: Check = Check {
    id: "route-weights-total",
    summary: "The weights of a rule's destinations do not add up to 100.",
    istio_code: None,
    docs: r#"
## What it does
For every `http`, `tls` and `tcp` rule with several destinations, adds up their `weight`s (a
destination without `weight` counts as 0) and reports a total other than 100.

## Why is this bad?
Weights are percentages in Istio's documentation and older releases reject other totals.
Current releases accept them and read each weight as a share of the total, so `50` and `40`
send 55.6% and 44.4%, not the 50/40 that was written; a destination without `weight` next to
weighted ones gets no traffic at all; several destinations without any weight total 0, which
Istio rejects (the schema error IST0106; reported as an error here). Remember also that a
weighted split only shows over many requests: with the Envoy sidecar up to about 100 requests
may be needed before the distribution is visible.

## Fix
Make the weights add up to 100.

## Fix safety
- Safe: when every destination has a weight and each scales to a whole number, the fix
  scales the weights to a total of 100. Current Istio routes exactly as before (the shares
  are unchanged) and the numbers now say the percentages.
- Unsafe: when destinations lack a weight and the others total less than 100, the fix gives
  them the rest (split evenly); when the weights cannot be scaled, the fix sets the last
  weight to what makes 100. Both change the traffic split to a guess of the intent.
- No fix when the given weights already exceed 100 and some are missing.
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
      weight: 50
    - destination: {host: reviews, subset: v3}
      weight: 40
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 60
    - destination: {host: reviews, subset: v3}
      weight: 40
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        let http: Vec<_> = service
            .http_routes()
            .iter()
            .map(|rule| (rule.route.as_slice(), rule.route_field.as_ref()))
            .collect();
        let kinds = [
            ("http", http),
            ("tls", layer4_rules(service.tls_routes())),
            ("tcp", layer4_rules(service.tcp_routes())),
        ];
        for (kind, rules) in kinds {
            for (index, (route, route_field)) in rules.into_iter().enumerate() {
                let Some(route_field) = route_field else {
                    continue;
                };
                let rule = format!("{kind}[{index}]");
                check_rule(mesh, resource, &rule, route, route_field, out);
            }
        }
    }
}

/// The destinations and `route` key of each `tls` or `tcp` rule.
fn layer4_rules(rules: &[TlsRoute]) -> Vec<(&[RouteDestination], Option<&Field<()>>)> {
    rules
        .iter()
        .map(|rule| (rule.route.as_slice(), rule.route_field.as_ref()))
        .collect()
}

fn check_rule(
    mesh: &Mesh,
    resource: &Resource,
    rule: &str,
    route: &[RouteDestination],
    route_field: &Field<()>,
    out: &mut Vec<Diagnostic>,
) {
    if route.len() < 2 {
        return;
    }
    // A weight that did not load (not a number) is invalid-field's error; without it the
    // total is unknown, and a destination that has a `weight` key must not get a second one.
    let unreadable_weight = route.iter().any(|dest| {
        dest.weight.is_none()
            && mesh
                .node_at(dest.span)
                .is_some_and(|item| item.get("weight").is_some())
    });
    if unreadable_weight {
        return;
    }
    let weights: Vec<Option<i64>> = route
        .iter()
        .map(|dest| dest.weight.as_ref().map(|w| w.value))
        .collect();
    let total: i64 = weights.iter().flatten().sum();
    if total == 100 {
        return;
    }
    let unweighted = weights.iter().filter(|w| w.is_none()).count();
    let (severity, effect) = if total == 0 {
        (
            Severity::Error,
            "Istio rejects a rule whose destinations total 0".to_string(),
        )
    } else {
        let shares: Vec<String> = weights
            .iter()
            .map(|w| {
                // Tenths of a percent in integers, rounded half up (no float formatting).
                let tenths = (w.unwrap_or(0) * 1000 + total / 2) / total;
                format!("{}.{}%", tenths / 10, tenths % 10)
            })
            .collect();
        let mut effect = format!(
            "older Istio releases reject it and current ones split the traffic {}",
            shares.join(" / ")
        );
        if unweighted > 0 {
            effect.push_str(", a destination without `weight` getting none");
        }
        (Severity::Warning, effect)
    };
    let mut diagnostic = Diagnostic::new(
        CHECK.id,
        severity,
        route_field.key,
        format!(
            "the {} destinations of rule {rule} of {} have weights adding up to {total}, not \
             100: {effect}; note that a weighted split only shows over about 100 requests",
            route.len(),
            resource.label()
        ),
    )
    .resource(resource.reference());
    for dest in route {
        if let Some(weight) = &dest.weight {
            diagnostic = diagnostic.related(weight.span, "weight");
        }
    }
    if total == 0 {
        diagnostic = diagnostic.istio_code("IST0106");
    }
    if let Some(fix) = fix(mesh, route, &weights, total) {
        diagnostic = diagnostic.fix(fix);
    }
    out.push(diagnostic);
}

fn fix(
    mesh: &Mesh,
    route: &[RouteDestination],
    weights: &[Option<i64>],
    total: i64,
) -> Option<Fix> {
    let unweighted = weights.iter().filter(|w| w.is_none()).count();
    if unweighted > 0 {
        let rest = 100 - total;
        if rest < 0 {
            return None;
        }
        // Share the rest evenly; the first destinations take the remainder.
        let mut shares = (0..unweighted as i64)
            .map(|i| rest / unweighted as i64 + i64::from(i < rest % unweighted as i64));
        let edits = route
            .iter()
            .filter(|dest| dest.weight.is_none())
            .map(|dest| add_weight(mesh, dest, shares.next()?))
            .collect::<Option<Vec<Edit>>>()?;
        let label = if unweighted == 1 {
            format!("Give the remaining {rest} to the destination without a weight")
        } else {
            format!("Share the remaining {rest} among the destinations without a weight")
        };
        return Some(Fix::unsafe_(label, edits));
    }
    let weights: Vec<&Field<i64>> = route.iter().filter_map(|d| d.weight.as_ref()).collect();
    let scales = total > 0
        && weights
            .iter()
            .all(|w| w.value >= 0 && w.value * 100 % total == 0);
    if scales {
        let edits = weights
            .iter()
            .map(|w| replace_scalar(&mesh.sources, w.span, &(w.value * 100 / total).to_string()))
            .collect();
        return Some(Fix::safe(
            "Scale the weights to 100 (the same split)",
            edits,
        ));
    }
    let (last, others) = weights.split_last()?;
    let rest = 100 - others.iter().map(|w| w.value).sum::<i64>();
    (rest >= 0).then(|| {
        Fix::unsafe_(
            format!("Set the last weight to {rest}"),
            vec![replace_scalar(&mesh.sources, last.span, &rest.to_string())],
        )
    })
}

/// Adds `weight: <n>` to a route destination: after its `destination` in flow style, as a new
/// line of the list item in block style.
fn add_weight(mesh: &Mesh, dest: &RouteDestination, weight: i64) -> Option<Edit> {
    let item = mesh.node_at(dest.span)?;
    let after = if is_flow(&mesh.sources, item) {
        Some(item.entry_index("destination")?)
    } else {
        item.as_mapping()?.len().checked_sub(1)
    };
    insert_one_line_entry(&mesh.sources, item, after, &format!("weight: {weight}"))
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const VS: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [reviews]\n";

    #[test]
    fn flags_weights_that_do_not_total_100() {
        check(
            "route-weights-total",
            &format!(
                r#"{VS}  http:
  - route:
#   ^^^^^ warning: the 2 destinations of rule http[0] of VirtualService default/vs have weights adding up to 90, not 100: older Istio releases reject it and current ones split the traffic 55.6% / 44.4%; note that a weighted split only shows over about 100 requests [fix]
    - destination: {{host: reviews, subset: v1}}
      weight: 50
    - destination: {{host: reviews, subset: v3}}
      weight: 40
  - route:
#   ^^^^^ warning: adding up to 20, not 100: older Istio releases reject it and current ones split the traffic 0.0% / 100.0%, a destination without `weight` getting none [fix]
    - destination: {{host: reviews, subset: v1}}
    - destination: {{host: reviews, subset: v2}}
      weight: 20
  tcp:
  - route: [{{destination: {{host: a}}}}, {{destination: {{host: b}}}}]
#   ^^^^^ error: rule tcp[0] of VirtualService default/vs have weights adding up to 0, not 100: Istio rejects a rule whose destinations total 0 [fix]
  tls:
  - match: [{{sniHosts: [reviews]}}]
    route:
#   ^^^^^ warning: rule tls[0] of VirtualService default/vs have weights adding up to 120
    - destination: {{host: a}}
      weight: 70
    - {{destination: {{host: b}}, weight: 50}}
    - destination: {{host: c}}
"#
            ),
        );
    }

    #[test]
    fn a_weight_that_is_not_a_number_leaves_the_rule_to_invalid_field() {
        // Found by fuzzing: the unreadable weight counted as missing, and the fix added a
        // second `weight` key to the destination.
        check(
            "route-weights-total",
            &format!(
                r#"{VS}  http:
  - route:
    - destination: {{host: reviews, subset: v1}}
      weight: 50
    - destination: {{host: reviews, subset: v3}}
      weight: number
"#
            ),
        );
    }

    #[test]
    fn totals_of_100_and_single_destinations_are_not_flagged() {
        check(
            "route-weights-total",
            &format!(
                r#"{VS}  http:
  - route:
    - destination: {{host: reviews, subset: v1}}
      weight: 75
    - destination: {{host: reviews, subset: v2}}
      weight: 25
    - destination: {{host: reviews, subset: v3}}
  - route:
    - destination: {{host: reviews, subset: v1}}
      weight: 30
  - route:
    - destination: {{host: reviews, subset: v1}}
  tcp:
  - route: [{{destination: {{host: a}}, weight: 100}}, {{destination: {{host: b}}, weight: 0}}]
"#
            ),
        );
    }

    #[test]
    fn fix_scales_weights_that_keep_their_split() {
        let before = format!(
            "{VS}  http:\n  - route:\n    - destination: {{host: a}}\n      weight: 1 # café ☕\n    - {{destination: {{host: b}}, weight: 3}}\n"
        );
        let after = before
            .replace("weight: 1 #", "weight: 25 #")
            .replace("weight: 3}", "weight: 75}");
        assert_fix("route-weights-total", 0, &before, &after);
    }

    #[test]
    fn fix_sets_the_last_weight_when_scaling_is_inexact() {
        let before = format!(
            "{VS}  http:\r\n  - route:\r\n    - destination: {{host: a}}\r\n      weight: 50\r\n    - destination: {{host: b}}\r\n      weight: 40\r\n"
        );
        let after = before.replace("weight: 40", "weight: 50");
        assert_fix("route-weights-total", 0, &before, &after);
    }

    #[test]
    fn fix_gives_the_rest_to_destinations_without_weight() {
        let before = format!(
            "{VS}  http:\r\n  - route:\r\n    - destination:\r\n        host: a # café ☕\r\n    - destination:\r\n        host: b\r\n      weight: 20\r\n"
        );
        let after = before.replace(
            "        host: a # café ☕\r\n",
            "        host: a # café ☕\r\n      weight: 80\r\n",
        );
        assert_fix("route-weights-total", 0, &before, &after);
    }

    #[test]
    fn fix_splits_evenly_when_no_weight_is_given() {
        let before = format!(
            "{VS}  tcp:\n  - route: [{{destination: {{host: a}}}}, {{destination: {{host: b}}}}, {{destination: {{host: c}}}}]\n"
        );
        let after = before
            .replace("{host: a}}", "{host: a}, weight: 34}")
            .replace("{host: b}}", "{host: b}, weight: 33}")
            .replace("{host: c}}", "{host: c}, weight: 33}");
        assert_fix("route-weights-total", 0, &before, &after);
    }
}
