//! `routescope graph` and `routescope trace`: the traffic graph and the request tracer of the
//! core, printed for CI and documentation.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use routescope_core::topology::{self, TrafficGraph};
use routescope_core::trace::{self, Origin, Request, Trace, Url};
use routescope_core::{Analysis, analyze};
use serde_json::{Value, json};

use crate::render::Positions;
use crate::{MeshArgs, output, read_or_exit};

#[derive(clap::Args, Debug)]
pub struct GraphArgs {
    /// Files, directories or `-` for standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    #[command(flatten)]
    mesh: MeshArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GraphFormat {
    Dot,
    Json,
    Svg,
}

#[derive(clap::Args, Debug)]
pub struct TraceArgs {
    /// Files, directories or `-` for standard input, then the URL of the request
    /// (`https://myapp.com/hello`, `http://httpbin.org:443/get`), or `tcp://host:port` /
    /// `tls://host:port` for a connection that is not HTTP.
    #[arg(required = true, value_name = "PATH... URL")]
    inputs: Vec<String>,
    /// Where the request starts: gateway:<namespace>/<name> (an Istio Gateway, or a Kubernetes
    /// Gateway API Gateway of that name) or pod:<namespace>.
    #[arg(long)]
    from: String,
    /// A request header, `name: value` (repeatable).
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// A label of the client pod, `key=value` (repeatable), for `sourceLabels` matches.
    #[arg(long = "source-label")]
    source_labels: Vec<String>,
    /// The HTTP method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// The SNI the client sends, when not the URL's host (a reused HTTP/2 connection).
    #[arg(long)]
    sni: Option<String>,
    /// Whether the client itself speaks TLS (default: when the URL is https).
    #[arg(long, value_enum)]
    client_tls: Option<crate::Switch>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    format: TraceFormat,
    #[command(flatten)]
    mesh: MeshArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TraceFormat {
    Text,
    Json,
}

fn analyse(paths: &[PathBuf], mesh: &MeshArgs) -> Result<Analysis, ExitCode> {
    Ok(analyze(read_or_exit(paths)?, mesh.settings()))
}

pub fn run_graph(args: GraphArgs) -> ExitCode {
    let analysis = match analyse(&args.paths, &args.mesh) {
        Ok(analysis) => analysis,
        Err(code) => return code,
    };
    let graph = topology::build(&analysis.mesh, &analysis.diagnostics);
    let layout = topology::layout(&graph);
    match args.format {
        GraphFormat::Dot => output::print(&topology::to_dot(&graph)),
        GraphFormat::Svg => {
            output::print(&(topology::to_svg(&graph, &layout, &analysis.diagnostics) + "\n"))
        }
        GraphFormat::Json => output::print(&(graph_json(&graph, &layout, &analysis) + "\n")),
    }
    ExitCode::SUCCESS
}

fn graph_json(graph: &TrafficGraph, layout: &topology::Layout, analysis: &Analysis) -> String {
    let positions = Positions::new(&analysis.mesh.sources);
    let checks = |indexes: &[usize]| -> Vec<&str> {
        indexes
            .iter()
            .map(|&d| analysis.diagnostics[d].check)
            .collect()
    };
    let nodes: Vec<Value> = graph
        .nodes
        .iter()
        .zip(&layout.boxes)
        .map(|(node, at)| {
            let span = node.spans.first();
            json!({
                "key": node.key(),
                "stage": node.stage.key(),
                "label": node.label(),
                "detail": node.detail(),
                "dead_end": node.dead_end,
                "checks": checks(&node.diagnostics),
                "box": {"x": at.x, "y": at.y, "width": at.width, "height": at.height},
                "file": span.map(|&span| positions.name(span)),
                "span": span.map(|&span| positions.span_json(span)),
            })
        })
        .collect();
    let edges: Vec<Value> = graph
        .edges
        .iter()
        .map(|edge| {
            json!({
                "from": edge.from,
                "to": edge.to,
                "label": edge.label,
                "wire": edge.wire.key(),
                "dead": edge.dead,
                "broken": edge.is_broken(),
                "checks": checks(&edge.diagnostics),
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({"version": 1, "nodes": nodes, "edges": edges}))
        .expect("JSON values serialise")
}

/// The request of `args`, or why it cannot be made.
fn request(args: &TraceArgs, url: &str) -> Result<Request, String> {
    let origin = Origin::parse(&args.from, &args.mesh.settings().default_namespace)?;
    let mut request = Request::new(origin, Url::parse(url)?);
    request.method = args.method.to_ascii_uppercase();
    request.sni = args.sni.clone();
    if let Some(switch) = args.client_tls {
        request.client_tls = matches!(switch, crate::Switch::On);
    }
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("header `{header}`: write `name: value`"))?;
        request
            .headers
            .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    for label in &args.source_labels {
        let (key, value) = label
            .split_once('=')
            .ok_or_else(|| format!("source label `{label}`: write `key=value`"))?;
        request
            .source_labels
            .push((key.trim().to_string(), value.trim().to_string()));
    }
    Ok(request)
}

pub fn run_trace(args: TraceArgs) -> ExitCode {
    let [paths @ .., url] = args.inputs.as_slice() else {
        unreachable!("clap requires the inputs");
    };
    if paths.is_empty() {
        eprintln!("routescope: give the YAML to trace through, then the URL");
        return ExitCode::from(2);
    }
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let analysis = match analyse(&paths, &args.mesh) {
        Ok(analysis) => analysis,
        Err(code) => return code,
    };
    let traced = request(&args, url)
        .and_then(|request| trace::trace(&analysis.mesh, &request).map(|trace| (request, trace)));
    let (request, trace) = match traced {
        Ok(traced) => traced,
        Err(message) => {
            eprintln!("routescope: {message}");
            return ExitCode::from(2);
        }
    };
    let positions = Positions::new(&analysis.mesh.sources);
    match args.format {
        TraceFormat::Text => output::print(&trace_text(&request, &trace, &positions)),
        TraceFormat::Json => output::print(&(trace_json(&request, &trace, &positions) + "\n")),
    }
    if trace.outcome.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn trace_text(request: &Request, trace: &Trace, positions: &Positions) -> String {
    let url = &request.url;
    let what = match url.scheme.as_str() {
        "tcp" | "tls" => format!("connect {}://{}", url.scheme, url.authority()),
        _ => format!(
            "{} {}://{}{}",
            request.method,
            url.scheme,
            url.authority(),
            url.path
        ),
    };
    let mut out = format!("{what} from {}\n\n", request.origin);
    for (number, step) in trace.steps.iter().enumerate() {
        let at = step
            .span
            .map(|span| format!("  ({})", positions.location(span)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:>3}. {:<11} {}{at}",
            number + 1,
            step.stage.key(),
            step.text
        );
    }
    out.push('\n');
    if let Some(cluster) = &trace.cluster {
        let _ = writeln!(out, "cluster: {cluster}");
    }
    let _ = writeln!(out, "{}: {}", trace.outcome.code(), trace.explanation);
    out
}

fn trace_json(request: &Request, trace: &Trace, positions: &Positions) -> String {
    let steps: Vec<Value> = trace
        .steps
        .iter()
        .map(|step| {
            json!({
                "stage": step.stage.key(),
                "text": step.text,
                "node": step.node,
                "wire": step.wire.map(|wire| wire.key()),
                "file": step.span.map(|span| positions.name(span)),
                "span": step.span.map(|span| positions.span_json(span)),
            })
        })
        .collect();
    let value = json!({
        "version": 1,
        "request": {
            "from": request.origin.to_string(),
            "url": format!("{}://{}{}", request.url.scheme, request.url.authority(), request.url.path),
            "method": request.method,
            "client_tls": request.client_tls,
            "sni": request.sni(),
        },
        "steps": steps,
        "outcome": {
            "code": trace.outcome.code(),
            "success": trace.outcome.is_success(),
            "explanation": trace.explanation,
            "cluster": trace.cluster,
        },
    });
    serde_json::to_string_pretty(&value).expect("JSON values serialise")
}
