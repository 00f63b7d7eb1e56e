//! Gateway API inputs in the traffic graph. The fixtures serve the tracer's tests too.

use super::super::{TrafficGraph, build};
use super::*;
use crate::settings::MeshSettings;
use crate::source::Sources;
use crate::{Analysis, analyze};

pub(crate) fn analysis(text: &str) -> Analysis {
    analyze(Sources::single("input.yaml", text), MeshSettings::default())
}

/// A Gateway `gw` of class `istio` in namespace `default` with these listeners (YAML list
/// items indented by two spaces).
pub(crate) fn gateway(listeners: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: default}}\nspec:\n  gatewayClassName: istio\n  listeners:\n{listeners}---\n"
    )
}

/// A Service in `default` with one port.
pub(crate) fn service(name: &str, port_name: &str, port: u32) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  ports:\n  - {{name: {port_name}, port: {port}}}\n---\n"
    )
}

pub(crate) const HTTP_LISTENER: &str = "  - {name: http, port: 80, protocol: HTTP}\n";

pub(crate) const HTTPS_LISTENER: &str = "  - name: https\n    port: 443\n    protocol: HTTPS\n    hostname: \"*.example.com\"\n    tls:\n      mode: Terminate\n      certificateRefs: [{name: cert}]\n";

pub(crate) const PASSTHROUGH_LISTENER: &str = "  - name: tls\n    port: 443\n    protocol: TLS\n    hostname: \"*.example.com\"\n    tls: {mode: Passthrough}\n";

/// Bookinfo's HTTPRoute: four paths to productpage:9080.
pub(crate) fn bookinfo() -> String {
    format!(
        "{}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: bookinfo, namespace: default}}\nspec:\n  parentRefs:\n  - name: gw\n  rules:\n  - matches:\n    - path: {{type: Exact, value: /productpage}}\n    - path: {{type: PathPrefix, value: /static}}\n    - path: {{type: Exact, value: /login}}\n    - path: {{type: PathPrefix, value: /api/v1/products}}\n    backendRefs:\n    - {{name: productpage, port: 9080}}\n---\n{}",
        gateway(HTTP_LISTENER),
        service("productpage", "http", 9080)
    )
}

/// A TLSRoute for `*.example.com` to httpbin:443 behind `listener`: the first seed mistake
/// in Gateway API form when the listener terminates TLS, its fix when it passes it through.
pub(crate) fn tls_route_behind(listener: &str) -> String {
    format!(
        "{}apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata: {{name: httpbin, namespace: default}}\nspec:\n  parentRefs:\n  - name: gw\n  hostnames: [\"*.example.com\"]\n  rules:\n  - backendRefs:\n    - {{name: httpbin, port: 443}}\n---\n{}",
        gateway(listener),
        service("httpbin", "https", 443)
    )
}

/// An HTTPRoute for httpbin.example.com to httpbin:8000 behind `listener`: the second seed
/// mistake when the listener passes TLS through, its fix when it terminates it.
pub(crate) fn http_route_behind(listener: &str) -> String {
    format!(
        "{}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: httpbin, namespace: default}}\nspec:\n  parentRefs:\n  - name: gw\n  hostnames: [httpbin.example.com]\n  rules:\n  - backendRefs:\n    - {{name: httpbin, port: 8000}}\n---\n{}",
        gateway(listener),
        service("httpbin", "http", 8000)
    )
}

fn graph_of(text: &str) -> (Analysis, TrafficGraph) {
    let analysis = analysis(text);
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    (analysis, graph)
}

fn node<'g>(graph: &'g TrafficGraph, key: &str) -> &'g super::super::GraphNode {
    let keys: Vec<&str> = graph.nodes.iter().map(|n| n.key()).collect();
    let index = graph
        .node_by_key(key)
        .unwrap_or_else(|| panic!("no node {key} among {keys:?}"));
    &graph.nodes[index]
}

/// The wire states of the hops from the node `from` to the node `to`.
fn hop_wire(graph: &TrafficGraph, from: &str, to: &str) -> Wire {
    let (from, to) = (graph.node_by_key(from), graph.node_by_key(to));
    graph
        .edges
        .iter()
        .find(|e| Some(e.from) == from && Some(e.to) == to)
        .map(|e| e.wire)
        .expect("the hop exists")
}

