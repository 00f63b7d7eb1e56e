//! Request in, path and outcome out, in the style of Istio's gateway simulation tests.

use std::path::Path;

use super::*;
use crate::settings::MeshSettings;
use crate::source::Sources;
use crate::{analyze, topology};

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Case {
    name: &'static str,
    text: String,
    from: &'static str,
    url: &'static str,
    /// The SNI, when the client sends another host's.
    sni: Option<&'static str>,
    headers: &'static [(&'static str, &'static str)],
    outcome: Outcome,
    /// Words the explanation or a step must contain.
    says: &'static str,
}

fn case(
    name: &'static str,
    text: String,
    from: &'static str,
    url: &'static str,
    outcome: Outcome,
    says: &'static str,
) -> Case {
    Case {
        name,
        text,
        from,
        url,
        sni: None,
        headers: &[],
        outcome,
        says,
    }
}

fn run(case: &Case) -> Trace {
    let analysis = analyze(
        Sources::single("input.yaml", case.text.clone()),
        MeshSettings::default(),
    );
    let origin = Origin::parse(case.from, "default").unwrap();
    let mut request = Request::new(origin, Url::parse(case.url).unwrap());
    request.sni = case.sni.map(str::to_string);
    request.headers = case
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let trace = trace(&analysis.mesh, &request).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    // Every step that names a graph node names one the graph has.
    let graph = topology::build(&analysis.mesh, &analysis.diagnostics);
    for key in trace.node_keys() {
        assert!(
            graph.node_by_key(key).is_some(),
            "{}: step node {key} is not in the graph",
            case.name
        );
    }
    trace
}

fn text_of(trace: &Trace) -> String {
    let steps: Vec<&str> = trace.steps.iter().map(|s| s.text.as_str()).collect();
    format!("{}\n{}", steps.join("\n"), trace.explanation)
}

