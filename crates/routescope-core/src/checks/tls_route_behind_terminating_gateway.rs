//! `tls-route-behind-terminating-gateway`: a VirtualService routes a Gateway's hosts only with
//! `tls` rules, but the Gateway server terminates TLS, so the rules never match.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::{delete_entries, replace_scalar};
use crate::model::{Field, ServerTlsMode, TlsRoute, VirtualService};
use crate::resolve::{Mesh, ReachedServer, RouteKind, host_covers};
use crate::yaml::Node;

pub static CHECK: Check = Check {
    id: "tls-route-behind-terminating-gateway",
    summary: "A VirtualService routes with `tls` rules through a Gateway server that terminates TLS.",
    istio_code: None,
    docs: r#"
## What it does
Finds VirtualServices that have `tls` rules and no `http` or `tcp` rules, bound to a Gateway
server whose TLS mode terminates TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL). The
servers considered are those accepting one of the VirtualService's hosts, narrowed by each
rule's `match` (`port`, `gateways`). A VirtualService that also reaches a PASSTHROUGH server,
is bound to `mesh` as well, or names a Gateway that is not in the input is left alone: its
`tls` rules may be meant for those.

## Why is this bad?
A terminating server decrypts the connection and hands the requests to `http` routes (for an
HTTPS server) or `tcp` routes (for a TLS server). `tls` rules match the SNI of connections that
are still encrypted, so they never apply there: the gateway finds no route and answers 404
(`istioctl proxy-config routes` shows no route for the host).

## Fix
Route with `http` rules instead (the Istio troubleshooting guide's fix): rename `tls:` to
`http:` and drop the `sniHosts` conditions, which the `hosts` of the VirtualService already
express; `port` and `gateways` conditions stay. For a server with protocol TLS the rules
become `tcp` rules. Alternatively, if the backend should terminate TLS itself, switch the
Gateway server to `mode: PASSTHROUGH`; its `credentialName` then goes unused.

## Fix safety
Rewriting into `http` rules is safe when every dropped `sniHosts` list covers all hosts of
the VirtualService: routing stays what it was meant to be. When the SNI matches told hosts
apart, dropping them merges those rules, so the fix is unsafe. It is not offered when a match
has conditions with no HTTP equivalent (such as `destinationSubnets`) or the layout cannot be
edited cleanly. Switching the server to PASSTHROUGH is unsafe: it changes how every
VirtualService bound to that server is routed.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - "*"
    tls:
      mode: SIMPLE
      credentialName: sds-credential
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "*.example.com"
  gateways:
  - istio-system/gateway
  tls:
  - match:
    - sniHosts:
      - "*.example.com"
    route:
    - destination:
        host: httpbin.org
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - "*"
    tls:
      mode: SIMPLE
      credentialName: sds-credential
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "*.example.com"
  gateways:
  - istio-system/gateway
  http:
  - route:
    - destination:
        host: httpbin.org
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        let (Some(tls), Some(reached)) = (
            &service.tls,
            mesh.servers_reached_only_by(resource, service, RouteKind::Tls),
        ) else {
            continue;
        };
        if reached.iter().any(|s| s.routes_with() == RouteKind::Tls) {
            continue;
        }
        let terminating: Vec<&ReachedServer> = reached
            .iter()
            .filter(|s| s.server.tls_mode().is_some_and(ServerTlsMode::terminates))
            .collect();
        if terminating.is_empty() {
            continue;
        }
        let servers: Vec<String> = terminating
            .iter()
            .map(|s| {
                format!(
                    "{} terminates TLS and hands the requests to `{}` rules",
                    s.describe(),
                    s.routes_with().key()
                )
            })
            .collect();
        let mut diagnostic = Diagnostic::new(
            CHECK.id,
            Severity::Error,
            tls.key,
            format!(
                "{} routes only with `tls` rules, but {}: the `tls` rules never match and \
                 requests get 404",
                resource.label(),
                servers.join("; ")
            ),
        )
        .resource(resource.reference());
        for server in &terminating {
            if let Some(span) = server.server.tls_mode_span() {
                diagnostic =
                    diagnostic.related(span, format!("TLS terminated here: {}", server.describe()));
            }
        }
        if let Some(fix) = rewrite_fix(mesh, service, tls, &reached) {
            diagnostic = diagnostic.fix(fix);
        }
        if let Some(fix) = passthrough_fix(mesh, &terminating) {
            diagnostic = diagnostic.fix(fix);
        }
        out.push(diagnostic);
    }
}

