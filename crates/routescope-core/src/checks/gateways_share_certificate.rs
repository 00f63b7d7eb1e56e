//! `gateways-share-certificate`: several Gateways on the same gateway workload terminate TLS
//! with the same certificate for different hosts (Istio's IST0138).

use std::collections::HashMap;

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{append_items, delete_document, replace_scalar, scalar_like};
use crate::model::{Gateway, Resource, Server, ServerTls, ServerTlsMode, Spanned};
use crate::resolve::{GatewayTarget, Mesh};
use crate::source::Span;

pub static CHECK: Check = Check {
    id: "gateways-share-certificate",
    summary: "Several Gateways on one gateway workload terminate TLS with the same certificate for different hosts.",
    istio_code: Some("IST0138"),
    docs: r#"
## What it does
Finds Gateway servers that terminate TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL) with the same
certificate (the same `credentialName`, or the same `serverCertificate` and `privateKey`
files) on the same port, in different Gateways that select the same gateway workload (one
`selector` contains the other; an empty selector selects every gateway), for different hosts.
Each server involved is reported, at its certificate. Servers of one Gateway sharing a
certificate are fine: that is the recommended setup.

## Why is this bad?
Both Gateways run on the same proxies, so their hosts resolve to the same address and present
the same (typically wildcard) certificate. Browsers that reuse HTTP/2 connections (most of
them) send requests for the second host over the connection opened for the first one. That
connection belongs to the first Gateway's server, which has no route for the second host: the
browser gets 404, depending on which host was visited first.

## Fix
Use one Gateway for all hosts that share the certificate (for example a wildcard host such as
`*.test.com`), and bind every VirtualService to it.

## Fix safety
The fix merges the other Gateways into this one: it adds their hosts to this server, deletes
them, and rebinds the VirtualServices (and rule `gateways` matches) that referred to them. It
is unsafe: it deletes resources and changes which Gateway other teams' VirtualServices use.
It is only offered for Gateways that have this one server, with the same TLS mode and
protocol, that are documents of their own (not items of a `kind: List`), and whose namespace
and name no other Gateway of the input has; and not when a third Gateway serves this one's
hosts with the same certificate (the merge would make the two conflict).
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw1
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["service1.test.com"]
    tls: {mode: SIMPLE, credentialName: wildcard-test-com-cert}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw2
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["service2.test.com"]
    tls: {mode: SIMPLE, credentialName: wildcard-test-com-cert}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*.test.com"]
    tls: {mode: SIMPLE, credentialName: wildcard-test-com-cert}
"#,
    run: Run::OnMesh(run),
};

/// What a server presents: a secret, or certificate and key files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Certificate<'m> {
    Secret(&'m str),
    Files(&'m str, &'m str),
}

impl Certificate<'_> {
    fn describe(self) -> String {
        match self {
            Certificate::Secret(name) => format!("credential `{name}`"),
            Certificate::Files(certificate, _) => format!("certificate file `{certificate}`"),
        }
    }
}

/// A TLS-terminating server with its certificate and where the certificate is named.
struct Terminating<'m> {
    gateway: &'m Resource,
    spec: &'m Gateway,
    server: &'m Server,
    certificate: Certificate<'m>,
    at: Span,
}

fn certificate(tls: &ServerTls) -> Option<(Certificate<'_>, Span)> {
    if let Some(name) = &tls.credential_name {
        return Some((Certificate::Secret(&name.value), name.span));
    }
    match (&tls.server_certificate, &tls.private_key) {
        (Some(certificate), Some(key)) => Some((
            Certificate::Files(&certificate.value, &key.value),
            certificate.span,
        )),
        _ => None,
    }
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let mut by_certificate: HashMap<Certificate, Vec<Terminating>> = HashMap::new();
    for (gateway, spec) in mesh.gateways() {
        for server in &spec.servers {
            let Some(tls) = &server.tls else {
                continue;
            };
            let terminates_with_own_certificate = server
                .tls_mode()
                .is_some_and(|mode| mode.terminates() && mode != ServerTlsMode::IstioMutual);
            if !terminates_with_own_certificate {
                continue;
            }
            if let Some((certificate, at)) = certificate(&tls.value) {
                by_certificate
                    .entry(certificate)
                    .or_default()
                    .push(Terminating {
                        gateway,
                        spec,
                        server,
                        certificate,
                        at,
                    });
            }
        }
    }
    let mut groups: Vec<&Vec<Terminating>> = by_certificate.values().collect();
    crate::order::sort_by_key(&mut groups, |group| group[0].at);
    for group in groups {
        for server in group {
            let others: Vec<&Terminating> = group
                .iter()
                .filter(|other| conflict(server, other))
                .collect();
            if !others.is_empty() {
                out.push(diagnostic(mesh, server, &others, group));
            }
        }
    }
}

