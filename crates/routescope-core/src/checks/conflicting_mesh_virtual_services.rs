//! `conflicting-mesh-virtual-services`: two VirtualServices of the mesh for one host (IST0109).

use std::collections::HashMap;

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Resource, Spanned, VirtualService};
use crate::resolve::{Mesh, applies_to_mesh, fqdn};

pub static CHECK: Check = Check {
    id: "conflicting-mesh-virtual-services",
    summary: "Two VirtualServices of the mesh (no `gateways`, or `mesh`) for the same host: a sidecar uses only the oldest.",
    istio_code: Some("IST0109"),
    docs: r#"
## What it does
Finds hosts that more than one VirtualService applied to the mesh names (short names expanded
in each VirtualService's namespace), among VirtualServices visible to the same namespaces
(`exportTo: ["."]` keeps one to its own namespace).

## Why is this bad?
A sidecar builds one virtual host per host. Istio merges VirtualServices for one host only on
gateways; for the mesh it takes the oldest (by `creationTimestamp`, then name, then namespace)
and drops the others' rules for that host, so which rules apply changes when a resource is
re-created. The dropped rules look in force and are not.

## Fix
Put the rules of both into one VirtualService (in the order they should be tried), or give each
VirtualService its own hosts.

## Fix safety
No automatic fix: merging rules changes their order, which decides the route.
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
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews-canary
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
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

/// The oldest VirtualService of a host (keyed as Istio's analyzer scopes it: the FQDN, and
/// the namespace when `exportTo` keeps the VirtualService to it).
struct InForce<'m> {
    entry: &'m Spanned<String>,
    resource: &'m Resource,
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let mut hosts: HashMap<(Option<&str>, String), InForce> = HashMap::new();
    let mut services: Vec<(&Resource, &VirtualService)> = mesh
        .virtual_services()
        .filter(|(_, service)| applies_to_mesh(service))
        .collect();
    crate::order::sort_by(&mut services, |a, b| a.0.istio_config_order(b.0));
    for (resource, service) in services {
        let scope = private_scope(resource, service);
        for entry in service.host_values() {
            let host = fqdn(&entry.value, &resource.namespace);
            let Some(kept) = hosts.get(&(scope, host.clone())) else {
                hosts.insert((scope, host), InForce { entry, resource });
                continue;
            };
            if std::ptr::eq(kept.resource, resource) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    CHECK.id,
                    Severity::Warning,
                    entry.span,
                    format!(
                        "{} and {} both route host {host} for the mesh: sidecars use only the older, {}, so the rules of {} for it are not in force",
                        kept.resource.label(),
                        resource.label(),
                        kept.resource.label(),
                        resource.label()
                    ),
                )
                .related(kept.entry.span, "the VirtualService in force for this host")
                .istio_code("IST0109")
                .resource(resource.reference()),
            );
        }
    }
}

/// The namespace a VirtualService is private to (`exportTo` of `.` or its own namespace only).
fn private_scope<'m>(resource: &'m Resource, service: &VirtualService) -> Option<&'m str> {
    let export: Vec<&str> = service
        .export_to
        .iter()
        .flat_map(|e| e.value.iter().map(|v| v.value.as_str()))
        .collect();
    let private = !export.is_empty()
        && export
            .iter()
            .all(|ns| *ns == "." || *ns == resource.namespace);
    private.then_some(resource.namespace.as_str())
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    const ID: &str = "conflicting-mesh-virtual-services";

    #[test]
    fn flags_the_younger_virtual_service_of_a_host() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-b, creationTimestamp: "2024-05-01T00:00:00Z"}
spec:
  hosts: [reviews, ratings.default.svc.cluster.local]
#         ^^^^^^^ warning: VirtualService default/reviews-a and VirtualService default/reviews-b both route host reviews.default.svc.cluster.local for the mesh: sidecars use only the older
  gateways: [mesh, istio-system/public]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-a, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [reviews.default.svc.cluster.local]
"#,
        );
    }

    #[test]
    fn gateway_only_private_and_foreign_namespace_hosts_do_not_conflict() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge}
spec:
  hosts: [reviews]
  gateways: [istio-system/public]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: team}
spec:
  hosts: [reviews]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-private, namespace: team}
spec:
  hosts: [reviews.default.svc.cluster.local]
  exportTo: ["."]
"#,
        );
    }
}
