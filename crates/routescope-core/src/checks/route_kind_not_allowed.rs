//! `route-kind-not-allowed`: a route attached to a listener that does not carry its kind — a
//! TLSRoute on an HTTPS listener, an HTTPRoute on a TLS Passthrough listener, a kind left out
//! of `allowedRoutes.kinds` — so Istio refuses it with NotAllowedByListeners.

use super::route_section_not_found::listener_fixes;
use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::{append_items, insert_entry, insert_one_line_entry, is_flow, replace_scalar};
use crate::model::gateway_api::{
    Listener, ListenerProtocol, ListenerTlsMode, PathMatch, Route, RouteMatch, RouteType,
};
use crate::model::{Named, Resource};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{
    DenialCause, ParentTarget, listeners_of, protocol_route_kinds, supported_kinds,
};
use crate::resolve::gateway_api::{listener_label, routes};

pub static CHECK: Check = Check {
    id: "route-kind-not-allowed",
    summary: "A route is attached to a listener that does not carry its kind (a TLSRoute on HTTPS, an HTTPRoute on TLS Passthrough).",
    istio_code: None,
    docs: r#"
## What it does
Reports a parentRef of an HTTPRoute, GRPCRoute, TLSRoute or TCPRoute whose listeners all
refuse the route's kind. A listener carries the kinds of its protocol: HTTP and HTTPS carry
HTTPRoute and GRPCRoute; TLS with `mode: Passthrough` carries TLSRoute; TLS that terminates
carries TLSRoute and TCPRoute; TCP carries TCPRoute. `allowedRoutes.kinds` narrows that list.
The usual mistakes: a TLSRoute on an HTTPS listener, which decrypts the connection before any
SNI routing could happen, and an HTTPRoute on a Passthrough listener, which never decrypts it.

## Why is this bad?
Istio attaches the route nowhere on that parent and writes `Accepted: False` with reason
`NotAllowedByListeners` (`kind … is not allowed`). The gateway serves nothing of the route:
clients of an HTTP or HTTPS listener get 404 (the gateway decrypts, then has no HTTPRoute for
the host), clients of a TLS or TCP listener have their connections reset.

## Fix
Point the route at a listener of the same Gateway that carries its kind (set the parentRef's
`sectionName`), when one exists. Otherwise change the route's kind where its spec means the
same under the other kind — a TLSRoute becomes an HTTPRoute behind a terminating listener (as
the Istio troubleshooting guide rewrites `tls` rules into `http` rules), an HTTPRoute of one
rule without matches or filters becomes a TLSRoute behind Passthrough — or change the
listener: for a TLSRoute, `protocol:
TLS` with `tls.mode: Passthrough` (no certificate needed); for an HTTPRoute or GRPCRoute,
`protocol: HTTPS` with `tls.mode: Terminate` and a certificate (`certificateRefs`, inserted
as the placeholder `<certificate-secret>`); for a TCPRoute behind Passthrough, `mode:
Terminate`; for a kind the protocol carries but `allowedRoutes.kinds` leaves out, add it.

## Fix safety
Pointing at the one listener of the Gateway that would accept the route is safe; with several
candidates each is offered as unsafe. Changing the route's kind is unsafe: the backends then
receive decrypted HTTP instead of the client's TLS, or the reverse. Changing the listener is
unsafe: it changes how every
client of that port is served, and a certificate placeholder must be filled in. It is not
offered when other routes are attached to that listener (they would lose it) or when the
changed listener would collide with another one of the same port, protocol and hostname.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: tls
    port: 443
    protocol: HTTPS
    hostname: "*.example.com"
    tls:
      certificateRefs:
      - name: wildcard-cert
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata:
  name: httpbin
spec:
  parentRefs:
  - name: gateway
  hostnames: ["httpbin.example.com"]
  rules:
  - backendRefs:
    - name: httpbin
      port: 443
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: tls
    port: 443
    protocol: TLS
    hostname: "*.example.com"
    tls:
      mode: Passthrough
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata:
  name: httpbin
spec:
  parentRefs:
  - name: gateway
  hostnames: ["httpbin.example.com"]
  rules:
  - backendRefs:
    - name: httpbin
      port: 443
"#,
    run: Run::OnMesh(run),
};

