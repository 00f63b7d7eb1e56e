//! `tls-origination-without-ca`: a DestinationRule originates TLS without saying which CA
//! the server's certificate must chain to.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::insert_one_line_entry;
use crate::model::Field;
use crate::resolve::{Mesh, TlsLevel, all_tls_settings, fqdn};

/// The public CA bundle in Istio's proxy image, as Istio's security best practices use it.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

pub static CHECK: Check = Check {
    id: "tls-origination-without-ca",
    summary: "A DestinationRule originates TLS (SIMPLE or MUTUAL) without `caCertificates` to verify the server.",
    istio_code: Some("IST0128"),
    docs: r#"
## What it does
Reports each TLS setting of a DestinationRule with `mode: SIMPLE` or `MUTUAL` that sets no
`caCertificates`, as Istio's analyzer does (IST0128 at the top level, IST0129 at a port level;
subset levels, which Istio's analyzer skips, are reported without a code). Like Istio, it
accepts a `credentialName` instead only when the rule has a `workloadSelector`: without one,
sidecars ignore `credentialName`. Unlike Istio, a setting with `insecureSkipVerify: true` is
not reported, since it says outright that the certificate is not to be verified.

This is information rather than a warning: it describes a risk that depends on the Istio
version, not a broken configuration.

## Why is this bad?
Without a CA, Istio before 1.20 does not verify the server's certificate at all: any server
(or an attacker in the path) is accepted. Since Istio 1.20 the proxy verifies it against its
system CA bundle, which trusts every public CA but not a private one. Naming the CA makes the
trust explicit and the same on every version.

## Fix
Set `caCertificates` to the CA bundle the server's certificate chains to, and `subjectAltNames`
(or `sni`) so the hostname is checked too. For a server with a public certificate, the bundle
in Istio's proxy image is `/etc/ssl/certs/ca-certificates.crt`; at a gateway (or with a
`workloadSelector`), a `credentialName` secret holding `ca.crt` does the same.

