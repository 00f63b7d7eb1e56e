//! `gateway-api-rejected`: what the API server refuses before any controller sees it — the
//! validation rules (CEL and schema) of the Gateway API v1.6 CRDs on listeners and on
//! TLSRoute/TCPRoute, evaluated after the CRD defaults, as the API server evaluates them.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{delete_entries, insert_entry, insert_one_line_entry, replace_scalar};
use crate::model::gateway_api::{FromNamespaces, Listener, ListenerTlsMode, Route};
use crate::model::{Resource, Spec};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::listeners_of;
use crate::source::Span;

pub static CHECK: Check = Check {
    id: "gateway-api-rejected",
    summary: "A Gateway, ListenerSet, TLSRoute or TCPRoute breaks a validation rule of its CRD: the API server refuses it.",
    istio_code: None,
    docs: r#"
## What it does
Evaluates the validation rules of the Gateway API v1.6 CRDs that no controller ever sees,
because the API server refuses the object first. The CRD defaults are applied before, as the
API server does: a `tls` block without `mode` is `mode: Terminate`. On the listeners of a
Gateway or ListenerSet:
- an HTTPS listener with `mode: Passthrough` (`tls mode must be Terminate for protocol HTTPS`);
- a TLS listener without `tls` (`tls mode must be set for protocol TLS`);
- a terminating `tls` block without `certificateRefs` or `options` (`certificateRefs or
  options must be specified when mode is Terminate`);
- a `tls` block on an HTTP, TCP or UDP listener;
- a `hostname` on a TCP or UDP listener;
- two listeners of one name, or of the same port, protocol and hostname.

On TLSRoute (v1, and v1alpha3 which has the same schema): `hostnames` is required, no
hostname may be an IP address, and there is exactly one rule, whose `backendRefs` are
required. TCPRoute v1 has exactly one rule with `backendRefs` too (v1alpha2 of both allows up
to 16 rules). The message quotes the CRD's own validation message.

## Why is this bad?
`kubectl apply` fails and the object never reaches the cluster: nothing it describes is
served. Applied together with other objects (Helm, Argo CD), the failure is easy to miss.

A trap for Istio users: an Istio Gateway's `tls` without `mode` means PASSTHROUGH, but a
Gateway API listener's `tls` without `mode` means Terminate, which needs a certificate.

## Fix
Remove what the protocol forbids (`tls` on HTTP), or change what the user evidently meant:
an HTTPS listener that passes TLS through is a TLS listener; a TLS listener without
certificates passes TLS through (`mode: Passthrough`). Rename duplicate listeners, and give a
TLSRoute its SNI hostnames and a single rule.

## Fix safety
Removing `tls` from an HTTP listener is safe: HTTP never reads it. The other fixes are
unsafe, as they choose a meaning: protocol TLS for an HTTPS listener with `mode:
Passthrough` (HTTPRoutes no longer attach to it, TLSRoutes do), `mode: Passthrough` for a
TLS listener without `tls` or without certificates, protocol TLS (or HTTPS) for a TCP (or
HTTP) listener whose `tls` block terminates with certificates, and removing the hostname of
a TCP or UDP listener (it then takes every connection on its port). No fix for duplicates or
routes.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: passthrough
    port: 443
    protocol: HTTPS
    tls:
      mode: Passthrough
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: passthrough
    port: 443
    protocol: TLS
    tls:
      mode: Passthrough
"#,
    run: Run::OnMesh(run),
};

const TLS_FORBIDDEN: &str = "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']";
const HTTPS_TERMINATES: &str = "tls mode must be Terminate for protocol HTTPS";
const TLS_NEEDS_MODE: &str = "tls mode must be set for protocol TLS";
const HOSTNAME_FORBIDDEN: &str = "hostname must not be specified for protocols ['TCP', 'UDP']";
const UNIQUE_NAME: &str = "Listener name must be unique within the Gateway";
const UNIQUE_COMBINATION: &str =
    "Combination of port, protocol and hostname must be unique for each listener";
const TERMINATE_NEEDS_CERTIFICATES: &str =
    "certificateRefs or options must be specified when mode is Terminate";
