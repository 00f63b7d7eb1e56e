//! The traffic graph: every path a request can take through the resolved mesh, stage by
//! stage, with the state of the bytes on the wire at each hop and the diagnostics that break
//! it.
//!
//! Stages, left to right: the client (outside, per gateway port; or a pod in the mesh) → the
//! listener that takes the connection (a Gateway server, or the sidecar's outbound port) → the
//! VirtualService rule that routes it → the destination (host, port, subset) → the
//! DestinationRule TLS setting that applies → the declared port (ServiceEntry or Service) → the
//! upstream. Pieces that take no traffic (rules of a missing Gateway, `tls` rules behind a
//! terminating server) stay in the graph as dead ends with the reason. The Kubernetes Gateway
//! API enters the same columns ([`gateway_api`]).

pub mod gateway_api;
pub mod keys;
mod layout;
mod path;
mod render;
mod rules;
mod sidecar;
mod wire;

use std::collections::HashSet;
use std::fmt::{self, Display, Write};

use rustc_hash::{FxHashMap, FxHashSet};

pub use keys::NodeKey;
use keys::PortText;
pub use layout::{Layout, NodeBox, crossings, layout};
pub use path::DestinationPath;
pub use render::{to_dot, to_svg};
pub use rules::{Matches, Rule, rules};
pub use wire::Wire;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Resource, Server, ServerTlsMode, Spec, VirtualService};
use crate::resolve::{Fqdn, GatewayTarget, Mesh, RouteKind, fqdn};
use crate::source::Span;

/// A column of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Client,
    Listener,
    Rule,
    Destination,
    Policy,
    Port,
    Upstream,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Client,
        Stage::Listener,
        Stage::Rule,
        Stage::Destination,
        Stage::Policy,
        Stage::Port,
        Stage::Upstream,
    ];

    /// The column heading.
    pub fn title(self) -> &'static str {
        match self {
            Stage::Client => "Client",
            Stage::Listener => "Listener",
            Stage::Rule => "Route rule",
            Stage::Destination => "Destination",
            Stage::Policy => "TLS policy",
            Stage::Port => "Port",
            Stage::Upstream => "Upstream",
        }
    }

    /// A lower-case name for CSS classes and JSON.
    pub fn key(self) -> &'static str {
        match self {
            Stage::Client => "client",
            Stage::Listener => "listener",
            Stage::Rule => "rule",
            Stage::Destination => "destination",
            Stage::Policy => "policy",
            Stage::Port => "port",
            Stage::Upstream => "upstream",
        }
    }

    pub fn column(self) -> usize {
        self as usize
    }
}

/// One box of the graph.
#[derive(Clone, PartialEq)]
pub struct GraphNode {
    pub stage: Stage,
    /// The label, the detail and the key, one after another: one allocation per node.
    text: String,
    detail_at: u32,
    key_at: u32,
    /// The YAML it comes from; the first is where the editor jumps. Empty for pieces the
    /// input only implies (a client, a host without a DestinationRule).
    pub spans: Vec<Span>,
    /// Why traffic stops here, when it does.
    pub dead_end: Option<String>,
    /// Indexes into the analysis' diagnostics whose spans touch this node's YAML.
    pub diagnostics: Vec<usize>,
}

/// One hop between two nodes of neighbouring stages.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphEdge {
    pub from: usize,
    pub to: usize,
    /// What selects this hop (`weight 90%`), or empty.
    pub label: String,
    pub wire: Wire,
    /// Why no traffic takes this hop, when none does.
    pub dead: Option<String>,
    /// Warnings and errors of the node it leads to: the hop is broken.
    pub diagnostics: Vec<usize>,
}

impl fmt::Debug for GraphNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphNode")
            .field("key", &self.key())
            .field("stage", &self.stage)
            .field("label", &self.label())
            .field("detail", &self.detail())
            .field("spans", &self.spans)
            .field("dead_end", &self.dead_end)
            .field("diagnostics", &self.diagnostics)
            .finish()
    }
}

impl GraphNode {
    /// Stable across analyses of the same text (`listener:istio-system/gateway:0`).
    pub fn key(&self) -> &str {
        &self.text[self.key_at as usize..]
    }

    pub fn label(&self) -> &str {
        &self.text[..self.detail_at as usize]
    }

    pub fn detail(&self) -> &str {
        &self.text[self.detail_at as usize..self.key_at as usize]
    }
}

