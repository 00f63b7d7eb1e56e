//! The request tracer against Envoy's and Istio's routing, in the style of Istio's pilot
//! gateway and sidecar simulation tests: a request in (origin, port, protocol, TLS, Host/SNI,
//! path, headers, client labels), out the listener it lands on, the route rule that takes it,
//! the cluster (`outbound|port|subset|host`) or the failure. Inputs are written here from the
//! documented semantics and Istio's samples' shape; none is copied from upstream tests.

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

#[test]
fn bookinfo_and_its_virtual_service_variants() {
    let rv = |v: &str, s| bookinfo_with(v).to_owned() + s;
    let cases = vec![
        case(
            "ingress to productpage",
            bookinfo(),
            GW,
            "http://bookinfo.example.com/productpage",
        )
        .listener("Server 1 of Gateway default/bookinfo-gateway")
        .route("VirtualService default/bookinfo http[0]")
        .reaches(
            "outbound|9080||productpage.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "ingress, a prefix entry",
            bookinfo(),
            GW,
            "http://1.2.3.4/api/v1/products/0",
        )
        .route("VirtualService default/bookinfo http[0]")
        .reaches(
            "outbound|9080||productpage.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "ingress, an exact entry takes only its path",
            bookinfo(),
            GW,
            "http://1.2.3.4/productpage/x",
        )
        .fails(Outcome::NoRoute)
        .says("No `http` rule matches GET /productpage/x"),
        case(
            "ingress, port without a server",
            bookinfo(),
            GW,
            "http://1.2.3.4:8443/productpage",
        )
        .fails(Outcome::ConnectionRefused),
        case(
            "no VirtualService: reviews by the default route",
            bookinfo(),
            POD,
            "http://reviews:9080/reviews/0",
        )
        .listener("outbound listener on port 9080")
        .route("default")
        .reaches(
            "outbound|9080||reviews.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "all-v1: reviews v1",
            bookinfo_with("all-v1"),
            POD,
            "http://reviews:9080/reviews/0",
        )
        .route("VirtualService default/reviews http[0]")
        .reaches(reviews("v1"), Outcome::Success),
        case(
            "all-v1: details v1 by FQDN",
            bookinfo_with("all-v1"),
            POD,
            "http://details.default.svc.cluster.local:9080/details/0",
        )
        .route("VirtualService default/details http[0]")
        .reaches(
            "outbound|9080|v1|details.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "reviews-test-v2: jason gets v2",
            bookinfo_with("reviews-test-v2"),
            POD,
            "http://reviews:9080/reviews/0",
        )
        .headers(JASON)
        .route("VirtualService default/reviews http[0]")
        .reaches(reviews("v2"), Outcome::Success),
        case(
            "reviews-test-v2: others get v1",
            bookinfo_with("reviews-test-v2"),
            POD,
            "http://reviews:9080/reviews/0",
        )
        .route("VirtualService default/reviews http[1]")
        .reaches(reviews("v1"), Outcome::Success)
        .says("the request has no end-user header"),
        case(
            "reviews-jason-v2-v3: others get v3",
            bookinfo_with("reviews-jason-v2-v3"),
            POD,
            "http://reviews:9080/",
        )
        .headers(&[("end-user", "mary")])
        .reaches(reviews("v3"), Outcome::Success),
        case(
            "reviews-50-v3: an even split follows the first",
            bookinfo_with("reviews-50-v3"),
            POD,
            "http://reviews:9080/",
        )
        .reaches(reviews("v1"), Outcome::Success)
        .says("50% to reviews subset v1, 50% to reviews subset v3"),
        case(
            "reviews-80-20",
            bookinfo_with("reviews-80-20"),
            POD,
            "http://reviews:9080/",
        )
        .reaches(reviews("v1"), Outcome::Success),
        case(
            "reviews-90-10",
            bookinfo_with("reviews-90-10"),
            POD,
            "http://reviews:9080/",
        )
        .reaches(reviews("v1"), Outcome::Success),
        case(
            "reviews-v3",
            bookinfo_with("reviews-v3"),
            POD,
            "http://reviews:9080/",
        )
        .reaches(reviews("v3"), Outcome::Success),
        case(
            "reviews-v2-v3",
            bookinfo_with("reviews-v2-v3"),
            POD,
            "http://reviews:9080/",
        )
        .reaches(reviews("v2"), Outcome::Success),
        case(
            "details-v2",
            bookinfo_with("details-v2"),
            POD,
            "http://details:9080/details/0",
        )
        .reaches(
            "outbound|9080|v2|details.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "ratings-db: ratings v2",
            bookinfo_with("ratings-db"),
            POD,
            "http://ratings:9080/ratings/0",
        )
        .reaches(
            "outbound|9080|v2|ratings.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "ratings-test-delay: a delay still answers",
            bookinfo_with("ratings-test-delay"),
            POD,
            "http://ratings:9080/ratings/0",
        )
        .headers(JASON)
        .route("VirtualService default/ratings http[0]")
        .reaches(
            "outbound|9080|v1|ratings.default.svc.cluster.local",
            Outcome::Success,
        ),
        case("ratings-test-abort: jason gets the injected 500", bookinfo_with("ratings-test-abort"), POD, "http://ratings:9080/ratings/0")
            .headers(JASON)
            .route("VirtualService default/ratings http[0]")
            .fails(Outcome::FaultAbort(500))
            .says("fault.abort answers 500 for 100% of requests"),
        case("ratings-test-abort: others reach ratings v1", bookinfo_with("ratings-test-abort"), POD, "http://ratings:9080/ratings/0")
            .route("VirtualService default/ratings http[1]")
            .reaches("outbound|9080|v1|ratings.default.svc.cluster.local", Outcome::Success),
        case("a mirror and retries are shown on the path", bookinfo_with("mirror-v2"), POD, "http://reviews:9080/")
            .reaches(reviews("v1"), Outcome::Success)
            .says("mirrors a copy to reviews subset v2; its answer is dropped.\nRetries: up to 3 more attempts"),
        case(
            "a subset no DestinationRule defines",
            rv(
                "reviews-v3",
                &mesh_vs(
                    "ratings",
                    "ratings",
                    "  - route:\n    - destination: {host: ratings, subset: v9}\n",
                ),
            ),
            POD,
            "http://ratings:9080/",
        )
        .fails(Outcome::NoCluster),
    ];
    assert!(check(cases) >= 22);
}