const NO_IP_HOSTNAMES: &str = "Hostnames cannot contain an IP";

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for resource in &mesh.resources {
        match &resource.spec {
            Spec::KubernetesGateway(_) | Spec::ListenerSet(_) => {
                listener_rules(mesh, resource, out)
            }
            Spec::Route(route) => {
                let version = version(resource);
                for problem in route_problems(resource, route, version) {
                    out.push(
                        Diagnostic::new(CHECK.id, Severity::Error, problem.span, problem.message)
                            .resource(resource.reference()),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The version of `apiVersion` (`v1` of `gateway.networking.k8s.io/v1`).
pub(super) fn version(resource: &Resource) -> &str {
    resource
        .api_version
        .as_ref()
        .and_then(|v| v.value.rsplit_once('/'))
        .map_or("", |(_, version)| version)
}

fn refused(resource: &Resource, rule: &str) -> String {
    format!(
        "the API server refuses this {}: `{rule}`",
        resource.kind.name()
    )
}

fn listener_rules(mesh: &Mesh, holder: &Resource, out: &mut Vec<Diagnostic>) {
    let listeners = listeners_of(holder);
    for (index, listener) in listeners.iter().enumerate() {
        let diagnostic = |span: Span, rule: &str, detail: String| {
            Diagnostic::new(
                CHECK.id,
                Severity::Error,
                span,
                format!(
                    "{}; listener `{}` {detail}",
                    refused(holder, rule),
                    listener.name_value()
                ),
            )
            .resource(holder.reference())
        };
        let protocol = listener.protocol.as_ref().map_or("", |p| p.value.as_str());
        let mode_unreadable = mode_is_unreadable(mesh, listener);
        match (&listener.tls, protocol) {
            (Some(tls), "HTTP" | "TCP" | "UDP") => {
                let mut d = diagnostic(
                    tls.key,
                    TLS_FORBIDDEN,
                    format!("has protocol {protocol}, on which the gateway does no TLS"),
                );
                for fix in tls_forbidden_fixes(mesh, listener, protocol) {
                    d = d.fix(fix);
                }
                out.push(d);
            }
            (Some(_), _) if mode_unreadable => {}
            (Some(tls), "HTTPS") if listener.tls_mode() == Some(ListenerTlsMode::Passthrough) => {
                let at = tls.value.mode.as_ref().map_or(tls.key, |m| m.span);
                let mut d = diagnostic(
                    at,
                    HTTPS_TERMINATES,
                    "passes TLS through: that is protocol TLS (HTTPS terminates)".to_string(),
                );
                if let Some(protocol) = &listener.protocol {
                    d = d.fix(Fix::unsafe_(
                        "Make the listener protocol TLS",
                        vec![replace_scalar(&mesh.sources, protocol.span, "TLS")],
                    ));
                }
                out.push(d);
            }
            (Some(tls), _)
                if listener.tls_mode() == Some(ListenerTlsMode::Terminate)
                    && tls.value.certificate_refs().is_empty()
                    && !tls.value.has_options =>
            {
                let implicit = tls.value.mode.is_none();
                let at = tls.value.mode.as_ref().map_or(tls.key, |m| m.span);
                let detail = if implicit {
                    "has a `tls` block without `mode`, which means Terminate in the Gateway API \
                     (unlike an Istio Gateway, where it means PASSTHROUGH), and names no \
                     certificate"
                } else {
                    "terminates TLS without a certificate"
                };
                let mut d = diagnostic(at, TERMINATE_NEEDS_CERTIFICATES, detail.to_string());
                if protocol == "TLS"
                    && implicit
                    && let Some(edit) = mesh.node_at(tls.span).and_then(|node| {
                        insert_one_line_entry(&mesh.sources, node, None, "mode: Passthrough")
                    })
                {
                    d = d.fix(Fix::unsafe_(
                        "Pass TLS through (`mode: Passthrough`)",
                        vec![edit],
                    ));
                }
                out.push(d);
            }
            (None, "TLS") => {
                let at = listener.protocol.as_ref().map_or(listener.span, |p| p.span);
                let mut d = diagnostic(
                    at,
                    TLS_NEEDS_MODE,
                    "has protocol TLS and no `tls` block".to_string(),
                );
                if let Some(edit) = insert_passthrough(mesh, listener) {
                    d = d.fix(Fix::unsafe_(
                        "Pass TLS through (`mode: Passthrough`)",
                        vec![edit],
                    ));
                }
                out.push(d);
            }
            _ => {}
        }
        if let (Some(hostname), "TCP" | "UDP") = (&listener.hostname, protocol)
            && !hostname.value.is_empty()
        {
            let mut d = diagnostic(
                hostname.span,
                HOSTNAME_FORBIDDEN,
                format!("has protocol {protocol}, which has no hostname to match"),
            );
            let duplicate_after = listeners.iter().any(|other| {
                other.hostname.is_none()
                    && other.port_number() == listener.port_number()
                    && other.protocol_value() == listener.protocol_value()
            });
            if !duplicate_after && let Some(edits) = delete_entry(mesh, listener, "hostname") {
                d = d.fix(Fix::unsafe_(
                    "Remove the hostname (the listener takes every connection on its port)",
                    edits,
                ));
            }
            out.push(d);
        }
        let earlier = &listeners[..index];
        if let Some(first) = earlier
            .iter()
            .find(|other| other.name_value() == listener.name_value())
        {
            out.push(
                diagnostic(
                    listener.name_span(),
                    UNIQUE_NAME,
                    format!("is declared twice in {}", holder.label()),
                )
                .related(first.name_span(), "the first listener of that name"),
            );
        }
        let same = |other: &&Listener| {
            other.port_number() == listener.port_number()
                && other.protocol.as_ref().map(|p| &p.value)
                    == listener.protocol.as_ref().map(|p| &p.value)
                && other.hostname_value() == listener.hostname_value()
        };
        if let Some(first) = earlier.iter().find(same) {
            out.push(
                diagnostic(
                    listener.name_span(),
                    UNIQUE_COMBINATION,
                    format!(
                        "has the port, protocol and hostname of listener `{}`",
                        first.name_value()
                    ),
                )
                .related(first.name_span(), "the listener it repeats"),
            );
        }
        allowed_routes_from_none(mesh, listener, &diagnostic, out);
    }
}

/// `allowedRoutes.namespaces.from: None`: `None` is a value of `allowedListeners` only; the
/// `allowedRoutes` enum is All, Selector, Same. Were it let through, Istio (which has no case
/// for it) would admit routes from every namespace.
fn allowed_routes_from_none(
    mesh: &Mesh,
    listener: &Listener,
    diagnostic: &dyn Fn(Span, &str, String) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    let from = listener
        .allowed_routes
        .as_ref()
        .and_then(|allowed| allowed.value.namespaces.as_ref())
        .and_then(|namespaces| namespaces.value.from.as_ref());
    if let Some(from) = from
        && from.value == FromNamespaces::None
    {
        out.push(diagnostic(
            from.span,
            "Unsupported value: \"None\": supported values: \"All\", \"Selector\", \"Same\"",
            "admits no routes with `from: None`, a value only `allowedListeners` has (to admit \
             no other namespace, write `from: Same`)"
                .to_string(),
        )
        .fix(Fix::unsafe_(
            "Admit only the Gateway's own namespace (`from: Same`)",
            vec![replace_scalar(&mesh.sources, from.span, "Same")],
        )));
    }
}

/// A `mode` the model could not read (an invalid enum value, reported by `invalid-field`):
/// the rules that read the mode are not evaluated.
fn mode_is_unreadable(mesh: &Mesh, listener: &Listener) -> bool {
    listener.tls.as_ref().is_some_and(|tls| {
        tls.value.mode.is_none()
            && mesh
                .node_at(tls.span)
                .is_some_and(|node| node.get("mode").is_some())
    })
}

fn delete_entry(mesh: &Mesh, listener: &Listener, key: &str) -> Option<Vec<Edit>> {
    let node = mesh.node_at(listener.span)?;
    delete_entries(&mesh.sources, node, &[node.entry_index(key)?])
}

/// `tls: {mode: Passthrough}` after the listener's `protocol`.
fn insert_passthrough(mesh: &Mesh, listener: &Listener) -> Option<Edit> {
    let node = mesh.node_at(listener.span)?;
    let after = node.entry_index("protocol")?;
    insert_entry(
        &mesh.sources,
        node,
        Some(after),
        &["tls:".to_string(), "  mode: Passthrough".to_string()],
        "tls: {mode: Passthrough}",
    )
}

/// Fixes of a `tls` block on an HTTP, TCP or UDP listener: removing it (safe for HTTP, which
/// never reads it), and for a block that terminates with certificates, the protocol that
/// terminates TLS (HTTPS for HTTP, TLS for TCP).
fn tls_forbidden_fixes(mesh: &Mesh, listener: &Listener, protocol: &str) -> Vec<Fix> {
    let mut fixes = Vec::new();
    if protocol == "HTTP"
        && let Some(edits) = delete_entry(mesh, listener, "tls")
    {
        fixes.push(Fix::safe("Remove `tls` (HTTP does not use it)", edits));
    }
    let terminates_with_certificates = listener.tls.as_ref().is_some_and(|tls| {
        listener.tls_mode() == Some(ListenerTlsMode::Terminate)
            && (!tls.value.certificate_refs().is_empty() || tls.value.has_options)
    });
    let terminating = match protocol {
        "HTTP" => "HTTPS",
        "TCP" => "TLS",
        _ => return fixes,
    };
    if terminates_with_certificates && let Some(written) = &listener.protocol {
        fixes.push(Fix::unsafe_(
            format!("Make the listener protocol {terminating}"),
            vec![replace_scalar(&mesh.sources, written.span, terminating)],
        ));
    }
    fixes
}

/// A schema or CEL rule a route breaks: where, and the API server's words.
pub(super) struct RouteProblem {
    pub span: Span,
    pub message: String,
}

/// The rules of TLSRoute and TCPRoute at `version` (which may differ from the written one:
/// `gateway-api-version` asks whether a route would pass as v1). Other kinds and versions
/// have none here.
pub(super) fn route_problems(
    resource: &Resource,
    route: &Route,
    version: &str,
) -> Vec<RouteProblem> {
    let kind = resource.kind.name();
    let (max_rules, v1_tls) = match (kind, version) {
        ("TLSRoute", "v1" | "v1alpha3") => (1, true),
        ("TCPRoute", "v1") => (1, false),
        ("TLSRoute" | "TCPRoute", "v1alpha2") => (16, false),
        _ => return Vec::new(),
    };
    let spec_at = resource
        .node
        .entry("spec")
        .map_or(resource.name.span, |spec| spec.key.span);
    let mut problems = Vec::new();
    let mut problem = |span: Span, rule: String, detail: &str| {
        problems.push(RouteProblem {
            span,
            message: format!("{}; {detail}", refused(resource, &rule)),
        })
    };
    if v1_tls {
        match &route.hostnames {
            None => problem(
                spec_at,
                "spec.hostnames: Required value".to_string(),
                "a TLSRoute v1 routes by SNI and must name at least one hostname",
            ),
            Some(hostnames) if hostnames.value.is_empty() => problem(
                hostnames.span,
                "spec.hostnames: Invalid value: 0: spec.hostnames in body should have at least \
                 1 items"
                    .to_string(),
                "a TLSRoute v1 routes by SNI and must name at least one hostname",
            ),
            Some(hostnames) => {
                for hostname in &hostnames.value {
                    if hostname.value.parse::<std::net::IpAddr>().is_ok() {
                        problem(
                            hostname.span,
                            NO_IP_HOSTNAMES.to_string(),
                            "SNI carries DNS names only",
                        );
                    }
                }
            }
        }
    }
    match &route.rules {
        None => problem(
            spec_at,
            "spec.rules: Required value".to_string(),
            &format!("a {kind} needs a rule with its backendRefs"),
        ),
        Some(rules) if rules.value.len() > max_rules => problem(
            rules.value[max_rules].span,
            format!(
                "spec.rules: Too many: {}: must have at most {max_rules} items",
                rules.value.len()
            ),
            &format!("a {kind} {version} has at most {max_rules} rule(s)"),
        ),
        Some(rules) if rules.value.is_empty() => problem(
            rules.span,
            "spec.rules: Invalid value: 0: spec.rules in body should have at least 1 items"
                .to_string(),
            &format!("a {kind} needs a rule with its backendRefs"),
        ),
        Some(rules) => {
            for (at, rule) in rules.value.iter().enumerate() {
                match &rule.backend_refs {
                    None => problem(
                        rule.span,
                        format!("spec.rules[{at}].backendRefs: Required value"),
                        "the rule sends its connections nowhere",
                    ),
                    Some(refs) if refs.value.is_empty() => problem(
                        refs.span,
                        format!(
                            "spec.rules[{at}].backendRefs: Invalid value: 0: \
                             spec.rules[{at}].backendRefs in body should have at least 1 items"
                        ),
                        "the rule sends its connections nowhere",
                    ),
                    Some(_) => {}
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "gateway-api-rejected";

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n";

    fn gateway(listeners: &str) -> String {
        format!("{GATEWAY}{listeners}")
    }

    #[test]
    fn gw8_tls_on_http_tcp_udp() {
        check(
            ID,
            &gateway(
                r#"  - name: web
    port: 80
    protocol: HTTP
    tls:
#   ^^^ error: the API server refuses this Gateway: `tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']`; listener `web` has protocol HTTP [fix]
      certificateRefs: [{name: cert}]
  - name: db
    port: 5432
    protocol: TCP
    tls: {mode: Passthrough}
#   ^^^ error: `tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']`; listener `db`
  - name: dns
    port: 53
    protocol: UDP
    tls: {certificateRefs: [{name: cert}]}
#   ^^^ error: `tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']`; listener `dns`
  - name: custom
    port: 9000
    protocol: example.com/Custom
    tls: {certificateRefs: [{name: cert}]}
"#,
            ),
        );
    }

    #[test]
    fn gw9_https_passthrough() {
        check(
            ID,
            &gateway(
                r#"  - name: https
    port: 443
    protocol: HTTPS
    tls:
      mode: Passthrough
#           ^^^^^^^^^^^ error: the API server refuses this Gateway: `tls mode must be Terminate for protocol HTTPS`; listener `https` passes TLS through [fix]
  - name: no-tls
    port: 8443
    protocol: HTTPS
"#,
            ),
        );
    }

    #[test]
    fn gw10_tls_without_tls_block() {
        check(
            ID,
            &gateway(
                r#"  - name: tls
    port: 443
    protocol: TLS
#             ^^^ error: the API server refuses this Gateway: `tls mode must be set for protocol TLS`; listener `tls` has protocol TLS and no `tls` block [fix]
  - name: passthrough
    port: 8443
    protocol: TLS
    tls: {mode: Passthrough}
"#,
            ),
        );
    }

    #[test]
    fn gw11_hostname_on_tcp_udp() {
        check(
            ID,
            &gateway(
                r#"  - name: db
    port: 5432
    protocol: TCP
    hostname: db.example.com
#             ^^^^^^^^^^^^^^ error: the API server refuses this Gateway: `hostname must not be specified for protocols ['TCP', 'UDP']`; listener `db` [fix]
  - name: dns
    port: 53
    protocol: UDP
    hostname: dns.example.com
#             ^^^^^^^^^^^^^^^ error: `hostname must not be specified for protocols ['TCP', 'UDP']`; listener `dns` [fix]
  - name: web
    port: 80
    protocol: HTTP
    hostname: web.example.com
"#,
            ),
        );
    }

    #[test]
    fn gw12_duplicate_names() {
        check(
            ID,
            &gateway(
                r#"  - name: web
    port: 80
    protocol: HTTP
  - name: web
#         ^^^ error: the API server refuses this Gateway: `Listener name must be unique within the Gateway`; listener `web` is declared twice in Gateway default/gw
    port: 8080
    protocol: HTTP
"#,
            ),
        );
    }

    #[test]
    fn gw13_duplicate_port_protocol_hostname() {
        check(
            ID,
            &gateway(
                r#"  - name: a
    port: 80
    protocol: HTTP
  - name: b
#         ^ error: `Combination of port, protocol and hostname must be unique for each listener`; listener `b` has the port, protocol and hostname of listener `a`
    port: 80
    protocol: HTTP
  - name: c
    port: 80
    protocol: HTTP
    hostname: c.example.com
  - name: d
    port: 80
    protocol: HTTPS
    tls: {certificateRefs: [{name: cert}]}
"#,
            ),
        );
    }

    #[test]
    fn gw14_terminate_needs_certificates_after_the_default_mode() {
        check(
            ID,
            &gateway(
                r#"  - name: istio-habit
    port: 443
    protocol: TLS
    tls: {}
#   ^^^ error: `certificateRefs or options must be specified when mode is Terminate`; listener `istio-habit` has a `tls` block without `mode`, which means Terminate in the Gateway API (unlike an Istio Gateway, where it means PASSTHROUGH) [fix]
  - name: https
    port: 8443
    protocol: HTTPS
    tls:
      mode: Terminate
#           ^^^^^^^^^ error: `certificateRefs or options must be specified when mode is Terminate`; listener `https` terminates TLS without a certificate
      certificateRefs: []
  - name: options-only
    port: 9443
    protocol: HTTPS
    tls:
      options: {example.com/certificate: from-vault}
  - name: passthrough
    port: 10443
    protocol: TLS
    tls: {mode: Passthrough}
"#,
            ),
        );
    }

    #[test]
    fn allowed_routes_from_none_is_not_a_value() {
        check(
            "gateway-api-rejected",
            &gateway(
                "  - name: http\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: None\n#             ^^^^ error: the API server refuses this Gateway: `Unsupported value: \"None\": supported values: \"All\", \"Selector\", \"Same\"`; listener `http` admits no routes with `from: None` [fix]\n        # a Gateway's allowedListeners may say None\n",
            ),
        );
    }

    #[test]
    fn listener_sets_have_the_same_rules() {
        check(
            ID,
            r#"apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: extra}
spec:
  parentRef: {name: gw}
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls: {mode: Passthrough}
#               ^^^^^^^^^^^ error: the API server refuses this ListenerSet: `tls mode must be Terminate for protocol HTTPS` [fix]
  - name: https
#         ^^^^^ error: the API server refuses this ListenerSet: `Listener name must be unique within the Gateway`
    port: 8443
    protocol: HTTPS
    tls: {certificateRefs: [{name: cert}]}
"#,
        );
    }

    #[test]
    fn tls_route_v1_constraints() {
        check(
            ID,
            r#"apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: no-hostnames}
spec:
#^^^^ error: the API server refuses this TLSRoute: `spec.hostnames: Required value`
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: a, port: 443}]
  - backendRefs: [{name: b, port: 443}]
#   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error: `spec.rules: Too many: 2: must have at most 1 items`
---
apiVersion: gateway.networking.k8s.io/v1alpha3
kind: TLSRoute
metadata: {name: ip}
spec:
  hostnames: ["10.0.0.1", db.example.com]
#             ^^^^^^^^^^ error: the API server refuses this TLSRoute: `Hostnames cannot contain an IP`
  rules:
  - name: no-backends
#   ^^^^^^^^^^^^^^^^^ error: `spec.rules[0].backendRefs: Required value`
---
# v1alpha2 (experimental) makes hostnames optional and allows 16 rules.
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: old}
spec:
  rules:
  - backendRefs: [{name: a, port: 443}]
  - backendRefs: [{name: b, port: 443}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: tcp}
spec:
  rules:
  - backendRefs: []
#                ^^ error: the API server refuses this TCPRoute: `spec.rules[0].backendRefs: Invalid value: 0
"#,
        );
    }

    #[test]
    fn fix_removes_tls_from_an_http_listener() {
        let before = gateway(
            "  - name: web # public\n    port: 80\n    protocol: HTTP\n    tls:\n      certificateRefs:\n      - name: cert\n    allowedRoutes: {namespaces: {from: Same}}\n",
        );
        let after = before.replace("    tls:\n      certificateRefs:\n      - name: cert\n", "");
        assert_fix(ID, 0, &before, &after);
        // The certificate says HTTPS was meant: the unsafe alternative.
        let https = before.replace("protocol: HTTP\n", "protocol: HTTPS\n");
        assert_fix(ID, 1, &before, &https);
    }

    #[test]
    fn fix_makes_an_https_passthrough_listener_tls() {
        let before = super::CHECK.bad_example;
        assert_fix(ID, 0, before, super::CHECK.good_example);
    }

    #[test]
    fn fix_passes_tls_through_where_no_certificate_is_named() {
        let before = gateway("  - name: tls\n    port: 443\n    protocol: TLS\n");
        let after = format!("{before}    tls:\n      mode: Passthrough\n");
        assert_fix(ID, 0, &before, &after);
        let before = gateway("  - name: tls\n    port: 443\n    protocol: TLS\n    tls: {}\n");
        let after = before.replace("tls: {}", "tls: {mode: Passthrough}");
        assert_fix(ID, 0, &before, &after);
    }

    #[test]
    fn fix_removes_the_hostname_of_a_tcp_listener() {
        let before = gateway(
            "  - name: db\n    port: 5432\n    protocol: TCP\n    hostname: db.example.com\n",
        );
        let after = before.replace("    hostname: db.example.com\n", "");
        assert_fix(ID, 0, &before, &after);
    }
}
