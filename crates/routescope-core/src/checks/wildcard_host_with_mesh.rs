//! `wildcard-host-with-mesh`: host `*` on a VirtualService that applies to the mesh.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::delete_items;
use crate::resolve::{Mesh, applies_to_mesh};

pub static CHECK: Check = Check {
    id: "wildcard-host-with-mesh",
    summary: "A VirtualService that applies to the mesh has the host `*`, which Istio rejects.",
    istio_code: Some("IST0106"),
    docs: r#"
## What it does
Reports the host `*` on a VirtualService that applies to the sidecars of the mesh: one whose
`gateways` is omitted (or empty), which means the reserved gateway `mesh`, or lists `mesh`
explicitly. A VirtualService bound only to ingress or egress Gateways may use `*`.

## Why is this bad?
Istio rejects the resource (`wildcard host * is not allowed for virtual services bound to the
mesh gateway`; `istioctl analyze` reports it as the schema error IST0106): `*` would capture
the traffic of every service in the mesh. Nothing of the VirtualService is applied.

## Fix
Bind the VirtualService only to its Gateways (remove `mesh` from `gateways`), or list the
real host names of the services it routes instead of `*`.

## Fix safety
When `gateways` lists `mesh` together with Gateways, an Unsafe fix removes the `mesh` entry:
the rules then no longer apply to traffic between services, which may be what the `mesh`
entry was there for. With `gateways` omitted there is no fix: only the user knows the hosts
or the Gateway meant.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway, mesh]
  http:
  - route:
    - destination: {host: productpage}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - route:
    - destination: {host: productpage}
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        if !applies_to_mesh(service) {
            continue;
        }
        let mesh_entry = service
            .gateways
            .as_ref()
            .and_then(|gateways| gateways.value.iter().position(|g| g.value == "mesh"));
        for host in service.host_values().filter(|host| host.value == "*") {
            let why = if mesh_entry.is_some() {
                "its `gateways` lists `mesh`"
            } else {
                "its `gateways` is omitted, which means `mesh`"
            };
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Error,
                host.span,
                format!(
                    "{} has host `*` and applies to the mesh ({why}): Istio rejects `*` for \
                     VirtualServices bound to the mesh, so none of its rules apply",
                    resource.label()
                ),
            )
            .istio_code("IST0106")
            .resource(resource.reference());
            if let (Some(gateways), Some(index)) = (&service.gateways, mesh_entry) {
                diagnostic = diagnostic.related(
                    gateways.value[index].span,
                    "binds the VirtualService to the sidecars of the mesh",
                );
                let entry = gateways.value[index].span;
                let edits = mesh.node_at(gateways.span).and_then(|list| {
                    let items = list.as_sequence()?;
                    // Entries that are not strings are dropped from the model: removing `mesh`
                    // would leave no Gateway the model sees, and no `gateways` means the mesh.
                    if items.len() != gateways.value.len() {
                        return None;
                    }
                    let at = items.iter().position(|item| item.span == entry)?;
                    delete_items(&mesh.sources, list, &[at])
                });
                if let Some(edits) = edits {
                    diagnostic = diagnostic.fix(Fix::unsafe_(
                        "Bind the VirtualService only to its Gateways (remove `mesh`)",
                        edits,
                    ));
                }
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const VS: &str =
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n";
    const VS2: &str =
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs2}\nspec:\n";
    const VS3: &str =
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs3}\nspec:\n";

    #[test]
    fn flags_star_hosts_applying_to_the_mesh() {
        check(
            "wildcard-host-with-mesh",
            &format!(
                r#"{VS}  hosts:
  - "*"
#   ^^^ error: VirtualService default/vs has host `*` and applies to the mesh (its `gateways` is omitted, which means `mesh`)
  http:
  - route:
    - destination: {{host: a}}
---
{VS2}  hosts: ['*', a.example.com]
#         ^^^ error: its `gateways` lists `mesh` [fix]
  gateways:
  - istio-system/public # ingress
  - mesh
  http:
  - route:
    - destination: {{host: a}}
---
{VS3}  hosts: ["*"]
#         ^^^ error: Istio rejects `*` for VirtualServices bound to the mesh
  gateways: []
"#
            ),
        );
    }

    #[test]
    fn gateway_only_and_real_hosts_are_not_flagged() {
        check(
            "wildcard-host-with-mesh",
            &format!(
                r#"{VS}  hosts: ["*"]
  gateways: [bookinfo-gateway, istio-system/meshy]
---
{VS}  hosts: ["*.example.com", reviews]
  gateways: [mesh]
---
{VS}  hosts: [reviews]
"#
            ),
        );
    }

    #[test]
    fn no_fix_when_entries_that_are_not_names_stand_beside_mesh() {
        // Found by fix_mutated_yaml: `- gw:` is a mapping, which the model drops, so removing
        // `mesh` would leave `gateways` without a name the model sees: still the mesh.
        check(
            "wildcard-host-with-mesh",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts:\n  - \"*\"\n#   ^^^ error: VirtualService default/vs\n  gateways:\n  - gw:\n  - mesh\n",
        );
    }

    #[test]
    fn fix_removes_the_mesh_entry_of_a_block_list() {
        let before = format!(
            "{VS}  # café ☕\r\n  hosts: [\"*\"]\r\n  gateways:\r\n  - mesh # sidecars\r\n  - public\r\n"
        );
        let after = before.replace("  - mesh # sidecars\r\n", "");
        assert_fix("wildcard-host-with-mesh", 0, &before, &after);
    }

    #[test]
    fn fix_removes_the_mesh_entry_of_a_flow_list() {
        let before = format!("{VS}  hosts: [\"*\"]\n  gateways: [mesh, public]\n");
        let after = before.replace("[mesh, public]", "[public]");
        assert_fix("wildcard-host-with-mesh", 0, &before, &after);
        let before = format!("{VS}  hosts: [\"*\"]\n  gateways: [public, \"mesh\"]\n");
        let after = before.replace("[public, \"mesh\"]", "[public]");
        assert_fix("wildcard-host-with-mesh", 0, &before, &after);
    }
}
