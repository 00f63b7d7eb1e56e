//! `unused-subset-policy`: a subset-level traffic policy that no route sends traffic to.

use super::{Check, Run};
use crate::diagnostic::Diagnostic;
use crate::resolve::{Mesh, fqdn, hosts_intersect};

pub static CHECK: Check = Check {
    id: "unused-subset-policy",
    summary: "A DestinationRule subset has a trafficPolicy, but no VirtualService routes to that subset.",
    istio_code: None,
    docs: r#"
## What it does
Reports a DestinationRule subset that carries its own `trafficPolicy` (connection pool,
load balancer, TLS, outlier detection) while no VirtualService of the input routes to that
subset.

A subset's policy applies only to requests a route sends to the subset explicitly; requests to
the host without a subset use the top-level policy. When the input may be partial (the
default) the route may live in a file not pasted, so this is info; with "input is complete" it
is a warning.

## Why is this bad?
The policy is never applied, silently: the Istio best-practices page ("Set default routes for
services") shows a connection limit on subset `v1` that has no effect because nothing routes
to `v1`.

## Fix
Add a default route for the service that names the subset (a VirtualService with
`route: - destination: {host: reviews, subset: v1}`), or move the policy to the
DestinationRule's top-level `trafficPolicy` if it is meant for all traffic to the host.

## Fix safety
No automatic fix: whether the route or the policy's level is wrong cannot be known.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
    trafficPolicy:
      connectionPool:
        tcp:
          maxConnections: 100
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
    trafficPolicy:
      connectionPool:
        tcp:
          maxConnections: 100
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    // (host, subset) pairs that some route sends traffic to.
    let routed: Vec<(String, &str)> = mesh
        .virtual_services()
        .flat_map(|(resource, service)| {
            service.destinations().filter_map(|destination| {
                Some((
                    fqdn(&destination.host.as_ref()?.value, &resource.namespace),
                    destination.subset.as_ref()?.value.as_str(),
                ))
            })
        })
        .collect();
    for (resource, rule) in mesh.destination_rules() {
        let Some(host) = &rule.host else { continue };
        let host = fqdn(&host.value, &resource.namespace);
        for subset in &rule.subsets {
            let (Some(name), Some(policy)) = (&subset.name, &subset.traffic_policy) else {
                continue;
            };
            let is_routed = routed.iter().any(|(routed_host, routed_subset)| {
                *routed_subset == name.value && hosts_intersect(routed_host, &host)
            });
            if is_routed {
                continue;
            }
            out.push(
                Diagnostic::new(
                    CHECK.id,
                    mesh.missing_reference_severity(),
                    policy.key,
                    format!(
                        "subset `{}` of {} has its own trafficPolicy, but no VirtualService in \
                         the input routes to that subset of {host}: the policy only applies to \
                         traffic routed to the subset",
                        name.value,
                        resource.label()
                    ),
                )
                .related(name.span, "the subset")
                .resource(resource.reference()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{check, check_with};
    use crate::settings::MeshSettings;

    const RULE: &str = r#"apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 10}}
  subsets:
  - name: v1 # café ☕
    trafficPolicy:
#   ^^^^^^^^^^^^^ info: subset `v1` of DestinationRule shop/reviews has its own trafficPolicy
      loadBalancer: {simple: ROUND_ROBIN}
  - name: v2
    trafficPolicy: {loadBalancer: {simple: RANDOM}}
  - name: v3
"#;

    #[test]
    fn flags_policies_of_subsets_nothing_routes_to() {
        let fixture = format!(
            "{RULE}---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: reviews, namespace: other}}\nspec:\n  hosts: [reviews.shop.svc.cluster.local]\n  http:\n  - route:\n    - destination: {{host: reviews.shop.svc.cluster.local, subset: v2}}\n    - destination: {{host: reviews, subset: v1}}\n"
        );
        // `reviews` in namespace `other` is another host: v1 of shop/reviews stays unrouted.
        check("unused-subset-policy", &fixture);
    }

    #[test]
    fn complete_input_makes_it_a_warning() {
        let settings = MeshSettings {
            input_complete: true,
            ..MeshSettings::default()
        };
        let fixture = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: r\n  subsets:\n  - name: v1\n    trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n#   ^^^^^^^^^^^^^ warning: subset `v1`\n";
        check_with(settings, "unused-subset-policy", fixture);
    }
}