## Fix safety
The fix inserts `caCertificates: /etc/ssl/certs/ca-certificates.crt` and is unsafe: that bundle
only fits servers with a certificate from a public CA, and whether it is the right trust anchor
is for the user to decide. It is not offered when the setting has a `credentialName`, because
Istio rejects `caCertificates` next to it.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db-tls
spec:
  host: mydbserver.prod.svc.cluster.local
  trafficPolicy:
    tls:
      mode: SIMPLE
      clientCertificate: /etc/certs/myclientcert.pem
      privateKey: /etc/certs/client_private_key.pem
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db-tls
spec:
  host: mydbserver.prod.svc.cluster.local
  trafficPolicy:
    tls:
      mode: SIMPLE
      clientCertificate: /etc/certs/myclientcert.pem
      privateKey: /etc/certs/client_private_key.pem
      caCertificates: /etc/certs/rootcacerts.pem
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, rule) in mesh.destination_rules() {
        let host = rule
            .host
            .as_ref()
            .map_or_else(String::new, |h| fqdn(&h.value, &resource.namespace));
        for setting in all_tls_settings(rule) {
            let tls = &setting.tls.value;
            let Some(mode) = tls.mode.as_ref().filter(|mode| mode.value.originates()) else {
                continue;
            };
            let has =
                |field: &Option<Field<String>>| field.as_ref().is_some_and(|f| !f.value.is_empty());
            let skips_verification = tls.insecure_skip_verify.is_some_and(|f| f.value);
            let credential_used = has(&tls.credential_name) && rule.has_workload_selector;
            if has(&tls.ca_certificates) || credential_used || skips_verification {
                continue;
            }
            let ignored_credential = if has(&tls.credential_name) {
                "; its `credentialName` is read only by gateways, or by sidecars when the rule \
                 has a workloadSelector"
            } else {
                ""
            };
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Info,
                mode.span,
                format!(
                    "{} originates TLS (mode {}{}) to {host} without `caCertificates`{ignored_credential}: \
                     Istio before 1.20 does not verify the server's certificate, and later \
                     versions accept a certificate from any public CA",
                    resource.label(),
                    mode.value,
                    setting.place()
                ),
            )
            .resource(resource.reference());
            diagnostic = match setting.level {
                TlsLevel::Top => diagnostic.istio_code("IST0128"),
                TlsLevel::Port(_) => diagnostic.istio_code("IST0129"),
                TlsLevel::Subset | TlsLevel::SubsetPort(_) => diagnostic,
            };
            if tls.credential_name.is_none()
                && let Some(node) = mesh.node_at(setting.tls.span)
                && let Some(edit) = insert_one_line_entry(
                    &mesh.sources,
                    node,
                    node.entry_index("mode"),
                    &format!("caCertificates: {SYSTEM_CA_BUNDLE}"),
                )
            {
                diagnostic = diagnostic.fix(Fix::unsafe_(
                    "Verify the server against the public CA bundle",
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

    #[test]
    fn flags_origination_without_ca_at_each_level() {
        check(
            "tls-origination-without-ca",
            r#"apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db-mtls
spec:
  host: mydbserver.prod.svc.cluster.local
  trafficPolicy:
    tls:
      mode: MUTUAL
#           ^^^^^^ info: DestinationRule default/db-mtls originates TLS (mode MUTUAL) to mydbserver.prod.svc.cluster.local without `caCertificates` [fix]
      clientCertificate: /etc/certs/myclientcert.pem
      privateKey: /etc/certs/client_private_key.pem
    portLevelSettings:
      - port:
          number: 443
        tls:
          mode: SIMPLE
#               ^^^^^^ info: (mode SIMPLE for port 443) [fix]
          sni: my-nginx.mesh-external.svc.cluster.local
      - port: {number: 8443}
        tls: {mode: SIMPLE, credentialName: db-credential}
#                   ^^^^^^ info: its `credentialName` is read only by gateways
  subsets:
  - name: v1
    trafficPolicy: {tls: {mode: SIMPLE}}
#                               ^^^^^^ info: (mode SIMPLE in subset `v1`) [fix]
"#,
        );
    }

    #[test]
    fn ca_selected_credentials_skip_verify_and_istio_mutual_are_not_flagged() {
        check(
            "tls-origination-without-ca",
            r#"# café ☕
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db-tls}
spec:
  host: mydbserver.prod.svc.cluster.local
  workloadSelector:
    matchLabels: {app: db}
  trafficPolicy:
    tls: {mode: SIMPLE, credentialName: db-credential}
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem}
    - port: {number: 8443}
      tls: {mode: SIMPLE, insecureSkipVerify: true}
    - port: {number: 9443}
      tls: {mode: ISTIO_MUTUAL}
    - port: {number: 9444}
      tls: {mode: DISABLE}
"#,
        );
    }

    #[test]
    fn fix_inserts_the_public_bundle_after_the_mode() {
        let before = "# café ☕\r\napiVersion: networking.istio.io/v1\r\nkind: DestinationRule\r\nmetadata:\r\n  name: originate-tls\r\nspec:\r\n  host: httpbin.org\r\n  trafficPolicy:\r\n    tls:\r\n      mode: SIMPLE # é\r\n      sni: httpbin.org\r\n";
        let after = before.replace(
            "# é\r\n",
            "# é\r\n      caCertificates: /etc/ssl/certs/ca-certificates.crt\r\n",
        );
        assert_fix("tls-origination-without-ca", 0, before, &after);
        let before = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: originate-tls}\nspec:\n  host: httpbin.org\n  trafficPolicy:\n    portLevelSettings:\n    - port: {number: 443}\n      tls: {mode: SIMPLE}\n";
        let after = before.replace(
            "{mode: SIMPLE}",
            "{mode: SIMPLE, caCertificates: /etc/ssl/certs/ca-certificates.crt}",
        );
        assert_fix("tls-origination-without-ca", 0, before, &after);
    }
}