/// The placeholder a fix inserts where the user must name the certificate's Secret.
const CERTIFICATE_PLACEHOLDER: &str = "<certificate-secret>";

fn kinds_text(kinds: &[RouteType]) -> String {
    match kinds {
        [] => "no route kind Istio implements".to_string(),
        [kind] => format!("only {kind}"),
        _ => {
            let names: Vec<&str> = kinds.iter().map(|k| k.kind()).collect();
            format!("only {}", names.join(" and "))
        }
    }
}

/// What clients of the refusing listener get: an HTTP or HTTPS listener answers 404 (it
/// decrypts, then finds no HTTPRoute: the seed's "TLS route behind a terminating gateway");
/// a TLS or TCP listener has no route for the connection and resets it.
fn refused_traffic(listener: &Listener) -> &'static str {
    match listener.protocol_value() {
        Some(ListenerProtocol::Http | ListenerProtocol::Https) => {
            "requests for its hostnames get 404"
        }
        _ => "its connections are reset",
    }
}

/// Why `listener` does not carry `route_type`.
fn why(listener: &Listener, route_type: RouteType) -> String {
    let (kinds, _) = supported_kinds(listener);
    if protocol_route_kinds(listener).contains(&route_type) {
        return format!("whose `allowedRoutes.kinds` admits {}", kinds_text(&kinds));
    }
    let protocol = listener.protocol.as_ref().map_or("", |p| p.value.as_str());
    let how = match (listener.protocol_value(), listener.tls_mode()) {
        (Some(ListenerProtocol::Https), _) => "terminates TLS (protocol HTTPS) and ".to_string(),
        (Some(ListenerProtocol::Tls), Some(ListenerTlsMode::Passthrough)) => {
            "passes TLS through without decrypting it and ".to_string()
        }
        (Some(ListenerProtocol::Tls), _) => "terminates TLS (protocol TLS) and ".to_string(),
        _ => format!("(protocol {protocol}) "),
    };
    format!("which {how}carries {}", kinds_text(&kinds))
}

/// The listener as changed to carry `route_type`: its protocol, its TLS mode (`None`: no
/// `tls` block), and whether it needs a certificate placeholder.
fn changed_listener(
    listener: &Listener,
    route_type: RouteType,
) -> Option<(ListenerProtocol, Option<ListenerTlsMode>)> {
    let protocol = listener.protocol_value()?;
    let mode = listener.tls_mode();
    match (route_type, protocol, mode) {
        (RouteType::Tls, _, _) => Some((ListenerProtocol::Tls, Some(ListenerTlsMode::Passthrough))),
        (RouteType::Http | RouteType::Grpc, ListenerProtocol::Tls, _) => {
            Some((ListenerProtocol::Https, Some(ListenerTlsMode::Terminate)))
        }
        (RouteType::Http | RouteType::Grpc, ListenerProtocol::Tcp, _) => {
            Some((ListenerProtocol::Http, None))
        }
        (RouteType::Tcp, ListenerProtocol::Tls, Some(ListenerTlsMode::Passthrough)) => {
            Some((ListenerProtocol::Tls, Some(ListenerTlsMode::Terminate)))
        }
        _ => None,
    }
}

/// Whether a route other than `route` is attached to listener `listener` of `holder`.
fn others_attached(mesh: &Mesh, route: usize, holder: usize, listener: usize) -> bool {
    routes(mesh).any(|(index, _, _, attachments)| {
        index != route
            && attachments.iter().any(|a| {
                matches!(a.target, ParentTarget::Listeners { parent, .. } if parent == holder)
                    && a.accepted_listeners().any(|l| l == listener)
            })
    })
}

