//! `ingress-bypasses-mesh-subsets`: a gateway's route ignores the subsets a mesh
//! VirtualService pins for the same host.

use std::collections::HashMap;

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::insert_one_line_entry;
use crate::model::{Destination, Field, Resource, Spanned, VirtualService};
use crate::resolve::{Mesh, applies_to_mesh, fqdn, hosts_intersect};

pub static CHECK: Check = Check {
    id: "ingress-bypasses-mesh-subsets",
    summary: "A gateway VirtualService routes to a host without a subset while the mesh VirtualService for that host routes to subsets.",
    istio_code: Some("IST0140"),
    docs: r#"
## What it does
Finds HTTP routes of VirtualServices bound only to Gateways (not to `mesh`) whose destination
has no `subset`, while a VirtualService that applies to the mesh (its `gateways` omitted or
listing `mesh`) has that destination among its `hosts` and routes it to subsets. Hosts are
compared as FQDNs, short names expanded in each VirtualService's namespace.

## Why is this bad?
A VirtualService applies to the requests addressed to its own hosts, at the proxies it is
bound to. Requests through the ingress gateway carry the gateway host (`myapp.com`), so only
the gateway's VirtualService routes them; the mesh VirtualService for
`helloworld.default.svc.cluster.local` only configures sidecars. Ingress traffic therefore
goes round-robin to every version of the service, while traffic inside the mesh goes to the
pinned subset: version routing seems to work for some requests and not for others.

## Fix
Put the subset into the gateway's route as well (`subset: v1` next to the `host`). When the
mesh routing is conditional or weighted, merge both VirtualServices into one bound to `mesh`
and the gateway (list both hosts; restrict rules with `match: - gateways: [...]` where they
differ), as the Istio troubleshooting guide shows.

## Fix safety
Safe when the mesh VirtualService sends all of that host's traffic to one subset (a single,
unconditional rule with one destination) and the subset is defined (or no DestinationRule for
the host is in the input): the fix adds that `subset` to the gateway's destination, which is
what the docs prescribe, and needs no value from the user. No fix for conditional or weighted
mesh routing: how to merge the rules is a decision about intent.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: myapp
spec:
  hosts: ["myapp.com"]
  gateways: [myapp-gateway]
  http:
  - match:
    - uri: {prefix: /hello}
    route:
    - destination:
        host: helloworld.default.svc.cluster.local
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: helloworld
spec:
  hosts: [helloworld.default.svc.cluster.local]
  http:
  - route:
    - destination:
        host: helloworld.default.svc.cluster.local
        subset: v1
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: myapp
spec:
  hosts: ["myapp.com"]
  gateways: [myapp-gateway]
  http:
  - match:
    - uri: {prefix: /hello}
    route:
    - destination:
        host: helloworld.default.svc.cluster.local
        subset: v1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: helloworld
spec:
  hosts: [helloworld.default.svc.cluster.local]
  http:
  - route:
    - destination:
        host: helloworld.default.svc.cluster.local
        subset: v1
"#,
    run: Run::OnMesh(run),
};

/// A mesh VirtualService that routes one of its hosts to subsets.
struct MeshSubsetRouting<'m> {
    resource: &'m Resource,
    /// The `hosts` entry of the VirtualService that covers the destination host.
    host_entry: &'m Spanned<String>,
    subsets: Vec<&'m Field<String>>,
    /// The subset that receives all of the host's traffic, when the VirtualService has one
    /// unconditional rule with one destination.
    pinned: Option<&'m Field<String>>,
}

/// The subset routings of the mesh VirtualServices, by destination host (FQDN).
fn mesh_subset_routings(mesh: &Mesh) -> HashMap<String, Vec<MeshSubsetRouting<'_>>> {
    let mut by_host: HashMap<String, Vec<MeshSubsetRouting>> = HashMap::new();
    for (resource, service) in mesh.virtual_services() {
        if !applies_to_mesh(service) {
            continue;
        }
        for destination in route_destinations(service) {
            let (Some(host), Some(subset)) = (&destination.host, &destination.subset) else {
                continue;
            };
            let host = fqdn(&host.value, &resource.namespace);
            // One VirtualService's destinations are read together, so its routing for the
            // host, if any, is the last one.
            if let Some(routing) = by_host
                .get_mut(&host)
                .and_then(|routings| routings.last_mut())
                .filter(|routing| std::ptr::eq(routing.resource, resource))
            {
                routing.subsets.push(subset);
                continue;
            }
            let Some(host_entry) = service
                .host_values()
                .find(|h| hosts_intersect(&fqdn(&h.value, &resource.namespace), &host))
            else {
                continue;
            };
            let pinned = pinned_subset(service).filter(|pinned| std::ptr::eq(*pinned, subset));
            by_host.entry(host).or_default().push(MeshSubsetRouting {
                resource,
                host_entry,
                subsets: vec![subset],
                pinned,
            });
        }
    }
    by_host
}