#[test]
fn istio_samples_httpbin_nginx_egress_helloworld_tcp_echo() {
    let httpbin = "outbound|8000||httpbin.default.svc.cluster.local";
    let cases = vec![
        case(
            "secure ingress: terminated, routed by http rules",
            httpbin_secure_ingress(),
            "gateway:mygateway",
            "https://httpbin.example.com/status/418",
        )
        .listener("Server 1 of Gateway default/mygateway (HTTPS, mode SIMPLE")
        .route("VirtualService default/httpbin http[0]")
        .reaches(httpbin, Outcome::Success),
        case(
            "secure ingress: a path no rule takes",
            httpbin_secure_ingress(),
            "gateway:mygateway",
            "https://httpbin.example.com/headers",
        )
        .fails(Outcome::NoRoute),
        case(
            "secure ingress: an SNI no server takes",
            httpbin_secure_ingress(),
            "gateway:mygateway",
            "https://other.example.com/status/200",
        )
        .fails(Outcome::ConnectionReset)
        .says("accepts SNI other.example.com"),
        case(
            "secure ingress: plaintext to the TLS port",
            httpbin_secure_ingress(),
            "gateway:mygateway",
            "http://httpbin.example.com:443/status/200",
        )
        .fails(Outcome::ConnectionReset),
        case(
            "SNI passthrough: tls rule by SNI",
            nginx_passthrough(),
            "gateway:mygateway",
            "https://nginx.example.com/",
        )
        .route("VirtualService default/nginx tls[0]")
        .reaches(
            "outbound|443||my-nginx.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "SNI passthrough: another SNI",
            nginx_passthrough(),
            "gateway:mygateway",
            "https://www.example.com/",
        )
        .fails(Outcome::ConnectionReset),
        case(
            "egress TLS origination: http on 80 leaves as TLS",
            egress_tls_origination(),
            POD,
            "http://edition.cnn.com/politics",
        )
        .reaches("outbound|80||edition.cnn.com", Outcome::Success)
        .says("TLS originated by the proxy"),
        case(
            "egress: https on 443 passes through",
            egress_tls_origination(),
            POD,
            "https://edition.cnn.com/politics",
        )
        .reaches("outbound|443||edition.cnn.com", Outcome::Success),
        case(
            "helloworld 90/10",
            helloworld(90, 10),
            "gateway:helloworld-gateway",
            "http://a.example.com/hello",
        )
        .route("VirtualService default/helloworld http[0]")
        .reaches(
            "outbound|5000|v1|helloworld.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "helloworld all v2",
            helloworld(0, 100),
            "gateway:helloworld-gateway",
            "http://a.example.com/hello",
        )
        .reaches(
            "outbound|5000|v2|helloworld.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "helloworld: another path",
            helloworld(50, 50),
            "gateway:helloworld-gateway",
            "http://a.example.com/",
        )
        .fails(Outcome::NoRoute),
        case(
            "tcp-echo all v1",
            tcp_echo(100, 0),
            "gateway:tcp-echo-gateway",
            "tcp://tcp-echo.example.com:31400",
        )
        .listener("Server 1 of Gateway default/tcp-echo-gateway (TCP")
        .route("VirtualService default/tcp-echo tcp[0]")
        .reaches(
            "outbound|9000|v1|tcp-echo.default.svc.cluster.local",
            Outcome::Proxied,
        ),
        case(
            "tcp-echo 20% to v2: the larger share",
            tcp_echo(20, 80),
            "gateway:tcp-echo-gateway",
            "tcp://tcp-echo.example.com:31400",
        )
        .reaches(
            "outbound|9000|v2|tcp-echo.default.svc.cluster.local",
            Outcome::Proxied,
        ),
        case(
            "tcp-echo: HTTP bytes on the TCP server are proxied too",
            tcp_echo(100, 0),
            "gateway:tcp-echo-gateway",
            "http://tcp-echo.example.com:31400/",
        )
        .reaches(
            "outbound|9000|v1|tcp-echo.default.svc.cluster.local",
            Outcome::Proxied,
        ),
        case(
            "tcp-echo: TLS bytes on the TCP server are proxied too",
            tcp_echo(100, 0),
            "gateway:tcp-echo-gateway",
            "tls://tcp-echo.example.com:31400",
        )
        .reaches(
            "outbound|9000|v1|tcp-echo.default.svc.cluster.local",
            Outcome::Proxied,
        ),
        case(
            "tcp-echo from a pod: the TCP port's default route",
            tcp_echo(100, 0),
            POD,
            "tcp://tcp-echo:9000",
        )
        .route("default")
        .reaches(
            "outbound|9000||tcp-echo.default.svc.cluster.local",
            Outcome::Proxied,
        ),
        case(
            "tcp-echo from a pod on its other port",
            tcp_echo(100, 0),
            POD,
            "tcp://tcp-echo:9001",
        )
        .reaches(
            "outbound|9001||tcp-echo.default.svc.cluster.local",
            Outcome::Proxied,
        ),
    ];
    assert!(check(cases) >= 17);
}

