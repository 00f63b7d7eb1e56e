//! What the traffic view and the request tracer show, as plain Rust: the picture of the
//! graph, which nodes a diagnostic or a trace lights up, where each node's YAML is in the
//! editor, and the trace of a request the person describes.

use routescope_core::topology::{self, Stage};
use routescope_core::trace::{self, Origin, Request, Url};

use crate::session::{Session, json_string};

/// One step of a trace, as the page lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceStep {
    pub stage: Stage,
    pub text: String,
    /// The editor range of the YAML that decided it.
    pub range: Option<(usize, usize)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TraceView {
    pub steps: Vec<TraceStep>,
    pub code: &'static str,
    pub success: bool,
    pub explanation: String,
    /// The Envoy cluster reached, `outbound|port|subset|host`.
    pub cluster: Option<String>,
    /// The graph nodes on the path.
    pub keys: Vec<String>,
}

/// The request the person describes in the tracer form.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceForm {
    pub from: String,
    pub url: String,
    /// `name: value` lines.
    pub headers: String,
    /// `None`: the client speaks TLS when the URL is https.
    pub client_tls: Option<bool>,
    /// Empty: the URL's host.
    pub sni: String,
}

impl Session {
    /// The graph, filtered to `filter`, drawn as SVG.
    pub fn traffic_svg(&self, filter: &str) -> String {
        let graph = self.graph().filtered(filter);
        let layout = topology::layout(&graph);
        topology::to_svg(&graph, &layout, self.diagnostics())
    }

