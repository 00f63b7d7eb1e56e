use std::fmt::Write;
use std::path::Path;

use super::*;
use crate::settings::MeshSettings;
use crate::source::Sources;
use crate::{Analysis, analyze, synthetic};

fn analysis(text: &str) -> Analysis {
    analyze(Sources::single("input.yaml", text), MeshSettings::default())
}

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every node (column, row, what it shows, dead end, checks) and every hop, as text.
fn describe(graph: &TrafficGraph, layout: &Layout, analysis: &Analysis) -> String {
    let checks = |indexes: &[usize]| -> String {
        let ids: Vec<&str> = indexes
            .iter()
            .map(|&d| analysis.diagnostics[d].check)
            .collect();
        if ids.is_empty() {
            String::new()
        } else {
            format!(" !{}", ids.join(","))
        }
    };
    let mut out = String::new();
    for (stage, column) in Stage::ALL.iter().zip(&layout.columns) {
        let _ = writeln!(out, "{}", stage.title());
        for &index in column {
            let node = &graph.nodes[index];
            let at = layout.boxes[index];
            let dead = node
                .dead_end
                .as_ref()
                .map_or(String::new(), |d| format!(" DEAD({d})"));
            let _ = writeln!(
                out,
                "  ({}, {}) {} | {}{dead}{}",
                at.x,
                at.y,
                node.label(),
                node.detail(),
                checks(&node.diagnostics)
            );
        }
    }
    let _ = writeln!(out, "hops");
    for edge in &graph.edges {
        let dead = edge
            .dead
            .as_ref()
            .map_or(String::new(), |d| format!(" DEAD({d})"));
        let _ = writeln!(
            out,
            "  {} -> {} [{}{}]{dead}{}",
            graph.nodes[edge.from].label(),
            graph.nodes[edge.to].label(),
            edge.wire.key(),
            if edge.label.is_empty() {
                String::new()
            } else {
                format!(" {}", edge.label)
            },
            checks(&edge.diagnostics)
        );
    }
    out
}

const SEEDS: [&str; 7] = [
    "double-tls",
    "gateways-share-certificate",
    "http-route-behind-passthrough-gateway",
    "https-to-http-port",
    "ingress-bypasses-mesh-subsets",
    "mtls-disabled-by-destination-rule",
    "tls-route-behind-terminating-gateway",
];

/// The graph and layout of every seed example, broken and fixed, against the snapshots in
/// `src/topology/snapshots/` (`UPDATE_SNAPSHOTS=1` rewrites them after a reviewed change).
#[test]
fn seed_example_graphs_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/topology/snapshots");
    let mut stale = Vec::new();
    for seed in SEEDS {
        for name in [format!("{seed}.yaml"), format!("{seed}.fixed.yaml")] {
            let analysis = analysis(&example(&name));
            let graph = build(&analysis.mesh, &analysis.diagnostics);
            let layout = layout(&graph);
            let text = describe(&graph, &layout, &analysis);
            let path = dir.join(name.replace(".yaml", ".txt"));
            if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
                std::fs::write(&path, &text).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(format!("{}:\n{text}", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "graphs differ from their snapshots:\n{}",
        stale.join("\n")
    );
}

/// The 200-resource input's graph and layout against a snapshot of its size, crossings and a
/// digest of every position and hop (the full text would be 100 KB of noise in review).
#[test]
fn a_200_resource_graph_matches_its_snapshot() {
    let analysis = analysis(&synthetic::generate(200));
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    let layout = layout(&graph);
    let text = describe(&graph, &layout, &analysis);
    // FNV-1a: a stable digest without a dependency.
    let digest = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let summary = format!(
        "nodes {}\nedges {}\ncrossings {}\nsize {}x{}\ndigest {digest:016x}\n",
        graph.nodes.len(),
        graph.edges.len(),
        crossings(&graph, &layout),
        layout.width,
        layout.height
    );
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/topology/snapshots/synthetic-200.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &summary).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), summary);
}