#[test]
fn the_seed_scenarios_broken_and_fixed() {
    let seed = example;
    let cases = vec![
        case(
            "double TLS",
            seed("double-tls.yaml"),
            POD,
            "https://httpbin.org/get",
        )
        .reaches("outbound|443||httpbin.org", Outcome::WrongVersionNumber),
        case(
            "double TLS, fixed",
            seed("double-tls.fixed.yaml"),
            POD,
            "http://httpbin.org:443/get",
        )
        .reaches("outbound|443||httpbin.org", Outcome::Success),
        case(
            "HTTPS to an HTTP port",
            seed("https-to-http-port.yaml"),
            POD,
            "https://httpbin.org/get",
        )
        .fails(Outcome::DownstreamProtocolError),
        case(
            "HTTPS to an HTTP port, fixed",
            seed("https-to-http-port.fixed.yaml"),
            POD,
            "https://httpbin.org/get",
        )
        .reaches("outbound|443||httpbin.org", Outcome::Success),
        case(
            "mTLS disabled",
            seed("mtls-disabled-by-destination-rule.yaml"),
            POD,
            "http://reviews:9080/",
        )
        .reaches(
            "outbound|9080||reviews.default.svc.cluster.local",
            Outcome::UpstreamFailure,
        ),
        case(
            "mTLS disabled, fixed",
            seed("mtls-disabled-by-destination-rule.fixed.yaml"),
            POD,
            "http://reviews:9080/",
        )
        .reaches(
            "outbound|9080||reviews.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "terminating gateway, tls rules",
            seed("tls-route-behind-terminating-gateway.yaml"),
            "gateway:istio-system/gateway",
            "https://myapp.example.com/hello",
        )
        .fails(Outcome::NoRoute),
        case(
            "terminating gateway, fixed",
            seed("tls-route-behind-terminating-gateway.fixed.yaml"),
            "gateway:istio-system/gateway",
            "https://myapp.example.com/hello",
        )
        .reaches("outbound|443||httpbin.org", Outcome::Success),
        case(
            "passthrough gateway, http rules",
            seed("http-route-behind-passthrough-gateway.yaml"),
            "gateway:default/gateway",
            "https://httpbin.example.com/",
        )
        .fails(Outcome::ConnectionReset),
        case(
            "passthrough gateway, fixed",
            seed("http-route-behind-passthrough-gateway.fixed.yaml"),
            "gateway:default/gateway",
            "https://httpbin.example.com/",
        )
        .route("VirtualService default/virtual-service tls[0]")
        .reaches("outbound|443||httpbin.org", Outcome::Success),
        case(
            "ingress bypasses subsets",
            seed("ingress-bypasses-mesh-subsets.yaml"),
            "gateway:default/myapp-gateway",
            "http://myapp.com/hello",
        )
        .reaches(
            "outbound|80||helloworld.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "ingress bypasses subsets, fixed",
            seed("ingress-bypasses-mesh-subsets.fixed.yaml"),
            "gateway:default/myapp-gateway",
            "http://myapp.com/hello",
        )
        .reaches(
            "outbound|80|v1|helloworld.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "shared certificate, reused connection",
            seed("gateways-share-certificate.yaml"),
            "gateway:default/gw1",
            "https://service2.test.com/",
        )
        .sni("service1.test.com")
        .listener("Gateway default/gw1")
        .fails(Outcome::NoRoute),
        case(
            "shared certificate, fixed",
            seed("gateways-share-certificate.fixed.yaml"),
            "gateway:default/gw1",
            "https://service2.test.com/",
        )
        .sni("service1.test.com")
        .reaches(
            "outbound|443||service2.default.svc.cluster.local",
            Outcome::Success,
        ),
    ];
    assert!(check(cases) >= 14);
}

