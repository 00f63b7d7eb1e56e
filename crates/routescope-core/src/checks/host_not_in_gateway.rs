//! `host-not-in-gateway`: a VirtualService bound to a Gateway that serves none of its hosts.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Resource, Spanned, VirtualService, gateway_api};
use crate::resolve::gateway_api::hostnames_intersect;
use crate::resolve::{GatewayTarget, Mesh, fqdn};

pub static CHECK: Check = Check {
    id: "host-not-in-gateway",
    summary: "A VirtualService is bound to a Gateway none of whose servers accepts any of its hosts.",
    istio_code: Some("IST0132"),
    docs: r#"
## What it does
For every Gateway a VirtualService is bound to, checks that at least one server of the Gateway
accepts at least one host of the VirtualService: hosts match with leftmost wildcards
(`*.example.com` accepts `a.example.com`, not `example.com`), and a server host's namespace
prefix (`ns/host`, `./host`, `*/host`) must admit the VirtualService's namespace. A
VirtualService bound to both `mesh` and a gateway legitimately lists hosts only the mesh
serves, so only a binding that accepts **no** host is reported. A VirtualService bound to a
Kubernetes Gateway API Gateway (Istio supports that) is compared with the listeners'
`hostname`s; a listener without one takes every host.

## Why is this bad?
The gateway never routes with this VirtualService: requests for its hosts get `404 NR`.

## Fix
Add the host to a server of the Gateway (or use a wildcard there), or correct the
VirtualService's `hosts`. When the server host has a namespace prefix, the VirtualService must
live in that namespace.

## Fix safety
No automatic fix: whether the Gateway or the VirtualService is wrong cannot be known.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: public
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
spec:
  hosts: ["example.com"]
  gateways: [public]
  http:
  - route:
    - destination: {host: shop}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: public
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["example.com", "*.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
spec:
  hosts: ["example.com"]
  gateways: [public]
  http:
  - route:
    - destination: {host: shop}
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        if service.hosts.is_none() {
            continue;
        }
        for reference in mesh.gateway_refs(resource, service) {
            if let (GatewayTarget::Kubernetes(gateway_resource, gateway), Some(entry)) =
                (&reference.target, reference.entry)
            {
                out.extend(kubernetes_gateway(
                    resource,
                    service,
                    gateway_resource,
                    gateway,
                    entry,
                ));
                continue;
            }
            let (GatewayTarget::Found(gateway_resource, gateway), Some(entry)) =
                (&reference.target, reference.entry)
            else {
                continue;
            };
            if !mesh
                .bound_servers(resource, service, gateway_resource, gateway)
                .is_empty()
            {
                continue;
            }
            let hosts: Vec<&str> = service.host_values().map(|h| h.value.as_str()).collect();
            let server_hosts: Vec<&str> = gateway
                .servers
                .iter()
                .flat_map(|s| s.host_values())
                .map(|h| h.value.as_str())
                .collect();
            let served = if server_hosts.is_empty() {
                "it has no server hosts".to_string()
            } else {
                format!("its servers accept {}", server_hosts.join(", "))
            };
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Warning,
                entry.span,
                format!(
                    "{} is bound to {}, but none of its hosts ({}) is served there: {served}",
                    resource.label(),
                    gateway_resource.label(),
                    hosts.join(", ")
                ),
            )
            .istio_code("IST0132")
            .resource(resource.reference());
            for server in &gateway.servers {
                if let Some(server_hosts) = &server.hosts {
                    diagnostic = diagnostic.related(
                        server_hosts.span,
                        format!("hosts of a server of {}", gateway_resource.label()),
                    );
                }
            }
            out.push(diagnostic);
        }
    }
}

