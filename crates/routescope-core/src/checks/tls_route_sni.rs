//! `tls-route-sni`: a `tls` rule that does not match on SNI hosts of its VirtualService.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::insert_one_line_entry;
use crate::model::{Resource, TlsMatch, TlsRoute, VirtualService};
use crate::resolve::{Mesh, host_covers};
use crate::source::{Sources, Span};

pub static CHECK: Check = Check {
    id: "tls-route-sni",
    summary: "A `tls` rule matches without `sniHosts`, or on an SNI host outside the VirtualService's hosts.",
    istio_code: Some("IST0106"),
    docs: r#"
## What it does
Checks every `tls` rule of a VirtualService the way Istio's validation does: the rule must
have a `match`, every match entry must list `sniHosts`, and every SNI host must lie within one
of the VirtualService's `hosts` (equal to it, or covered by a wildcard host: `a.example.com`
is within `*.example.com`, `*.example.com` is not within `a.example.com`).

## Why is this bad?
A `tls` rule routes encrypted traffic on the SNI name the client sends, unseen by anything
else. Istio rejects the whole VirtualService (`TLS match must have at least one SNI host`,
`SNI host … is not a compatible subset of any of the virtual service hosts`; the schema
error IST0106 of `istioctl analyze`), so none of its rules apply and the PASSTHROUGH gateway
or sidecar has no route for the traffic.

## Fix
Add `sniHosts` with the host names the rule is for, and keep them within the VirtualService's
`hosts` (add the host there if it is missing).

## Fix safety
Safe when the VirtualService has exactly one host and it is not `*`: the only SNI host the
rule can match is then that host, so the fix adds `sniHosts: [<that host>]` (and a `match` if
there is none), written as in `hosts`. No fix otherwise: which of several hosts the rule is
for, or whether the SNI host or `hosts` is wrong, is the user's choice.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: nginx
spec:
  hosts: [nginx.example.com]
  gateways: [mygateway]
  tls:
  - match:
    - port: 443
    route:
    - destination: {host: my-nginx, port: {number: 443}}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: nginx
spec:
  hosts: [nginx.example.com]
  gateways: [mygateway]
  tls:
  - match:
    - port: 443
      sniHosts: [nginx.example.com]
    route:
    - destination: {host: my-nginx, port: {number: 443}}
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        let sole_host = sole_host(&mesh.sources, service);
        for (index, route) in service.tls_routes().iter().enumerate() {
            let items = route.match_items();
            if items.is_empty() {
                let diagnostic = missing_sni(
                    resource,
                    service,
                    mesh.sources.first_line(route.span),
                    format!("rule tls[{index}] of {} has no `match`", resource.label()),
                );
                let fix = sole_host.and_then(|host| add_match(mesh, route, host));
                out.push(with_fix(diagnostic, fix));
                continue;
            }
            for item in items {
                match &item.sni_hosts {
                    Some(sni_hosts) if !sni_hosts.value.is_empty() => {
                        check_sni_hosts(resource, service, index, item, out)
                    }
                    _ => {
                        let diagnostic = missing_sni(
                            resource,
                            service,
                            mesh.sources.first_line(item.span),
                            format!(
                                "a `match` entry of rule tls[{index}] of {} has no `sniHosts`",
                                resource.label()
                            ),
                        );
                        let fix = sole_host.and_then(|host| add_sni_hosts(mesh, item, host));
                        out.push(with_fix(diagnostic, fix));
                    }
                }
            }
        }
    }
}

fn missing_sni(
    resource: &Resource,
    service: &VirtualService,
    span: Span,
    what: String,
) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        CHECK.id,
        Severity::Error,
        span,
        format!(
            "{what}: Istio rejects TLS rules that do not match on `sniHosts`, so none of the \
             VirtualService's rules apply"
        ),
    )
    .istio_code("IST0106")
    .resource(resource.reference());
    with_hosts(resource, service, diagnostic)
}