#[test]
fn a_gateway_is_the_workload_its_selector_picks() {
    let seed = example("gateways-share-certificate.yaml");
    let conflict = r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-cert}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-new, creationTimestamp: "2024-06-01T00:00:00Z"}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-new-cert}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: plain}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [api.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop-new}
spec:
  hosts: [shop.example.com]
  gateways: [shop-new]
  http:
  - route:
    - destination: {host: shop, port: {number: 8080}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api.example.com]
  gateways: [plain]
  http:
  - route:
    - destination: {host: api, port: {number: 8080}}
"#;
    let cases = vec![
        case("gw2's server takes its own SNI when tracing from gw1", seed.clone(), "gateway:default/gw1", "https://service2.test.com/")
            .listener("Server 1 of Gateway default/gw2")
            .route("VirtualService default/vs2 http[0]")
            .reaches("outbound|443||service2.default.svc.cluster.local", Outcome::Success)
            .says("serves the servers of Gateway default/gw1, Gateway default/gw2"),
        case("gw1's own host from gw2", seed, "gateway:default/gw2", "https://service1.test.com/")
            .listener("Gateway default/gw1")
            .reaches("outbound|443||service1.default.svc.cluster.local", Outcome::Success),
        case("a repeated TLS host lands on the older Gateway's server", conflict.to_string(), "gateway:default/shop-new", "https://shop.example.com/")
            .listener("Server 1 of Gateway default/shop ")
            .fails(Outcome::NoRoute)
            .says("Istio leaves out server 1 of Gateway default/shop-new: it repeats host shop.example.com"),
        case("plain HTTP servers of one port share their routes", conflict.to_string(), "gateway:default/shop-new", "http://api.example.com/")
            .route("VirtualService default/api http[0]")
            .reaches("outbound|8080||api.default.svc.cluster.local", Outcome::Success),
        case("and the other Gateway's host on that port", conflict.to_string(), "gateway:default/plain", "http://shop.example.com/")
            .route("VirtualService default/shop-new http[0]")
            .reaches("outbound|8080||shop.default.svc.cluster.local", Outcome::Success),
    ];
    assert!(check(cases) >= 5);
}

#[test]
fn virtual_hosts_take_the_most_specific_domain_and_merge_oldest_first() {
    let mesh = r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wildcard}
spec:
  hosts: ["*.cluster.local"]
  http:
  - route:
    - destination: {host: catch-all}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: known}
spec:
  hosts: [known.default.svc.cluster.local]
  http:
  - route:
    - destination: {host: known, port: {number: 80}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: known-younger, creationTimestamp: "2030-01-01T00:00:00Z"}
spec:
  hosts: [known]
  http:
  - match: [{uri: {prefix: /only-here}}]
    route:
    - destination: {host: other, port: {number: 80}}
"#
    .to_string()
        + &service("known", &[("http", 80)])
        + &service("catch-all", &[("http", 80)])
        + &service("other", &[("http", 80)]);
    let gateway = r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: any}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route:
    - destination: {host: any, port: {number: 80}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop-wide}
spec:
  hosts: ["*.example.com"]
  gateways: [gw]
  http:
  - route:
    - destination: {host: wide, port: {number: 80}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop-b, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: web, port: {number: 80}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop-a, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /api}}]
    route:
    - destination: {host: api, port: {number: 80}}
