//! `gateway-tls-missing`: a Gateway server with protocol HTTPS or TLS has no `tls` block.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::{CREDENTIAL_PLACEHOLDER, column_of, insert_entry, is_flow};
use crate::resolve::{Mesh, server_label};
use crate::source::{Sources, Span};
use crate::yaml::Node;

pub static CHECK: Check = Check {
    id: "gateway-tls-missing",
    summary: "A Gateway server with protocol HTTPS or TLS has no `tls` block.",
    istio_code: None,
    docs: r#"
## What it does
Finds Gateway servers whose port protocol is HTTPS or TLS (in any letter case) and that have
no `tls` block.

## Why is this bad?
HTTPS and TLS servers must say how TLS is handled: terminated with a certificate (SIMPLE,
MUTUAL, …) or passed through (PASSTHROUGH). Istio rejects a Gateway whose HTTPS or TLS server
has no `tls` settings, so none of its servers is configured.

## Fix
Add a `tls` block: `mode: SIMPLE` with the `credentialName` of the Kubernetes secret holding
the certificate to terminate TLS at the gateway, or `mode: PASSTHROUGH` to forward the
encrypted connections by SNI. If the server is meant for plain HTTP, set its protocol to HTTP.

## Fix safety
Unsafe: the fix inserts `mode: SIMPLE` with the placeholder `credentialName:
<credential-name>`, which the user must replace with a real secret name (or choose
PASSTHROUGH instead).
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
            let Some(protocol) = server.port.as_ref().and_then(|p| p.value.protocol.as_ref())
            else {
                continue;
            };
            if !protocol.value.is_encrypted() || server.tls.is_some() {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Error,
                protocol.span,
                format!(
                    "{} has protocol {} but no `tls` block: Istio rejects the Gateway (HTTPS \
                     and TLS servers must terminate or pass through TLS)",
                    server_label(resource, server),
                    protocol.value
                ),
            )
            .resource(resource.reference());
            if let Some(fix) = add_tls_fix(mesh, server.span) {
                diagnostic = diagnostic.fix(fix);
            }
            out.push(diagnostic);
        }
    }
}

fn add_tls_fix(mesh: &Mesh, server: Span) -> Option<Fix> {
    let sources = &mesh.sources;
    let node = mesh.node_at(server)?;
    // A `tls:` with an empty value is absent to Istio; a second `tls` key would be invalid.
    if node.entry_index("tls").is_some() {
        return None;
    }
    let last = node.as_mapping()?.len().checked_sub(1)?;
    let step = " ".repeat(indent_step(sources, node));
    let block = [
        "tls:".to_string(),
        format!("{step}mode: SIMPLE"),
        format!("{step}{CREDENTIAL_PLACEHOLDER}"),
    ];
    let flow = format!("tls: {{mode: SIMPLE, {CREDENTIAL_PLACEHOLDER}}}");
    let edit = insert_entry(sources, node, Some(last), &block, &flow)?;
    Some(Fix::unsafe_(
        "Terminate TLS here: add a `tls` block with `mode: SIMPLE` and a credential to name",
        vec![edit],
    ))
}

/// How far the server's nested block mappings are indented below their key (2 if none is).
fn indent_step(sources: &Sources, server: &Node) -> usize {
    let text = sources.text(server.span.file);
    server
        .as_mapping()
        .unwrap_or_default()
        .iter()
        .filter(|entry| entry.value.as_mapping().is_some() && !is_flow(sources, &entry.value))
        .find_map(|entry| {
            let child = entry.value.span.start as usize;
            column_of(text, child).checked_sub(column_of(text, entry.key.span.start as usize))
        })
        .filter(|&step| step > 0)
        .unwrap_or(2)
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "gateway-tls-missing";

    #[test]
    fn flags_https_and_tls_servers_without_tls() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port:
      number: 443
      name: https
      # café ☕
      protocol: https
#               ^^^^^ error: Gateway default/gw port 443 has protocol HTTPS but no `tls` block [fix]
    hosts: [a.example.com]
  - {port: {number: 9443, name: tls, protocol: TLS}, hosts: [b.example.com]}
#                                              ^^^ error: port 9443 has protocol TLS but no `tls` block [fix]
  - port: {number: 8443, name: https, protocol: HTTPS}
#                                               ^^^^^ error: port 8443 has protocol HTTPS but no `tls` block
    hosts: [c.example.com]
    tls:
"#,
        );
    }

    #[test]
    fn servers_with_tls_or_plain_protocols_are_not_flagged() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.example.com]
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: [a.example.com]
"#,
        );
    }

    #[test]
    fn fix_adds_a_tls_block_with_a_placeholder() {
        let after = super::CHECK
            .good_example
            .replace("bookinfo-cert", "<credential-name>");
        assert_fix(ID, 0, super::CHECK.bad_example, &after);
        let before = "apiVersion: networking.istio.io/v1\r\nkind: Gateway\r\nmetadata: {name: gw}\r\nspec:\r\n  servers:\r\n  - {port: {number: 9443, name: tls, protocol: TLS}, hosts: [b.example.com]}\r\n";
        let after = before.replace(
            "hosts: [b.example.com]}",
            "hosts: [b.example.com], tls: {mode: SIMPLE, credentialName: <credential-name>}}",
        );
        assert_fix(ID, 0, before, &after);
    }
}
