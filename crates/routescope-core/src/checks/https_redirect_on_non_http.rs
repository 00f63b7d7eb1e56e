//! `https-redirect-on-non-http`: `tls.httpsRedirect: true` on a Gateway server that does not
//! serve plain HTTP.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::delete_entries;
use crate::model::{Field, Server, ServerTls};
use crate::resolve::{Mesh, server_label};

pub static CHECK: Check = Check {
    id: "https-redirect-on-non-http",
    summary: "`httpsRedirect: true` on a Gateway server whose protocol is not plain HTTP.",
    istio_code: None,
    docs: r#"
## What it does
Finds Gateway servers with `tls.httpsRedirect: true` whose port protocol is not an HTTP
protocol (HTTPS, TLS, TCP, …).

## Why is this bad?
`httpsRedirect` makes the gateway answer plain HTTP requests with a 301 redirect to HTTPS. It
belongs on the plain HTTP server (usually port 80) next to the HTTPS one. On a server that
already receives TLS, or raw TCP, there is no plain HTTP request to redirect: the setting does
nothing there, and the HTTP server that was meant to redirect usually lacks it.

## Fix
Remove `httpsRedirect` from this server and, if a redirect is wanted, put it on the HTTP
server for the same hosts:

```yaml
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [bookinfo.example.com]
    tls:
      httpsRedirect: true
```

## Fix safety
Safe: removing a setting that has no effect changes nothing. When `httpsRedirect` is all the
`tls` block holds on an HTTPS or TLS server, the fix writes `mode: PASSTHROUGH` in its place,
which is what that block meant, so the server keeps a valid `tls` block. On a server that needs
no `tls` block, the block goes.
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
      credentialName: bookinfo-cert
      httpsRedirect: true
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
            let Some(redirect) = tls.value.https_redirect.as_ref().filter(|r| r.value) else {
                continue;
            };
            let Some(protocol) = server
                .port
                .as_ref()
                .and_then(|port| port.value.protocol.as_ref())
                .filter(|protocol| !protocol.value.is_http())
            else {
                continue;
            };
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Warning,
                redirect.entry_span(),
                format!(
                    "{} has protocol {}: `httpsRedirect` redirects plain HTTP requests to \
                     HTTPS and belongs on an HTTP server; here it has no effect",
                    server_label(resource, server),
                    protocol.value
                ),
            )
            .related(
                protocol.span,
                format!("the server's protocol, {}", protocol.value),
            )
            .resource(resource.reference());
            if let Some(fix) = removal_fix(mesh, server, tls) {
                diagnostic = diagnostic.fix(fix);
            }
            out.push(diagnostic);
        }
    }
}

fn removal_fix(mesh: &Mesh, server: &Server, tls: &Field<ServerTls>) -> Option<Fix> {
    let sources = &mesh.sources;
    let node = mesh.node_at(tls.span)?;
    let at = node.entry_index("httpsRedirect")?;
    let edits = if node.as_mapping()?.len() > 1 {
        delete_entries(sources, node, &[at])?
    } else if server.protocol().is_some_and(|p| p.is_encrypted()) {
        // A `tls` block without `mode` meant PASSTHROUGH; keep saying so.
        let entry = &node.as_mapping()?[at];
        vec![Edit::replace(entry.span(), "mode: PASSTHROUGH")]
    } else {
        let server_node = mesh.node_at(server.span)?;
        delete_entries(sources, server_node, &[server_node.entry_index("tls")?])?
    };
    Some(Fix::safe("Remove `httpsRedirect` from this server", edits))
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "https-redirect-on-non-http";

    #[test]
    fn flags_redirects_on_servers_that_are_not_http() {
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
      mode: SIMPLE
      # café ☕
      httpsRedirect: true
#     ^^^^^^^^^^^^^^^^^^^ warning: Gateway default/gw port 443 has protocol HTTPS: `httpsRedirect` redirects plain HTTP requests to HTTPS [fix]
      credentialName: a-cert
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: [b.example.com]
    tls: {httpsRedirect: true}
#         ^^^^^^^^^^^^^^^^^^^ warning: port 31400 has protocol TCP [fix]
"#,
        );
    }

    #[test]
    fn redirects_on_http_servers_are_not_flagged() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.example.com]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert, httpsRedirect: false}
"#,
        );
    }

    #[test]
    fn fix_removes_the_redirect() {
        assert_fix(ID, 0, super::CHECK.bad_example, super::CHECK.good_example);
    }

    #[test]
    fn fix_keeps_a_valid_tls_block() {
        let before = "apiVersion: networking.istio.io/v1\r\nkind: Gateway\r\nmetadata: {name: gw}\r\nspec:\r\n  servers:\r\n  - port: {number: 443, name: https, protocol: HTTPS}\r\n    hosts: [a.example.com]\r\n    tls: {httpsRedirect: true}\r\n";
        let after = before.replace("{httpsRedirect: true}", "{mode: PASSTHROUGH}");
        assert_fix(ID, 0, before, &after);
        let before = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 31400, name: tcp, protocol: TCP}\n    tls:\n      httpsRedirect: true\n    hosts: [b.example.com]\n";
        let after = before.replace("    tls:\n      httpsRedirect: true\n", "");
        assert_fix(ID, 0, before, &after);
    }
}