"#;
    let cases = vec![
        case(
            "an exact host beats a wildcard that comes first",
            mesh.clone(),
            POD,
            "http://known.default.svc.cluster.local/",
        )
        .route("VirtualService default/known http[0]")
        .reaches(
            "outbound|80||known.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "the wildcard takes the other hosts",
            mesh.clone(),
            POD,
            "http://else.default.svc.cluster.local/",
        )
        .route("VirtualService default/wildcard http[0]")
        .reaches(
            "outbound|80||catch-all.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "a sidecar merges no VirtualServices: the younger one's rule is not in force",
            mesh,
            POD,
            "http://known/only-here",
        )
        .route("VirtualService default/known http[0]")
        .reaches(
            "outbound|80||known.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "gateway: the exact host first",
            gateway.to_string(),
            "gateway:gw",
            "http://shop.example.com/api/x",
        )
        .route("VirtualService default/shop-a http[0]")
        .reaches(
            "outbound|80||api.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "gateway: VirtualServices of one host merge oldest first",
            gateway.to_string(),
            "gateway:gw",
            "http://shop.example.com/web",
        )
        .route("VirtualService default/shop-b http[0]")
        .reaches(
            "outbound|80||web.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "gateway: then the longest wildcard",
            gateway.to_string(),
            "gateway:gw",
            "http://www.example.com/",
        )
        .route("VirtualService default/shop-wide http[0]")
        .reaches(
            "outbound|80||wide.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "gateway: `*` last",
            gateway.to_string(),
            "gateway:gw",
            "http://example.org/",
        )
        .route("VirtualService default/any http[0]")
        .reaches(
            "outbound|80||any.default.svc.cluster.local",
            Outcome::Success,
        ),
    ];
    assert!(check(cases) >= 7);
}

#[test]
fn tcp_routes_on_gateways_and_sidecars() {
    let gateway = |server: &str, rules: &str| {
        format!(
            "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n  selector: {{istio: ingressgateway}}\n  servers:\n{server}---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: db}}\nspec:\n  hosts: [\"*\"]\n  gateways: [gw]\n{rules}"
        ) + &service("db", &[("tcp", 5432)])
    };
    let tcp_server = "  - port: {number: 5432, name: tcp, protocol: TCP}\n    hosts: [\"*\"]\n";
    let to_db = "  tcp:\n  - match: [{port: 5432}]\n    route:\n    - destination: {host: db, port: {number: 5432}}\n";
    let terminated = "  - port: {number: 5433, name: tls, protocol: TLS}\n    hosts: [db.example.com]\n    tls: {mode: SIMPLE, credentialName: db-cert}\n";
    let mesh = service("mongo", &[("mongo", 27017)])
        + &service("mysql", &[("mysql", 3306)])
        + &service("redis", &[("redis", 6379)])
        + &service("redis-replica", &[("redis", 6379)])
        + &service("legacy", &[("", 7000)])
        + &subsets("mysql", &["primary"])
        + r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mysql}
spec:
  hosts: [mysql]
  tcp:
  - match: [{port: 3306, sourceLabels: {app: batch}}]
    route:
    - destination: {host: mysql, subset: primary}
  - match: [{destinationSubnets: [10.0.0.0/8]}]
    route:
    - destination: {host: redis}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: redis}
spec:
  hosts: [redis]
  tcp:
  - route:
    - destination: {host: redis-replica}
