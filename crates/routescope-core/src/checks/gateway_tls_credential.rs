//! `gateway-tls-credential`: a Gateway server's TLS mode and certificate fields disagree: a
//! terminating mode without a certificate, or ISTIO_MUTUAL with one.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::{CREDENTIAL_PLACEHOLDER, delete_entries, insert_one_line_entry};
use crate::model::{Field, Resource, Server, ServerTls, ServerTlsMode};
use crate::resolve::{Mesh, has_server_certificate, server_label};

pub static CHECK: Check = Check {
    id: "gateway-tls-credential",
    summary: "A Gateway server terminates TLS without a certificate, or sets one with ISTIO_MUTUAL.",
    istio_code: None,
    docs: r#"
## What it does
Checks a Gateway server's TLS mode against its certificate fields:
- SIMPLE, MUTUAL and OPTIONAL_MUTUAL need a certificate to present: `credentialName` (a
  Kubernetes secret), or both `serverCertificate` and `privateKey` (files mounted in the
  gateway). `credentialNames` and `tlsCertificates` count too.
- ISTIO_MUTUAL uses Istio's own workload certificates, so it must not set `credentialName`,
  `serverCertificate`, `privateKey` or `caCertificates`.

Documentation excerpts often leave the certificate out, so when the input may be partial (the
default) a missing certificate is reported as info; with "input is complete" it is an error.
Certificate fields under ISTIO_MUTUAL are always an error: they are written, not omitted.

## Why is this bad?
Istio rejects such a Gateway (for example "SIMPLE TLS requires a private key"), so none of its
servers is configured and the hosts stay unreachable through it. An OPTIONAL_MUTUAL server
without a certificate has nothing to present to clients.

## Fix
For a terminating mode, name the secret holding the certificate: `credentialName:
<secret-name>`. For ISTIO_MUTUAL, remove the certificate fields (or choose MUTUAL if the
certificates were meant to be used).

## Fix safety
Both fixes are unsafe. Inserting `credentialName` needs the secret's name, which the fix
leaves as the placeholder `<credential-name>`. Deleting certificate fields from an
ISTIO_MUTUAL server removes what the user wrote, which may have been meant for MUTUAL.
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
      mode: SIMPLE
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

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, gateway) in mesh.gateways() {
        for server in &gateway.servers {
            let Some(tls) = &server.tls else {
                continue;
            };
            let Some(mode) = &tls.value.mode else {
                continue;
            };
            let diagnostic = match mode.value {
                ServerTlsMode::Simple | ServerTlsMode::Mutual | ServerTlsMode::OptionalMutual => {
                    missing_certificate(mesh, resource, server, tls, mode)
                }
                ServerTlsMode::IstioMutual => {
                    istio_mutual_certificate(mesh, resource, server, tls, mode)
                }
                ServerTlsMode::Passthrough | ServerTlsMode::AutoPassthrough => None,
            };
            out.extend(diagnostic);
        }
    }
}

fn missing_certificate(
    mesh: &Mesh,
    resource: &Resource,
    server: &Server,
    tls: &Field<ServerTls>,
    mode: &Field<ServerTlsMode>,
) -> Option<Diagnostic> {
    let settings = &tls.value;
    let files = (&settings.server_certificate, &settings.private_key);
    let node = mesh.node_at(tls.span)?;
    if has_server_certificate(settings, node) {
        return None;
    }
    let lacking = match files {
        (Some(_), None) => "`serverCertificate` without `privateKey`",
        (None, Some(_)) => "`privateKey` without `serverCertificate`",
        _ => "no certificate",
    };
    let consequence = if mode.value == ServerTlsMode::OptionalMutual {
        "the gateway has no certificate to present"
    } else {
        "Istio rejects the Gateway"
    };
    // An excerpt may leave the certificate out; a complete input may not.
    let severity = if mesh.settings.input_complete {
        Severity::Error
    } else {
        Severity::Info
    };
    let mut diagnostic = Diagnostic::new(
        CHECK.id,
        severity,
        mode.span,
        format!(
            "{}: mode {} terminates TLS but the server has {lacking}: set `credentialName` (or \
             both `serverCertificate` and `privateKey`); otherwise {consequence}",
            server_label(resource, server),
            mode.value
        ),
    )
    .resource(resource.reference());
    let after_mode = node.entry_index("mode");
    if let Some(edit) =
        insert_one_line_entry(&mesh.sources, node, after_mode, CREDENTIAL_PLACEHOLDER)
    {
        diagnostic = diagnostic.fix(Fix::unsafe_(
            "Name the certificate's secret: add `credentialName: <credential-name>`",
            vec![edit],
        ));
    }
    Some(diagnostic)
}

