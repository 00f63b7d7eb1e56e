//! The inputs of the simulation table: Istio's samples written from their documented shape
//! (bookinfo with its VirtualService variants, httpbin, helloworld, tcp-echo, nginx
//! passthrough, egress TLS origination) and small inputs for one behaviour each.

/// A Kubernetes Service in `default` with one port per `(name, number)`.
pub fn service(name: &str, ports: &[(&str, u32)]) -> String {
    let ports: Vec<String> = ports
        .iter()
        .map(|(port_name, number)| {
            if port_name.is_empty() {
                format!("  - {{port: {number}}}")
            } else {
                format!("  - {{name: {port_name}, port: {number}}}")
            }
        })
        .collect();
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, labels: {{app: {name}}}}}\nspec:\n  selector: {{app: {name}}}\n  ports:\n{}\n---\n",
        ports.join("\n")
    )
}

/// A DestinationRule in `default` defining subsets `subsets` (labelled `version: <name>`).
pub fn subsets(host: &str, subsets: &[&str]) -> String {
    let list: Vec<String> = subsets
        .iter()
        .map(|s| format!("  - {{name: {s}, labels: {{version: {s}}}}}"))
        .collect();
    format!(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: {host}}}\nspec:\n  host: {host}\n  subsets:\n{}\n---\n",
        list.join("\n")
    )
}

/// Bookinfo: its four Services, `destination-rule-all`, the `bookinfo-gateway` Gateway and
/// the `bookinfo` VirtualService of the ingress.
pub fn bookinfo() -> String {
    let mut text = String::new();
    for name in ["productpage", "details", "ratings", "reviews"] {
        text.push_str(&service(name, &[("http", 9080)]));
    }
    text.push_str(&subsets("productpage", &["v1"]));
    text.push_str(&subsets("reviews", &["v1", "v2", "v3"]));
    text.push_str(&subsets(
        "ratings",
        &["v1", "v2", "v2-mysql", "v2-mysql-vm"],
    ));
    text.push_str(&subsets("details", &["v1", "v2"]));
    text.push_str(
        r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - match:
    - uri: {exact: /productpage}
    - uri: {prefix: /static}
    - uri: {exact: /login}
    - uri: {exact: /logout}
    - uri: {prefix: /api/v1/products}
    route:
    - destination: {host: productpage, port: {number: 9080}}
---
"#,
    );
    text
}

/// A mesh VirtualService named `name` for `host` with these `http` rules (YAML, indented as
/// list items under `http:`).
pub fn mesh_vs(name: &str, host: &str, http: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {name}}}\nspec:\n  hosts: [{host}]\n  http:\n{http}---\n"
    )
}

/// Bookinfo with one of its `virtual-service-*.yaml` variants applied.
pub fn bookinfo_with(variant: &str) -> String {
    let route = |host: &str, subset: &str| {
        mesh_vs(
            host,
            host,
            &format!("  - route:\n    - destination: {{host: {host}, subset: {subset}}}\n"),
        )
    };
    let jason = |then: &str, otherwise: &str| {
        mesh_vs(
            "reviews",
            "reviews",
            &format!(
                "  - match:\n    - headers: {{end-user: {{exact: jason}}}}\n    route:\n    - destination: {{host: reviews, subset: {then}}}\n  - route:\n    - destination: {{host: reviews, subset: {otherwise}}}\n"
            ),
        )
    };
    let split = |a: &str, wa: u32, b: &str, wb: u32| {
        mesh_vs(
            "reviews",
            "reviews",
            &format!(
                "  - route:\n    - destination: {{host: reviews, subset: {a}}}\n      weight: {wa}\n    - destination: {{host: reviews, subset: {b}}}\n      weight: {wb}\n"
            ),
        )
    };
    let variant_text = match variant {
        "all-v1" => ["productpage", "reviews", "ratings", "details"]
            .iter()
            .map(|host| route(host, "v1"))
            .collect(),
        "reviews-test-v2" => jason("v2", "v1"),
        "reviews-jason-v2-v3" => jason("v2", "v3"),
        "reviews-50-v3" => split("v1", 50, "v3", 50),
        "reviews-80-20" => split("v1", 80, "v2", 20),
        "reviews-90-10" => split("v1", 90, "v2", 10),
        "reviews-v2-v3" => split("v2", 50, "v3", 50),
        "reviews-v3" => route("reviews", "v3"),
        "details-v2" => route("details", "v2"),
        "ratings-db" => route("reviews", "v3") + &route("ratings", "v2"),
        "ratings-test-delay" => mesh_vs(
            "ratings",
            "ratings",
            "  - match:\n    - headers: {end-user: {exact: jason}}\n    fault:\n      delay: {percentage: {value: 100.0}, fixedDelay: 7s}\n    route:\n    - destination: {host: ratings, subset: v1}\n  - route:\n    - destination: {host: ratings, subset: v1}\n",
        ),
        "ratings-test-abort" => mesh_vs(
            "ratings",
            "ratings",
            "  - match:\n    - headers: {end-user: {exact: jason}}\n    fault:\n      abort: {percentage: {value: 100.0}, httpStatus: 500}\n    route:\n    - destination: {host: ratings, subset: v1}\n  - route:\n    - destination: {host: ratings, subset: v1}\n",
        ),
        "mirror-v2" => mesh_vs(
            "reviews",
            "reviews",
            "  - route:\n    - destination: {host: reviews, subset: v1}\n    mirror: {host: reviews, subset: v2}\n    retries: {attempts: 3, perTryTimeout: 2s}\n",
        ),
        other => panic!("no bookinfo variant {other}"),
    };
    bookinfo() + &variant_text
}

