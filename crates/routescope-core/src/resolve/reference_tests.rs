use super::*;
use crate::settings::MeshSettings;
use crate::source::Sources;

const GATEWAY: &str = r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: public
  namespace: istio-system
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
"#;

const ROUTES: &str = r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public, mesh, missing]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
    - destination: {host: reviews, subset: v9}
    - destination: {host: nowhere.example.com}
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
---
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  ports:
  - {port: 9080, name: http}
"#;

const GATEWAY_API: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: web
    port: 80
    protocol: HTTP
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: store
spec:
  parentRefs:
  - name: edge
  - name: gone
  rules:
  - backendRefs:
    - name: reviews
      port: 9080
    - name: absent
      port: 80
"#;

fn mesh() -> Mesh {
    let mut sources = Sources::new();
    sources.add("gateway.yaml", GATEWAY);
    sources.add("routes.yaml", ROUTES);
    sources.add("gateway-api.yaml", GATEWAY_API);
    crate::analyze(sources, MeshSettings::default()).mesh
}

/// The reference at the first occurrence of `needle` after `after` in file `file`, with the
/// texts of its targets.
fn at(mesh: &Mesh, file: u32, after: &str, needle: &str) -> Option<(Reference, Vec<String>)> {
    let text = mesh.sources.text(FileId(file));
    let from = text.find(after).expect("anchor in the text");
    let offset = from + text[from..].find(needle).expect("needle after the anchor");
    let reference = mesh.reference_at(FileId(file), offset + 1)?;
    let targets = reference
        .targets
        .iter()
        .map(|&span| format!("{}:{}", span.file.0, mesh.sources.slice(span)))
        .collect();
    Some((reference, targets))
}

#[test]
fn a_gateway_entry_resolves_to_the_gateway_in_another_file() {
    let mesh = mesh();
    let (reference, targets) = at(&mesh, 1, "gateways", "istio-system/public").unwrap();
    assert_eq!(reference.kind, ReferenceKind::Gateway);
    assert_eq!(mesh.sources.slice(reference.span), "istio-system/public");
    assert_eq!(reference.description, "Istio Gateway istio-system/public");
    assert_eq!(targets, ["0:public"]);
}

#[test]
fn mesh_and_missing_gateways_say_so_without_a_target() {
    let mesh = mesh();
    let (mesh_entry, targets) = at(&mesh, 1, "gateways", "mesh").unwrap();
    assert!(mesh_entry.description.contains("reserved `mesh`"));
    assert!(targets.is_empty());
    let (missing, targets) = at(&mesh, 1, "gateways", "missing").unwrap();
    assert_eq!(
        missing.description,
        "Gateway default/missing, which is not in the input"
    );
    assert!(targets.is_empty());
}

#[test]
fn the_end_of_a_reference_counts_as_on_it() {
    let mesh = mesh();
    let text = mesh.sources.text(FileId(1));
    let end = text.find("istio-system/public").unwrap() + "istio-system/public".len();
    let reference = mesh.reference_at(FileId(1), end).unwrap();
    assert_eq!(reference.kind, ReferenceKind::Gateway);
    assert!(
        mesh.reference_at(FileId(1), 0).is_none(),
        "apiVersion is no reference"
    );
}

#[test]
fn a_destination_host_names_what_declares_it_and_its_policy() {
    let mesh = mesh();
    let (reference, targets) = at(&mesh, 1, "- destination", "reviews").unwrap();
    assert_eq!(reference.kind, ReferenceKind::DestinationHost);
    assert_eq!(
        reference.description,
        "host reviews.default.svc.cluster.local, declared by Service default/reviews; its \
         traffic policy is DestinationRule default/reviews"
    );
    assert_eq!(targets, ["1:reviews"]);
    let (nowhere, targets) = at(&mesh, 1, "host: nowhere", "nowhere").unwrap();
    assert!(
        nowhere
            .description
            .contains("which no Service or ServiceEntry")
    );
    assert!(targets.is_empty());
}

#[test]
fn a_subset_resolves_to_its_definition_or_says_it_is_missing() {
    let mesh = mesh();
    let (defined, targets) = at(&mesh, 1, "subset: v1", "v1").unwrap();
    assert_eq!(defined.kind, ReferenceKind::Subset);
    assert!(
        defined
            .description
            .contains("defined by DestinationRule default/reviews")
    );
    assert_eq!(targets, ["1:v1"]);
    let text = mesh.sources.text(FileId(1));
    let target = defined.targets[0].start as usize;
    assert!(target > text.find("kind: DestinationRule").unwrap());
    let (undefined, targets) = at(&mesh, 1, "subset: v9", "v9").unwrap();
    assert!(undefined.description.contains("does not define"));
    assert_eq!(targets, ["1:reviews"], "the DestinationRule's name");
}

#[test]
fn a_parent_ref_names_the_listeners_that_accept_the_route() {
    let mesh = mesh();
    let (accepted, targets) = at(&mesh, 2, "parentRefs", "edge").unwrap();
    assert_eq!(accepted.kind, ReferenceKind::ParentRef);
    assert_eq!(
        accepted.description,
        "Gateway default/edge, listeners web accept the route"
    );
    assert_eq!(targets, ["2:web"]);
    let (missing, targets) = at(&mesh, 2, "parentRefs", "gone").unwrap();
    assert_eq!(
        missing.description,
        "Gateway default/gone, which is not in the input"
    );
    assert!(targets.is_empty());
}

#[test]
fn a_backend_ref_resolves_to_the_service_or_says_why_not() {
    let mesh = mesh();
    let (found, targets) = at(&mesh, 2, "backendRefs", "reviews").unwrap();
    assert_eq!(found.kind, ReferenceKind::BackendRef);
    assert_eq!(
        found.description,
        "reviews.default.svc.cluster.local, declared by Service default/reviews"
    );
    assert_eq!(targets, ["1:reviews"]);
    let (absent, targets) = at(&mesh, 2, "backendRefs", "absent").unwrap();
    assert_eq!(
        absent.description,
        "backend(absent.default.svc.cluster.local) not found"
    );
    assert!(targets.is_empty());
}
