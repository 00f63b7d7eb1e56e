//! Requests through Kubernetes Gateways and the routes of the mesh: path and outcome.

use super::super::{Origin, Outcome, Request, Trace, Url, trace};
use crate::topology;
use crate::topology::Stage;
use crate::topology::gateway_api::tests::{
    HTTP_LISTENER, HTTPS_LISTENER, PASSTHROUGH_LISTENER, analysis, bookinfo, gateway,
    http_route_behind, service, tls_route_behind,
};

struct Case {
    name: &'static str,
    text: String,
    from: &'static str,
    url: &'static str,
    headers: &'static [(&'static str, &'static str)],
    outcome: Outcome,
    /// Words the explanation or a step must contain.
    says: &'static str,
}

fn case(
    name: &'static str,
    text: String,
    url: &'static str,
    outcome: Outcome,
    says: &'static str,
) -> Case {
    Case {
        name,
        text,
        from: "gateway:default/gw",
        url,
        headers: &[],
        outcome,
        says,
    }
}

fn run(case: &Case) -> Trace {
    let analysis = analysis(&case.text);
    let origin = Origin::parse(case.from, "default").unwrap();
    let mut request = Request::new(origin, Url::parse(case.url).unwrap());
    request.headers = case
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let trace = trace(&analysis.mesh, &request).unwrap_or_else(|e| panic!("{}: {e}", case.name));
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

fn check(cases: Vec<Case>) {
    for case in cases {
        let trace = run(&case);
        let steps: Vec<&str> = trace.steps.iter().map(|s| s.text.as_str()).collect();
        let text = format!("{}\n{}", steps.join("\n"), trace.explanation);
        assert_eq!(trace.outcome, case.outcome, "{}:\n{text}", case.name);
        assert!(
            text.contains(case.says),
            "{}: expected `{}` in\n{text}",
            case.name,
            case.says
        );
    }
}

fn route(name: &str, body: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: default}}\nspec:\n{body}---\n"
    )
}

#[test]
fn bookinfo_paths_reach_productpage_and_others_get_404() {
    check(vec![
        case(
            "exact path",
            bookinfo(),
            "http://bookinfo.example.com/productpage",
            Outcome::Success,
            "Destination productpage:9080.",
        ),
        case(
            "prefix path",
            bookinfo(),
            "http://bookinfo.example.com/static/style.css",
            Outcome::Success,
            "HTTPRoute default/bookinfo rule 1 (match 2) matches.",
        ),
        case(
            "a prefix matches whole segments",
            bookinfo(),
            "http://bookinfo.example.com/staticfiles",
            Outcome::NoRoute,
            "path PathPrefix /static does not match `/staticfiles`",
        ),
        case(
            "another path",
            bookinfo(),
            "http://bookinfo.example.com/reviews",
            Outcome::NoRoute,
            "No rule of the routes for bookinfo.example.com matches GET /reviews.",
        ),
        case(
            "a port without a listener",
            bookinfo(),
            "http://bookinfo.example.com:8080/productpage",
            Outcome::ConnectionRefused,
            "has no listener on port 8080",
        ),
    ]);
}

#[test]
fn the_seed_mistakes_in_gateway_api_form_show_their_symptom_and_their_fixes_succeed() {
    check(vec![
        case(
            "TLSRoute behind a terminating listener",
            tls_route_behind(HTTPS_LISTENER),
            "https://myapp.example.com/hello",
            Outcome::NoRoute,
            "TLSRoute default/httpbin is not attached to listener `https`: kind gateway.networking.k8s.io/v1alpha2/TLSRoute is not allowed (NotAllowedByListeners)",
        ),
        case(
            "TLSRoute behind a passthrough listener",
            tls_route_behind(PASSTHROUGH_LISTENER),
            "https://myapp.example.com/hello",
            Outcome::Success,
            "TLSRoute default/httpbin rule 1 takes SNI myapp.example.com",
        ),
        case(
            "HTTPRoute behind a passthrough listener",
            http_route_behind(PASSTHROUGH_LISTENER),
            "https://httpbin.example.com/",
            Outcome::ConnectionReset,
            "HTTPRoute default/httpbin is not attached to listener `tls`",
        ),
        case(
            "HTTPRoute behind a terminating listener",
            http_route_behind(HTTPS_LISTENER),
            "https://httpbin.example.com/",
            Outcome::Success,
            "the gateway terminates TLS",
        ),
        case(
            "plaintext to a TLS listener",
            http_route_behind(HTTPS_LISTENER),
            "http://httpbin.example.com:443/",
            Outcome::ConnectionReset,
            "expect TLS",
        ),
        case(
            "TLS to a plain HTTP listener",
            bookinfo(),
            "https://bookinfo.example.com:80/productpage",
            Outcome::WrongVersionNumber,
            "wrong version number",
        ),
    ]);
}