fn route_destinations(service: &VirtualService) -> impl Iterator<Item = &Destination> {
    service
        .http_routes()
        .iter()
        .flat_map(|rule| rule.route.iter().map(|dest| &dest.destination))
}

/// The subset of a VirtualService whose only HTTP rule is unconditional and has one
/// destination with a subset.
fn pinned_subset(service: &VirtualService) -> Option<&Field<String>> {
    let [rule] = service.http_routes() else {
        return None;
    };
    let [only] = rule.route.as_slice() else {
        return None;
    };
    if !rule.is_unconditional() {
        return None;
    }
    only.destination.subset.as_ref()
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let routings = mesh_subset_routings(mesh);
    if routings.is_empty() {
        return;
    }
    for (resource, service) in mesh.virtual_services() {
        if applies_to_mesh(service) {
            continue;
        }
        for destination in route_destinations(service).filter(|d| d.subset.is_none()) {
            let Some(host) = &destination.host else {
                continue;
            };
            let target = fqdn(&host.value, &resource.namespace);
            if let Some(matching) = routings.get(&target) {
                out.push(diagnostic(mesh, resource, destination, &target, matching));
            }
        }
    }
}

fn diagnostic(
    mesh: &Mesh,
    resource: &Resource,
    destination: &Destination,
    target: &str,
    matching: &[MeshSubsetRouting],
) -> Diagnostic {
    let host = destination
        .host
        .as_ref()
        .expect("only destinations with a host are reported");
    let first = &matching[0];
    let mut subsets: Vec<&str> = Vec::new();
    for subset in &first.subsets {
        if !subsets.contains(&subset.value.as_str()) {
            subsets.push(&subset.value);
        }
    }
    // A fix only when one mesh VirtualService sends all of the host's traffic to one subset.
    let pinned = match matching {
        [only] => only.pinned,
        _ => None,
    };
    let advice = match pinned {
        Some(pinned) => format!("add `subset: {}` to this destination", pinned.value),
        None => "add the subset here, or merge both into one VirtualService bound to `mesh` and \
              the gateway, restricting rules with `match: - gateways:`"
            .to_string(),
    };
    let mut diagnostic = Diagnostic::new(
        CHECK.id,
        Severity::Warning,
        host.span,
        format!(
            "{} routes gateway traffic to {target} without a subset, so the subset routing of \
             {} (subset {}) does not apply to it: a mesh VirtualService only configures \
             sidecars, and ingress requests reach every version; {advice}",
            resource.label(),
            first.resource.label(),
            subsets.join(", "),
        ),
    )
    .istio_code("IST0140")
    .resource(resource.reference());
    for routing in matching {
        diagnostic = diagnostic.related(
            routing.host_entry.span,
            format!(
                "{} routes this host inside the mesh",
                routing.resource.label()
            ),
        );
        for subset in &routing.subsets {
            diagnostic = diagnostic.related(
                subset.span,
                format!("subset `{}` for traffic inside the mesh", subset.value),
            );
        }
    }
    if let Some(pinned) = pinned
        && subset_is_defined(mesh, resource, target, &pinned.value)
        && let Some(edit) = add_subset(mesh, destination, pinned)
    {
        diagnostic = diagnostic.fix(Fix::safe(
            format!("Route to subset `{}` as the mesh does", pinned.value),
            vec![edit],
        ));
    }
    diagnostic
}

/// A subset may be copied when the DestinationRule for the host defines it, or when no
/// DestinationRule for the host is in the input (it may live in a file not pasted).
fn subset_is_defined(mesh: &Mesh, resource: &Resource, host: &str, subset: &str) -> bool {
    match mesh.destination_rule_for(host, &resource.namespace, &resource.namespace) {
        None => true,
        Some((_, rule)) => rule
            .subsets
            .iter()
            .any(|s| s.name.as_ref().is_some_and(|name| name.value == subset)),
    }
}

