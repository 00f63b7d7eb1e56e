//! The request tracer against Envoy's and Istio's routing, in the style of Istio's pilot
//! gateway and sidecar simulation tests: a request in (origin, port, protocol, TLS, Host/SNI,
//! path, headers, client labels), out the listener it lands on, the route rule that takes it,
//! the cluster (`outbound|port|subset|host`) or the failure. Inputs are written here from the
//! documented semantics and Istio's samples' shape; none is copied from upstream tests.

#[path = "trace_simulation/ingress.rs"]
mod ingress;
#[path = "trace_simulation/mesh.rs"]
mod mesh;
#[path = "trace_simulation/samples.rs"]
mod samples;

use std::path::Path;

use routescope_core::settings::MeshSettings;
use routescope_core::source::Sources;
use routescope_core::topology::{self, Stage};
use routescope_core::trace::{Origin, Outcome, Request, Trace, Url, trace};
use routescope_core::{Analysis, analyze};
use samples::*;

/// One row of the table.
struct Case {
    name: &'static str,
    input: String,
    from: &'static str,
    url: &'static str,
    headers: &'static [(&'static str, &'static str)],
    sni: Option<&'static str>,
    labels: &'static [(&'static str, &'static str)],
    /// Words of the step of the listener (filter chain) that takes the request.
    listener: Option<&'static str>,
    /// The rule that takes it (`VirtualService ns/name http[0]`), `default` for the default
    /// route of a sidecar, `none` when no rule does.
    route: Option<&'static str>,
    /// The cluster, `None` when the request reaches none.
    cluster: Option<&'static str>,
    outcome: Outcome,
    /// Words the steps or the explanation must hold.
    says: Option<&'static str>,
}

fn case(name: &'static str, input: String, from: &'static str, url: &'static str) -> Case {
    Case {
        name,
        input,
        from,
        url,
        headers: &[],
        sni: None,
        labels: &[],
        listener: None,
        route: None,
        cluster: None,
        outcome: Outcome::Success,
        says: None,
    }
}

impl Case {
    fn headers(mut self, headers: &'static [(&'static str, &'static str)]) -> Case {
        self.headers = headers;
        self
    }
    fn sni(mut self, sni: &'static str) -> Case {
        self.sni = Some(sni);
        self
    }
    fn labels(mut self, labels: &'static [(&'static str, &'static str)]) -> Case {
        self.labels = labels;
        self
    }
    fn listener(mut self, listener: &'static str) -> Case {
        self.listener = Some(listener);
        self
    }
    fn route(mut self, route: &'static str) -> Case {
        self.route = Some(route);
        self
    }
    fn says(mut self, says: &'static str) -> Case {
        self.says = Some(says);
        self
    }
    /// The request reaches `cluster` and ends with `outcome`.
    fn reaches(mut self, cluster: &'static str, outcome: Outcome) -> Case {
        self.cluster = Some(cluster);
        self.outcome = outcome;
        self
    }
    /// The request reaches no cluster and ends with `outcome`.
    fn fails(mut self, outcome: Outcome) -> Case {
        self.cluster = None;
        self.outcome = outcome;
        self
    }
}

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(case: &Case) -> (Analysis, Trace) {
    let analysis = analyze(
        Sources::single("input.yaml", case.input.clone()),
        MeshSettings::default(),
    );
    let origin = Origin::parse(case.from, "default").unwrap();
    let mut request = Request::new(origin, Url::parse(case.url).unwrap());
    request.sni = case.sni.map(str::to_string);
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    request.headers = owned(case.headers);
    request.source_labels = owned(case.labels);
    let trace = trace(&analysis.mesh, &request).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    (analysis, trace)
}

fn text_of(trace: &Trace) -> String {
    let steps: Vec<&str> = trace.steps.iter().map(|s| s.text.as_str()).collect();
    format!(
        "{}\n{}: {}\ncluster: {:?}",
        steps.join("\n"),
        trace.outcome.code(),
        trace.explanation,
        trace.cluster
    )
}

/// The rule that took the request, as the trace names it.
fn matched_route(trace: &Trace) -> String {
    let rules = trace.steps.iter().filter(|s| s.stage == Stage::Rule);
    if let Some(step) = rules.clone().rev().find(|s| s.text.ends_with(" matches.")) {
        return step.text.trim_end_matches(" matches.").to_string();
    }
    if rules
        .clone()
        .any(|s| s.text.contains("the default route sends it"))
    {
        return "default".to_string();
    }
    "none".to_string()
}

fn check(cases: Vec<Case>) -> usize {
    let mut failures = Vec::new();
    for case in &cases {
        let (analysis, trace) = run(case);
        let text = text_of(&trace);
        let mut wrong = Vec::new();
        if trace.outcome != case.outcome {
            wrong.push(format!(
                "outcome {:?}, expected {:?}",
                trace.outcome, case.outcome
            ));
        }
        if trace.cluster.as_deref() != case.cluster {
            wrong.push(format!(
                "cluster {:?}, expected {:?}",
                trace.cluster, case.cluster
            ));
        }
        if let Some(route) = case.route
            && matched_route(&trace) != route
        {
            wrong.push(format!(
                "route `{}`, expected `{route}`",
                matched_route(&trace)
            ));
        }
        if let Some(listener) = case.listener {
            let landed = trace
                .steps
                .iter()
                .rfind(|s| s.stage == Stage::Listener && s.node.is_some())
                .map_or("", |s| s.text.as_str());
            if !landed.contains(listener) {
                wrong.push(format!("listener `{landed}`, expected `{listener}`"));
            }
        }
        if let Some(says) = case.says
            && !text.contains(says)
        {
            wrong.push(format!("the trace does not say `{says}`"));
        }
        // The graph draws every node the trace walks.
        let graph = topology::build(&analysis.mesh, &analysis.diagnostics);
        for key in trace.node_keys() {
            if graph.node_by_key(key).is_none() {
                wrong.push(format!("step node {key} is not in the graph"));
            }
        }
        if !wrong.is_empty() {
            failures.push(format!("{}: {}\n{text}", case.name, wrong.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    cases.len()
}

const GW: &str = "gateway:default/bookinfo-gateway";
const POD: &str = "pod:default";
const JASON: &[(&str, &str)] = &[("end-user", "jason")];

fn reviews(subset: &str) -> &'static str {
    match subset {
        "v1" => "outbound|9080|v1|reviews.default.svc.cluster.local",
        "v2" => "outbound|9080|v2|reviews.default.svc.cluster.local",
        "v3" => "outbound|9080|v3|reviews.default.svc.cluster.local",
        _ => unreachable!(),
    }
}