impl GraphEdge {
    pub fn is_broken(&self) -> bool {
        self.dead.is_some() || !self.diagnostics.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrafficGraph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

impl TrafficGraph {
    pub fn node_by_key(&self, key: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.key() == key)
    }

    /// The edges leaving `node`.
    pub fn outgoing(&self, node: usize) -> impl Iterator<Item = (usize, &GraphEdge)> {
        self.edges
            .iter()
            .enumerate()
            .filter(move |(_, edge)| edge.from == node)
    }

    /// The nodes and edges on every path through a node that shows diagnostic `diagnostic`:
    /// what the diagnostic breaks.
    pub fn paths_through_diagnostic(&self, diagnostic: usize) -> (Vec<usize>, Vec<usize>) {
        let marked: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| self.nodes[n].diagnostics.contains(&diagnostic))
            .collect();
        self.paths_through(&marked)
    }

    /// The part of the graph on paths through nodes whose label, detail or key contains
    /// `query` (any case): one host's or one gateway's traffic. An empty query keeps all.
    pub fn filtered(&self, query: &str) -> TrafficGraph {
        // ASCII case folding: Unicode's tables would weigh on the browser download.
        let query = query.trim().to_ascii_lowercase();
        if query.is_empty() {
            return self.clone();
        }
        let matching: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| {
                let node = &self.nodes[n];
                [node.label(), node.detail(), node.key()]
                    .iter()
                    .any(|text| text.to_ascii_lowercase().contains(&query))
            })
            .collect();
        let (nodes, edges) = self.paths_through(&matching);
        let mut new_index = vec![usize::MAX; self.nodes.len()];
        for (index, &node) in nodes.iter().enumerate() {
            new_index[node] = index;
        }
        TrafficGraph {
            nodes: nodes.iter().map(|&n| self.nodes[n].clone()).collect(),
            edges: edges
                .iter()
                .map(|&e| {
                    let mut edge = self.edges[e].clone();
                    edge.from = new_index[edge.from];
                    edge.to = new_index[edge.to];
                    edge
                })
                .collect(),
        }
    }

    /// Every node and edge upstream and downstream of `marked` (sorted indexes).
    fn paths_through(&self, marked: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let mut nodes: HashSet<usize> = marked.iter().copied().collect();
        let mut edges = HashSet::new();
        for forward in [true, false] {
            let mut stack = marked.to_vec();
            while let Some(node) = stack.pop() {
                for (index, edge) in self.edges.iter().enumerate() {
                    let (here, next) = if forward {
                        (edge.from, edge.to)
                    } else {
                        (edge.to, edge.from)
                    };
                    if here == node && edges.insert(index) && nodes.insert(next) {
                        stack.push(next);
                    }
                }
            }
        }
        let mut nodes: Vec<usize> = nodes.into_iter().collect();
        let mut edges: Vec<usize> = edges.into_iter().collect();
        nodes.sort_unstable();
        edges.sort_unstable();
        (nodes, edges)
    }
}

/// Builds the graph of `mesh`; `diagnostics` are the analysis' own, attached by span.
pub fn build(mesh: &Mesh, diagnostics: &[Diagnostic]) -> TrafficGraph {
    // A resource makes a handful of nodes and hops (about 4.5 and 7 in the benchmark's mix):
    // sizing for that up front spares growing the tables several times over.
    let resources = mesh.resources.len();
    let (nodes, edges) = (resources * 5, resources * 8);
    let mut builder = Builder {
        mesh,
        graph: TrafficGraph {
            nodes: Vec::with_capacity(nodes),
            edges: Vec::with_capacity(edges),
        },
        nodes: FxHashMap::with_capacity_and_hasher(nodes, Default::default()),
        edges: FxHashMap::with_capacity_and_hasher(edges, Default::default()),
        chains: FxHashSet::with_capacity_and_hasher(resources, Default::default()),
        mesh_routed: FxHashSet::default(),
        stops: Vec::new(),
    };
    builder.gateways();
    builder.virtual_services();
    builder.gateway_api();
    builder.default_routes();
    let stops = std::mem::take(&mut builder.stops);
    let mut graph = builder.graph;
    mark_dead_ends(&mut graph);
    // Where traffic that a rule takes goes no further (a Gateway API rule without a backend).
    for (node, reason) in stops {
        graph.nodes[node].dead_end.get_or_insert(reason);
    }
    attach_diagnostics(&mut graph, diagnostics);
    graph
}