const VS_HEAD: &str = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: edge}\nspec:\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [\"shop/*.example.com\"]\n    tls: {mode: SIMPLE, credentialName: cert}\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n---\n";

fn seed_cases() -> Vec<Case> {
    let seed = example;
    vec![
        case(
            "terminating gateway, tls rules",
            seed("tls-route-behind-terminating-gateway.yaml"),
            "gateway:istio-system/gateway",
            "https://myapp.example.com/hello",
            Outcome::NoRoute,
            "never used",
        ),
        case(
            "terminating gateway, fixed",
            seed("tls-route-behind-terminating-gateway.fixed.yaml"),
            "gateway:istio-system/gateway",
            "https://myapp.example.com/hello",
            Outcome::Success,
            "httpbin.org receives plaintext",
        ),
        case(
            "passthrough gateway, http rules",
            seed("http-route-behind-passthrough-gateway.yaml"),
            "gateway:default/gateway",
            "https://httpbin.example.com/",
            Outcome::ConnectionReset,
            "never sees this traffic",
        ),
        case(
            "passthrough gateway, fixed",
            seed("http-route-behind-passthrough-gateway.fixed.yaml"),
            "gateway:default/gateway",
            "https://httpbin.example.com/",
            Outcome::Success,
            "the client's TLS",
        ),
        case(
            "double TLS",
            seed("double-tls.yaml"),
            "pod:default",
            "https://httpbin.org/get",
            Outcome::WrongVersionNumber,
            "TLS inside TLS",
        ),
        case(
            "double TLS, fixed",
            seed("double-tls.fixed.yaml"),
            "pod:default",
            "http://httpbin.org:443/get",
            Outcome::Success,
            "TLS originated by the proxy",
        ),
        case(
            "HTTPS to an HTTP port",
            seed("https-to-http-port.yaml"),
            "pod:default",
            "https://httpbin.org/get",
            Outcome::DownstreamProtocolError,
            "wrong version number",
        ),
        case(
            "HTTPS to an HTTP port, fixed",
            seed("https-to-http-port.fixed.yaml"),
            "pod:default",
            "https://httpbin.org/get",
            Outcome::Success,
            "the client's TLS",
        ),
        case(
            "mTLS disabled",
            seed("mtls-disabled-by-destination-rule.yaml"),
            "pod:default",
            "http://reviews:9080/",
            Outcome::UpstreamFailure,
            "require mTLS (STRICT)",
        ),
        case(
            "mTLS disabled, fixed",
            seed("mtls-disabled-by-destination-rule.fixed.yaml"),
            "pod:default",
            "http://reviews:9080/",
            Outcome::Success,
            "mesh mTLS",
        ),
        case(
            "ingress bypasses subsets",
            seed("ingress-bypasses-mesh-subsets.yaml"),
            "gateway:default/myapp-gateway",
            "http://myapp.com/hello",
            Outcome::Success,
            "Destination helloworld.default.svc.cluster.local:*.",
        ),
        case(
            "ingress bypasses subsets, fixed",
            seed("ingress-bypasses-mesh-subsets.fixed.yaml"),
            "gateway:default/myapp-gateway",
            "http://myapp.com/hello",
            Outcome::Success,
            "subset v1",
        ),
        Case {
            sni: Some("service1.test.com"),
            ..case(
                "shared certificate, reused connection",
                seed("gateways-share-certificate.yaml"),
                "gateway:default/gw1",
                "https://service2.test.com/",
                Outcome::NoRoute,
                "No VirtualService bound to this server has host service2.test.com",
            )
        },
        Case {
            sni: Some("service1.test.com"),
            ..case(
                "shared certificate, fixed",
                seed("gateways-share-certificate.fixed.yaml"),
                "gateway:default/gw1",
                "https://service2.test.com/",
                Outcome::Success,
                "vs2",
            )
        },
    ]
}

fn routing_cases() -> Vec<Case> {
    let vs = |body: &str| {
        format!(
            "{VS_HEAD}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: shop, namespace: shop}}\nspec:\n  hosts: [\"*.example.com\"]\n  gateways: [edge/gw]\n{body}"
        )
    };
    let split = vs(
        "  http:\n  - match:\n    - uri: {prefix: /api}\n      headers: {x-canary: {exact: \"yes\"}}\n    route:\n    - destination: {host: api, subset: v2}\n  - match:\n    - uri: {prefix: /api}\n    route:\n    - destination: {host: api, subset: v1}\n      weight: 80\n    - destination: {host: api, subset: v2}\n      weight: 20\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: api, namespace: shop}\nspec:\n  host: api\n  trafficPolicy:\n    portLevelSettings:\n    - port: {number: 8443}\n      tls: {mode: SIMPLE}\n  subsets:\n  - {name: v1}\n  - {name: v2}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  ports:\n  - {name: https-api, port: 8443}\n",
    );
    vec![
        case(
            "wildcard host and namespace-prefixed server host",
            split.clone(),
            "gateway:edge/gw",
            "https://www.example.com/api/items",
            Outcome::Success,
            "Traffic is split: 80% to api subset v1, 20% to api subset v2",
        ),
        Case {
            headers: &[("x-canary", "yes")],
            ..case(
                "header match",
                split.clone(),
                "gateway:edge/gw",
                "https://www.example.com/api/items",
                Outcome::Success,
                "subset v2",
            )
        },
        case(
            "an earlier rule's condition explains why it did not match",
            split.clone(),
            "gateway:edge/gw",
            "https://www.example.com/api",
            Outcome::Success,
            "the request has no x-canary header",
        ),
        case(
            "no rule matches",
            split.clone(),
            "gateway:edge/gw",
            "https://www.example.com/web",
            Outcome::NoRoute,
            "uri prefix /api does not match `/web`",
        ),
        case(
            "a wildcard does not cover its own domain",
            split.clone(),
            "gateway:edge/gw",
            "https://example.com/api",
            Outcome::ConnectionReset,
            "no filter chain",
        ),
        case(
            "port-level DestinationRule setting originates TLS",
            split.clone(),
            "gateway:edge/gw",
            "https://shop.example.com/api",
            Outcome::Success,
            "sets tls SIMPLE for port 8443",
        ),
        case(
            "plaintext to a plain HTTP server with a host no VirtualService has",
            split.clone(),
            "gateway:edge/gw",
            "http://other.org/",
            Outcome::NoRoute,
            "No VirtualService bound to this server has host other.org",
        ),
        case(
            "a port no server listens on",
            split,
            "gateway:edge/gw",
            "https://www.example.com:8443/",
            Outcome::ConnectionRefused,
            "no server on port 8443",
        ),
        case(
            "a subset no DestinationRule defines",
            vs(
                "  http:\n  - route:\n    - destination: {host: api, subset: v9}\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: api, namespace: shop}\nspec:\n  host: api\n  subsets:\n  - {name: v1}\n",
            ),
            "gateway:edge/gw",
            "https://a.example.com/",
            Outcome::NoCluster,
            "503 NC",
        ),
        case(
            "TLS to a plain HTTP server",
            vs("  http:\n  - route:\n    - destination: {host: api}\n"),
            "gateway:edge/gw",
            "https://a.example.com:80/",
            Outcome::WrongVersionNumber,
            "plain HTTP",
        ),
    ]
}

#[test]
fn every_seed_scenario_traces_to_its_symptom_and_its_fix_to_success() {
    for case in seed_cases() {
        let trace = run(&case);
        let text = text_of(&trace);
        assert_eq!(trace.outcome, case.outcome, "{}:\n{text}", case.name);
        assert!(
            text.contains(case.says),
            "{}: expected `{}` in\n{text}",
            case.name,
            case.says
        );
    }
}

#[test]
fn routing_matches_hosts_conditions_weights_and_ports() {
    for case in routing_cases() {
        let trace = run(&case);
        let text = text_of(&trace);
        assert_eq!(trace.outcome, case.outcome, "{}:\n{text}", case.name);
        assert!(
            text.contains(case.says),
            "{}: expected `{}` in\n{text}",
            case.name,
            case.says
        );
    }
}

#[test]
fn a_successful_gateway_trace_walks_every_stage_of_the_graph() {
    let case = &seed_cases()[1];
    let trace = run(case);
    let stages: Vec<Stage> = trace
        .steps
        .iter()
        .filter(|s| s.node.is_some())
        .map(|s| s.stage)
        .collect();
    assert_eq!(stages, Stage::ALL);
}

#[test]
fn urls_and_origins_parse_or_say_what_is_wrong() {
    let url = Url::parse("http://httpbin.org:443/get?x=1").unwrap();
    assert_eq!(
        (
            url.scheme.as_str(),
            url.host.as_str(),
            url.port,
            url.path.as_str()
        ),
        ("http", "httpbin.org", 443, "/get?x=1")
    );
    assert_eq!(url.authority(), "httpbin.org:443");
    let url = Url::parse("HTTPS://MyApp.com").unwrap();
    assert_eq!(
        (
            url.host.as_str(),
            url.port,
            url.path.as_str(),
            url.explicit_port
        ),
        ("myapp.com", 443, "/", false)
    );
    assert!(
        Url::parse("ftp://x")
            .unwrap_err()
            .contains("http://, https://, tcp:// or tls://")
    );
    assert!(
        Url::parse("tcp://db.example.com")
            .unwrap_err()
            .contains("needs a port")
    );
    let url = Url::parse("tls://db.example.com:5432").unwrap();
    assert_eq!((url.port, url.explicit_port), (5432, true));
    assert!(
        Request::new(
            Origin::Pod {
                namespace: "a".into()
            },
            url
        )
        .client_tls
    );
    assert!(
        Url::parse("http://x:99999/")
            .unwrap_err()
            .contains("not a port")
    );
    assert!(Url::parse("http:///path").unwrap_err().contains("no host"));
    assert_eq!(
        Origin::parse("gateway:gw", "team").unwrap(),
        Origin::Gateway {
            namespace: "team".into(),
            name: "gw".into()
        }
    );
    assert_eq!(
        Origin::parse("pod", "team").unwrap(),
        Origin::Pod {
            namespace: "team".into()
        }
    );
    assert_eq!(
        Origin::parse("pod:shop", "team").unwrap().to_string(),
        "pod:shop"
    );
    assert!(Origin::parse("node:x", "team").is_err());
    let analysis = analyze(Sources::single("a.yaml", ""), MeshSettings::default());
    let request = Request::new(
        Origin::parse("gateway:x/y", "default").unwrap(),
        Url::parse("http://a").unwrap(),
    );
    assert_eq!(
        trace(&analysis.mesh, &request).unwrap_err(),
        "no Gateway x/y in the input"
    );
}

#[test]
fn a_first_request_is_suggested_for_each_seed_example_and_it_shows_the_symptom() {
    let expected = [
        (
            "tls-route-behind-terminating-gateway.yaml",
            "gateway:istio-system/gateway",
            "https://www.example.com/",
            Outcome::NoRoute,
        ),
        (
            "double-tls.yaml",
            "pod:default",
            "https://httpbin.org/",
            Outcome::WrongVersionNumber,
        ),
        (
            "https-to-http-port.yaml",
            "pod:default",
            "http://httpbin.org:443/",
            Outcome::Success,
        ),
        (
            "mtls-disabled-by-destination-rule.yaml",
            "pod:default",
            "http://reviews/",
            Outcome::UpstreamFailure,
        ),
    ];
    for (name, from, url, outcome) in expected {
        let analysis = analyze(
            Sources::single("input.yaml", example(name)),
            MeshSettings::default(),
        );
        let (origin, suggested) = suggest(&analysis.mesh).unwrap();
        assert_eq!(
            (origin.to_string().as_str(), suggested.as_str()),
            (from, url),
            "{name}"
        );
        let request = Request::new(origin, Url::parse(&suggested).unwrap());
        assert_eq!(
            trace(&analysis.mesh, &request).unwrap().outcome,
            outcome,
            "{name}"
        );
    }
}