fn assert_sound(graph: &TrafficGraph, what: &str) {
    let dead: Vec<_> = graph
        .nodes
        .iter()
        .filter_map(|n| Some((n.key(), n.dead_end.as_deref()?)))
        .collect();
    assert!(dead.is_empty(), "{what}: dead ends {dead:?}");
    assert!(
        graph.edges.iter().all(|e| !e.is_broken()),
        "{what}: a broken hop"
    );
    assert!(
        graph.nodes.iter().any(|n| n.stage == Stage::Upstream),
        "{what}: no upstream"
    );
}

#[test]
fn bookinfo_runs_from_the_outside_client_through_the_listener_and_rule_to_productpage() {
    let (_, graph) = graph_of(&bookinfo());
    let listener = "listener:Gateway:default/gw:0";
    let rule = "rule:HTTPRoute:default/bookinfo:0";
    let destination = "destination:productpage.default.svc.cluster.local:9080:-";
    assert_eq!(node(&graph, listener).label(), "gw http :80");
    assert_eq!(node(&graph, listener).detail(), "HTTP · *");
    assert_eq!(node(&graph, rule).label(), "bookinfo HTTPRoute[0]");
    assert_eq!(
        node(&graph, rule).detail(),
        "path Exact /productpage (+3 more)"
    );
    assert_eq!(
        hop_wire(&graph, "client:outside:80", listener),
        Wire::Plaintext
    );
    assert_eq!(hop_wire(&graph, listener, rule), Wire::Plaintext);
    assert_eq!(hop_wire(&graph, rule, destination), Wire::Plaintext);
    node(&graph, "upstream:productpage.default.svc.cluster.local");
    assert_sound(&graph, "bookinfo");
    // The gateway sends to a Service of the mesh with auto mTLS.
    assert!(graph.edges.iter().any(|e| e.wire == Wire::MeshMtls));
}

#[test]
fn a_tls_route_behind_a_terminating_listener_is_a_dead_end_and_passthrough_fixes_it() {
    let (_, graph) = graph_of(&tls_route_behind(HTTPS_LISTENER));
    let rule = node(&graph, "rule:TLSRoute:default/httpbin:0");
    let dead = rule.dead_end.as_deref().unwrap();
    assert!(
        dead.starts_with("never reached: NotAllowedByListeners: kind gateway.networking.k8s.io/v1alpha2/TLSRoute is not allowed"),
        "{dead}"
    );
    let listener = node(&graph, "listener:Gateway:default/gw:0");
    assert!(listener.dead_end.as_deref().unwrap().contains("404 (NR)"));

    let (_, graph) = graph_of(&tls_route_behind(PASSTHROUGH_LISTENER));
    assert_sound(&graph, "passthrough");
    let wire = hop_wire(
        &graph,
        "listener:Gateway:default/gw:0",
        "rule:TLSRoute:default/httpbin:0",
    );
    assert_eq!(wire, Wire::ClientTls, "the client's TLS passes through");
}

#[test]
fn an_http_route_behind_a_passthrough_listener_is_a_dead_end_and_terminating_fixes_it() {
    let (_, graph) = graph_of(&http_route_behind(PASSTHROUGH_LISTENER));
    let rule = node(&graph, "rule:HTTPRoute:default/httpbin:0");
    assert!(
        rule.dead_end
            .as_deref()
            .unwrap()
            .contains("NotAllowedByListeners")
    );
    let (_, graph) = graph_of(&http_route_behind(HTTPS_LISTENER));
    assert_sound(&graph, "terminating");
    assert_eq!(
        hop_wire(
            &graph,
            "client:outside:443",
            "listener:Gateway:default/gw:0"
        ),
        Wire::ClientTls
    );
}

#[test]
fn a_rule_without_backends_stops_with_500_and_a_redirect_does_not() {
    let text = format!(
        "{}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web, namespace: default}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - matches: [{{path: {{value: /old}}}}]\n    filters:\n    - type: RequestRedirect\n      requestRedirect: {{scheme: https, statusCode: 301}}\n  - matches: [{{path: {{value: /empty}}}}]\n",
        gateway(HTTP_LISTENER)
    );
    let (_, graph) = graph_of(&text);
    let redirect = node(&graph, "rule:HTTPRoute:default/web:0");
    assert_eq!(redirect.dead_end, None);
    assert_eq!(redirect.detail(), "path PathPrefix /old → redirect 301");
    let empty = node(&graph, "rule:HTTPRoute:default/web:1");
    assert_eq!(
        empty.dead_end.as_deref(),
        Some("requests get 500: the rule has no backendRefs")
    );
}

