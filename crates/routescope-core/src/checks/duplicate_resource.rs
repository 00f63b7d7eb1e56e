//! `duplicate-resource`: two documents with the same kind, namespace and name; the later one
//! replaces the earlier.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::resolve::Mesh;

pub static CHECK: Check = Check {
    id: "duplicate-resource",
    summary: "A resource whose kind, namespace and name a later document repeats: the later one replaces it.",
    istio_code: None,
    docs: r#"
## What it does
Finds resources that share kind, namespace and name with a later resource of the input, as
happens when files are concatenated or a resource is pasted twice.

## Why is this bad?
The cluster holds one object per kind, namespace and name. `kubectl apply` of the input applies
the documents in order, so the last one wins and the earlier one's content is lost without a
word: its routes, subsets or servers are not in force. Routescope resolves the mesh the same way
(the earlier resource is left out of every other check, the graph and the tracer), and says so
here, at the overridden resource's name, with the one that replaces it.

## Fix
Delete the document that should not be applied, or rename one of the two if both are meant to
exist.

## Fix safety
No automatic fix: only the author knows which of the two is meant.
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
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for overridden in &mesh.overridden {
        let resource = &overridden.resource;
        let survivor = &mesh.resources[overridden.survivor];
        out.push(
            Diagnostic::new(
                CHECK.id,
                Severity::Warning,
                resource.name.span,
                format!(
                    "{} is defined again later in the input: as `kubectl apply` would, the later one replaces this one, which is not in force",
                    resource.label()
                ),
            )
            .related(survivor.name.span, "the resource that replaces it")
            .resource(resource.reference()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    const ID: &str = "duplicate-resource";

    #[test]
    fn flags_every_resource_a_later_namesake_replaces() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
#                ^^^^^^^ warning: DestinationRule shop/reviews is defined again later
spec: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: other}
spec: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec: {hosts: [reviews]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
#                ^^^^^^^ warning: DestinationRule shop/reviews is defined again later
spec: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec: {host: reviews, subsets: [{name: v1}]}
"#,
        );
    }

    #[test]
    fn the_survivor_is_the_one_the_mesh_keeps() {
        let analysis = crate::analyze(
            crate::source::Sources::single("a.yaml", super::CHECK.bad_example),
            crate::settings::MeshSettings::default(),
        );
        let kept: Vec<_> = analysis.mesh.virtual_services().collect();
        assert_eq!(kept.len(), 1);
        let subset = kept[0].1.http_routes()[0].route[0]
            .destination
            .subset
            .as_ref();
        assert_eq!(subset.map(|s| s.value.as_str()), Some("v2"));
        let diagnostic = analysis
            .diagnostics
            .iter()
            .find(|d| d.check == super::CHECK.id)
            .unwrap();
        assert_eq!(diagnostic.related[0].span, kept[0].0.name.span);
    }
}