struct Builder<'m> {
    mesh: &'m Mesh,
    graph: TrafficGraph,
    nodes: FxHashMap<NodeKey<'m>, usize>,
    edges: FxHashMap<(usize, usize, Wire, Share), usize>,
    /// Destinations whose path beyond was built, by the wire state it was built for.
    chains: FxHashSet<(usize, Wire)>,
    /// Services (and ports; `None`: all) that Gateway API routes of the mesh route: no
    /// default route to them.
    mesh_routed: FxHashSet<(Fqdn<'m>, Option<u32>)>,
    /// Nodes where the traffic a rule takes stops, and why.
    stops: Vec<(usize, String)>,
}

/// The share of a rule's traffic a hop takes: a weight of a split, or all of it (`None`).
type Share = Option<i64>;

fn share_label(share: Share) -> String {
    share.map_or_else(String::new, |weight| format!("{weight}%"))
}

/// What a new node shows: its label and detail, written into the string that will hold its
/// key too.
struct NodeText {
    text: String,
    detail_at: u32,
    spans: Vec<Span>,
}

impl NodeText {
    fn new(label: impl Display, detail: impl Display, spans: Vec<Span>) -> NodeText {
        // Room for the usual label, detail and key without growing.
        let mut text = String::with_capacity(128);
        let _ = write!(text, "{label}");
        let detail_at = text_offset(&text);
        let _ = write!(text, "{detail}");
        NodeText {
            text,
            detail_at,
            spans,
        }
    }
}

/// Offsets into a node's text, which is far shorter than 4 GiB.
fn text_offset(text: &str) -> u32 {
    u32::try_from(text.len()).expect("a node's text is short")
}

impl<'m> Builder<'m> {
    /// The node with `key`, made by `text` the first time.
    fn node(&mut self, key: NodeKey<'m>, stage: Stage, text: impl FnOnce() -> NodeText) -> usize {
        if let Some(&index) = self.nodes.get(&key) {
            return index;
        }
        let NodeText {
            mut text,
            detail_at,
            spans,
        } = text();
        let key_at = text_offset(&text);
        let _ = write!(text, "{key}");
        let index = self.graph.nodes.len();
        self.graph.nodes.push(GraphNode {
            stage,
            text,
            detail_at,
            key_at,
            spans,
            dead_end: None,
            diagnostics: Vec::new(),
        });
        self.nodes.insert(key, index);
        index
    }

    /// Another piece of YAML that leads to `node` (a second rule to the same destination).
    fn add_span(&mut self, node: usize, span: Span) {
        let spans = &mut self.graph.nodes[node].spans;
        if !spans.contains(&span) {
            spans.push(span);
        }
    }

    fn edge(&mut self, from: usize, to: usize, share: Share, wire: Wire, dead: Option<String>) {
        let key = (from, to, wire, share);
        if let Some(&index) = self.edges.get(&key) {
            // A live way in wins over a dead one.
            if dead.is_none() {
                self.graph.edges[index].dead = None;
            }
            return;
        }
        self.edges.insert(key, self.graph.edges.len());
        self.graph.edges.push(GraphEdge {
            from,
            to,
            label: share_label(share),
            wire,
            dead,
            diagnostics: Vec::new(),
        });
    }

    fn gateways(&mut self) {
        for (resource, gateway) in self.mesh.gateways() {
            for (index, server) in gateway.servers.iter().enumerate() {
                let listener = self.gateway_listener(resource, index, server);
                if server.tls_mode() == Some(ServerTlsMode::AutoPassthrough) {
                    self.auto_passthrough(listener, server);
                }
            }
        }
    }

    /// An AUTO_PASSTHROUGH server routes by SNI alone, to every cluster of a Service in the
    /// mesh its hosts cover (Istio's builtAutoPassthroughFilterChains): each port, whole and
    /// by subset.
    fn auto_passthrough(&mut self, listener: usize, server: &Server) {
        let mesh = self.mesh;
        for resource in &mesh.resources {
            let Spec::Service(service) = &resource.spec else {
                continue;
            };
            let host = fqdn(&resource.name.value, &resource.namespace);
            if !auto_passthrough_covers(server, &host) {
                continue;
            }
            let subsets: Vec<Option<&'m str>> = std::iter::once(None)
                .chain(
                    mesh.destination_rule_for(&host, &resource.namespace, &resource.namespace)
                        .into_iter()
                        .flat_map(|(_, rule)| &rule.subsets)
                        .filter_map(|subset| subset.name.as_ref().map(|n| Some(n.value.as_str()))),
                )
                .collect();
            for port in &service.ports {
                let Some(number) = &port.value.number else {
                    continue;
                };
                for &subset in &subsets {
                    let target = Target {
                        host: &resource.name.value,
                        namespace: &resource.namespace,
                        port: Some(number.value),
                        subset,
                        span: resource.name.span,
                    };
                    self.destination_chain(listener, None, Wire::ClientTls, target);
                }
            }
        }
    }