/// Two servers of different Gateways on the same workload and port, for different hosts.
fn conflict(a: &Terminating, b: &Terminating) -> bool {
    same_listener(a, b) && sorted_hosts(a.server) != sorted_hosts(b.server)
}

/// Two servers of different Gateways on the same workload and port.
fn same_listener(a: &Terminating, b: &Terminating) -> bool {
    let selects_within =
        |x: &Gateway, y: &Gateway| x.selector.iter().all(|p| y.selector.contains(p));
    let same_workload = selects_within(a.spec, b.spec) || selects_within(b.spec, a.spec);
    !std::ptr::eq(a.gateway, b.gateway)
        && same_workload
        && a.server.port_number() == b.server.port_number()
}

fn sorted_hosts(server: &Server) -> Vec<&str> {
    let mut hosts: Vec<&str> = server.host_values().map(|h| h.value.as_str()).collect();
    crate::order::sort(&mut hosts);
    hosts
}

fn describe_hosts(server: &Server) -> String {
    sorted_hosts(server).join(", ")
}

/// What both certificate-sharing checks report: `this` and `others` (each named with its
/// hosts) terminate TLS at `place` with the same `certificate`, so browsers coalesce their
/// HTTP/2 connections and the `server` (Gateway, listener) that got the connection answers
/// for hosts it has no route for.
pub(super) fn connection_reuse_message(
    this: &str,
    others: &[String],
    place: &str,
    certificate: &str,
    server: &str,
) -> String {
    format!(
        "{this} and {} terminate TLS on {place} with the same {certificate}: browsers reuse one \
         HTTP/2 connection for all these hosts and get 404 from the {server} that lacks the \
         host's route",
        others.join(", ")
    )
}

/// The diagnostic of `server`, which conflicts with `others`, all of `group` (every server
/// with that certificate).
fn diagnostic(
    mesh: &Mesh,
    server: &Terminating,
    others: &[&Terminating],
    group: &[Terminating],
) -> Diagnostic {
    let selector = if server.spec.selector.is_empty() {
        "every gateway workload (no selector)".to_string()
    } else {
        let labels: Vec<String> = server
            .spec
            .selector
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        format!("the gateway workload `{}`", labels.join(","))
    };
    let port = server
        .server
        .port_number()
        .map_or_else(|| "?".to_string(), |n| n.to_string());
    let other_names: Vec<String> = others
        .iter()
        .map(|other| {
            format!(
                "{} ({})",
                other.gateway.label(),
                describe_hosts(other.server)
            )
        })
        .collect();
    let message = connection_reuse_message(
        &format!(
            "{} ({})",
            server.gateway.label(),
            describe_hosts(server.server)
        ),
        &other_names,
        &format!("port {port} of {selector}"),
        &server.certificate.describe(),
        "Gateway",
    );
    let mut diagnostic = Diagnostic::new(CHECK.id, Severity::Warning, server.at, message)
        .istio_code("IST0138")
        .resource(server.gateway.reference());
    for other in others {
        diagnostic = diagnostic.related(
            other.at,
            format!("the same certificate in {}", other.gateway.label()),
        );
    }
    if let Some(fix) = merge_fix(mesh, server, others, group) {
        diagnostic = diagnostic.fix(fix);
    }
    diagnostic
}