#[test]
fn precedence_filters_and_backends_follow_istio() {
    let ordered = format!(
        "{}{}{}",
        gateway(HTTP_LISTENER),
        route(
            "broad",
            "  parentRefs: [{name: gw}]\n  rules:\n  - matches: [{path: {type: PathPrefix, value: /api}}]\n    backendRefs: [{name: api-v1, port: 80}]\n  - matches:\n    - path: {type: PathPrefix, value: /api}\n      headers: [{name: X-Canary, value: \"yes\"}]\n    backendRefs: [{name: api-canary, port: 80}]\n  - matches: [{path: {type: RegularExpression, value: \"/v[0-9]+/.*\"}}]\n    backendRefs: [{name: api-v1, port: 80}]\n"
        ),
        route(
            "exact",
            "  parentRefs: [{name: gw}]\n  rules:\n  - matches: [{path: {type: Exact, value: /api/health}}]\n    backendRefs: [{name: health, port: 8080}]\n"
        ),
    );
    let filters = format!(
        "{}{}",
        gateway(HTTP_LISTENER),
        route(
            "web",
            "  parentRefs: [{name: gw}]\n  hostnames: [shop.example.com]\n  rules:\n  - matches: [{path: {value: /old}}]\n    filters:\n    - type: RequestRedirect\n      requestRedirect:\n        scheme: https\n        path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}\n  - matches: [{path: {value: /v1}}]\n    filters:\n    - type: URLRewrite\n      urlRewrite:\n        path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}\n    - type: RequestMirror\n      requestMirror: {backendRef: {name: shadow, port: 80}}\n    backendRefs: [{name: web, port: 80}]\n  - matches: [{path: {value: /empty}}]\n  - matches: [{path: {value: /split}}]\n    backendRefs:\n    - {name: web, port: 80, weight: 1}\n    - {name: web-canary, port: 80, weight: 3}\n  - matches: [{path: {value: /elsewhere}}]\n    backendRefs: [{name: web, namespace: other, port: 80}]\n  - matches: [{path: {value: /ext}}]\n    filters: [{type: ExtensionRef, extensionRef: {group: x.io, kind: Auth, name: a}}]\n"
        ),
    );
    let extension = filters.replace(
        "  - matches: [{path: {value: /ext}}]\n    filters: [{type: ExtensionRef, extensionRef: {group: x.io, kind: Auth, name: a}}]\n",
        "",
    );
    check(vec![
        case(
            "exact before prefix, across routes",
            ordered.clone(),
            "http://a.example.com/api/health",
            Outcome::Success,
            "HTTPRoute default/exact rule 1 matches.",
        ),
        Case {
            headers: &[("x-canary", "yes")],
            ..case(
                "a header match before the same prefix without one",
                ordered.clone(),
                "http://a.example.com/api/items",
                Outcome::Success,
                "Destination api-canary:80.",
            )
        },
        case(
            "an earlier entry's condition says why it did not match",
            ordered.clone(),
            "http://a.example.com/api/items",
            Outcome::Success,
            "the request has no X-Canary header",
        ),
        case(
            "a RegularExpression path must match the whole path (RE2 full match)",
            ordered.clone(),
            "http://a.example.com/v2/items",
            Outcome::Success,
            "HTTPRoute default/broad rule 3 matches",
        ),
        case(
            "a RegularExpression path that matches only a part does not match",
            ordered,
            "http://a.example.com/x/v2/items",
            Outcome::NoRoute,
            "rule 3 does not match: path RegularExpression /v[0-9]+/.* does not match `/x/v2/items`",
        ),
        case(
            "a redirect answers with its Location",
            extension.clone(),
            "http://shop.example.com/old/page?x=1",
            Outcome::Redirect(302),
            "Location https://shop.example.com/new/page?x=1",
        ),
        case(
            "a rewrite and a mirror are shown",
            extension.clone(),
            "http://shop.example.com/v1/items",
            Outcome::Success,
            "URLRewrite: the backend gets /v2/items.",
        ),
        case(
            "the mirror",
            extension.clone(),
            "http://shop.example.com/v1/items",
            Outcome::Success,
            "RequestMirror: a copy of the request goes to shadow:80",
        ),
        case(
            "a rule without backendRefs",
            extension.clone(),
            "http://shop.example.com/empty",
            Outcome::InternalError,
            "the rule has no backendRefs",
        ),
        case(
            "a split follows the largest share",
            extension.clone(),
            "http://shop.example.com/split",
            Outcome::Success,
            "Traffic is split: 25% to web:80, 75% to web-canary:80",
        ),
        case(
            "a Service not in the input is assumed to exist",
            extension.clone(),
            "http://shop.example.com/split",
            Outcome::Success,
            "(assuming Service default/web-canary exists: it is not in the input)",
        ),
        case(
            "a backend in another namespace without a ReferenceGrant",
            extension.clone(),
            "http://shop.example.com/elsewhere",
            Outcome::InternalError,
            "RefNotPermitted",
        ),
        case(
            "a route hostname the Host does not match",
            extension,
            "http://other.example.com/v1",
            Outcome::NoRoute,
            "No HTTPRoute attached to listener `http` has hostname other.example.com.",
        ),
        case(
            "an unsupported filter drops the route",
            filters,
            "http://shop.example.com/v1",
            Outcome::NoRoute,
            "Istio drops the route (InvalidFilter: unsupported filter type \"ExtensionRef\")",
        ),
    ]);
}