/// The broken version of each seed example shows its mistake on the graph (a node carrying
/// the check's diagnostic, a broken hop into it); the fixed version has no broken hop and no
/// dead end.
#[test]
fn seed_mistakes_break_a_hop_and_their_fixes_mend_it() {
    for seed in SEEDS {
        let broken = analysis(&example(&format!("{seed}.yaml")));
        let graph = build(&broken.mesh, &broken.diagnostics);
        let flagged = |index: &usize| broken.diagnostics[*index].check == seed;
        assert!(
            graph
                .nodes
                .iter()
                .any(|node| node.diagnostics.iter().any(flagged)),
            "{seed}: no node carries the diagnostic"
        );
        assert!(
            graph.edges.iter().any(|edge| edge.is_broken()),
            "{seed}: no broken hop"
        );
        let fixed = analysis(&example(&format!("{seed}.fixed.yaml")));
        let graph = build(&fixed.mesh, &fixed.diagnostics);
        assert!(
            graph.edges.iter().all(|edge| !edge.is_broken()),
            "{seed}.fixed: a broken hop"
        );
        assert!(
            graph.nodes.iter().all(|node| node.dead_end.is_none()),
            "{seed}.fixed: a dead end"
        );
        assert!(
            graph.nodes.iter().any(|node| node.stage == Stage::Upstream),
            "{seed}.fixed: no path reaches an upstream"
        );
    }
}

fn wires(seed: &str) -> Vec<Wire> {
    let analysis = analysis(&example(seed));
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    graph.edges.iter().map(|edge| edge.wire).collect()
}

#[test]
fn double_tls_is_tls_inside_tls_on_the_wire_and_its_fix_originates_once() {
    assert!(wires("double-tls.yaml").contains(&Wire::Double));
    let fixed = wires("double-tls.fixed.yaml");
    assert!(!fixed.contains(&Wire::Double));
    assert!(fixed.contains(&Wire::Originated));
}

#[test]
fn terminating_gateway_leaves_tls_rules_dead_and_a_missing_gateway_is_a_dead_end() {
    let text = example("tls-route-behind-terminating-gateway.yaml");
    let analysis = analysis(&text);
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    let rule = &graph.nodes[graph.node_by_key("rule:default/httpbin:tls:0").unwrap()];
    assert!(
        rule.dead_end
            .as_deref()
            .unwrap()
            .contains("never to `tls` rules")
    );

    let missing = text.replace("- istio-system/gateway", "- istio-system/nowhere");
    let analysis = self::analysis(&missing);
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    let listener = &graph.nodes[graph
        .node_by_key("listener:missing:istio-system/nowhere")
        .unwrap()];
    assert!(listener.dead_end.is_some());
    assert!(graph.edges.iter().any(|edge| edge.dead.as_deref()
        == Some("Gateway istio-system/nowhere does not exist")));
}

#[test]
fn weighted_splits_label_their_hops_and_subsets_get_their_own_destinations() {
    let text = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: shop}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n      weight: 90\n    - destination: {host: reviews, subset: v2}\n      weight: 10\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews, namespace: shop}\nspec:\n  host: reviews\n  subsets:\n  - name: v1\n  - name: v2\n    trafficPolicy:\n      portLevelSettings:\n      - port: {number: 9080}\n        tls: {mode: DISABLE}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec:\n  ports:\n  - {name: http, port: 9080}\n";
    let analysis = analysis(text);
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    let labels: Vec<&str> = graph
        .edges
        .iter()
        .map(|e| e.label.as_str())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(labels, ["90%", "10%"]);
    for subset in ["v1", "v2"] {
        assert!(
            graph
                .node_by_key(&format!(
                    "destination:reviews.shop.svc.cluster.local:9080:{subset}"
                ))
                .is_some()
        );
    }
    // The port-level setting of subset v2 applies to it alone: v1 keeps auto mTLS.
    let v2 = graph
        .node_by_key("policy:shop/reviews: in subset `v2` for port 9080")
        .unwrap();
    assert_eq!(
        graph.nodes[v2].detail(),
        "tls DISABLE in subset `v2` for port 9080"
    );
    let into_port: Vec<Wire> = graph
        .edges
        .iter()
        .filter(|e| graph.nodes[e.to].stage == Stage::Port)
        .map(|e| e.wire)
        .collect();
    assert!(into_port.contains(&Wire::MeshMtls) && into_port.contains(&Wire::Plaintext));
}