    /// A Gateway server and the outside client that connects to its port.
    fn gateway_listener(&mut self, resource: &'m Resource, index: usize, server: &Server) -> usize {
        // `name :443`, or `name :?` for a server without a port number.
        let with_port = |name: &'m str| {
            fmt::from_fn(move |f| match server.port_number() {
                Some(port) => write!(f, "{name} :{port}"),
                None => write!(f, "{name} :?"),
            })
        };
        let listener = self.node(
            NodeKey::gateway_listener(resource, index),
            Stage::Listener,
            || {
                let detail = fmt::from_fn(|f| {
                    if let Some(protocol) = server.protocol() {
                        write!(f, "{protocol} · ")?;
                    }
                    if let Some(mode) = server.tls_mode() {
                        write!(f, "{mode} · ")?;
                    }
                    for (n, host) in server.host_values().enumerate() {
                        if n > 0 {
                            f.write_str(" ")?;
                        }
                        f.write_str(&host.value)?;
                    }
                    Ok(())
                });
                NodeText::new(with_port(&resource.name.value), detail, vec![server.span])
            },
        );
        let client = self.outside_client(server.port_number());
        self.edge(client, listener, None, Wire::from_client(server), None);
        listener
    }

    /// The outside clients of a gateway port, Istio's or the Gateway API's.
    fn outside_client(&mut self, port: Option<u32>) -> usize {
        self.node(NodeKey::OutsideClient(port), Stage::Client, || {
            let label = fmt::from_fn(move |f| match port {
                Some(port) => write!(f, "outside client :{port}"),
                None => f.write_str("outside client :?"),
            });
            NodeText::new(label, "through the ingress", Vec::new())
        })
    }

    /// A Gateway that rules name but the input lacks; `span` is where they name it.
    fn missing_gateway(&mut self, namespace: &'m str, name: &'m str, span: Option<Span>) -> usize {
        self.node(
            NodeKey::MissingGateway { namespace, name },
            Stage::Listener,
            || {
                NodeText::new(
                    format_args!("{name} (missing)"),
                    format_args!("no Gateway {namespace}/{name} in the input"),
                    span.into_iter().collect(),
                )
            },
        )
    }

    fn virtual_services(&mut self) {
        for (resource, service) in self.mesh.virtual_services() {
            for reference in self.mesh.gateway_refs(resource, service) {
                match reference.target {
                    GatewayTarget::Found(gateway_resource, gateway) => {
                        let bound =
                            self.mesh
                                .bound_servers(resource, service, gateway_resource, gateway);
                        for (index, server) in gateway.servers.iter().enumerate() {
                            if bound.iter().any(|b| std::ptr::eq(*b, server)) {
                                let listener =
                                    self.gateway_listener(gateway_resource, index, server);
                                self.gateway_rules(
                                    listener,
                                    resource,
                                    service,
                                    gateway_resource,
                                    server,
                                );
                            }
                        }
                    }
                    GatewayTarget::Missing { namespace, name } => {
                        let span = reference.entry.map(|e| e.span);
                        let listener = self.missing_gateway(namespace, name, span);
                        let reason = format!("Gateway {namespace}/{name} does not exist");
                        for rule in rules(service) {
                            let node = self.rule_node(resource, &rule);
                            self.edge(listener, node, None, Wire::Plaintext, Some(reason.clone()));
                        }
                    }
                    GatewayTarget::Mesh => self.mesh_rules(resource, service),
                    // Drawn with the Gateway API paths.
                    GatewayTarget::Kubernetes(..) => {}
                }
            }
        }
    }

    /// Rules of `service` that a Gateway server hands its traffic to.
    fn gateway_rules(
        &mut self,
        listener: usize,
        resource: &'m Resource,
        service: &'m VirtualService,
        gateway: &Resource,
        server: &Server,
    ) {
        let kind = RouteKind::of(server);
        let wire = Wire::after_server(server);
        for rule in rules(service) {
            let admitted = match rule.matches {
                Matches::Http(items) => {
                    self.mesh
                        .http_rule_admits(&resource.namespace, items, gateway, server)
                }
                Matches::Tls(items) => {
                    self.mesh
                        .tls_rule_admits(&resource.namespace, items, gateway, server)
                }
            };
            if !admitted {
                continue;
            }
            let dead = (rule.kind != kind).then(|| {
                format!(
                    "the server hands its traffic to `{}` rules, never to `{}` rules",
                    kind.key(),
                    rule.kind.key()
                )
            });
            let node = self.rule_node(resource, &rule);
            let live = dead.is_none();
            self.edge(listener, node, None, wire, dead);
            if live {
                // A gateway's port says nothing about the destination's port.
                self.rule_destinations(node, resource, &rule, wire, None);
            }
        }
    }

    fn rule_node(&mut self, resource: &'m Resource, rule: &Rule) -> usize {
        self.node(
            NodeKey::rule(resource, rule.kind, rule.index),
            Stage::Rule,
            || {
                let mut spans = vec![rule.span];
                spans.extend(rule.list_key);
                NodeText::new(
                    format_args!(
                        "{} {}[{}]",
                        resource.name.value,
                        rule.kind.key(),
                        rule.index
                    ),
                    rule.summary(),
                    spans,
                )
            },
        )
    }

    fn rule_destinations(
        &mut self,
        rule_node: usize,
        resource: &'m Resource,
        rule: &Rule<'m>,
        wire: Wire,
        listener_port: Option<u32>,
    ) {
        let weighted = rule.route.len() > 1;
        for destination in rule.route {
            let Some(host) = &destination.destination.host else {
                continue;
            };
            let share = match &destination.weight {
                Some(weight) => Some(weight.value),
                None if weighted => Some(0),
                None => None,
            };
            let port = destination
                .destination
                .port
                .as_ref()
                .map(|p| p.value)
                .or_else(|| self.only_declared_port(&host.value, &resource.namespace))
                .or(listener_port);
            let target = Target {
                host: &host.value,
                namespace: &resource.namespace,
                port,
                subset: destination
                    .destination
                    .subset
                    .as_ref()
                    .map(|s| s.value.as_str()),
                span: destination.destination.span,
            };
            self.destination_chain(rule_node, share, wire, target);
        }
    }

    fn only_declared_port(&self, host: &str, namespace: &str) -> Option<u32> {
        match self.mesh.declared_ports(host, namespace).as_slice() {
            [only] => Some(only.number),
            _ => None,
        }
    }

    /// Destination → TLS policy → port → upstream, from `from` with `wire` on the way in.
    fn destination_chain(&mut self, from: usize, share: Share, wire: Wire, target: Target<'m>) {
        let mesh = self.mesh;
        let Target {
            host,
            namespace,
            port,
            subset,
            span,
        } = target;
        // Many rules share a destination: what lies beyond it is built once per wire state.
        let key = NodeKey::Destination {
            host: Fqdn::of(host, namespace),
            port,
            subset,
        };
        if let Some(&destination) = self.nodes.get(&key)
            && self.chains.contains(&(destination, wire))
        {
            self.add_span(destination, span);
            self.edge(from, destination, share, wire, None);
            return;
        }
        let path =
            DestinationPath::new(mesh, host, namespace, port, subset, wire).with_backend_tls(mesh);
        let destination = self.destination_node(host, namespace, port, subset);
        self.chains.insert((destination, wire));
        // Every rule that leads here adds its destination's YAML, this one included.
        self.add_span(destination, span);
        self.edge(from, destination, share, wire, None);

        let policy = self.node(path.policy_key(), Stage::Policy, || {
            let spans = match (path.rule, path.setting) {
                _ if let Some(tls) = path.backend_tls => vec![tls.span()],
                (_, Some(setting)) => vec![setting.tls.span],
                (Some((resource, _)), None) => vec![resource.span],
                (None, _) => Vec::new(),
            };
            NodeText::new(
                path.policy_label(),
                path.policy_detail(mesh.settings.auto_mtls),
                spans,
            )
        });
        self.edge(destination, policy, None, wire, None);
        let port_node = self.node(path.port_key(), Stage::Port, || {
            let spans = path
                .declared
                .as_ref()
                .map(|declared| vec![declared.number_span, declared.protocol_span])
                .unwrap_or_default();
            NodeText::new(path.port_label(), path.port_detail(), spans)
        });
        self.edge(policy, port_node, None, path.wire_out, None);
        let upstream = self.node(path.upstream_key(), Stage::Upstream, || {
            NodeText::new(host, path.upstream_detail(), Vec::new())
        });
        self.edge(port_node, upstream, None, path.wire_out, None);
    }
}