/// Adds `subset: <name>` to a destination after its `host`: a new line in block style, an
/// entry in flow style (`{host: a, subset: v1}`). The subset is written as the mesh
/// VirtualService wrote it.
fn add_subset(mesh: &Mesh, destination: &Destination, subset: &Field<String>) -> Option<Edit> {
    let written = mesh.sources.slice(subset.span);
    let subset_text = if written.contains(['\n', '\r']) {
        subset.value.as_str()
    } else {
        written
    };
    let node = mesh.node_at(destination.span)?;
    insert_one_line_entry(
        &mesh.sources,
        node,
        Some(node.entry_index("host")?),
        &format!("subset: {subset_text}"),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const HELLOWORLD: &str = r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: helloworld}
spec:
  hosts:
  - helloworld.default.svc.cluster.local
  http:
  - route:
    - destination:
        host: helloworld.default.svc.cluster.local
        subset: v1
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld}
spec:
  host: helloworld
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
"#;

    #[test]
    fn flags_gateway_routes_that_skip_the_mesh_subsets() {
        check(
            "ingress-bypasses-mesh-subsets",
            &format!(
                r#"{HELLOWORLD}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: myapp}}
spec:
  hosts: ["myapp.com"]
  gateways: [myapp-gateway]
  http:
  - match:
    - uri: {{prefix: /hello}}
    route:
    - destination:
        # café ☕ → the service
        host: helloworld
#             ^^^^^^^^^^ warning: VirtualService default/myapp routes gateway traffic to helloworld.default.svc.cluster.local without a subset, so the subset routing of VirtualService default/helloworld (subset v1) does not apply [fix]
  - route:
    - destination: {{host: "helloworld.default.svc.cluster.local", port: {{number: 80}}}}
#                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ warning: add `subset: v1` to this destination [fix]
"#
            ),
        );
    }

    #[test]
    fn conditional_mesh_routing_gets_advice_without_a_fix() {
        check(
            "ingress-bypasses-mesh-subsets",
            r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: bookinfo}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
    - destination: {host: reviews, subset: v3}
      weight: 50
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: public, namespace: bookinfo}
spec:
  hosts: [bookinfo.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: reviews.bookinfo.svc.cluster.local}
#                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ warning: (subset v2, v1, v3) does not apply to it: a mesh VirtualService only configures sidecars, and ingress requests reach every version; add the subset here, or merge both
"#,
        );
    }

    #[test]
    fn near_misses_are_not_flagged() {
        check(
            "ingress-bypasses-mesh-subsets",
            &format!(
                r#"{HELLOWORLD}# Routes with a subset, and a VirtualService bound to the gateway and the mesh.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: myapp}}
spec:
  hosts: [myapp.com, helloworld]
  gateways: [myapp-gateway, mesh]
  http:
  - route:
    - destination: {{host: helloworld, subset: v1}}
  - route:
    - destination: {{host: helloworld}}
---
# `helloworld` in another namespace is another host.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: other, namespace: prod}}
spec:
  hosts: [other.com]
  gateways: [public]
  http:
  - route:
    - destination: {{host: helloworld}}
---
# Subset routing of a gateway-only VirtualService does not make it a mesh rule.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: ratings, namespace: prod}}
spec:
  hosts: [ratings]
  gateways: [public]
  http:
  - route:
    - destination: {{host: ratings, subset: v1}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: ratings-public, namespace: prod}}
spec:
  hosts: [ratings.example.com]
  gateways: [public]
  http:
  - route:
    - destination: {{host: ratings}}
---
# A mesh VirtualService routing to subsets of a host it does not serve.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: egress, namespace: prod}}
spec:
  hosts: [api.example.com]
  http:
  - route:
    - destination: {{host: istio-egressgateway.istio-system.svc.cluster.local, subset: api}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: egress-gateway, namespace: prod}}
spec:
  hosts: [api.example.com]
  gateways: [istio-system/egress]
  http:
  - route:
    - destination: {{host: istio-egressgateway.istio-system.svc.cluster.local}}
"#
            ),
        );
    }

    #[test]
    fn an_undefined_pinned_subset_is_not_copied() {
        check(
            "ingress-bypasses-mesh-subsets",
            r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: helloworld}
spec:
  hosts: [helloworld]
  http:
  - route:
    - destination: {host: helloworld, subset: v9}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld}
spec:
  host: helloworld
  subsets: [{name: v1}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: myapp}
spec:
  hosts: [myapp.com]
  gateways: [myapp-gateway]
  http:
  - route:
    - destination: {host: helloworld}
#                         ^^^^^^^^^^ warning: add `subset: v9` to this destination
"#,
        );
    }

    #[test]
    fn fix_adds_the_subset_under_the_host_line() {
        let before = format!(
            "{HELLOWORLD}apiVersion: networking.istio.io/v1\r\nkind: VirtualService\r\nmetadata: {{name: myapp}}\r\nspec:\r\n  hosts: [myapp.com]\r\n  gateways: [myapp-gateway]\r\n  http:\r\n  - route:\r\n    - destination:\r\n        host: helloworld # café ☕\r\n        port: {{number: 80}}\r\n"
        );
        let after = before.replace(
            "host: helloworld # café ☕\r\n",
            "host: helloworld # café ☕\r\n        subset: v1\r\n",
        );
        assert_fix("ingress-bypasses-mesh-subsets", 0, &before, &after);
    }

    #[test]
    fn fix_adds_the_subset_in_flow_style() {
        let before = format!(
            "{HELLOWORLD}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: myapp}}\nspec:\n  hosts: [myapp.com]\n  gateways: [myapp-gateway]\n  http:\n  - route:\n    - destination: {{host: 'helloworld', port: {{number: 80}}}}\n"
        );
        let after = before.replace("'helloworld', port", "'helloworld', subset: v1, port");
        assert_fix("ingress-bypasses-mesh-subsets", 0, &before, &after);
    }
}