fn istio_mutual_certificate(
    mesh: &Mesh,
    resource: &Resource,
    server: &Server,
    tls: &Field<ServerTls>,
    mode: &Field<ServerTlsMode>,
) -> Option<Diagnostic> {
    let settings = &tls.value;
    let fields: Vec<(&str, &Field<String>)> = [
        ("credentialName", &settings.credential_name),
        ("serverCertificate", &settings.server_certificate),
        ("privateKey", &settings.private_key),
        ("caCertificates", &settings.ca_certificates),
    ]
    .into_iter()
    .filter_map(|(key, field)| field.as_ref().map(|field| (key, field)))
    .collect();
    if fields.is_empty() {
        return None;
    }
    let names: Vec<String> = fields.iter().map(|(key, _)| format!("`{key}`")).collect();
    let mut diagnostic = Diagnostic::new(
        CHECK.id,
        Severity::Error,
        mode.span,
        format!(
            "{}: mode ISTIO_MUTUAL uses Istio's workload certificates and must not set {}; \
             Istio rejects the Gateway",
            server_label(resource, server),
            names.join(", ")
        ),
    )
    .resource(resource.reference());
    for (key, field) in &fields {
        diagnostic = diagnostic.related(
            field.key,
            format!("`{key}` is not allowed with ISTIO_MUTUAL"),
        );
    }
    let fix = mesh.node_at(tls.span).and_then(|node| {
        let positions: Vec<usize> = fields
            .iter()
            .filter_map(|(key, _)| node.entry_index(key))
            .collect();
        delete_entries(&mesh.sources, node, &positions)
    });
    if let Some(edits) = fix {
        diagnostic = diagnostic.fix(Fix::unsafe_(
            format!(
                "Remove {} (ISTIO_MUTUAL brings its own certificates)",
                names.join(", ")
            ),
            edits,
        ));
    }
    Some(diagnostic)
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check, check_with};
    use crate::settings::MeshSettings;

    const ID: &str = "gateway-tls-credential";

    #[test]
    fn flags_terminating_modes_without_certificates() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls:
      # café ☕
      mode: MUTUAL
#           ^^^^^^ info: Gateway default/gw port 443: mode MUTUAL terminates TLS but the server has no certificate [fix]
      caCertificates: /etc/certs/ca.pem
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: [b.example.com]
    tls: {mode: SIMPLE, serverCertificate: /etc/certs/b.pem}
#               ^^^^^^ info: has `serverCertificate` without `privateKey` [fix]
"#,
        );
    }

    #[test]
    fn complete_input_makes_a_missing_certificate_an_error() {
        let settings = MeshSettings {
            input_complete: true,
            ..MeshSettings::default()
        };
        check_with(
            settings,
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: OPTIONAL_MUTUAL}
#               ^^^^^^^^^^^^^^^ error: mode OPTIONAL_MUTUAL terminates TLS but the server has no certificate: set `credentialName` (or both `serverCertificate` and `privateKey`); otherwise the gateway has no certificate to present [fix]
"#,
        );
    }

    #[test]
    fn flags_certificates_with_istio_mutual() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: east-west}
spec:
  servers:
  - port: {number: 15443, name: tls, protocol: TLS}
    hosts: ["*.local"]
    tls: {mode: ISTIO_MUTUAL, credentialName: cert}
#               ^^^^^^^^^^^^ error: mode ISTIO_MUTUAL uses Istio's workload certificates and must not set `credentialName` [fix]
"#,
        );
    }

    #[test]
    fn consistent_settings_are_not_flagged() {
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
  - port: {number: 444, name: https-files, protocol: HTTPS}
    hosts: [b.example.com]
    tls: {mode: OPTIONAL_MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}
  - port: {number: 445, name: https-many, protocol: HTTPS}
    hosts: [c.example.com]
    tls: {mode: SIMPLE, credentialNames: [rsa-cert, ecdsa-cert]}
  - port: {number: 15443, name: tls, protocol: TLS}
    hosts: ["*.local"]
    tls: {mode: ISTIO_MUTUAL}
  - port: {number: 446, name: tls-pass, protocol: TLS}
    hosts: [d.example.com]
    tls: {mode: PASSTHROUGH}
"#,
        );
    }

    #[test]
    fn fix_inserts_a_credential_placeholder_after_the_mode() {
        let after = super::CHECK
            .good_example
            .replace("bookinfo-cert", "<credential-name>");
        assert_fix(ID, 0, super::CHECK.bad_example, &after);
        let before = "apiVersion: networking.istio.io/v1\r\nkind: Gateway\r\nmetadata: {name: gw}\r\nspec:\r\n  servers:\r\n  - port: {number: 443, name: https, protocol: HTTPS}\r\n    hosts: [a.example.com]\r\n    tls: {mode: SIMPLE, caCertificates: /ca.pem}\r\n";
        let after = before.replace(
            "{mode: SIMPLE, caCertificates",
            "{mode: SIMPLE, credentialName: <credential-name>, caCertificates",
        );
        assert_fix(ID, 0, before, &after);
    }

    #[test]
    fn fix_removes_certificates_from_istio_mutual() {
        let before = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 15443, name: tls, protocol: TLS}\n    hosts: [\"*.local\"]\n    tls:\n      credentialName: cert # from the old setup\n      mode: ISTIO_MUTUAL\n      caCertificates: /ca.pem\n";
        let after = before
            .replace("      credentialName: cert # from the old setup\n", "")
            .replace("      caCertificates: /ca.pem\n", "");
        assert_fix(ID, 0, before, &after);
        let flow = before.replace(
            "tls:\n      credentialName: cert # from the old setup\n      mode: ISTIO_MUTUAL\n      caCertificates: /ca.pem\n",
            "tls: {mode: ISTIO_MUTUAL, privateKey: /k.pem, serverCertificate: /c.pem}\n",
        );
        let after = flow.replace(", privateKey: /k.pem, serverCertificate: /c.pem}", "}");
        assert_fix(ID, 0, &flow, &after);
    }
}