impl<'m> Builder<'m> {
    /// The destination node for `host` (written in `namespace`), port and subset.
    fn destination_node(
        &mut self,
        host: &'m str,
        namespace: &'m str,
        port: Option<u32>,
        subset: Option<&'m str>,
    ) -> usize {
        let key = NodeKey::Destination {
            host: Fqdn::of(host, namespace),
            port,
            subset,
        };
        self.node(key, Stage::Destination, || {
            let detail = fmt::from_fn(|f| match subset {
                Some(subset) => write!(f, "subset {subset}"),
                None => f.write_str("every endpoint"),
            });
            NodeText::new(
                format_args!("{host}:{}", PortText(port)),
                detail,
                Vec::new(),
            )
        })
    }
}

/// Where a rule sends traffic.
struct Target<'m> {
    host: &'m str,
    namespace: &'m str,
    port: Option<u32>,
    subset: Option<&'m str>,
    span: Span,
}

/// Whether an AUTO_PASSTHROUGH server's hosts (namespace prefixes aside) cover `host`.
pub(crate) fn auto_passthrough_covers(server: &Server, host: &str) -> bool {
    server.host_values().any(|pattern| {
        let pattern = pattern
            .value
            .split_once('/')
            .map_or(pattern.value.as_str(), |(_, host)| host);
        crate::resolve::host_covers(pattern, host)
    })
}