---
"#;
    let cases = vec![
        case("a TCP server proxies by its tcp rule", gateway(tcp_server, to_db), "gateway:gw", "tcp://db.example.com:5432")
            .route("VirtualService default/db tcp[0]")
            .reaches("outbound|5432||db.default.svc.cluster.local", Outcome::Proxied),
        case("no tcp rule for the port: the connection is reset", gateway(tcp_server, "  tcp:\n  - match: [{port: 6000}]\n    route:\n    - destination: {host: db, port: {number: 5432}}\n"), "gateway:gw", "tcp://db.example.com:5432")
            .fails(Outcome::ConnectionReset)
            .says("No `tcp` rule takes connections on port 5432"),
        case("http rules do not serve a TCP server", gateway(tcp_server, "  http:\n  - route:\n    - destination: {host: db, port: {number: 5432}}\n"), "gateway:gw", "tcp://db.example.com:5432")
            .fails(Outcome::ConnectionReset)
            .says("proxies connections by `tcp` rules only"),
        case("a TLS server terminating TLS proxies the plaintext by tcp rules", gateway(terminated, "  tcp:\n  - route:\n    - destination: {host: db, port: {number: 5432}}\n"), "gateway:gw", "tls://db.example.com:5433")
            .listener("(TLS, mode SIMPLE")
            .reaches("outbound|5432||db.default.svc.cluster.local", Outcome::Proxied)
            .says("terminates TLS and proxies the decrypted bytes"),
        case("a passthrough server does not use tcp rules", gateway("  - port: {number: 5433, name: tls, protocol: TLS}\n    hosts: [db.example.com]\n    tls: {mode: PASSTHROUGH}\n", "  tcp:\n  - route:\n    - destination: {host: db, port: {number: 5432}}\n"), "gateway:gw", "tls://db.example.com:5433")
            .fails(Outcome::ConnectionReset)
            .says("routes by SNI with `tls` rules only"),
        case("MONGO port: the default route proxies", mesh.clone(), POD, "tcp://mongo:27017")
            .listener("declares port 27017 as MONGO")
            .route("default")
            .reaches("outbound|27017||mongo.default.svc.cluster.local", Outcome::Proxied),
        case("HTTP sent to a MONGO port is proxied as bytes", mesh.clone(), POD, "http://mongo:27017/")
            .reaches("outbound|27017||mongo.default.svc.cluster.local", Outcome::Proxied),
        case("MYSQL: sourceLabels pick the first rule", mesh.clone(), POD, "tcp://mysql:3306")
            .labels(&[("app", "batch"), ("version", "v1")])
            .route("VirtualService default/mysql tcp[0]")
            .reaches("outbound|3306|primary|mysql.default.svc.cluster.local", Outcome::Proxied),
        case("MYSQL: other clients, destinationSubnets of a name do not match: the default route", mesh.clone(), POD, "tcp://mysql:3306")
            .route("default")
            .reaches("outbound|3306||mysql.default.svc.cluster.local", Outcome::Proxied)
            .says("the client has no label app=batch"),
        case("REDIS: a tcp rule without match", mesh.clone(), POD, "tcp://redis:6379")
            .route("VirtualService default/redis tcp[0]")
            .reaches("outbound|6379||redis-replica.default.svc.cluster.local", Outcome::Proxied),
        case("a port without protocol, TCP bytes: sniffed as TCP", mesh.clone(), POD, "tcp://legacy:7000")
            .reaches("outbound|7000||legacy.default.svc.cluster.local", Outcome::Proxied),
        case("a port without protocol, HTTP: sniffed as HTTP", mesh, POD, "http://legacy:7000/")
            .reaches("outbound|7000||legacy.default.svc.cluster.local", Outcome::Success),
    ];
    assert!(check(cases) >= 12);
}

#[test]
fn tls_ports_route_by_tls_rules_then_tcp_rules() {
    let input = r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api-eu}
spec:
  hosts: [api-eu.example.com, api-backup.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api.example.com]
  tls:
  - match: [{port: 443, sniHosts: [api.example.com]}]
    route:
    - destination: {host: api-eu.example.com, port: {number: 443}}
  tcp:
  - route:
    - destination: {host: api-backup.example.com, port: {number: 443}}
"#;
    let cases = vec![
        case(
            "the tls rule of the SNI",
            input.to_string(),
            POD,
            "tls://api.example.com:443",
        )
        .route("VirtualService default/api tls[0]")
        .reaches("outbound|443||api-eu.example.com", Outcome::Success),
        case(
            "another SNI falls to the tcp rule",
            input.to_string(),
            POD,
            "tls://api.example.com:443",
        )
        .sni("legacy.example.com")
        .route("VirtualService default/api tcp[0]")
        .reaches("outbound|443||api-backup.example.com", Outcome::Proxied),
    ];
    assert!(check(cases) >= 2);
}

