//! `backend-tls-behind-passthrough`: a TLSRoute behind a Passthrough listener sends to a
//! Service port that a BackendTLSPolicy covers, so Istio wraps the client's TLS in the
//! policy's TLS.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::gateway_api::{Listener, ListenerTlsMode};
use crate::model::{ResourceKind, Spec};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{ParentTarget, backend_tls_for, listeners_of};

pub static CHECK: Check = Check {
    id: "backend-tls-behind-passthrough",
    summary: "A TLSRoute passes TLS through to a Service port a BackendTLSPolicy covers: Istio encrypts the client's TLS a second time.",
    istio_code: None,
    docs: r#"
## What it does
For every TLSRoute that a listener with `tls.mode: Passthrough` accepts, reports each
backendRef whose Service port a BackendTLSPolicy covers (a targetRef for that port's name, or
for the whole Service).

## Why is this bad?
A Passthrough listener forwards the client's TLS bytes untouched, so the gateway has no
plaintext to protect. Istio does not skip the policy there, though: it turns the policy into a
DestinationRule with TLS mode SIMPLE for the Service, and the gateway's passthrough proxy sends
to the Service's ordinary cluster, which carries that TLS (only listeners with the
`gateway.istio.io/listener-protocol: auto-passthrough` option use clusters without it). The
gateway therefore opens a TLS connection of its own to the backend and sends the client's TLS
handshake inside it: the backend sees TLS inside TLS and the connection fails. The policy may
well be meant for HTTPRoutes to the same Service through a terminating listener; the
passthrough route breaks all the same.

## Fix
Either terminate TLS at the gateway (`tls.mode: Terminate` with a certificate, and an
HTTPRoute or TCPRoute), so the policy re-encrypts plaintext, or keep passthrough and limit the
policy to the ports that terminating listeners use (`sectionName`), or route the passthrough
traffic to a port the policy does not cover.

## Fix safety
No fix is offered: terminating or passing TLS through is a design choice.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: tls
    port: 443
    protocol: TLS
    hostname: auth.example.com
    tls:
      mode: Passthrough
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata:
  name: auth
spec:
  parentRefs:
  - name: edge
  hostnames:
  - auth.example.com
  rules:
  - backendRefs:
    - name: auth
      port: 8443
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: auth-tls
spec:
  targetRefs:
  - group: ""
    kind: Service
    name: auth
  validation:
    hostname: auth.example.com
    wellKnownCACertificates: System
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: tls
    port: 443
    protocol: TLS
    hostname: auth.example.com
    tls:
      mode: Passthrough
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata:
  name: auth
spec:
  parentRefs:
  - name: edge
  hostnames:
  - auth.example.com
  rules:
  - backendRefs:
    - name: auth
      port: 8443
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let view = mesh.gateway_api();
    for (index, route) in mesh.resources.iter().enumerate() {
        if route.kind != ResourceKind::TlsRoute {
            continue;
        }
        let Spec::Route(spec) = &route.spec else {
            continue;
        };
        // The first Passthrough listener that accepts the route, with its holder.
        let passthrough = view.attachments(index).iter().find_map(|attachment| {
            let ParentTarget::Listeners { parent, .. } = attachment.target else {
                return None;
            };
            let holder = view.resource(parent);
            attachment
                .accepted_listeners()
                .map(|at| &listeners_of(holder)[at])
                .find(|l| l.tls_mode() == Some(ListenerTlsMode::Passthrough))
                .map(|listener| (holder, listener))
        });
        let Some((holder, listener)) = passthrough else {
            continue;
        };
        for backend in spec.backend_refs() {
            if !backend.group_or("").is_empty() || backend.kind_or("Service") != "Service" {
                continue;
            }
            let Some(port) = &backend.port else {
                continue;
            };
            let namespace = backend.namespace_or(&route.namespace);
            let name = backend.name_value();
            let Some(tls) = backend_tls_for(mesh, namespace, name, port.value) else {
                continue;
            };
            let diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Warning,
                backend.name_span(),
                format!(
                    "{} passes the client's TLS through listener `{}` of {} (Passthrough) to \
                     port {} of Service {namespace}/{name}, but {} makes the gateway originate \
                     TLS on that connection too: the backend receives TLS inside TLS and the \
                     handshake fails",
                    route.label(),
                    listener.name_value(),
                    holder.label(),
                    port.value,
                    tls.resource.label()
                ),
            )
            .related(
                passthrough_span(listener),
                format!("listener `{}` passes TLS through", listener.name_value()),
            )
            .related(
                tls.target.name_span(),
                format!(
                    "{} originates TLS to Service {namespace}/{name}",
                    tls.resource.label()
                ),
            )
            .resource(route.reference());
            out.push(diagnostic);
        }
    }
}

/// The listener's `mode: Passthrough`, else its name.
fn passthrough_span(listener: &Listener) -> crate::source::Span {
    listener
        .tls
        .as_ref()
        .and_then(|tls| tls.value.mode.as_ref())
        .map_or(listener.name_span(), |mode| mode.span)
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    const GATEWAY: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - {name: pass, port: 443, protocol: TLS, tls: {mode: Passthrough}, allowedRoutes: {namespaces: {from: All}}}
  - name: end
    port: 8443
    protocol: TLS
    tls: {mode: Terminate, certificateRefs: [{name: cert}]}
    allowedRoutes: {namespaces: {from: All}}
---
apiVersion: v1
kind: Service
metadata: {name: auth, namespace: apps}
spec:
  ports:
  - {name: https, port: 443}
  - {name: admin, port: 9443}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: auth-tls, namespace: apps}
spec:
  targetRefs: [{group: "", kind: Service, name: auth, sectionName: https}]
  validation: {hostname: auth.example.com, wellKnownCACertificates: System}
---
"#;

    #[test]
    fn flags_passthrough_routes_to_covered_ports() {
        check(
            "backend-tls-behind-passthrough",
            &format!(
                r#"{GATEWAY}apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {{name: auth, namespace: apps}}
spec:
  parentRefs: [{{name: edge, namespace: infra, sectionName: pass}}]
  rules:
  - backendRefs:
    - {{name: auth, port: 443}}
#            ^^^^ warning: TLSRoute apps/auth passes the client's TLS through listener `pass` of Gateway infra/edge (Passthrough) to port 443 of Service apps/auth, but BackendTLSPolicy apps/auth-tls makes the gateway originate TLS on that connection too
    - {{name: auth, port: 9443}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {{name: terminated, namespace: apps}}
spec:
  parentRefs: [{{name: edge, namespace: infra, sectionName: end}}]
  rules:
  - backendRefs: [{{name: auth, port: 443}}]
"#
            ),
        );
    }
}