/// Gateway listeners that no live hop leaves, and rules that no live hop reaches, are dead
/// ends; say why.
fn mark_dead_ends(graph: &mut TrafficGraph) {
    let mut live_out = vec![false; graph.nodes.len()];
    // The first reason a hop into each node is dead, and whether a live hop reaches it.
    let mut dead_in: Vec<Option<&str>> = vec![None; graph.nodes.len()];
    let mut live_in = vec![false; graph.nodes.len()];
    for edge in &graph.edges {
        match &edge.dead {
            None => {
                live_out[edge.from] = true;
                live_in[edge.to] = true;
            }
            Some(reason) => {
                dead_in[edge.to].get_or_insert(reason);
            }
        }
    }
    let reasons: Vec<Option<String>> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(index, node)| match node.stage {
            Stage::Listener if node.key().starts_with("listener:missing:") => {
                Some("no such Gateway: the rules bound to it configure nothing".to_string())
            }
            Stage::Listener if let Some(idle) = gateway_api::idle_listener(node.key()) => {
                (!live_out[index]).then(|| idle.to_string())
            }
            Stage::Listener if !node.key().starts_with("listener:mesh:") && !live_out[index] => {
                Some(
                    "no VirtualService rule takes this server's traffic: HTTP requests get 404 \
                     (NR), TLS connections are closed"
                        .to_string(),
                )
            }
            Stage::Rule if !live_in[index] => {
                dead_in[index].map(|reason| format!("never reached: {reason}"))
            }
            _ => None,
        })
        .collect();
    for (node, reason) in graph.nodes.iter_mut().zip(reasons) {
        node.dead_end = reason;
    }
}

/// Each diagnostic goes to every node whose YAML its span or a related span touches; each
/// warning or error also breaks the hops into that node.
fn attach_diagnostics(graph: &mut TrafficGraph, diagnostics: &[Diagnostic]) {
    for node in &mut graph.nodes {
        for (index, diagnostic) in diagnostics.iter().enumerate() {
            let mut spans = std::iter::once(diagnostic.span)
                .chain(diagnostic.related.iter().map(|related| related.span));
            if spans.any(|span| node.spans.iter().any(|&own| overlaps(own, span))) {
                node.diagnostics.push(index);
            }
        }
    }
    for edge in &mut graph.edges {
        edge.diagnostics = graph.nodes[edge.to]
            .diagnostics
            .iter()
            .copied()
            .filter(|&d| diagnostics[d].severity >= Severity::Warning)
            .collect();
    }
}

/// Do two spans share a byte (an empty span: does it sit inside the other)?
fn overlaps(a: Span, b: Span) -> bool {
    let inside = |point: u32, span: Span| span.start <= point && point <= span.end;
    a.file == b.file
        && match (a.is_empty(), b.is_empty()) {
            (true, _) => inside(a.start, b),
            (_, true) => inside(b.start, a),
            _ => a.start < b.end && b.start < a.end,
        }
}

#[cfg(test)]
mod tests;