/// The unsafe fix changing listener `at` of `holder` to carry `route_type`.
fn listener_fix(
    mesh: &Mesh,
    route: usize,
    holder_index: usize,
    at: usize,
    route_type: RouteType,
) -> Option<Fix> {
    let holder = &mesh.resources[holder_index];
    let listeners = listeners_of(holder);
    let listener = &listeners[at];
    if others_attached(mesh, route, holder_index, at) {
        return None;
    }
    let sources = &mesh.sources;
    if protocol_route_kinds(listener).contains(&route_type) {
        // Left out of `allowedRoutes.kinds`: add it.
        let kinds = listener.allowed_routes.as_ref()?.value.kinds.as_ref()?;
        let list = mesh.node_at(kinds.span)?;
        let item = if is_flow(sources, list) {
            format!("{{kind: {route_type}}}")
        } else {
            format!("kind: {route_type}")
        };
        let edit = append_items(sources, list, &[item])?;
        return Some(Fix::unsafe_(
            format!(
                "Admit {route_type} on listener `{}` (`allowedRoutes.kinds`)",
                listener.name_value()
            ),
            vec![edit],
        ));
    }
    let (protocol, mode) = changed_listener(listener, route_type)?;
    let listed = listener
        .allowed_routes
        .as_ref()
        .and_then(|a| a.value.kinds.as_ref())
        .is_some_and(|k| !k.value.is_empty());
    let collides = listeners.iter().enumerate().any(|(other, l)| {
        other != at
            && l.port_number() == listener.port_number()
            && l.protocol_value() == Some(protocol)
            && l.hostname_value() == listener.hostname_value()
    });
    if listed || collides {
        return None;
    }
    let mut edits = Vec::new();
    let written = listener.protocol.as_ref()?;
    if listener.protocol_value() != Some(protocol) {
        edits.push(replace_scalar(sources, written.span, protocol.name()));
    }
    let needs_certificate = mode == Some(ListenerTlsMode::Terminate)
        && listener
            .tls
            .as_ref()
            .is_none_or(|tls| tls.value.certificate_refs().is_empty() && !tls.value.has_options);
    let certificate_block = [
        "certificateRefs:".to_string(),
        format!("- name: {CERTIFICATE_PLACEHOLDER}"),
    ];
    let certificate_flow = format!("certificateRefs: [{{name: {CERTIFICATE_PLACEHOLDER}}}]");
    match (mode, &listener.tls) {
        (None, _) => {}
        (Some(mode), Some(tls)) => {
            let node = mesh.node_at(tls.span)?;
            match &tls.value.mode {
                Some(written) if written.value != mode => {
                    edits.push(replace_scalar(sources, written.span, mode.name()));
                }
                Some(_) => {}
                None => edits.push(insert_one_line_entry(
                    sources,
                    node,
                    None,
                    &format!("mode: {}", mode.name()),
                )?),
            }
            if needs_certificate {
                let last = node.as_mapping()?.len().checked_sub(1);
                edits.push(insert_entry(
                    sources,
                    node,
                    last,
                    &certificate_block,
                    &certificate_flow,
                )?);
            }
        }
        (Some(mode), None) => {
            let node = mesh.node_at(listener.span)?;
            let after = node.entry_index("protocol")?;
            let mut block = vec!["tls:".to_string(), format!("  mode: {}", mode.name())];
            let mut flow = format!("tls: {{mode: {}", mode.name());
            if needs_certificate {
                block.extend(certificate_block.iter().map(|line| format!("  {line}")));
                flow.push_str(&format!(", {certificate_flow}"));
            }
            flow.push('}');
            edits.push(insert_entry(sources, node, Some(after), &block, &flow)?);
        }
    }
    let tls = match mode {
        Some(mode) => format!(" with `tls.mode: {}`", mode.name()),
        None => String::new(),
    };
    let certificate = if needs_certificate {
        format!(" (name the certificate's Secret in place of `{CERTIFICATE_PLACEHOLDER}`)")
    } else {
        String::new()
    };
    Some(Fix::unsafe_(
        format!(
            "Make listener `{}` `protocol: {}`{tls}{certificate}",
            listener.name_value(),
            protocol.name()
        ),
        edits,
    ))
}

