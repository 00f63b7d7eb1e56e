//! `unknown-subset`: a route destination names a subset no DestinationRule defines.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::resolve::{Mesh, fqdn};
use crate::suggest::{is_close, nearest_first};

pub static CHECK: Check = Check {
    id: "unknown-subset",
    summary: "A VirtualService routes to a subset that no DestinationRule for that host defines.",
    istio_code: Some("IST0101"),
    docs: r#"
## What it does
For every `destination` (and `mirror`) with a `subset`, finds the DestinationRule that applies
to the destination host (exact host before wildcard, the VirtualService's namespace first) and
reports a subset that it does not define. Covers the subset part of Istio's IST0101; missing
hosts and secrets are out of its scope.

When the DestinationRule for the host is in the input but lacks the subset, that is an error
(with the defined subsets whose names are close: "did you mean `v1`?"). When the input has
DestinationRules but none for the host, it is a warning, with the DestinationRule hosts close
to it. When the input has no DestinationRule at all, the subset may be defined in a file not
pasted: info by default, a warning with "input is complete".

## Why is this bad?
Envoy has no cluster for the subset: every request routed there fails with `503 NR`
(`no healthy upstream`), typically right after a VirtualService is applied before its
DestinationRule.

## Fix
Define the subset in the host's DestinationRule (`subsets: - name: v2  labels: {version: v2}`)
or route to a subset that exists. Apply the DestinationRule before the VirtualService.

## Fix safety
No automatic fix: the labels that select the subset's pods cannot be guessed.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v3}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v3}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v3
    labels: {version: v3}
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        for destination in service.destinations() {
            let (Some(host), Some(subset)) = (&destination.host, &destination.subset) else {
                continue;
            };
            let full_host = fqdn(&host.value, &resource.namespace);
            let diagnostic = match mesh.destination_rule_for(
                &host.value,
                &resource.namespace,
                &resource.namespace,
            ) {
                None => {
                    let mut message = format!(
                        "{} routes to subset `{}` of {full_host}, but no DestinationRule for \
                         that host is in the input",
                        resource.label(),
                        subset.value
                    );
                    let hosts = rule_hosts(mesh);
                    // With no DestinationRule at all the input is likely partial.
                    let severity = if hosts.is_empty() {
                        mesh.missing_reference_severity()
                    } else {
                        message.push_str(&did_you_mean(&full_host, hosts));
                        Severity::Warning
                    };
                    Diagnostic::new(CHECK.id, severity, subset.span, message)
                }
                Some((rule_resource, rule)) => {
                    let defined: Vec<&str> = rule
                        .subsets
                        .iter()
                        .filter_map(|s| s.name.as_ref().map(|n| n.value.as_str()))
                        .collect();
                    if defined.contains(&subset.value.as_str()) {
                        continue;
                    }
                    let known = if defined.is_empty() {
                        "it defines no subsets".to_string()
                    } else {
                        format!("it defines {}", defined.join(", "))
                    };
                    let named = defined
                        .iter()
                        .map(|d| (d.to_string(), d.to_string()))
                        .collect();
                    let hint = did_you_mean(&subset.value, named);
                    let at = rule
                        .subsets_field
                        .as_ref()
                        .map_or(rule_resource.name.span, |field| field.key);
                    Diagnostic::new(
                        CHECK.id,
                        Severity::Error,
                        subset.span,
                        format!(
                            "{} routes to subset `{}` of {full_host}, which {} does not define \
                             ({known}){hint}",
                            resource.label(),
                            subset.value,
                            rule_resource.label()
                        ),
                    )
                    .related(at, format!("subsets of {}", rule_resource.label()))
                }
            };
            out.push(
                diagnostic
                    .istio_code("IST0101")
                    .resource(resource.reference()),
            );
        }
    }
}

/// The hosts DestinationRules of the input name, as (FQDN, as written).
fn rule_hosts(mesh: &Mesh) -> Vec<(String, String)> {
    mesh.destination_rules()
        .filter_map(|(resource, rule)| {
            let host = rule.host.as_ref()?;
            Some((fqdn(&host.value, &resource.namespace), host.value.clone()))
        })
        .collect()
}

/// `; did you mean `a`?` for the candidates (compared, shown) close to `written`, else nothing.
fn did_you_mean(written: &str, candidates: Vec<(String, String)>) -> String {
    let mut near: Vec<String> = Vec::new();
    for (compared, shown) in nearest_first(written, candidates) {
        let shown = format!("`{shown}`");
        if is_close(written, &compared) && !near.contains(&shown) && near.len() < 3 {
            near.push(shown);
        }
    }
    if near.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", near.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    #[test]
    fn flags_subsets_the_destination_rule_lacks() {
        check(
            "unknown-subset",
            r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews.default.svc.cluster.local
        subset: v1
    - destination:
        host: reviews
        subset: "v9"
#               ^^^^ error: subset `v9` of reviews.default.svc.cluster.local, which DestinationRule default/reviews does not define (it defines v1)
    mirror:
      host: ratings
      subset: v2
#             ^^ warning: no DestinationRule for that host is in the input
  - route:
    - destination: {host: reviws, subset: v1}
#                                         ^^ warning: no DestinationRule for that host is in the input; did you mean `reviews`?
    - destination: {host: reviews, subset: v11}
#                                          ^^^ error: (it defines v1); did you mean `v1`?
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
"#,
        );
    }

    #[test]
    fn with_no_destination_rule_in_the_input_a_subset_is_info() {
        check(
            "unknown-subset",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v2}\n#                                          ^^ info: no DestinationRule for that host is in the input\n",
        );
    }

    #[test]
    fn subsets_of_wildcard_rules_and_other_namespaces_resolve() {
        check(
            "unknown-subset",
            r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ext, namespace: web}
spec:
  hosts: [api.example.com]
  tls:
  - match: [{sniHosts: [api.example.com]}]
    route:
    - destination: {host: api.example.com, subset: eu}
  tcp:
  - route:
    - destination: {host: db.data.svc.cluster.local, subset: primary}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: example, namespace: web}
spec:
  host: "*.example.com"
  subsets: [{name: eu}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db, namespace: data}
spec:
  host: db
  subsets: [{name: primary}]
"#,
        );
    }
}