/// Merges the other Gateways into this server's: their hosts join its `hosts`, they are
/// deleted, and references to them point here.
fn merge_fix(
    mesh: &Mesh,
    into: &Terminating,
    others: &[&Terminating],
    group: &[Terminating],
) -> Option<Fix> {
    // A server that serves this one's hosts with the certificate is no conflict today, but
    // would be one once the merge adds hosts here.
    let left_behind = group
        .iter()
        .any(|other| same_listener(into, other) && !conflict(into, other));
    if left_behind {
        return None;
    }
    // References name a Gateway by namespace and name: with two of the same name (the later
    // wins in a cluster) a merge or a rebinding cannot say which one it means.
    let uniquely_named = |gateway: &Resource| {
        mesh.gateways()
            .filter(|(other, _)| {
                other.namespace == gateway.namespace && other.name.value == gateway.name.value
            })
            .count()
            == 1
    };
    if !uniquely_named(into.gateway) {
        return None;
    }
    let sources = &mesh.sources;
    let hosts = mesh.node_at(into.server.hosts.as_ref()?.span)?;
    let mut new_hosts: Vec<String> = Vec::new();
    let mut edits = Vec::new();
    let mut merged = Vec::new();
    for other in others {
        let mergeable = other.spec.servers.len() == 1
            && uniquely_named(other.gateway)
            && other.server.tls_mode() == into.server.tls_mode()
            && other.server.protocol() == into.server.protocol();
        let deletion = delete_document(sources, other.gateway.span);
        let (true, Some(deletion)) = (mergeable, deletion) else {
            continue;
        };
        edits.push(deletion);
        for host in other.server.host_values() {
            let host = rehome(host, &other.gateway.namespace, &into.gateway.namespace);
            if !into.server.host_values().any(|h| h.value == host) && !new_hosts.contains(&host) {
                new_hosts.push(host);
            }
        }
        edits.extend(rebind(mesh, other.gateway, into.gateway));
        merged.push(other.gateway.label());
    }
    if merged.is_empty() {
        return None;
    }
    if !new_hosts.is_empty() {
        let sibling = hosts.as_sequence()?.last()?;
        let items: Vec<String> = new_hosts
            .iter()
            .map(|host| scalar_like(sources, sibling, host))
            .collect();
        edits.push(append_items(sources, hosts, &items)?);
    }
    Some(Fix::unsafe_(
        format!(
            "Serve the hosts of {} from {} and delete {} (VirtualServices are rebound here)",
            merged.join(", "),
            into.gateway.label(),
            if merged.len() == 1 { "it" } else { "them" }
        ),
        edits,
    ))
}

/// A server host moved to a Gateway of another namespace: `./host` named the old one.
fn rehome(host: &Spanned<String>, from_namespace: &str, to_namespace: &str) -> String {
    match host.value.strip_prefix("./") {
        Some(name) if from_namespace != to_namespace => format!("{from_namespace}/{name}"),
        _ => host.value.clone(),
    }
}

/// Points every VirtualService reference to Gateway `from` (in `gateways` and in rule
/// matches) at Gateway `to`.
fn rebind(mesh: &Mesh, from: &Resource, to: &Resource) -> Vec<Edit> {
    let mut edits = Vec::new();
    for (resource, service) in mesh.virtual_services() {
        let match_gateways = service
            .http_routes()
            .iter()
            .flat_map(|rule| rule.match_items().iter().map(|m| &m.gateways))
            .chain(
                service
                    .tls_routes()
                    .iter()
                    .chain(service.tcp_routes())
                    .flat_map(|rule| rule.match_items().iter().map(|m| &m.gateways)),
            );
        let entries = service
            .gateways
            .iter()
            .chain(match_gateways.flatten())
            .flat_map(|field| field.value.iter());
        for entry in entries {
            let refers = matches!(mesh.gateway_target(&entry.value, &resource.namespace),
                GatewayTarget::Found(found, _) if std::ptr::eq(found, from));
            if refers {
                let reference = if to.namespace == resource.namespace {
                    to.name.value.clone()
                } else {
                    format!("{}/{}", to.namespace, to.name.value)
                };
                edits.push(replace_scalar(&mesh.sources, entry.span, &reference));
            }
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "gateways-share-certificate";

    #[test]
    fn flags_every_gateway_sharing_the_certificate() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw1, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [service1.test.com]
    tls:
      mode: SIMPLE
      credentialName: "wildcard-test-com-cert"
#                     ^^^^^^^^^^^^^^^^^^^^^^^^ warning: Gateway istio-system/gw1 (service1.test.com) and Gateway istio-system/gw2 (service2.test.com), Gateway default/gw3 (service3.test.com) terminate TLS on port 443 of the gateway workload `istio=ingressgateway` with the same credential `wildcard-test-com-cert` [fix]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw2, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [service2.test.com]
    tls: {mode: SIMPLE, credentialName: wildcard-test-com-cert}
#                                       ^^^^^^^^^^^^^^^^^^^^^^ warning: Gateway istio-system/gw2 (service2.test.com) and Gateway istio-system/gw1 [fix]
---
# A narrower selector still runs on the same pods.
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw3}
spec:
  selector: {istio: ingressgateway, type: internal}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [service3.test.com]
    tls: {mode: SIMPLE, credentialName: wildcard-test-com-cert}
#                                       ^^^^^^^^^^^^^^^^^^^^^^ warning: Gateway default/gw3 (service3.test.com) and Gateway istio-system/gw1 [fix]
"#,
        );
    }

    #[test]
    fn near_misses_are_not_flagged() {
        check(
            ID,
            r#"# One Gateway, two servers sharing the certificate: the recommended setup.
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: one}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-1, protocol: HTTPS}
    hosts: [a.test.com]
    tls: {mode: SIMPLE, credentialName: cert}
  - port: {number: 443, name: https-2, protocol: HTTPS}
    hosts: [b.test.com]
    tls: {mode: SIMPLE, credentialName: cert}
