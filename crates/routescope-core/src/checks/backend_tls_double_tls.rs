//! `backend-tls-double-tls`: a BackendTLSPolicy originates TLS to a Service port declared
//! HTTPS or TLS, so the clients in the mesh that send TLS there are encrypted twice.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{insert_one_line_entry, replace_scalar};
use crate::model::{Protocol, Resource, ServicePort, Spanned, Spec};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::backend_tls_for;

pub static CHECK: Check = Check {
    id: "backend-tls-double-tls",
    summary: "A BackendTLSPolicy originates TLS to a Service port declared HTTPS or TLS: clients in the mesh that send TLS are encrypted twice.",
    istio_code: None,
    docs: r#"
## What it does
For every port of a Kubernetes Service whose protocol says the traffic is already encrypted
(`appProtocol: https` or `tls`, else a name starting with `https` or `tls`), finds the
BackendTLSPolicy Istio applies to it (a targetRef for that port's name, else one for the whole
Service; the oldest wins) and reports the port.

## Why is this bad?
Istio turns the policy into a DestinationRule with TLS mode SIMPLE for the Service, and that
DestinationRule applies to every client proxy, sidecars included, not only to gateways. A
port declared HTTPS tells the sidecars that the application sends TLS there; the policy makes
them wrap those bytes in TLS once more. The server sees a TLS handshake inside TLS, and a
client calling `https://auth` gets `wrong version number`. The gateway's HTTPRoutes are not
affected: they send plaintext, which the policy encrypts once, as intended.

## Fix
Let the clients send plaintext and the proxies originate TLS: declare the port as HTTP (a TLS
port as TCP) with `appProtocol`, which Istio reads before the port name. The port keeps its
name, so `sectionName` references to it stay valid; clients then call `http://auth:443`.

## Fix safety
Declaring the port as plaintext is safe in the sense of Istio's troubleshooting guide for
double TLS: it needs no value from the user, and afterwards the clients must send plaintext,
which is what the policy already expects. It is not offered when the layout of the port does
not allow a clean insertion.
"#,
    bad_example: r#"apiVersion: v1
kind: Service
metadata:
  name: auth
spec:
  ports:
  - name: https
    port: 443
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
    good_example: r#"apiVersion: v1
kind: Service
metadata:
  name: auth
spec:
  ports:
  - name: https
    port: 443
    appProtocol: http
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
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for service in &mesh.resources {
        let Spec::Service(spec) = &service.spec else {
            continue;
        };
        for port in &spec.ports {
            let (Some(number), Some(protocol)) = (&port.value.number, port.value.protocol()) else {
                continue;
            };
            if !protocol.is_encrypted() {
                continue;
            }
            let Some(tls) =
                backend_tls_for(mesh, &service.namespace, &service.name.value, number.value)
            else {
                continue;
            };
            let (span, declared) = declaration(&port.value);
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Warning,
                span,
                format!(
                    "{} originates TLS to port {} of {}, which declares it as {protocol} \
                     ({declared}): clients in the mesh that send TLS there, as the port says, \
                     are encrypted a second time by their sidecars, which apply the policy too, \
                     and fail (`wrong version number`); the gateway's HTTPRoutes send plaintext \
                     and are not affected",
                    tls.resource.label(),
                    number.value,
                    service.label(),
                ),
            )
            .related(
                tls.target.name_span(),
                format!(
                    "{} originates TLS (mode SIMPLE) to this Service",
                    tls.resource.label()
                ),
            )
            .resource(service.reference());
            if let Some(edit) = declare_plaintext(mesh, service, port, protocol) {
                diagnostic = diagnostic.fix(Fix::safe(
                    format!(
                        "Declare port {} as {} with appProtocol; the proxies originate the TLS",
                        number.value,
                        plaintext(protocol)
                    ),
                    vec![edit],
                ));
            }
            out.push(diagnostic);
        }
    }
}

/// Where the port says it is encrypted, and how, for messages.
fn declaration(port: &ServicePort) -> (crate::source::Span, String) {
    match (&port.app_protocol, &port.name) {
        (Some(app), _) if Protocol::parse_any_case(&app.value).is_some() => {
            (app.span, format!("`appProtocol: {}`", app.value))
        }
        (_, Some(name)) => (name.span, format!("port name `{}`", name.value)),
        (Some(app), None) => (app.span, format!("`appProtocol: {}`", app.value)),
        (None, None) => unreachable!("a port with a protocol has an appProtocol or a name"),
    }
}

/// HTTPS becomes HTTP; TLS, whose payload may be any protocol, becomes TCP.
fn plaintext(encrypted: Protocol) -> &'static str {
    match encrypted {
        Protocol::Https => "http",
        _ => "tcp",
    }
}

/// `appProtocol: http` (or `tcp`): the existing value replaced, else an entry after the name.
fn declare_plaintext(
    mesh: &Mesh,
    service: &Resource,
    port: &Spanned<ServicePort>,
    protocol: Protocol,
) -> Option<Edit> {
    let value = plaintext(protocol);
    if let Some(app) = &port.value.app_protocol {
        return Some(replace_scalar(&mesh.sources, app.span, value));
    }
    let node = service.node.descendant(port.span)?;
    insert_one_line_entry(
        &mesh.sources,
        node,
        node.entry_index("name"),
        &format!("appProtocol: {value}"),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const POLICIES: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: whole, namespace: apps}
spec:
  targetRefs: [{group: "", kind: Service, name: auth}]
  validation: {hostname: auth.example.com, wellKnownCACertificates: System}
---
"#;

    #[test]
    fn flags_encrypted_ports_the_policy_covers() {
        check(
            "backend-tls-double-tls",
            &format!(
                r#"{POLICIES}apiVersion: v1
kind: Service
metadata: {{name: auth, namespace: apps}}
spec:
  ports:
  - name: https
#         ^^^^^ warning: BackendTLSPolicy apps/whole originates TLS to port 443 of Service apps/auth, which declares it as HTTPS (port name `https`): clients in the mesh that send TLS there, as the port says, are encrypted a second time [fix]
    port: 443
  - {{name: db, port: 5432, appProtocol: TLS}}
#                                       ^^^ warning: which declares it as TLS (`appProtocol: TLS`) [fix]
  - {{name: http, port: 80}}
  - {{name: https-plain, port: 8443, appProtocol: http}}
---
apiVersion: v1
kind: Service
metadata: {{name: auth, namespace: other}}
spec:
  ports: [{{name: https, port: 443}}]
"#
            ),
        );
    }

    #[test]
    fn fix_declares_the_port_plaintext() {
        let before = format!(
            "{POLICIES}apiVersion: v1\nkind: Service\nmetadata: {{name: auth, namespace: apps}}\nspec:\n  ports:\n  - name: https-web # é\n    port: 443\n"
        );
        let after = before.replace("# é\n", "# é\n    appProtocol: http\n");
        assert_fix("backend-tls-double-tls", 0, &before, &after);
        let before = format!(
            "{POLICIES}apiVersion: v1\r\nkind: Service\r\nmetadata: {{name: auth, namespace: apps}}\r\nspec:\r\n  ports: [{{name: db, port: 5432, appProtocol: tls}}]\r\n"
        );
        let after = before.replace("appProtocol: tls", "appProtocol: tcp");
        assert_fix("backend-tls-double-tls", 0, &before, &after);
    }
}
