//! `conflicting-gateway-servers`: a Gateway server that Istio leaves out when it merges the
//! Gateways of one workload (IST0145).

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::resolve::{DropCause, Mesh, server_label};

pub static CHECK: Check = Check {
    id: "conflicting-gateway-servers",
    summary: "A Gateway server that Istio drops because another Gateway of the same workload already holds its port or host.",
    istio_code: Some("IST0145"),
    docs: r#"
## What it does
Merges the Gateways that select one gateway workload as Istio does (`mergeGateways`): Gateways
oldest first (by `creationTimestamp`, then name, then namespace), each server in order. A server
is dropped when, on its port, a server merged before it

- holds one of its hosts with TLS (two filter chains cannot match one SNI),
- is plaintext with a protocol it cannot share (only HTTP servers share a plaintext port), or
- takes TLS while it has no `tls` block.

The check reports each dropped server, with the server it lost to.

## Why is this bad?
Envoy on the workload never gets the dropped server: requests for its hosts land on the server
that was kept (with that server's certificate and routes) or on none at all, and which one wins
depends on creation order, which changes when a Gateway is re-created. Nothing in the Gateway's
status says so; Istio only counts it in `pilot_total_rejected_configs`.

## Fix
Give each host one server per port across the workload's Gateways: merge the two servers into
one Gateway, move one to another port, or give one Gateway another selector.

## Fix safety
No automatic fix: which server should stay is a decision about traffic.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: shop
  creationTimestamp: "2024-01-01T00:00:00Z"
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-cert}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: shop-new
  creationTimestamp: "2024-06-01T00:00:00Z"
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-new-cert}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: shop
  creationTimestamp: "2024-01-01T00:00:00Z"
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-cert}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: shop-new
  creationTimestamp: "2024-06-01T00:00:00Z"
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [new.shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-new-cert}
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let mut reported = Vec::new();
    for workload in mesh.gateway_workloads() {
        for dropped in &workload.dropped {
            let (lost, kept) = (&dropped.dropped, &dropped.kept);
            let span = lost
                .server
                .port
                .as_ref()
                .map_or(lost.server.span, |port| port.entry_span());
            // A Gateway with a broader selector is merged into several workloads.
            if reported.contains(&span) {
                continue;
            }
            reported.push(span);
            let why = match &dropped.cause {
                DropCause::DuplicateTlsHost(host) => {
                    format!(
                        "{} already serves host {host} with TLS",
                        server_label(kept.gateway, kept.server)
                    )
                }
                DropCause::ProtocolConflict => format!(
                    "{} holds the port as plaintext {}, which only HTTP servers share",
                    server_label(kept.gateway, kept.server),
                    kept.server
                        .protocol()
                        .map_or("TCP".to_string(), |p| p.to_string())
                ),
                DropCause::PlaintextOnTlsPort => format!(
                    "{} holds the port for TLS, and this server has no `tls`",
                    server_label(kept.gateway, kept.server)
                ),
            };
            let kept_span = kept
                .server
                .port
                .as_ref()
                .map_or(kept.server.span, |port| port.entry_span());
            out.push(
                Diagnostic::new(
                    CHECK.id,
                    Severity::Warning,
                    span,
                    format!(
                        "Istio drops {} on the gateway workload {}: {why}, and Istio merged that server first (Gateways oldest first, then by name and namespace; servers in order)",
                        server_label(lost.gateway, lost.server),
                        workload.label_text()
                    ),
                )
                .related(kept_span, "the server Istio keeps")
                .istio_code("IST0145")
                .resource(lost.gateway.reference()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    const ID: &str = "conflicting-gateway-servers";

    #[test]
    fn flags_the_server_merged_second() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: b-tcp, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: tcp, protocol: TCP}
#   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ warning: Istio drops Gateway edge/b-tcp port 8080 on the gateway workload istio=ingressgateway: Gateway edge/a-web port 8080 holds the port as plaintext HTTP
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a-web, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 9443, name: tls, protocol: TLS}
    hosts: [db.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 9443, name: tcp, protocol: TCP}
#   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ warning: holds the port for TLS, and this server has no `tls`
    hosts: [other.example.com]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: c-web, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http2, protocol: HTTP}
    hosts: [web.example.com]
  - port: {number: 9443, name: tls, protocol: TLS}
#   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ warning: already serves host db.example.com with TLS
    hosts: [db.example.com]
    tls: {mode: PASSTHROUGH}
"#,
        );
    }

    #[test]
    fn gateways_of_other_workloads_do_not_conflict() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: internal}
spec:
  selector: {istio: internal-gateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a}
"#,
        );
    }
}
