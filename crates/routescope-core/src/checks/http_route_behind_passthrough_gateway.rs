//! `http-route-behind-passthrough-gateway`: a VirtualService routes a Gateway's hosts only
//! with `http` rules, but the Gateway server passes TLS through, so the rules have no effect.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{
    CREDENTIAL_PLACEHOLDER, delete_entries, insert_entry, insert_one_line_entry, is_flow, quoted,
    replace_scalar,
};
use crate::model::{Field, HttpRoute, Protocol, VirtualService};
use crate::resolve::{Mesh, ReachedServer, RouteKind};
use crate::source::Span;

pub static CHECK: Check = Check {
    id: "http-route-behind-passthrough-gateway",
    summary: "A VirtualService routes with `http` rules through a Gateway server that passes TLS through.",
    istio_code: None,
    docs: r#"
## What it does
Finds VirtualServices that have `http` rules and no `tls` or `tcp` rules, bound to a Gateway
server in PASSTHROUGH or AUTO_PASSTHROUGH mode (including a `tls` block without `mode`, which
means PASSTHROUGH), and to no server that routes HTTP. The servers considered are those
accepting one of the VirtualService's hosts, narrowed by each rule's `match` (`port`,
`gateways`). A VirtualService also bound to `mesh`, or to a Gateway not in the input, is left
alone: its `http` rules may be meant for those.

## Why is this bad?
A passthrough server forwards the still-encrypted connection by its SNI and never sees HTTP
requests, so it only uses `tls` rules. The `http` rules have no effect: the connection matches
no route and is closed (`istioctl proxy-config listener` shows no filter chain for the host).

## Fix
Route with `tls` rules matched on SNI (the Istio troubleshooting guide's fix): rename `http:`
to `tls:` and give each rule `match: - sniHosts: [<the VirtualService hosts>]`. Keep the
destinations; a destination service with several ports needs its `port`. Alternatively,
terminate TLS at the gateway: set the server's `mode: SIMPLE` and name the certificate's
secret in `credentialName`.

## Fix safety
The rewrite into `tls` rules is safe when the rules only route (a `name` is dropped, as TLS
rules have none). When a rule matches on L7 properties (URI, headers, …) or uses HTTP-only
features (rewrites, retries, timeouts, faults, mirrors, header changes), TLS routing cannot
express them: the fix drops them and replaces L7 matches with the SNI match, so it is unsafe,
and its label says so. It is not offered when a rule has no `route` (a redirect or direct
response). Terminating at the gateway is unsafe: it needs a certificate secret, inserted as
the placeholder `<credential-name>`, and changes routing for every VirtualService bound to
that server.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - hosts:
    - "*"
    port:
      name: https
      number: 443
      protocol: HTTPS
    tls:
      mode: PASSTHROUGH
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: virtual-service
spec:
  gateways:
  - gateway
  hosts:
  - httpbin.example.com
  http:
  - route:
    - destination:
        host: httpbin.org
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - hosts:
    - "*"
    port:
      name: https
      number: 443
      protocol: HTTPS
    tls:
      mode: PASSTHROUGH
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: virtual-service
spec:
  gateways:
  - gateway
  hosts:
  - httpbin.example.com
  tls:
  - match:
    - sniHosts: ["httpbin.example.com"]
    route:
    - destination:
        host: httpbin.org
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        let (Some(http), Some(reached)) = (
            &service.http,
            mesh.servers_reached_only_by(resource, service, RouteKind::Http),
        ) else {
            continue;
        };
        if reached.iter().any(|s| s.routes_with() == RouteKind::Http) {
            continue;
        }
        let passthrough: Vec<&ReachedServer> = reached
            .iter()
            .filter(|s| s.routes_with() == RouteKind::Tls)
            .collect();
        if passthrough.is_empty() {
            continue;
        }
        let servers: Vec<String> = passthrough.iter().map(|s| s.describe()).collect();
        let mut diagnostic = Diagnostic::new(
            CHECK.id,
            Severity::Error,
            http.key,
            format!(
                "{} routes only with `http` rules, but {} passes TLS through and routes the \
                 encrypted connections with `tls` rules only: the `http` rules have no effect",
                resource.label(),
                servers.join(" and ")
            ),
        )
        .resource(resource.reference());
        for server in &passthrough {
            if let Some(span) = server.server.tls_mode_span() {
                diagnostic = diagnostic.related(
                    span,
                    format!("TLS passed through here: {}", server.describe()),
                );
            }
        }
        if let Some(fix) = rewrite_fix(mesh, service, http) {
            diagnostic = diagnostic.fix(fix);
        }
        if let Some(fix) = terminate_fix(mesh, &passthrough) {
            diagnostic = diagnostic.fix(fix);
        }
        out.push(diagnostic);
    }
}