    /// The editor ranges of a node's YAML, as a `highlightRanges` payload.
    pub fn node_ranges_json(&self, key: &str) -> String {
        let ranges: Vec<String> = self
            .node_spans(key)
            .into_iter()
            .map(|(from, to)| format!(r#"{{"from":{from},"to":{to}}}"#))
            .collect();
        format!("[{}]", ranges.join(","))
    }

    /// Where the editor goes when a node is clicked: its first piece of YAML.
    pub fn node_range(&self, key: &str) -> Option<(usize, usize)> {
        self.node_spans(key).into_iter().next()
    }

    fn node_spans(&self, key: &str) -> Vec<(usize, usize)> {
        let graph = self.graph();
        graph
            .node_by_key(key)
            .map(|index| {
                graph.nodes[index]
                    .spans
                    .iter()
                    .map(|span| self.editor_range(span.start, span.end))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The nodes on the paths diagnostic `id` breaks.
    pub fn diagnostic_path_keys(&self, id: usize) -> Vec<String> {
        let graph = self.graph();
        let (nodes, _) = graph.paths_through_diagnostic(id);
        nodes
            .iter()
            .map(|&n| graph.nodes[n].key().to_string())
            .collect()
    }

    /// Where a trace can start, `(value, label)`: the gateway workloads, then a pod.
    pub fn trace_origins(&self) -> Vec<(String, String)> {
        trace::origins(&self.analysis().mesh)
            .into_iter()
            .map(|(origin, label)| (origin.to_string(), label))
            .collect()
    }

    /// A first request to trace for this text.
    pub fn suggested_trace(&self) -> TraceForm {
        let suggestion = trace::suggest(&self.analysis().mesh);
        let (from, url) = suggestion.map_or_else(
            || {
                (
                    self.trace_origins().remove(0).0,
                    "http://example.com/".to_string(),
                )
            },
            |(origin, url)| (origin.to_string(), url),
        );
        TraceForm {
            from,
            url,
            ..TraceForm::default()
        }
    }

    /// Traces the request of `form`, or says what is wrong with it.
    pub fn trace(&self, form: &TraceForm) -> Result<TraceView, String> {
        let mesh = &self.analysis().mesh;
        let origin = Origin::parse(&form.from, &mesh.settings.default_namespace)?;
        let mut request = Request::new(origin, Url::parse(&form.url)?);
        if let Some(tls) = form.client_tls {
            request.client_tls = tls;
        }
        if !form.sni.trim().is_empty() {
            request.sni = Some(form.sni.trim().to_ascii_lowercase());
        }
        for (number, line) in form.headers.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("header line {}: write `name: value`", number + 1))?;
            request
                .headers
                .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let traced = trace::trace(mesh, &request)?;
        Ok(TraceView {
            keys: traced.node_keys().into_iter().map(str::to_string).collect(),
            steps: traced
                .steps
                .iter()
                .map(|step| TraceStep {
                    stage: step.stage,
                    text: step.text.clone(),
                    range: step
                        .span
                        .map(|span| self.editor_range(span.start, span.end)),
                })
                .collect(),
            code: traced.outcome.code(),
            success: traced.outcome.is_success(),
            explanation: traced.explanation,
            cluster: traced.cluster,
        })
    }
}

/// A JSON list of strings, for the page's highlighting of graph nodes.
pub fn keys_json(keys: &[String]) -> String {
    let keys: Vec<String> = keys.iter().map(|key| json_string(key)).collect();
    format!("[{}]", keys.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples::EXAMPLES;
    use routescope_core::settings::MeshSettings;

    fn default_example() -> Session {
        Session::new(EXAMPLES[0].broken.to_string(), MeshSettings::default())
    }

    #[test]
    fn the_default_example_draws_its_dead_end_and_its_diagnostic_lights_the_path() {
        let session = default_example();
        let svg = session.traffic_svg("");
        assert!(svg.contains("rs-g-dead") && svg.contains("rs-g-error"));
        let keys = session.diagnostic_path_keys(0);
        let listener = keys.iter().find(|k| k.starts_with("listener:")).unwrap();
        let (from, to) = session.node_range(listener).unwrap();
        assert!(session.text()[from..to].starts_with("port:"));
        assert!(
            session
                .node_ranges_json(listener)
                .starts_with(r#"[{"from":"#)
        );
        assert_eq!(session.node_ranges_json("nothing"), "[]");
        assert!(!session.traffic_svg("no such host").contains("data-node"));
    }

    #[test]
    fn the_default_example_traces_to_404_and_after_fix_all_safe_to_200() {
        let session = default_example();
        let form = session.suggested_trace();
        assert_eq!(form.from, "gateway:istio-system/gateway");
        let traced = session.trace(&form).unwrap();
        assert_eq!((traced.code, traced.success), ("404 NR", false));
        assert_eq!(traced.cluster, None, "a 404 reaches no cluster");
        assert!(traced.steps.iter().any(|s| s.range.is_some()));
        let fixed = session
            .corrected(routescope_core::diagnostic::Applicability::Safe)
            .text;
        let session = Session::new(fixed, MeshSettings::default());
        let traced = session.trace(&form).unwrap();
        assert_eq!((traced.code, traced.success), ("200", true), "{traced:?}");
        assert!(
            traced
                .cluster
                .as_deref()
                .is_some_and(|c| c.starts_with("outbound|")),
            "{traced:?}"
        );
        assert!(traced.keys.len() >= 7);
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let session = default_example();
        let form = |from: &str, url: &str, headers: &str| TraceForm {
            from: from.into(),
            url: url.into(),
            headers: headers.into(),
            ..TraceForm::default()
        };
        let error = |f: TraceForm| session.trace(&f).unwrap_err();
        assert!(error(form("somewhere", "http://a/", "")).contains("gateway:<namespace>/<name>"));
        assert!(error(form("pod", "gopher://a/", "")).contains("http://, https://"));
        assert_eq!(
            error(form("pod", "http://a/", "x-a: 1\nbroken")),
            "header line 2: write `name: value`"
        );
        let values: Vec<String> = session.trace_origins().into_iter().map(|o| o.0).collect();
        assert_eq!(values, ["gateway:istio-system/gateway", "pod:default"]);
        assert_eq!(keys_json(&["a\"b".to_string()]), r#"["a\"b"]"#);
    }
}
