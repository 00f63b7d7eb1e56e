//! `gateway-tls-mode-implicit`: a Gateway server's `tls` block names a certificate but no
//! `mode`, so it silently passes TLS through and ignores the certificate.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::insert_one_line_entry;
use crate::resolve::{Mesh, has_server_certificate, server_label};

pub static CHECK: Check = Check {
    id: "gateway-tls-mode-implicit",
    summary: "A Gateway server's `tls` block names a certificate but no `mode`, so TLS is passed through and the certificate ignored.",
    istio_code: None,
    docs: r#"
## What it does
Finds Gateway servers whose `tls` block has no `mode` but names a certificate
(`credentialName`, `credentialNames`, `serverCertificate`, `privateKey` or
`tlsCertificates`, with a value).

## Why is this bad?
A `tls` block without `mode` means PASSTHROUGH: the gateway does not terminate TLS, forwards
the encrypted connection by SNI, and never uses the certificate. Whoever wrote a certificate
almost always meant the gateway to terminate TLS; instead, `http` rules of the VirtualServices
bound to the server have no effect, and clients see the backend's certificate, not this one.

## Fix
Say the mode: `mode: SIMPLE` to terminate TLS with the certificate (`MUTUAL` to also verify
client certificates), or `mode: PASSTHROUGH` and no certificate when the backend terminates
TLS itself.

## Fix safety
Inserting `mode: SIMPLE` is unsafe: it turns passthrough into termination, which changes which
rules route the traffic (`http` instead of `tls`), and the intent cannot be known for sure.
No fix is offered for half a certificate (`serverCertificate` without `privateKey`, or the
reverse): terminating TLS needs both.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - bookinfo.example.com
    tls:
      credentialName: bookinfo-cert
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - bookinfo.example.com
    tls:
      mode: SIMPLE
      credentialName: bookinfo-cert
"#,
    run: Run::OnMesh(run),
};

/// The `tls` keys that name a certificate for the gateway to present.
const CERTIFICATE_KEYS: &[&str] = &[
    "credentialName",
    "credentialNames",
    "serverCertificate",
    "privateKey",
    "tlsCertificates",
];

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, gateway) in mesh.gateways() {
        for server in &gateway.servers {
            let Some(tls) = &server.tls else {
                continue;
            };
            if tls.value.mode.is_some() {
                continue;
            }
            let Some(node) = mesh.node_at(tls.span) else {
                continue;
            };
            // A key without a value names no certificate.
            let Some(certificate) = node.as_mapping().and_then(|entries| {
                entries.iter().find(|e| {
                    !e.value.is_null()
                        && e.key
                            .as_str()
                            .is_some_and(|k| CERTIFICATE_KEYS.contains(&k))
                })
            }) else {
                continue;
            };
            let key = certificate.key.as_str().unwrap_or_default();
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Warning,
                tls.key,
                format!(
                    "{}: this `tls` block sets `{key}` but no `mode`, so the mode is \
                     PASSTHROUGH: the gateway does not terminate TLS and ignores the certificate",
                    server_label(resource, server)
                ),
            )
            .related(certificate.key.span, "ignored in PASSTHROUGH mode")
            .resource(resource.reference());
            // Half a certificate (`serverCertificate` without `privateKey`) is not enough to
            // terminate TLS: SIMPLE would only trade this warning for gateway-tls-credential's.
            let edit = has_server_certificate(&tls.value, node)
                .then(|| insert_one_line_entry(&mesh.sources, node, None, "mode: SIMPLE"))
                .flatten();
            if let Some(edit) = edit {
                diagnostic = diagnostic.fix(Fix::unsafe_(
                    "Terminate TLS with this certificate: add `mode: SIMPLE`",
                    vec![edit],
                ));
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "gateway-tls-mode-implicit";

    #[test]
    fn flags_certificates_without_a_mode() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    # café ☕
    tls:
#   ^^^ warning: Gateway default/gw port 443: this `tls` block sets `credentialName` but no `mode`, so the mode is PASSTHROUGH [fix]
      credentialName: a-cert
  - port: {number: 8443, name: https-files, protocol: HTTPS}
    hosts: [b.example.com]
    tls: {serverCertificate: /etc/certs/b.pem, privateKey: /etc/certs/b.key}
#   ^^^ warning: sets `serverCertificate` but no `mode` [fix]
  - port: {number: 9443, name: https-half, protocol: HTTPS}
    hosts: [c.example.com]
    tls: {serverCertificate: /etc/certs/c.pem}
#   ^^^ warning: sets `serverCertificate` but no `mode`
"#,
        );
    }

    #[test]
    fn explicit_modes_and_bare_passthrough_are_not_flagged() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert}
  - port: {number: 8443, name: tls, protocol: TLS}
    hosts: [b.example.com]
    tls: {}
  - port: {number: 9443, name: tls-empty, protocol: TLS}
    hosts: [d.example.com]
    tls:
      credentialName:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [c.example.com]
    tls:
      httpsRedirect: true
"#,
        );
    }

    #[test]
    fn fix_inserts_the_mode_first() {
        assert_fix(ID, 0, super::CHECK.bad_example, super::CHECK.good_example);
        let before = "apiVersion: networking.istio.io/v1\r\nkind: Gateway\r\nmetadata: {name: gw}\r\nspec:\r\n  servers:\r\n  - port: {number: 443, name: https, protocol: HTTPS}\r\n    hosts: [a.example.com]\r\n    tls: {credentialName: a-cert}\r\n";
        let after = before.replace("tls: {credentialName", "tls: {mode: SIMPLE, credentialName");
        assert_fix(ID, 0, before, &after);
    }

    #[test]
    fn fix_inserts_a_block_line_before_a_flow_key() {
        // Found by fuzzing: the `tls` mapping starts with its first key's `{`, and the mode
        // went inside that key.
        let before = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]\n    tls:\n      {a: 1}: SIMPLE\n      credentialName: a-cert\n";
        let after = before.replace("    tls:\n", "    tls:\n      mode: SIMPLE\n");
        assert_fix(ID, 0, before, &after);
    }
}