/// Renames `http:` to `tls:`, gives every rule an SNI match on the VirtualService's hosts and
/// drops what TLS rules cannot have.
fn rewrite_fix(mesh: &Mesh, service: &VirtualService, http: &Field<Vec<HttpRoute>>) -> Option<Fix> {
    let hosts: Vec<String> = service.host_values().map(|h| quoted(&h.value)).collect();
    if hosts.is_empty() {
        return None;
    }
    let sni_hosts = format!("sniHosts: [{}]", hosts.join(", "));
    let sources = &mesh.sources;
    let rules = mesh.node_at(http.span)?;
    let mut edits = vec![replace_scalar(sources, http.key, "tls")];
    let mut keeps_meaning = true;
    for rule in rules.as_sequence()? {
        let entries = rule.as_mapping()?;
        rule.entry_index("route")?;
        let mut dropped = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            match entry.key.as_str() {
                Some("route") => {
                    for destination in entry.value.as_sequence()? {
                        let extra: Vec<usize> = destination
                            .as_mapping()?
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| {
                                !matches!(e.key.as_str(), Some("destination" | "weight"))
                            })
                            .map(|(at, _)| at)
                            .collect();
                        if !extra.is_empty() {
                            keeps_meaning = false;
                            edits.extend(delete_entries(sources, destination, &extra)?);
                        }
                    }
                }
                Some("match") => {
                    if entry.value.is_null() {
                        return None;
                    }
                    keeps_meaning = false;
                    let value = if is_flow(sources, &entry.value) {
                        format!("[{{{sni_hosts}}}]")
                    } else {
                        format!("- {sni_hosts}")
                    };
                    let start = entry.value.span.start as usize;
                    let end = entry.value.span.end as usize;
                    edits.push(Edit::replace(
                        Span::new(entry.value.span.file, start..end),
                        value,
                    ));
                }
                Some("name") => dropped.push(index),
                _ => {
                    keeps_meaning = false;
                    dropped.push(index);
                }
            }
        }
        if !dropped.is_empty() {
            edits.extend(delete_entries(sources, rule, &dropped)?);
        }
        if rule.entry_index("match").is_none() {
            edits.push(insert_entry(
                sources,
                rule,
                None,
                &["match:".to_string(), format!("- {sni_hosts}")],
                &format!("match: [{{{sni_hosts}}}]"),
            )?);
        }
    }
    Some(if keeps_meaning {
        Fix::safe("Route with `tls` rules matched on SNI", edits)
    } else {
        Fix::unsafe_(
            "Route with `tls` rules matched on SNI, dropping the L7 matches and HTTP features \
             TLS routing cannot express (review the rules)",
            edits,
        )
    })
}