#[test]
fn http_match_conditions() {
    let input = service("web", &[("http", 80)])
        + &service("api", &[("http", 80)])
        + &mesh_vs(
            "web",
            "web",
            r#"  - match: [{uri: {regex: "/api/v[0-9]+/.*"}}]
    route: [{destination: {host: api}}]
  - match: [{headers: {end-user: {regex: "jas.n"}}}]
    route: [{destination: {host: api, port: {number: 8080}}}]
  - match: [{queryParams: {debug: {exact: "1"}}}]
    route: [{destination: {host: api, port: {number: 8081}}}]
  - match: [{sourceLabels: {app: frontend}}]
    route: [{destination: {host: api, port: {number: 8082}}}]
  - match: [{sourceNamespace: batch}]
    route: [{destination: {host: api, port: {number: 8083}}}]
  - match: [{uri: {prefix: /internal}, withoutHeaders: {x-internal: {exact: "1"}}}]
    route: [{destination: {host: api, port: {number: 8084}}}]
  - route: [{destination: {host: web}}]
"#,
        );
    let rule = |n: usize| -> &'static str {
        [
            "VirtualService default/web http[0]",
            "VirtualService default/web http[1]",
            "VirtualService default/web http[2]",
            "VirtualService default/web http[3]",
            "VirtualService default/web http[4]",
            "VirtualService default/web http[5]",
            "VirtualService default/web http[6]",
        ][n]
    };
    let api = |port: u32| -> &'static str {
        match port {
            80 => "outbound|80||api.default.svc.cluster.local",
            8080 => "outbound|8080||api.default.svc.cluster.local",
            8081 => "outbound|8081||api.default.svc.cluster.local",
            8082 => "outbound|8082||api.default.svc.cluster.local",
            8083 => "outbound|8083||api.default.svc.cluster.local",
            _ => "outbound|8084||api.default.svc.cluster.local",
        }
    };
    let web = "outbound|80||web.default.svc.cluster.local";
    let cases = vec![
        case(
            "uri regex, whole path",
            input.clone(),
            POD,
            "http://web/api/v2/items",
        )
        .route(rule(0))
        .reaches(api(80), Outcome::Success),
        case(
            "uri regex must match all of the path",
            input.clone(),
            POD,
            "http://web/x/api/v2/items",
        )
        .route(rule(6))
        .reaches(web, Outcome::Success)
        .says("uri regex /api/v[0-9]+/.* does not match `/x/api/v2/items`"),
        case("header regex", input.clone(), POD, "http://web/")
            .headers(&[("end-user", "jason")])
            .route(rule(1))
            .reaches(api(8080), Outcome::Success),
        case(
            "header regex, full match",
            input.clone(),
            POD,
            "http://web/",
        )
        .headers(&[("end-user", "jasonb")])
        .route(rule(6))
        .reaches(web, Outcome::Success),
        case(
            "queryParams exact",
            input.clone(),
            POD,
            "http://web/?debug=1",
        )
        .route(rule(2))
        .reaches(api(8081), Outcome::Success),
        case(
            "queryParams, another value",
            input.clone(),
            POD,
            "http://web/?debug=10",
        )
        .route(rule(6))
        .reaches(web, Outcome::Success)
        .says("debug exact 1 does not match `10`"),
        case("sourceLabels", input.clone(), POD, "http://web/")
            .labels(&[("app", "frontend")])
            .route(rule(3))
            .reaches(api(8082), Outcome::Success),
        case(
            "sourceNamespace",
            input.clone(),
            "pod:batch",
            "http://web.default.svc.cluster.local/",
        )
        .route(rule(4))
        .reaches(api(8083), Outcome::Success),
        case(
            "withoutHeaders: absent",
            input.clone(),
            POD,
            "http://web/internal/x",
        )
        .route(rule(5))
        .reaches(api(8084), Outcome::Success),
        case(
            "withoutHeaders: present",
            input,
            POD,
            "http://web/internal/x",
        )
        .headers(&[("x-internal", "1")])
        .route(rule(6))
        .reaches(web, Outcome::Success)
        .says("withoutHeaders x-internal exact 1 matches `1`"),
    ];
    assert!(check(cases) >= 10);
}

#[test]
fn duplicates_externalname_aliases_and_conflicting_mesh_hosts() {
    let duplicate = bookinfo()
        + &mesh_vs(
            "reviews",
            "reviews",
            "  - match: [{headers: {end-user: {exact: jason}}}]\n    route: [{destination: {host: reviews, subset: v1}}]\n  - route: [{destination: {host: reviews, subset: v3}}]\n",
        )
        + &mesh_vs(
            "reviews",
            "reviews",
            "  - match: [{headers: {end-user: {exact: jason}}}]\n    route: [{destination: {host: reviews, subset: v2}}]\n  - route: [{destination: {host: reviews, subset: v1}}]\n",
        );
    let alias = bookinfo()
        + r#"apiVersion: v1
kind: Service
metadata: {name: legacy-reviews, namespace: shop}
spec:
  type: ExternalName
  externalName: reviews.default.svc.cluster.local
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: httpbin-ext}
spec:
  type: ExternalName
  externalName: httpbin.org
  ports: [{name: http, port: 80}]
---
"# + &mesh_vs(
        "reviews",
        "reviews",
        "  - route: [{destination: {host: reviews, subset: v2}}]\n",
    );
    let cases = vec![
        case(
            "duplicate documents: the last applied wins",
            duplicate.clone(),
            POD,
            "http://reviews:9080/",
        )
        .headers(JASON)
        .reaches(reviews("v2"), Outcome::Success),
        case(
            "duplicate documents: the rest by the last one too",
            duplicate,
            POD,
            "http://reviews:9080/",
        )
        .reaches(reviews("v1"), Outcome::Success),
        case(
            "ExternalName: the alias is routed as its target",
            alias.clone(),
            "pod:shop",
            "http://legacy-reviews:9080/",
        )
        .route("VirtualService default/reviews http[0]")
        .reaches(reviews("v2"), Outcome::Success)
        .says("is an ExternalName Service"),
        case(
            "ExternalName to an outside host",
            alias,
            POD,
            "http://httpbin-ext/get",
        )
        .route("default")
        .reaches("outbound|80||httpbin.org", Outcome::Success),
    ];
    assert!(check(cases) >= 4);
}