#[test]
fn rule_nodes_summarise_their_first_match_and_a_host_written_in_full_is_its_short_name() {
    let text = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: shop, namespace: shop}\nspec:\n  hosts: [shop.example.com]\n  gateways: [mesh]\n  http:\n  - match:\n    - uri: {prefix: /api}\n      headers: {x-canary: {exact: 'true'}}\n    - uri: {prefix: /v2}\n    route:\n    - destination: {host: reviews}\n  - route:\n    - destination: {host: reviews.shop.svc.cluster.local}\n  tls:\n  - match:\n    - sniHosts: [a.example.com, b.example.com]\n      port: 443\n    route:\n    - destination: {host: reviews}\n  - match:\n    - sniHosts: []\n    route:\n    - destination: {host: reviews}\n";
    let analysis = analysis(text);
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    let detail = |key: &str| {
        let node = graph
            .node_by_key(key)
            .unwrap_or_else(|| panic!("no node {key}"));
        graph.nodes[node].detail().to_string()
    };
    assert_eq!(
        detail("rule:shop/shop:http:0"),
        "uri prefix /api x-canary exact true (+1 more)"
    );
    assert_eq!(detail("rule:shop/shop:http:1"), "any request");
    assert_eq!(
        detail("rule:shop/shop:tls:0"),
        "sni a.example.com b.example.com port 443"
    );
    assert_eq!(detail("rule:shop/shop:tls:1"), "sni ");
    // `reviews` and `reviews.shop.svc.cluster.local` are one destination, one upstream.
    let upstreams: Vec<&str> = graph
        .nodes
        .iter()
        .filter(|node| node.stage == Stage::Upstream)
        .map(GraphNode::key)
        .collect();
    assert_eq!(upstreams, ["upstream:reviews.shop.svc.cluster.local"]);
    let destination = graph
        .node_by_key("destination:reviews.shop.svc.cluster.local:*:-")
        .unwrap();
    assert_eq!(graph.nodes[destination].spans.len(), 4);
}

#[test]
fn layouts_are_deterministic_without_overlaps_and_seed_graphs_have_no_crossings() {
    for seed in SEEDS {
        let analysis = analysis(&example(&format!("{seed}.yaml")));
        let graph = build(&analysis.mesh, &analysis.diagnostics);
        assert_eq!(crossings(&graph, &layout(&graph)), 0, "{seed}");
    }
    let text = synthetic::generate(200);
    let analysis = analysis(&text);
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    let first = layout(&graph);
    assert_eq!(first, layout(&build(&analysis.mesh, &analysis.diagnostics)));
    assert!(graph.nodes.len() > 200);
    let mut boxes = first.boxes.clone();
    boxes.sort_by_key(|b| (b.x, b.y));
    for pair in boxes.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(a.x != b.x || a.y + a.height <= b.y, "overlap: {a:?} {b:?}");
    }
    // The ordering never leaves more crossings than the order the nodes were built in.
    let mut unordered = first.clone();
    for column in &mut unordered.columns {
        column.sort_unstable();
    }
    assert!(crossings(&graph, &first) <= crossings(&graph, &unordered));
}

#[test]
fn svg_escapes_user_text_and_marks_nodes_for_the_page() {
    let text = example("tls-route-behind-terminating-gateway.yaml")
        .replace("name: httpbin", "name: \"<img src=x onerror=alert(1)>\"");
    let analysis = analysis(&text);
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    let svg = to_svg(&graph, &layout(&graph), &analysis.diagnostics);
    assert!(!svg.contains("<img"));
    assert!(svg.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(svg.contains("data-node=\"0\""));
    assert!(svg.contains("rs-g-dead"));
    assert!(svg.contains("rs-g-error"));
    let dot = to_dot(&graph);
    assert!(dot.starts_with("digraph traffic {"));
    assert!(dot.contains("style=dotted"));
}

#[test]
fn a_diagnostic_highlights_the_whole_path_it_breaks() {
    let analysis = analysis(&example("double-tls.yaml"));
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    let index = analysis
        .diagnostics
        .iter()
        .position(|d| d.check == "double-tls")
        .unwrap();
    let (nodes, edges) = graph.paths_through_diagnostic(index);
    let stages: Vec<Stage> = nodes.iter().map(|&n| graph.nodes[n].stage).collect();
    for stage in Stage::ALL {
        assert!(stages.contains(&stage), "{stage:?} not on the path");
    }
    assert_eq!(edges.len(), Stage::ALL.len() - 1);
}

#[test]
fn filtering_keeps_the_paths_through_matching_nodes() {
    let text = format!(
        "{}---\n{}",
        example("double-tls.yaml"),
        example("gateways-share-certificate.yaml")
    );
    let analysis = analysis(&text);
    let graph = build(&analysis.mesh, &analysis.diagnostics);
    let only = graph.filtered("HTTPBIN.org");
    assert!(only.nodes.len() < graph.nodes.len());
    assert!(
        only.nodes.iter().all(|n| !n.label().contains("gw")),
        "gateway paths are left out"
    );
    assert!(only.nodes.iter().any(|n| n.stage == Stage::Client));
    assert!(
        only.edges
            .iter()
            .all(|e| e.from < only.nodes.len() && e.to < only.nodes.len())
    );
    assert_eq!(only.edges.len(), only.nodes.len() - 1, "one path: a chain");
    assert_eq!(graph.filtered("  "), graph);
    assert!(graph.filtered("no such thing").nodes.is_empty());
}