/// A VirtualService bound to a Gateway API Gateway: its hosts are compared with the listeners'
/// hostnames (a listener without hostname takes every host).
fn kubernetes_gateway(
    resource: &Resource,
    service: &VirtualService,
    gateway_resource: &Resource,
    gateway: &gateway_api::Gateway,
    entry: &Spanned<String>,
) -> Option<Diagnostic> {
    let hosts: Vec<&str> = service.host_values().map(|h| h.value.as_str()).collect();
    let served = gateway.listeners.iter().any(|listener| {
        listener.hostname_value().is_none_or(|hostname| {
            hosts
                .iter()
                .any(|host| hostnames_intersect(hostname, &fqdn(host, &resource.namespace)))
        })
    });
    if served {
        return None;
    }
    let listener_hosts: Vec<&str> = gateway
        .listeners
        .iter()
        .filter_map(|l| l.hostname_value())
        .collect();
    let accepted = if listener_hosts.is_empty() {
        "it has no listeners".to_string()
    } else {
        format!("its listeners accept {}", listener_hosts.join(", "))
    };
    let mut diagnostic = Diagnostic::new(
        CHECK.id,
        Severity::Warning,
        entry.span,
        format!(
            "{} is bound to {}, but none of its hosts ({}) is served there: {accepted}",
            resource.label(),
            gateway_resource.label(),
            hosts.join(", ")
        ),
    )
    .istio_code("IST0132")
    .resource(resource.reference());
    for listener in &gateway.listeners {
        if let Some(hostname) = &listener.hostname {
            diagnostic = diagnostic.related(
                hostname.span,
                format!(
                    "hostname of listener `{}` of {}",
                    listener.name_value(),
                    gateway_resource.label()
                ),
            );
        }
    }
    Some(diagnostic)
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    const GATEWAY: &str = r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["prod/*.shop.com", "./admin.shop.com"]
    tls: {mode: SIMPLE, credentialName: shop}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
---
"#;

    #[test]
    fn flags_bindings_that_accept_no_host() {
        let fixture = format!(
            r#"{GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: apex, namespace: prod}}
spec:
  hosts: [example.com, shop.com]
  gateways: [istio-system/gw]
#            ^^^^^^^^^^^^^^^ warning: none of its hosts (example.com, shop.com) is served there
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: wrong-ns, namespace: dev}}
spec:
  hosts: [www.shop.com]
  gateways: [istio-system/gw]
#            ^^^^^^^^^^^^^^^ warning: VirtualService dev/wrong-ns is bound to Gateway istio-system/gw
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: admin, namespace: web}}
spec:
  hosts: [admin.shop.com]
  gateways: [istio-system/gw]
#            ^^^^^^^^^^^^^^^ warning: its servers accept prod/*.shop.com, ./admin.shop.com, *.example.com
"#
        );
        check("host-not-in-gateway", &fixture);
    }

    #[test]
    fn kubernetes_gateways_are_compared_by_listener_hostname() {
        check(
            "host-not-in-gateway",
            r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-ingress}
spec:
  gatewayClassName: istio
  listeners:
  - {name: shop, port: 80, protocol: HTTP, hostname: "*.shop.com"}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: any, namespace: istio-ingress}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: blog}
spec:
  hosts: [blog.example.com]
  gateways: [istio-ingress/web, istio-ingress/any]
#            ^^^^^^^^^^^^^^^^^ warning: none of its hosts (blog.example.com) is served there: its listeners accept *.shop.com
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop}
spec:
  hosts: [www.shop.com]
  gateways: [istio-ingress/web]
"#,
        );
    }

    #[test]
    fn accepted_hosts_and_mesh_only_hosts_are_not_flagged() {
        let fixture = format!(
            r#"{GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: www, namespace: prod}}
spec:
  hosts: [www.shop.com, reviews]
  gateways: [istio-system/gw, mesh]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: admin, namespace: istio-system}}
spec:
  hosts: [admin.shop.com]
  gateways: [gw]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: any, namespace: web}}
spec:
  hosts: ["*"]
  gateways: [istio-system/gw]
"#
        );
        check("host-not-in-gateway", &fixture);
    }
}