/// httpbin behind a TLS-terminating ingress (`secure ingress`).
pub fn httpbin_secure_ingress() -> String {
    service("httpbin", &[("http", 8000)])
        + r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mygateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: httpbin-credential}
    hosts: [httpbin.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin.example.com]
  gateways: [mygateway]
  http:
  - match:
    - uri: {prefix: /status}
    - uri: {prefix: /delay}
    route:
    - destination: {host: httpbin, port: {number: 8000}}
"#
}

/// nginx behind an ingress that passes TLS through by SNI (`ingress SNI passthrough`).
pub fn nginx_passthrough() -> String {
    service("my-nginx", &[("https", 443)])
        + r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mygateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: PASSTHROUGH}
    hosts: [nginx.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: nginx}
spec:
  hosts: [nginx.example.com]
  gateways: [mygateway]
  tls:
  - match:
    - port: 443
      sniHosts: [nginx.example.com]
    route:
    - destination: {host: my-nginx, port: {number: 443}}
"#
}

/// Egress TLS origination: plain HTTP on port 80 leaves the sidecar as TLS to 443.
pub fn egress_tls_origination() -> String {
    r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: edition-cnn-com}
spec:
  hosts: [edition.cnn.com]
  ports:
  - {number: 80, name: http-port, protocol: HTTP, targetPort: 443}
  - {number: 443, name: https-port, protocol: HTTPS}
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: edition-cnn-com}
spec:
  host: edition.cnn.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE}
"#
    .to_string()
}

/// helloworld with subsets v1 and v2, its ingress Gateway and `weights` for v1/v2.
pub fn helloworld(v1: u32, v2: u32) -> String {
    service("helloworld", &[("http", 5000)])
        + &subsets("helloworld", &["v1", "v2"])
        + &format!(
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: helloworld-gateway}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 80, name: http, protocol: HTTP}}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: helloworld}}
spec:
  hosts: ["*"]
  gateways: [helloworld-gateway]
  http:
  - match:
    - uri: {{exact: /hello}}
    route:
    - destination: {{host: helloworld, port: {{number: 5000}}, subset: v1}}
      weight: {v1}
    - destination: {{host: helloworld, port: {{number: 5000}}, subset: v2}}
      weight: {v2}
"#
        )
}

/// tcp-echo: a TCP Gateway server on 31400 and a `tcp` route to tcp-echo:9000, by subset
/// weights (`tcp-echo-all-v1`, `tcp-echo-20-v2`).
pub fn tcp_echo(v1: u32, v2: u32) -> String {
    service("tcp-echo", &[("tcp", 9000), ("tcp-other", 9001)])
        + &subsets("tcp-echo", &["v1", "v2"])
        + &format!(
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: tcp-echo-gateway}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 31400, name: tcp, protocol: TCP}}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: tcp-echo}}
spec:
  hosts: ["*"]
  gateways: [tcp-echo-gateway]
  tcp:
  - match:
    - port: 31400
    route:
    - destination: {{host: tcp-echo, port: {{number: 9000}}, subset: v1}}
      weight: {v1}
    - destination: {{host: tcp-echo, port: {{number: 9000}}, subset: v2}}
      weight: {v2}
"#
        )
}
