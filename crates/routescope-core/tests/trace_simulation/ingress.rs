//! Requests from outside, through a gateway workload: Istio's ingress and egress samples,
//! the seed scenarios, merged Gateways, virtual-host precedence, AUTO_PASSTHROUGH.

use super::*;

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