---
# Another workload, another port, and a passthrough server naming the same secret.
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: internal}
spec:
  selector: {istio: internal-gateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [c.test.com]
    tls: {mode: SIMPLE, credentialName: cert}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: admin}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: [admin.test.com]
    tls: {mode: SIMPLE, credentialName: cert}
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [db.test.com]
    tls: {mode: PASSTHROUGH, credentialName: cert}
"#,
        );
    }

    /// The labels of the fixes this check offers on `text`.
    fn fix_labels(text: &str) -> Vec<String> {
        crate::analyze(
            crate::source::Sources::single("gw.yaml", text),
            crate::settings::MeshSettings::default(),
        )
        .diagnostics
        .into_iter()
        .filter(|d| d.check == ID)
        .flat_map(|d| d.fixes.into_iter().map(|f| f.label))
        .collect()
    }

    #[test]
    fn no_merge_into_or_from_a_gateway_whose_name_is_not_unique() {
        // Found by fuzzing: a second Gateway of the same namespace and name (the later one
        // wins in a cluster) kept the conflict after the merge, so the fix removed nothing.
        let gateway = |name: &str, host: &str, selector: &str| {
            format!(
                "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: {name}}}\nspec:\n  selector: {{{selector}}}\n  servers:\n  - port: {{number: 443, name: https, protocol: HTTPS}}\n    hosts: [{host}]\n    tls: {{mode: SIMPLE, credentialName: shared-cert}}\n"
            )
        };
        let text = [
            gateway("gw1", "one.test.com", "istio: ingressgateway"),
            gateway(
                "gw2",
                "two.test.com",
                "istio: ingressgateway, type: internal",
            ),
            gateway("gw2", "two.test.com", "type: internal"),
        ]
        .join("---\n");
        let fixes = fix_labels(&text);
        assert_eq!(fixes, Vec::<String>::new());
    }

    #[test]
    fn no_merge_that_leaves_a_gateway_with_the_old_hosts_behind() {
        // Found by fuzzing: gw3 serves gw2's hosts with the same certificate, which is fine
        // until gw1 merges into gw2; then gw3 and gw2 conflict, and the fix removed nothing.
        let gateway = |name: &str, host: &str| {
            format!(
                "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: {name}}}\nspec:\n  selector: {{istio: ingressgateway}}\n  servers:\n  - port: {{number: 443, name: https, protocol: HTTPS}}\n    hosts: [{host}]\n    tls: {{mode: SIMPLE, credentialName: shared-cert}}\n"
            )
        };
        let text = [
            gateway("gw1", "one.test.com"),
            gateway("gw2", "two.test.com"),
            gateway("gw3", "two.test.com"),
        ]
        .join("---\n");
        let fixes = fix_labels(&text);
        assert_eq!(
            fixes,
            [
                "Serve the hosts of Gateway default/gw2, Gateway default/gw3 from Gateway default/gw1 and delete them (VirtualServices are rebound here)"
            ]
        );
    }

    #[test]
    fn fix_merges_flow_style_hosts() {
        let before = super::CHECK.bad_example;
        let second = before.find("---\n").unwrap();
        let after = before[..second].replace(
            "[\"service1.test.com\"]",
            "[\"service1.test.com\", \"service2.test.com\"]",
        );
        assert_fix(ID, 0, before, &after);
    }

    #[test]
    fn fix_merges_the_other_gateway_and_rebinds_its_virtual_services() {
        let before = r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw1
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
    - "service1.test.com" # café ☕
    tls:
      mode: SIMPLE
      credentialName: wildcard-test-com-cert
---
# The second team's gateway.
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw2
  namespace: team2
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - "./service2.test.com"
    tls:
      mode: SIMPLE
      credentialName: wildcard-test-com-cert
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs2
  namespace: team2
spec:
  hosts: [service2.test.com]
  gateways: [gw2]
  http:
  - match: [{gateways: ["team2/gw2"]}]
    route: [{destination: {host: service2}}]
"#
        .replace('\n', "\r\n");
        let second_gateway = &before[before.find("---\r\n# The second").unwrap()
            ..before
                .find("---\r\napiVersion: networking.istio.io/v1\r\nkind: VirtualService")
                .unwrap()];
        let after = before
            .replace(second_gateway, "")
            .replace(
                "    - \"service1.test.com\" # café ☕\r\n",
                "    - \"service1.test.com\" # café ☕\r\n    - \"team2/service2.test.com\"\r\n",
            )
            .replace("gateways: [gw2]", "gateways: [istio-system/gw1]")
            .replace("[\"team2/gw2\"]", "[\"istio-system/gw1\"]");
        assert_fix(ID, 0, &before, &after);
    }
}