fn check_sni_hosts(
    resource: &Resource,
    service: &VirtualService,
    index: usize,
    item: &TlsMatch,
    out: &mut Vec<Diagnostic>,
) {
    if service.hosts.is_none() {
        return;
    }
    let hosts: Vec<&str> = service.host_values().map(|h| h.value.as_str()).collect();
    let outside = item.sni_hosts.iter().flat_map(|s| &s.value).filter(|sni| {
        sni.value.parse::<std::net::IpAddr>().is_err()
            && !hosts.iter().any(|host| host_covers(host, &sni.value))
    });
    for sni in outside {
        let diagnostic = Diagnostic::new(
            CHECK.id,
            Severity::Error,
            sni.span,
            format!(
                "SNI host `{}` of rule tls[{index}] is not within the hosts of {} ({}): Istio \
                 rejects the VirtualService, so none of its rules apply",
                sni.value,
                resource.label(),
                hosts.join(", ")
            ),
        )
        .istio_code("IST0106")
        .resource(resource.reference());
        out.push(with_hosts(resource, service, diagnostic));
    }
}

fn with_hosts(resource: &Resource, service: &VirtualService, diagnostic: Diagnostic) -> Diagnostic {
    match &service.hosts {
        Some(hosts) => diagnostic.related(hosts.span, format!("hosts of {}", resource.label())),
        None => diagnostic,
    }
}

fn with_fix(diagnostic: Diagnostic, fix: Option<Edit>) -> Diagnostic {
    match fix {
        Some(edit) => diagnostic.fix(Fix::safe(
            "Match on the VirtualService's host with `sniHosts`",
            vec![edit],
        )),
        None => diagnostic,
    }
}

/// The VirtualService's only host as written (quotes kept), unless it is `*` or spans lines.
fn sole_host<'s>(sources: &'s Sources, service: &VirtualService) -> Option<&'s str> {
    let hosts = &service.hosts.as_ref()?.value;
    let [host] = hosts.as_slice() else {
        return None;
    };
    let written = sources.slice(host.span);
    (host.value != "*" && !written.contains(['\n', '\r'])).then_some(written)
}

/// Adds `match: [{sniHosts: [host]}]` as the first key of a `tls` rule.
fn add_match(mesh: &Mesh, route: &TlsRoute, host: &str) -> Option<Edit> {
    let new_match = format!("match: [{{sniHosts: [{host}]}}]");
    let rule = mesh.node_at(route.span)?;
    insert_one_line_entry(&mesh.sources, rule, None, &new_match)
}