#[test]
fn the_most_specific_listener_hostname_takes_the_request() {
    let listeners = "  - {name: wild, port: 80, protocol: HTTP, hostname: \"*.example.com\"}\n  - {name: foo, port: 80, protocol: HTTP, hostname: foo.example.com}\n";
    let text = format!(
        "{}{}{}",
        gateway(listeners),
        route(
            "any",
            "  parentRefs: [{name: gw, sectionName: wild}]\n  rules:\n  - backendRefs: [{name: any, port: 80}]\n"
        ),
        route(
            "foo",
            "  parentRefs: [{name: gw, sectionName: foo}]\n  rules:\n  - backendRefs: [{name: foo, port: 80}]\n"
        ),
    );
    check(vec![
        case(
            "the exact hostname",
            text.clone(),
            "http://foo.example.com/",
            Outcome::Success,
            "Listener `foo` of Gateway default/gw",
        ),
        case(
            "the wildcard",
            text.clone(),
            "http://bar.example.com/",
            Outcome::Success,
            "Destination any:80.",
        ),
        case(
            "neither",
            text,
            "http://example.org/",
            Outcome::NoRoute,
            "has a hostname that covers Host example.org",
        ),
    ]);
}

#[test]
fn tcp_routes_grpc_methods_and_routes_of_the_mesh() {
    let tcp = format!(
        "{}apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {{name: db, namespace: default}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs: [{{name: postgres, port: 5432}}]\n---\n{}",
        gateway("  - {name: db, port: 5432, protocol: TCP}\n"),
        service("postgres", "tcp-postgres", 5432)
    );
    let grpc = format!(
        "{}apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {{name: echo, namespace: default}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - matches: [{{method: {{service: echo.Echo, method: Say}}}}]\n    backendRefs: [{{name: echo, port: 7070}}]\n---\n",
        gateway(HTTP_LISTENER)
    );
    let mesh = format!(
        "{}{}",
        service("reviews", "http", 9080),
        route(
            "reviews",
            "  parentRefs: [{group: \"\", kind: Service, name: reviews}]\n  rules:\n  - matches: [{headers: [{name: end-user, value: jason}]}]\n    backendRefs: [{name: reviews-v2, port: 9080}]\n  - backendRefs: [{name: reviews-v1, port: 9080}]\n"
        )
    );
    check(vec![
        case(
            "a TCPRoute forwards the connection",
            tcp,
            "http://db.example.com:5432/",
            Outcome::Success,
            "TCPRoute default/db rule 1 takes the connection.",
        ),
        case(
            "a GRPCRoute method",
            grpc.clone(),
            "http://echo.example.com/echo.Echo/Say",
            Outcome::Success,
            "Destination echo:7070.",
        ),
        case(
            "another GRPC method",
            grpc,
            "http://echo.example.com/echo.Echo/Shout",
            Outcome::NoRoute,
            "method echo.Echo/Say does not match `/echo.Echo/Shout`",
        ),
        Case {
            from: "pod:default",
            headers: &[("end-user", "jason")],
            ..case(
                "a route of the mesh for a pod",
                mesh.clone(),
                "http://reviews:9080/",
                Outcome::Success,
                "Destination reviews-v2:9080.",
            )
        },
        Case {
            from: "pod:default",
            ..case(
                "its catch-all rule",
                mesh,
                "http://reviews:9080/",
                Outcome::Success,
                "Destination reviews-v1:9080.",
            )
        },
    ]);
}

#[test]
fn a_successful_trace_walks_every_stage_and_gateways_istio_does_not_run_are_refused() {
    let case = case(
        "bookinfo",
        bookinfo(),
        "http://bookinfo.example.com/login",
        Outcome::Success,
        "",
    );
    let trace = run(&case);
    let mut stages: Vec<Stage> = trace
        .steps
        .iter()
        .filter(|s| s.node.is_some())
        .map(|s| s.stage)
        .collect();
    // `/productpage` is tried first (the longer Exact path), then `/login` matches.
    assert_eq!(stages.iter().filter(|s| **s == Stage::Rule).count(), 2);
    stages.dedup();
    assert_eq!(stages, Stage::ALL);

    let foreign =
        analysis(&bookinfo().replace("gatewayClassName: istio", "gatewayClassName: nginx"));
    let request = Request::new(
        Origin::parse("gateway:default/gw", "default").unwrap(),
        Url::parse("http://a/").unwrap(),
    );
    let error = super::super::trace(&foreign.mesh, &request).unwrap_err();
    assert!(error.contains("GatewayClass `nginx`"), "{error}");

    let (origin, url) = super::super::suggest(&analysis(&bookinfo()).mesh).unwrap();
    assert_eq!(
        (origin.to_string(), url),
        (
            "gateway:default/gw".to_string(),
            "http://example.com/".to_string()
        )
    );
}