#[test]
fn redirects_direct_responses_and_rewrites() {
    let input = service("web", &[("http", 80)])
        + &mesh_vs(
            "web",
            "web",
            r#"  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, redirectCode: 308}
  - match: [{uri: {prefix: /moved}}]
    redirect: {uri: /new}
  - match: [{uri: {prefix: /down}}]
    directResponse: {status: 503, body: {string: maintenance}}
  - match: [{uri: {prefix: /v1}}]
    rewrite: {uri: /v2, authority: web-v2}
    route: [{destination: {host: web}}]
"#,
        );
    let cases = vec![
        case("redirectCode", input.clone(), POD, "http://web/old/page")
            .route("VirtualService default/web http[0]")
            .fails(Outcome::Redirect(308)),
        case(
            "a redirect is 301 by default",
            input.clone(),
            POD,
            "http://web/moved",
        )
        .fails(Outcome::Redirect(301)),
        case(
            "directResponse answers with its status",
            input.clone(),
            POD,
            "http://web/down",
        )
        .fails(Outcome::DirectResponse)
        .says("direct response (503)"),
        case(
            "rewrite is shown on the path",
            input,
            POD,
            "http://web/v1/items",
        )
        .reaches(
            "outbound|80||web.default.svc.cluster.local",
            Outcome::Success,
        )
        .says("rewrites the path prefix to `/v2` and the authority to `web-v2`"),
    ];
    assert!(check(cases) >= 4);
}

#[test]
fn auto_passthrough_routes_by_the_cluster_the_sni_names() {
    let east_west = bookinfo()
        + r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: cross-network-gateway, namespace: istio-system}
spec:
  selector: {istio: eastwestgateway}
  servers:
  - port: {number: 15443, name: tls, protocol: TLS}
    tls: {mode: AUTO_PASSTHROUGH}
    hosts: ["*.local"]
"#;
    let from = "gateway:istio-system/cross-network-gateway";
    let cases = vec![
        case(
            "the SNI names a subset's cluster",
            east_west.clone(),
            from,
            "tls://reviews.default.svc.cluster.local:15443",
        )
        .sni("outbound_.9080_.v2_.reviews.default.svc.cluster.local")
        .route("none")
        .reaches(reviews("v2"), Outcome::Success),
        case(
            "the SNI names the whole service's cluster",
            east_west.clone(),
            from,
            "tls://reviews.default.svc.cluster.local:15443",
        )
        .sni("outbound_.9080_._.reviews.default.svc.cluster.local")
        .reaches(
            "outbound|9080||reviews.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "a host name is not a cluster name",
            east_west.clone(),
            from,
            "tls://reviews.default.svc.cluster.local:15443",
        )
        .fails(Outcome::ConnectionReset)
        .says("AUTO_PASSTHROUGH has no filter chain"),
        case(
            "a port the Service does not have",
            east_west,
            from,
            "tls://reviews.default.svc.cluster.local:15443",
        )
        .sni("outbound_.80_._.reviews.default.svc.cluster.local")
        .fails(Outcome::ConnectionReset),
    ];
    assert!(check(cases) >= 4);
}

#[test]
fn the_tcp_echo_graph_reaches_tcp_echo_9000_with_no_dead_end() {
    let analysis = analyze(
        Sources::single("tcp-echo.yaml", tcp_echo(100, 0)),
        MeshSettings::default(),
    );
    let graph = topology::build(&analysis.mesh, &analysis.diagnostics);
    let dead: Vec<String> = graph
        .nodes
        .iter()
        .filter_map(|n| n.dead_end.as_ref().map(|why| format!("{}: {why}", n.key())))
        .collect();
    assert!(dead.is_empty(), "dead ends: {dead:?}");
    // The trace's path is the graph's: listener, tcp rule, destination tcp-echo:9000.
    let origin = Origin::parse("gateway:tcp-echo-gateway", "default").unwrap();
    let request = Request::new(origin, Url::parse("tcp://a.example.com:31400").unwrap());
    let trace = trace(&analysis.mesh, &request).unwrap();
    let keys = trace.node_keys();
    for pair in keys.windows(2) {
        let (from, to) = (
            graph.node_by_key(pair[0]).unwrap(),
            graph.node_by_key(pair[1]).unwrap(),
        );
        assert!(
            graph
                .edges
                .iter()
                .any(|e| e.from == from && e.to == to && e.dead.is_none()),
            "no live edge {} → {}",
            pair[0],
            pair[1]
        );
    }
    assert!(
        keys.iter()
            .any(|k| k.contains("tcp-echo.default.svc.cluster.local:9000")),
        "{keys:?}"
    );
}
