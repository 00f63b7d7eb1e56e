//! Requests from pods, through their sidecar: bookinfo's VirtualService variants, TCP and
//! TLS ports, match conditions, duplicates and ExternalName aliases, answers and rewrites.

use super::*;

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
            .says("fault.abort answers 500 for 100.0% of requests"),
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
fn a_host_only_a_destination_rule_names_listens_on_the_ports_it_is_called_on() {
    let input = r#"apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payments}
spec:
  host: payments
  trafficPolicy:
    portLevelSettings:
    - port: {number: 8443}
      tls: {mode: SIMPLE}
---
apiVersion: networking.istio.io/v1
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
metadata: {name: edge}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route:
    - destination: {host: payments, port: {number: 9080}}
"#;
    let cases = vec![
        case(
            "a port a route names",
            input.to_string(),
            POD,
            "http://payments:9080/",
        )
        .listener("outbound listener on port 9080")
        .route("default")
        .reaches(
            "outbound|9080||payments.default.svc.cluster.local",
            Outcome::Success,
        ),
        case(
            "a port its portLevelSettings name",
            input.to_string(),
            POD,
            "http://payments:8443/",
        )
        .listener("outbound listener on port 8443")
        .reaches(
            "outbound|8443||payments.default.svc.cluster.local",
            Outcome::Success,
        )
        .says("sets tls SIMPLE for port 8443"),
    ];
    assert!(check(cases) >= 2);
}