#[test]
fn a_split_labels_its_hops_by_share_and_a_missing_gateway_is_a_dead_end() {
    let text = format!(
        "{}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: reviews, namespace: default}}\nspec:\n  parentRefs: [{{name: gw}}, {{name: nowhere}}]\n  rules:\n  - backendRefs:\n    - {{name: reviews-v1, port: 9080, weight: 3}}\n    - {{name: reviews-v2, port: 9080, weight: 1}}\n    - {{name: reviews-v3, port: 9080, weight: 0}}\n",
        gateway(HTTP_LISTENER)
    );
    let (_, graph) = graph_of(&text);
    let labels: Vec<&str> = graph
        .edges
        .iter()
        .map(|e| e.label.as_str())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(labels, ["75%", "25%"]);
    assert!(
        graph
            .node_by_key("destination:reviews-v3.default.svc.cluster.local:9080:-")
            .is_none()
    );
    assert!(
        node(&graph, "listener:missing:default/nowhere")
            .dead_end
            .is_some()
    );
    // Reached through `gw`, the rule itself is live.
    assert_eq!(
        node(&graph, "rule:HTTPRoute:default/reviews:0").dead_end,
        None
    );
}

#[test]
fn a_mesh_route_sits_behind_the_sidecar_port_instead_of_the_default_route() {
    let text = format!(
        "{}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: reviews, namespace: default}}\nspec:\n  parentRefs:\n  - {{group: \"\", kind: Service, name: reviews, port: 9080}}\n  rules:\n  - backendRefs:\n    - {{name: reviews-v2, port: 9080}}\n",
        service("reviews", "http", 9080)
    );
    let (_, graph) = graph_of(&text);
    let rule = "rule:HTTPRoute:default/reviews:0";
    assert_eq!(
        hop_wire(&graph, "listener:mesh:9080", rule),
        Wire::Plaintext
    );
    node(
        &graph,
        "destination:reviews-v2.default.svc.cluster.local:9080:-",
    );
    assert!(
        graph
            .node_by_key("rule:default:reviews.default.svc.cluster.local:9080")
            .is_none(),
        "the route replaces the sidecar's default route"
    );
    assert_sound(&graph, "mesh route");
}

#[test]
fn a_backend_tls_policy_makes_the_gateway_originate_tls() {
    let text = format!(
        "{}apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {{name: productpage-tls, namespace: default}}\nspec:\n  targetRefs:\n  - {{group: \"\", kind: Service, name: productpage}}\n  validation:\n    hostname: productpage.example.com\n    wellKnownCACertificates: System\n",
        bookinfo()
    );
    let (_, graph) = graph_of(&text);
    let policy = node(&graph, "policy:BackendTLSPolicy:default/productpage-tls");
    assert_eq!(policy.label(), "BackendTLSPolicy productpage-tls");
    assert_eq!(
        policy.detail(),
        "originates TLS · SNI productpage.example.com"
    );
    let out = hop_wire(
        &graph,
        "policy:BackendTLSPolicy:default/productpage-tls",
        "port:Service:default/productpage:9080",
    );
    assert_eq!(out, Wire::Originated);
}

#[test]
fn listeners_of_other_controllers_and_waypoints_are_not_drawn() {
    let text = bookinfo().replace(
        "gatewayClassName: istio",
        "gatewayClassName: istio-waypoint",
    );
    let (_, graph) = graph_of(&text);
    assert!(
        graph
            .nodes
            .iter()
            .all(|n| !n.key().starts_with("listener:Gateway:"))
    );
    assert!(
        graph
            .node_by_key("rule:HTTPRoute:default/bookinfo:0")
            .is_none()
    );
}

#[test]
fn listener_keys_are_told_from_istio_ones() {
    assert_eq!(
        idle_listener("listener:Gateway:default/gw:0"),
        Some(IDLE_LISTENER)
    );
    assert_eq!(
        idle_listener("listener:ListenerSet:default/set:1"),
        Some(IDLE_LISTENER)
    );
    assert_eq!(idle_listener("listener:istio-system/gateway:0"), None);
    assert_eq!(idle_listener("listener:mesh:80"), None);
}