/// Terminates TLS at the passthrough servers: `mode: SIMPLE` and a credential placeholder
/// (and protocol HTTPS where it was TLS, so that `http` rules apply).
fn terminate_fix(mesh: &Mesh, passthrough: &[&ReachedServer]) -> Option<Fix> {
    let sources = &mesh.sources;
    let mut edits = Vec::new();
    let mut names = Vec::new();
    for reached in passthrough {
        let server = reached.server;
        let tls = server.tls.as_ref()?;
        let node = mesh.node_at(tls.span)?;
        let has_certificate = tls.value.credential_name.is_some()
            || (tls.value.server_certificate.is_some() && tls.value.private_key.is_some());
        match &tls.value.mode {
            Some(mode) => {
                edits.push(replace_scalar(sources, mode.span, "SIMPLE"));
                if !has_certificate {
                    let after = node.entry_index("mode");
                    edits.push(insert_one_line_entry(
                        sources,
                        node,
                        after,
                        CREDENTIAL_PLACEHOLDER,
                    )?);
                }
            }
            None => {
                let mut lines = vec!["mode: SIMPLE".to_string()];
                if !has_certificate {
                    lines.push(CREDENTIAL_PLACEHOLDER.to_string());
                }
                edits.push(insert_entry(
                    sources,
                    node,
                    None,
                    &lines,
                    &lines.join(", "),
                )?);
            }
        }
        if let Some(protocol) = server.port.as_ref().and_then(|p| p.value.protocol.as_ref())
            && protocol.value == Protocol::Tls
        {
            edits.push(replace_scalar(sources, protocol.span, "HTTPS"));
        }
        names.push(reached.describe());
    }
    Some(Fix::unsafe_(
        format!(
            "Terminate TLS at {} instead (mode SIMPLE with a certificate secret you name)",
            names.join(", ")
        ),
        edits,
    ))
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "http-route-behind-passthrough-gateway";

    const GATEWAY: &str = r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.example.com"]
    tls: {mode: PASSTHROUGH}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["www.example.com"]
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: ["legacy.example.com"]
    tls:
      credentialName: legacy-cert
---
"#;

    #[test]
    fn flags_http_rules_behind_passthrough_servers() {
        check(
            ID,
            &format!(
                r#"{GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: shop}}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  http:
# ^^^^ error: VirtualService default/shop routes only with `http` rules, but Gateway default/gw port 443 (mode PASSTHROUGH) passes TLS through [fix]
  - route:
    - destination: {{host: shop}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: legacy}}
spec:
  hosts: [legacy.example.com]
  gateways: [gw]
  http:
# ^^^^ error: Gateway default/gw port 8443 (mode PASSTHROUGH: a `tls` block without `mode`) passes TLS through [fix]
  - match: [{{port: 8443}}]
    route: [{{destination: {{host: legacy}}}}]
"#
            ),
        );
    }

    #[test]
    fn near_misses_are_not_flagged() {
        check(
            ID,
            &format!(
                r#"{GATEWAY}# Also reaches the plain HTTP server, which uses the http rules.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: www}}
spec:
  hosts: [www.example.com]
  gateways: [gw]
  http: [{{route: [{{destination: {{host: www}}}}]}}]
---
# Its rule is narrowed to a port no passthrough server listens on.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: narrowed}}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  http: [{{match: [{{port: 80}}], route: [{{destination: {{host: shop}}}}]}}]
---
# Has tls rules too; and one bound to the mesh as well.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: both}}
spec:
  hosts: [api.example.com]
  gateways: [gw]
  http: [{{route: [{{destination: {{host: api}}}}]}}]
  tls: [{{match: [{{sniHosts: [api.example.com]}}], route: [{{destination: {{host: api}}}}]}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: mesh}}
spec:
  hosts: [api.example.com]
  gateways: [gw, mesh]
  http: [{{route: [{{destination: {{host: api}}}}]}}]
"#
            ),
        );
    }

    #[test]
    fn fix_rewrites_into_tls_rules_as_the_docs_do() {
        assert_fix(ID, 0, super::CHECK.bad_example, super::CHECK.good_example);
    }

    #[test]
    fn fix_in_flow_style_crlf_and_after_non_ascii() {
        let before = format!(
            "{GATEWAY}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: shop}}\nspec:\n  hosts: [shop.example.com, \"*.shop.example.com\"]\n  gateways: [gw]\n  # café ☕\n  http: [{{name: main, route: [{{destination: {{host: shop}}}}]}}]\n"
        )
        .replace('\n', "\r\n");
        let after = before.replace(
            "http: [{name: main, route",
            "tls: [{match: [{sniHosts: [\"shop.example.com\", \"*.shop.example.com\"]}], route",
        );
        assert_fix(ID, 0, &before, &after);
    }

    #[test]
    fn rewrite_dropping_l7_features_is_unsafe() {
        let before = format!(
            r#"{GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: shop}}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  http:
  - match:
    - uri: {{prefix: /api}}
    timeout: 5s
    route:
    - destination: {{host: api}}
      headers: {{request: {{set: {{x-api: "1"}}}}}}
  - name: rest
    route:
    - destination: {{host: shop}}
"#
        );
        let after = before
            .replace("  http:\n", "  tls:\n")
            .replace(
                "    - uri: {prefix: /api}\n    timeout: 5s\n",
                "    - sniHosts: [\"shop.example.com\"]\n",
            )
            .replace("      headers: {request: {set: {x-api: \"1\"}}}\n", "")
            .replace(
                "  - name: rest\n    route:",
                "  - match:\n    - sniHosts: [\"shop.example.com\"]\n    route:",
            );
        assert_fix(ID, 0, &before, &after);
    }

    #[test]
    fn second_fix_terminates_at_the_gateway() {
        let after = super::CHECK.bad_example.replace(
            "      mode: PASSTHROUGH\n",
            "      mode: SIMPLE\n      credentialName: <credential-name>\n",
        );
        assert_fix(ID, 1, super::CHECK.bad_example, &after);
        let before = format!(
            "{GATEWAY}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: shop}}\nspec: {{hosts: [shop.example.com], gateways: [gw], http: [{{route: [{{destination: {{host: shop}}}}]}}]}}\n"
        );
        let after = before
            .replace(
                "{number: 443, name: tls, protocol: TLS}",
                "{number: 443, name: tls, protocol: HTTPS}",
            )
            .replace(
                "tls: {mode: PASSTHROUGH}",
                "tls: {mode: SIMPLE, credentialName: <credential-name>}",
            );
        assert_fix(ID, 1, &before, &after);
    }
}