/// Renames `tls:` to the rule kind the servers route with and drops the `sniHosts`
/// conditions, keeping the conditions that kind also has.
fn rewrite_fix(
    mesh: &Mesh,
    service: &VirtualService,
    tls: &Field<Vec<TlsRoute>>,
    reached: &[ReachedServer],
) -> Option<Fix> {
    let kind = reached.first()?.routes_with();
    if reached.iter().any(|s| s.routes_with() != kind) {
        return None;
    }
    let kept_conditions: &[&str] = match kind {
        RouteKind::Http => &["port", "gateways", "sourceLabels", "sourceNamespace"],
        RouteKind::Tcp => &[
            "port",
            "gateways",
            "sourceLabels",
            "sourceNamespace",
            "destinationSubnets",
        ],
        RouteKind::Tls => return None,
    };
    let sources = &mesh.sources;
    let rules = mesh.node_at(tls.span)?;
    let mut edits = vec![replace_scalar(sources, tls.key, kind.key())];
    let mut keeps_meaning = true;
    for rule in rules.as_sequence()? {
        let Some(match_at) = rule.entry_index("match") else {
            continue;
        };
        let items = rule.as_mapping()?[match_at].value.as_sequence()?;
        let mut unconditional = false;
        let mut deletions = Vec::new();
        for item in items {
            let conditions = item.as_mapping()?;
            let unknown = conditions.iter().any(|condition| {
                condition
                    .key
                    .as_str()
                    .is_none_or(|key| key != "sniHosts" && !kept_conditions.contains(&key))
            });
            if unknown {
                return None;
            }
            let Some(sni_at) = item.entry_index("sniHosts") else {
                unconditional |= conditions.is_empty();
                continue;
            };
            keeps_meaning &= sni_hosts_cover(&conditions[sni_at].value, service);
            if conditions.len() == 1 {
                unconditional = true;
            } else {
                deletions.extend(delete_entries(sources, item, &[sni_at])?);
            }
        }
        // An empty match entry matches everything, which makes the whole `match` moot.
        if unconditional {
            edits.extend(delete_entries(sources, rule, &[match_at])?);
        } else {
            edits.extend(deletions);
        }
    }
    let label = format!("Route with `{}` rules instead of `tls`", kind.key());
    Some(if keeps_meaning {
        Fix::safe(
            format!("{label} (the SNI matches only repeat the hosts)"),
            edits,
        )
    } else {
        Fix::unsafe_(
            format!("{label}, dropping SNI matches that told hosts apart (review the rules)"),
            edits,
        )
    })
}

/// Whether a `sniHosts` list matches every host of the VirtualService, so dropping it
/// changes nothing.
fn sni_hosts_cover(sni_hosts: &Node, service: &VirtualService) -> bool {
    let Some(patterns) = sni_hosts.as_sequence() else {
        return false;
    };
    service.host_values().all(|host| {
        patterns
            .iter()
            .filter_map(Node::as_str)
            .any(|pattern| host_covers(pattern, &host.value))
    })
}

fn passthrough_fix(mesh: &Mesh, terminating: &[&ReachedServer]) -> Option<Fix> {
    let mut edits = Vec::new();
    let mut names = Vec::new();
    for server in terminating {
        let mode = server.server.tls.as_ref()?.value.mode.as_ref()?;
        edits.push(replace_scalar(&mesh.sources, mode.span, "PASSTHROUGH"));
        names.push(server.describe());
    }
    Some(Fix::unsafe_(
        format!(
            "Pass TLS through at {} instead (mode PASSTHROUGH; the credential goes unused)",
            names.join(", ")
        ),
        edits,
    ))
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "tls-route-behind-terminating-gateway";

    const GATEWAY: &str = r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*.example.com"]
    tls: {mode: SIMPLE, credentialName: example-cert}
  - port: {number: 8443, name: tls, protocol: TLS}
    hosts: ["db.example.com"]
    tls:
      mode: PASSTHROUGH
---
"#;

    #[test]
    fn flags_tls_rules_behind_a_terminating_server() {
        check(
            ID,
            &format!(
                r#"{GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: shop}}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  tls:
# ^^^ error: VirtualService default/shop routes only with `tls` rules, but Gateway istio-system/gw port 443 (mode SIMPLE) terminates TLS and hands the requests to `http` rules [fix]
  - match:
    - sniHosts: [shop.example.com]
    route:
    - destination: {{host: shop}}
"#
            ),
        );
    }

    #[test]
    fn a_terminating_tls_server_routes_with_tcp_rules() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: db}