/// Rewrites the route into the kind `listener` carries, where its spec means the same there: a
/// TLSRoute as an HTTPRoute behind a terminating listener (hostnames and backendRefs are
/// HTTPRoute fields, and every request matches), an HTTPRoute of one rule without matches or
/// filters, with hostnames, as a TLSRoute behind Passthrough (routed by SNI).
fn kind_fix(
    mesh: &Mesh,
    route: &Resource,
    spec: &Route,
    route_type: RouteType,
    listener: &Listener,
) -> Option<Fix> {
    let carried = protocol_route_kinds(listener);
    let new_kind = match route_type {
        RouteType::Tls if carried.contains(&RouteType::Http) => RouteType::Http,
        RouteType::Http if carried.contains(&RouteType::Tls) => {
            let [rule] = spec.rules() else {
                return None;
            };
            let default_match = |m: &RouteMatch| {
                m.headers.is_empty()
                    && m.query_params.is_empty()
                    && m.method.is_none()
                    && m.path
                        .as_ref()
                        .is_none_or(|p| p.value == PathMatch::default())
            };
            if spec.hostname_values().next().is_none()
                || !rule.filters().is_empty()
                || !rule.matches().iter().all(default_match)
                || rule.backend_refs().is_empty()
            {
                return None;
            }
            RouteType::Tls
        }
        _ => return None,
    };
    let kind = route.node.entry("kind")?;
    let mut edits = vec![replace_scalar(
        &mesh.sources,
        kind.value.span,
        new_kind.kind(),
    )];
    // The other kind may not be served at the route's version (TLSRoute v1alpha2).
    let version = route.api_version.as_ref()?;
    let v1 = "gateway.networking.k8s.io/v1";
    if version.value != v1 {
        edits.push(replace_scalar(&mesh.sources, version.span, v1));
    }
    let what = match new_kind {
        RouteType::Http => {
            "the gateway then decrypts the connections and sends plain HTTP to the backends"
        }
        _ => "the gateway then forwards the client's TLS to the backends, routed by SNI",
    };
    Some(Fix::unsafe_(
        format!("Make the route a {new_kind} ({what})"),
        edits,
    ))
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let view = mesh.gateway_api();
    for (index, route, spec, attachments) in routes(mesh) {
        let Some(route_type) = route.kind.route_type() else {
            continue;
        };
        for attachment in attachments {
            let ParentTarget::Listeners {
                parent, results, ..
            } = &attachment.target
            else {
                continue;
            };
            let refusing: Vec<usize> = attachment
                .denying_listeners()
                .into_iter()
                .filter(|(_, denial)| denial.cause == DenialCause::Kind)
                .map(|(at, _)| at)
                .collect();
            if refusing.is_empty() {
                continue;
            }
            let reference = &spec.parent_refs()[attachment.parent_ref];
            let holder: &Resource = view.resource(*parent);
            let listeners = listeners_of(holder);
            let reasons: Vec<String> = refusing
                .iter()
                .map(|&at| {
                    format!(
                        "{}, {}",
                        listener_label(holder, &listeners[at]),
                        why(&listeners[at], route_type)
                    )
                })
                .collect();
            let message = format!(
                "{} is refused by {}: Istio refuses the route (Accepted: False, \
                 NotAllowedByListeners) and {}",
                route.label(),
                reasons.join("; "),
                refused_traffic(&listeners[refusing[0]])
            );
            let mut diagnostic =
                Diagnostic::new(CHECK.id, Severity::Error, reference.name_span(), message)
                    .condition("Accepted", "NotAllowedByListeners")
                    .resource(route.reference());
            for &at in &refusing {
                let listener = &listeners[at];
                diagnostic = diagnostic.related(
                    listener.name_span(),
                    format!(
                        "{} carries {}",
                        listener_label(holder, listener),
                        kinds_text(&supported_kinds(listener).0)
                    ),
                );
            }
            // Listeners the parentRef's sectionName or port ruled out that would take it.
            let judged: Vec<usize> = results.iter().map(|r| r.listener).collect();
            let candidates: Vec<(usize, bool)> = (0..listeners.len())
                .filter(|at| !refusing.contains(at) && judged.contains(at))
                .filter(|&at| view.listener_takes(index, None, *parent, at))
                .map(|at| (at, true))
                .collect();
            let mut fixes = listener_fixes(mesh, reference, holder, &candidates);
            if fixes.is_empty() {
                fixes.extend(
                    refusing
                        .first()
                        .and_then(|&at| kind_fix(mesh, route, spec, route_type, &listeners[at])),
                );
                fixes.extend(
                    refusing
                        .iter()
                        .filter_map(|&at| listener_fix(mesh, index, *parent, at, route_type)),
                );
            }
            for fix in fixes {
                diagnostic = diagnostic.fix(fix);
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const HTTPS: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: https\n    port: 443\n    protocol: HTTPS\n    tls:\n      certificateRefs:\n      - name: cert\n---\n";
    const PASSTHROUGH: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: tls\n    port: 443\n    protocol: TLS\n    tls:\n      mode: Passthrough\n---\n";

    fn route(kind: &str, version: &str, parent_refs: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/{version}\nkind: {kind}\nmetadata: {{name: r}}\nspec:\n  parentRefs:\n{parent_refs}"
        )
    }

    #[test]
    fn flags_the_seed_mistakes_in_gateway_api_form() {
        let fixture = format!(
            "{HTTPS}{}",
            route(
                "TLSRoute",
                "v1alpha2",
                "  - name: gw\n#         ^^ error: TLSRoute default/r is refused by listener `https` of Gateway default/gw, which terminates TLS (protocol HTTPS) and carries only HTTPRoute and GRPCRoute [fix]\n"
            )
        );
        check("route-kind-not-allowed", &fixture);
        let fixture = format!(
            "{PASSTHROUGH}{}",
            route(
                "HTTPRoute",
                "v1",
                "  - name: gw\n#         ^^ error: passes TLS through without decrypting it and carries only TLSRoute: Istio refuses the route (Accepted: False, NotAllowedByListeners) and its connections are reset [fix]\n"
            )
        );
        check("route-kind-not-allowed", &fixture);
    }

    #[test]
    fn flags_kinds_left_out_of_allowed_routes_and_tcp_on_http() {
        let gateway = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: http\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      kinds:\n      - kind: GRPCRoute\n---\n";
        check(
            "route-kind-not-allowed",
            &format!(
                "{gateway}{}",
                route(
                    "HTTPRoute",
                    "v1",
                    "  - name: gw\n#         ^^ error: whose `allowedRoutes.kinds` admits only GRPCRoute [fix]\n"
                )
            ),
        );
        check(
            "route-kind-not-allowed",
            &format!(
                "{gateway}{}",
                route(
                    "TCPRoute",
                    "v1alpha2",
                    "  - name: gw\n#         ^^ error: (protocol HTTP) carries only GRPCRoute: Istio refuses the route (Accepted: False, NotAllowedByListeners) and requests for its hostnames get 404\n"
                )
            ),
        );
    }

    #[test]
    fn does_not_flag_kinds_the_listener_carries() {
        check(
            "route-kind-not-allowed",
            &format!(
                "{PASSTHROUGH}{}---\n{}",
                route("TLSRoute", "v1alpha2", "  - name: gw\n"),
                route("HTTPRoute", "v1", "  - name: elsewhere\n").replace("name: r}", "name: r2}")
            ),
        );
        check(
            "route-kind-not-allowed",
            &format!("{HTTPS}{}", route("GRPCRoute", "v1", "  - name: gw\n")),
        );
    }

    #[test]
    fn fix_makes_an_https_listener_pass_tls_through_for_a_tls_route() {
        let before = format!("{HTTPS}{}", route("TLSRoute", "v1alpha2", "  - name: gw\n"));
        let after = before.replace("protocol: HTTPS", "protocol: TLS").replace(
            "    tls:\n      certificateRefs:",
            "    tls:\n      mode: Passthrough\n      certificateRefs:",
        );
        assert_fix("route-kind-not-allowed", 1, &before, &after);
    }

    #[test]
    fn fix_makes_a_tls_route_an_http_route_behind_a_terminating_listener() {
        let before = format!("{HTTPS}{}", route("TLSRoute", "v1alpha2", "  - name: gw\n"));
        let after = before
            .replace("kind: TLSRoute", "kind: HTTPRoute")
            .replace("k8s.io/v1alpha2", "k8s.io/v1");
        assert_fix("route-kind-not-allowed", 0, &before, &after);
    }

    #[test]
    fn fix_makes_a_plain_http_route_a_tls_route_behind_passthrough() {
        let before = format!(
            "{PASSTHROUGH}{}  hostnames: [a.example.com]\n  rules:\n  - backendRefs: [{{name: a, port: 443}}]\n",
            route("HTTPRoute", "v1", "  - name: gw\n")
        );
        let after = before.replace("kind: HTTPRoute", "kind: TLSRoute");
        assert_fix("route-kind-not-allowed", 0, &before, &after);
        // With a path match the route means something only HTTP can do: no kind change.
        let with_match = before.replace(
            "  - backendRefs:",
            "  - matches: [{path: {type: PathPrefix, value: /api}}]\n    backendRefs:",
        );
        let listener_change = with_match.replace(
            "    protocol: TLS\n    tls:\n      mode: Passthrough\n",
            "    protocol: HTTPS\n    tls:\n      mode: Terminate\n      certificateRefs:\n      - name: <certificate-secret>\n",
        );
        assert_fix("route-kind-not-allowed", 0, &with_match, &listener_change);
    }

    #[test]
    fn fix_makes_a_passthrough_listener_terminate_for_an_http_route() {
        let before = format!(
            "{PASSTHROUGH}{}",
            route("HTTPRoute", "v1", "  - name: gw\n")
        );
        let after = before.replace(
            "    protocol: TLS\n    tls:\n      mode: Passthrough\n",
            "    protocol: HTTPS\n    tls:\n      mode: Terminate\n      certificateRefs:\n      - name: <certificate-secret>\n",
        );
        assert_fix("route-kind-not-allowed", 0, &before, &after);
    }

    #[test]
    fn fix_points_at_the_listener_that_carries_the_kind() {
        let gateway = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert}]}}\n  - {name: passthrough, port: 443, protocol: TLS, hostname: a.example.com, tls: {mode: Passthrough}}\n---\n";
        let before = format!(
            "{gateway}{}  hostnames: [a.example.com]\n",
            route(
                "TLSRoute",
                "v1alpha2",
                "  - name: gw\n    sectionName: https\n"
            )
        );
        assert_fix(
            "route-kind-not-allowed",
            0,
            &before,
            &before.replace("sectionName: https", "sectionName: passthrough"),
        );
    }

    #[test]
    fn no_listener_change_while_other_routes_use_the_listener() {
        let fixture = format!(
            "{HTTPS}{}---\n{}",
            route("HTTPRoute", "v1", "  - name: gw\n").replace("name: r}", "name: web}"),
            route(
                "TLSRoute",
                "v1alpha2",
                "  - name: gw\n#         ^^ error: terminates TLS (protocol HTTPS) [fix]\n"
            )
        );
        check("route-kind-not-allowed", &fixture);
    }
}
