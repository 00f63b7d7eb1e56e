//! Attachment and status, table-driven: each case is YAML and what Istio's controller writes.

use super::status::{Status, statuses};
use crate::resolve::Mesh;
use crate::settings::MeshSettings;
use crate::source::Sources;

fn mesh(text: &str) -> Mesh {
    let sources = Sources::single("t.yaml", text);
    let resources = crate::load::load(&sources, "default").resources;
    Mesh::new(sources, MeshSettings::default(), resources)
}

const BOOKINFO: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Same
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bookinfo
spec:
  parentRefs:
  - name: bookinfo-gateway
  rules:
  - matches:
    - path:
        type: Exact
        value: /productpage
    backendRefs:
    - name: productpage
      port: 9080
"#;

#[test]
fn bookinfo_is_accepted_with_one_attached_route() {
    let mesh = mesh(BOOKINFO);
    let all = statuses(&mesh);
    let Status::Listeners {
        listeners,
        conditions,
    } = &all[0].status
    else {
        panic!("{:?}", all[0].status)
    };
    assert_eq!(listeners[0].attached_routes, 1);
    assert!(conditions.iter().all(|c| c.status));
    assert_eq!(
        conditions[1].message,
        "Resource programmed, assigned to service(s) bookinfo-gateway-istio.default.svc.cluster.local:80"
    );
    let Status::Parents(parents) = &all[1].status else {
        panic!()
    };
    assert_eq!(parents.len(), 1);
    assert_eq!(parents[0].controller_name, "istio.io/gateway-controller");
    assert_eq!(
        parents[0]
            .conditions
            .iter()
            .map(|c| (c.type_, c.status, c.reason.as_str()))
            .collect::<Vec<_>>(),
        [
            ("Accepted", true, "Accepted"),
            ("ResolvedRefs", true, "ResolvedRefs")
        ]
    );
}