spec:
  servers:
  - port: {number: 5432, name: tls-db, protocol: TLS}
    hosts: [db.example.com]
    tls: {mode: MUTUAL, credentialName: db}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db}
spec: {hosts: [db.example.com], gateways: [db], tls: [{route: [{destination: {host: db}}]}]}
#                                               ^^^ error: hands the requests to `tcp` rules [fix]
"#,
        );
    }

    #[test]
    fn near_misses_are_not_flagged() {
        check(
            ID,
            &format!(
                r#"{GATEWAY}# Reaches the passthrough server too (its host is served on 8443).
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: db}}
spec:
  hosts: [db.example.com]
  gateways: [istio-system/gw]
  tls:
  - match: [{{sniHosts: [db.example.com]}}]
    route: [{{destination: {{host: db}}}}]
---
# Its only rule is narrowed to the passthrough port.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: narrowed}}
spec:
  hosts: ["*.example.com"]
  gateways: [istio-system/gw]
  tls:
  - match: [{{port: 8443, sniHosts: [a.example.com]}}]
    route: [{{destination: {{host: a}}}}]
---
# Also has http rules, which the terminating server uses.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: both}}
spec:
  hosts: [www.example.com]
  gateways: [istio-system/gw]
  http: [{{route: [{{destination: {{host: www}}}}]}}]
  tls: [{{match: [{{sniHosts: [www.example.com]}}], route: [{{destination: {{host: www}}}}]}}]
---
# Bound to the mesh as well, and to a Gateway not in the input.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: mesh}}
spec:
  hosts: [api.example.com]
  gateways: [istio-system/gw, mesh]
  tls: [{{match: [{{sniHosts: [api.example.com]}}], route: [{{destination: {{host: api}}}}]}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: elsewhere}}
spec:
  hosts: [api.example.com]
  gateways: [istio-system/gw, istio-system/other]
  tls: [{{match: [{{sniHosts: [api.example.com]}}], route: [{{destination: {{host: api}}}}]}}]
"#
            ),
        );
    }

    #[test]
    fn fix_rewrites_into_http_rules_as_the_docs_do() {
        assert_fix(ID, 0, super::CHECK.bad_example, super::CHECK.good_example);
    }

    #[test]
    fn fix_keeps_ports_comments_crlf_and_non_ascii() {
        let before = format!(
            "{GATEWAY}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: shop}}\nspec:\n  hosts: [shop.example.com]\n  gateways: [istio-system/gw]\n  # café ☕: the shop\n  tls:\n  - match:\n    - port: 443 # the public port\n      sniHosts:\n      - shop.example.com\n    route:\n    - destination: {{host: shop}}\n"
        )
        .replace('\n', "\r\n");
        let after = before
            .replace("  tls:\r\n  - match", "  http:\r\n  - match")
            .replace("      sniHosts:\r\n      - shop.example.com\r\n", "");
        assert_fix(ID, 0, &before, &after);
    }

    #[test]
    fn fix_in_flow_style_and_when_sni_hosts_tell_hosts_apart() {
        let before = format!(
            "{GATEWAY}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: shop}}\nspec:\n  hosts: [a.example.com, b.example.com]\n  gateways: [istio-system/gw]\n  tls:\n  - {{match: [{{sniHosts: [a.example.com]}}], route: [{{destination: {{host: a}}}}]}}\n  - {{match: [{{sniHosts: [b.example.com], gateways: [istio-system/gw]}}], route: [{{destination: {{host: b}}}}]}}\n"
        );
        let after = before
            .replace(
                "[istio-system/gw]\n  tls:\n",
                "[istio-system/gw]\n  http:\n",
            )
            .replace("{match: [{sniHosts: [a.example.com]}], route", "{route")
            .replace("sniHosts: [b.example.com], gateways", "gateways");
        assert_fix(ID, 0, &before, &after);
    }

    #[test]
    fn second_fix_passes_tls_through() {
        let before = super::CHECK.bad_example;
        let after = before.replace("      mode: SIMPLE\n", "      mode: PASSTHROUGH\n");
        assert_fix(ID, 1, before, &after);
    }
}