/// Adds `sniHosts: [host]` to a match entry: fills an empty list, or adds it as the last key.
fn add_sni_hosts(mesh: &Mesh, item: &TlsMatch, host: &str) -> Option<Edit> {
    let list = format!("[{host}]");
    if let Some(sni_hosts) = &item.sni_hosts {
        return Some(Edit::replace(sni_hosts.span, list));
    }
    let node = mesh.node_at(item.span)?;
    if node.entry_index("sniHosts").is_some() {
        // `sniHosts:` with an empty value: a second key would be a duplicate.
        return None;
    }
    let last = node.as_mapping()?.len().checked_sub(1);
    insert_one_line_entry(&mesh.sources, node, last, &format!("sniHosts: {list}"))
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const VS: &str =
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n";
    const VS2: &str =
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs2}\nspec:\n";

    #[test]
    fn flags_missing_and_foreign_sni_hosts() {
        check(
            "tls-route-sni",
            &format!(
                r#"{VS}  hosts: ["*.example.com", api.other.io]
  gateways: [passthrough]
  tls:
  - match:
    - port: 443
#     ^^^^^^^^^ error: a `match` entry of rule tls[0] of VirtualService default/vs has no `sniHosts`: Istio rejects TLS rules
      sourceLabels: {{app: x}}
    - sniHosts: [a.example.com, example.com, 10.0.0.1]
#                               ^^^^^^^^^^^ error: SNI host `example.com` of rule tls[0] is not within the hosts of VirtualService default/vs (*.example.com, api.other.io)
    route:
    - destination: {{host: a}}
  - route: # no match
#   ^^^^^^ error: rule tls[1] of VirtualService default/vs has no `match`
    - destination: {{host: b}}
  - match: [{{sniHosts: []}}, {{port: 8443}}]
#           ^^^^^^^^^^^^^^ error: a `match` entry of rule tls[2]
#                           ^^^^^^^^^^^^ error: a `match` entry of rule tls[2]
    route:
    - destination: {{host: c}}
"#
            ),
        );
    }

    #[test]
    fn fixes_are_offered_for_a_sole_host() {
        check(
            "tls-route-sni",
            &format!(
                r#"{VS}  # café ☕
  hosts: [nginx.example.com]
  tls:
  - match:
    - port: 443
#     ^^^^^^^^^ error: has no `sniHosts` [fix]
    - {{port: 8443 }}
#     ^^^^^^^^^^^^^ error: has no `sniHosts` [fix]
    - {{}}
#     ^^ error: has no `sniHosts` [fix]
    - sniHosts:
#     ^^^^^^^^ error: has no `sniHosts`
    route:
    - destination: {{host: a}}
  - route:
#   ^^^^^^ error: has no `match` [fix]
    - destination: {{host: b}}
  - {{route: [{{destination: {{host: c}}}}]}}
#   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error: has no `match` [fix]
---
{VS2}  hosts: ["*"]
  gateways: [passthrough]
  tls:
  - match: [{{port: 443}}]
#           ^^^^^^^^^^^ error: has no `sniHosts`
    route:
    - destination: {{host: a}}
"#
            ),
        );
    }

    #[test]
    fn valid_tls_rules_are_not_flagged() {
        check(
            "tls-route-sni",
            &format!(
                r#"{VS}  hosts: ["*.bookinfo.com", nginx.example.com]
  gateways: [mesh, passthrough]
  tls:
  - match:
    - port: 443
      sniHosts: [login.bookinfo.com, "*.api.bookinfo.com", NGINX.example.com]
    route:
    - destination: {{host: a}}
  tcp:
  - route:
    - destination: {{host: b}}
"#
            ),
        );
    }

    #[test]
    fn fix_adds_sni_hosts_to_a_block_match_entry() {
        let before = format!(
            "{VS}  hosts: [\"nginx.example.com\"]\r\n  tls:\r\n  - match:\r\n    - port: 443 # café ☕\r\n      gateways: [gw]\r\n    route:\r\n    - destination: {{host: a}}\r\n"
        );
        let after = before.replace(
            "      gateways: [gw]\r\n",
            "      gateways: [gw]\r\n      sniHosts: [\"nginx.example.com\"]\r\n",
        );
        assert_fix("tls-route-sni", 0, &before, &after);
    }

    #[test]
    fn fix_adds_sni_hosts_to_flow_entries() {
        let before = format!(
            "{VS}  hosts: [nginx.example.com]\n  tls:\n  - match: [{{port: 443 }}]\n    route: [{{destination: {{host: a}}}}]\n"
        );
        let after = before.replace(
            "{port: 443 }",
            "{port: 443, sniHosts: [nginx.example.com] }",
        );
        assert_fix("tls-route-sni", 0, &before, &after);
        let before = format!(
            "{VS}  hosts: [nginx.example.com]\n  tls:\n  - match: [{{sniHosts: []}}]\n    route: [{{destination: {{host: a}}}}]\n"
        );
        let after = before.replace("sniHosts: []", "sniHosts: [nginx.example.com]");
        assert_fix("tls-route-sni", 0, &before, &after);
    }

    #[test]
    fn fix_adds_a_match_to_a_rule_without_one() {
        let before = format!(
            "{VS}  hosts: [nginx.example.com]\n  tls:\n  - route:\n    - destination: {{host: a}}\n"
        );
        let after = before.replace(
            "  - route:",
            "  - match: [{sniHosts: [nginx.example.com]}]\n    route:",
        );
        assert_fix("tls-route-sni", 0, &before, &after);
        let before = format!(
            "{VS}  hosts: [nginx.example.com]\n  tls: [{{route: [{{destination: {{host: a}}}}]}}]\n"
        );
        let after = before.replace(
            "[{route:",
            "[{match: [{sniHosts: [nginx.example.com]}], route:",
        );
        assert_fix("tls-route-sni", 0, &before, &after);
    }
}
