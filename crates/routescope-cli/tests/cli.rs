//! The `routescope` binary as CI pipelines use it: output formats, fixes, exit codes.

mod support;

use std::path::Path;

use support::{GATEWAY_AND_VS, routescope, stderr, stdout, write};

#[test]
fn text_output_looks_like_rustc() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "vs.yaml", GATEWAY_AND_VS);
    let output = routescope(&["check", &file], None);
    assert_eq!(output.status.code(), Some(1), "a warning fails by default");
    let text = stdout(&output);
    let expected_head = format!(
        "warning[unknown-gateway]: VirtualService default/shop is bound to Gateway default/public, which is not in the input; a Gateway `public` exists in namespace istio-system (a bare name resolves in the VirtualService's namespace, default) (IST0101)\n --> {file}:7:14\n  |\n7 |   gateways: [public]\n  |              ^^^^^^\n  = fix (safe): Refer to `istio-system/public`\n"
    );
    assert!(text.starts_with(&expected_head), "{text}");
    assert!(
        text.ends_with("0 errors, 1 warning, 0 infos\nread 1 VirtualService, 1 Gateway\n"),
        "{text}"
    );
}

#[test]
fn json_output_keeps_the_contract() {
    let output = routescope(&["check", "--format", "json", "-"], Some(GATEWAY_AND_VS));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(
        report["summary"],
        serde_json::json!({"errors": 0, "warnings": 1, "infos": 0})
    );
    let diagnostic = &report["diagnostics"][0];
    let keys: Vec<&str> = diagnostic
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "check",
            "severity",
            "message",
            "istio_code",
            "condition",
            "file",
            "resource",
            "span",
            "related",
            "fixes"
        ]
    );
    assert_eq!(diagnostic["file"], "-");
    assert_eq!(
        diagnostic["resource"],
        serde_json::json!({"kind": "VirtualService", "namespace": "default", "name": "shop"})
    );
    // Line 7, column 14 in characters; the offset counts bytes (the comment holds 4 extra).
    let start = &diagnostic["span"]["start"];
    assert_eq!(
        (start["line"].as_u64(), start["column"].as_u64()),
        (Some(7), Some(14))
    );
    let offset = start["offset"].as_u64().unwrap() as usize;
    assert_eq!(&GATEWAY_AND_VS[offset..offset + 6], "public");
    let edit = &diagnostic["fixes"][0]["edits"][0];
    assert_eq!(diagnostic["fixes"][0]["applicability"], "safe");
    assert_eq!(edit["replacement"], "istio-system/public");
    assert_eq!(edit["start"].as_u64(), Some(offset as u64));
}

#[test]
fn fix_prints_yaml_that_checks_clean() {
    let output = routescope(&["check", "--fix", "-"], Some(GATEWAY_AND_VS));
    let fixed = stdout(&output);
    assert_eq!(
        fixed,
        GATEWAY_AND_VS.replace("gateways: [public]", "gateways: [istio-system/public]")
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let again = routescope(&["check", "-"], Some(&fixed));
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

#[test]
fn fix_write_rewrites_files_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "nested/vs.yml", GATEWAY_AND_VS);
    let untouched = write(dir.path(), "nested/readme.txt", "not yaml: [");
    let output = routescope(
        &[
            "check",
            "--fix",
            "--write",
            &dir.path().display().to_string(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("gateways: [istio-system/public]"));
    assert_eq!(std::fs::read_to_string(&untouched).unwrap(), "not yaml: [");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "no temporary file is left: {leftovers:?}"
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let info_only = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  hosts: [a]\n  gateways: [nowhere]\n";
    assert_eq!(
        routescope(&["check", "-"], Some(info_only)).status.code(),
        Some(0)
    );
    let complete = routescope(&["check", "--complete", "-"], Some(info_only));
    assert_eq!(
        complete.status.code(),
        Some(1),
        "with --complete it is a warning"
    );
    let never = routescope(
        &["check", "--complete", "--fail-on", "never", "-"],
        Some(info_only),
    );
    assert_eq!(never.status.code(), Some(0));
    let errors_only = routescope(
        &["check", "--complete", "--fail-on", "error", "-"],
        Some(info_only),
    );
    assert_eq!(errors_only.status.code(), Some(0));
    let syntax = routescope(&["check", "--fail-on", "error", "-"], Some("a: [\n"));
    assert_eq!(syntax.status.code(), Some(1));
    assert!(stdout(&syntax).contains("error[yaml-syntax]"));
}

#[test]
fn input_errors_exit_2_naming_the_file() {
    let missing = routescope(&["check", "/definitely/not/here.yaml"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/definitely/not/here.yaml"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.yaml");
    std::fs::write(&path, b"name: caf\xe9\n").unwrap();
    let binary = routescope(&["check", &path.display().to_string()], None);
    assert_eq!(binary.status.code(), Some(2));
    assert!(
        stderr(&binary).contains("latin1.yaml is not UTF-8"),
        "{}",
        stderr(&binary)
    );
    let usage = routescope(&["check"], None);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn checks_and_explain_document_every_check() {
    let list = stdout(&routescope(&["checks"], None));
    assert!(list.contains("unknown-gateway"));
    let docs = routescope(&["explain", "unknown-gateway"], None);
    assert_eq!(docs.status.code(), Some(0));
    let docs = stdout(&docs);
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Fix",
        "## Example",
        "IST0101",
    ] {
        assert!(docs.contains(section), "{section} missing from:\n{docs}");
    }
    let unknown = routescope(&["explain", "no-such-check"], None);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn help_documents_the_flags() {
    let help = stdout(&routescope(&["check", "--help"], None));
    for flag in [
        "--format",
        "--fix",
        "--unsafe-fixes",
        "--write",
        "--fail-on",
        "--namespace",
        "--auto-mtls",
        "--mtls",
        "--complete",
        "--quiet",
        "--color",
        "sarif",
        "github",
        "gitlab",
    ] {
        assert!(help.contains(flag), "{flag} not in --help");
    }
}

/// Seed examples whose fixes are unsafe by design, so `--fix` needs `--unsafe-fixes`: the
/// shared-certificate merge changes which Gateway serves which host; a ReferenceGrant opens a
/// namespace; the Gateway API route fixes change a route's kind or hostname, a listener's
/// certificate.
const UNSAFE_EXAMPLES: &[&str] = &[
    "gateways-share-certificate",
    "listeners-share-certificate",
    "reference-not-permitted",
    "route-hostname-mismatch",
    "route-kind-not-allowed",
];

/// `routescope check --fix` on each seed example prints YAML that `routescope check` finds
/// clean (with `--unsafe-fixes` for [`UNSAFE_EXAMPLES`]).
#[test]
fn fixing_the_seed_examples_leaves_them_clean() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(examples).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        // Fixed versions, and correct configurations shown as examples, have nothing to fix.
        if name.ends_with(".fixed.yaml") || text.contains("\n# expect: nothing\n") {
            continue;
        }
        let mut args = vec!["check", "--fix"];
        if UNSAFE_EXAMPLES
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            args.push("--unsafe-fixes");
        }
        args.push("-");
        let fixed = routescope(&args, Some(&text));
        let fixed = stdout(&fixed);
        assert_ne!(fixed, text, "{name}: --fix changed nothing");
        let again = routescope(&["check", "-"], Some(&fixed));
        assert_eq!(again.status.code(), Some(0), "{name}:\n{}", stdout(&again));
        checked += 1;
    }
    assert_eq!(
        checked, 12,
        "one broken example per seed mistake and its Gateway API forms"
    );
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn trace_shows_the_seed_symptom_and_exits_1_until_fixed() {
    let cases = [
        (
            "double-tls",
            "pod:default",
            "https://httpbin.org/get",
            "http://httpbin.org:443/get",
            "wrong version number",
        ),
        (
            "tls-route-behind-terminating-gateway",
            "gateway:istio-system/gateway",
            "https://myapp.example.com/",
            "https://myapp.example.com/",
            "404 NR",
        ),
        (
            "mtls-disabled-by-destination-rule",
            "pod:default",
            "http://reviews:9080/",
            "http://reviews:9080/",
            "503 UF",
        ),
    ];
    for (seed, from, url, fixed_url, symptom) in cases {
        let broken = routescope(
            &[
                "trace",
                &example(&format!("{seed}.yaml")),
                "--from",
                from,
                url,
            ],
            None,
        );
        assert_eq!(broken.status.code(), Some(1), "{seed}: {}", stdout(&broken));
        let text = stdout(&broken);
        assert!(
            text.lines().last().unwrap().starts_with(symptom),
            "{seed}:\n{text}"
        );
        assert!(
            text.contains(&format!("{seed}.yaml:")),
            "{seed}: steps name their YAML:\n{text}"
        );
        let fixed = routescope(
            &[
                "trace",
                &example(&format!("{seed}.fixed.yaml")),
                "--from",
                from,
                fixed_url,
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(
            fixed.status.code(),
            Some(0),
            "{seed}.fixed: {}",
            stdout(&fixed)
        );
        let json: serde_json::Value = serde_json::from_str(&stdout(&fixed)).unwrap();
        assert_eq!(json["outcome"]["code"], "200");
        assert!(
            json["outcome"]["cluster"]
                .as_str()
                .is_some_and(|c| c.starts_with("outbound|")),
            "{seed}.fixed: {}",
            json["outcome"]
        );
        assert_eq!(
            json["steps"].as_array().unwrap().last().unwrap()["stage"],
            "upstream"
        );
    }
}

#[test]
fn trace_names_the_cluster_envoy_picks_or_null() {
    let trace = |from: &str, url: &str, format: &str| {
        stdout(&routescope(
            &[
                "trace",
                &example("ingress-bypasses-mesh-subsets.fixed.yaml"),
                "--from",
                from,
                url,
                "--format",
                format,
            ],
            None,
        ))
    };
    let json: serde_json::Value = serde_json::from_str(&trace(
        "gateway:default/myapp-gateway",
        "http://myapp.com/hello",
        "json",
    ))
    .unwrap();
    assert_eq!(
        json["outcome"]["cluster"],
        "outbound|80|v1|helloworld.default.svc.cluster.local"
    );
    let text = trace(
        "gateway:default/myapp-gateway",
        "http://myapp.com/hello",
        "text",
    );
    assert!(
        text.contains("\ncluster: outbound|80|v1|helloworld.default.svc.cluster.local\n"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&trace(
        "gateway:default/myapp-gateway",
        "http://other.com/",
        "json",
    ))
    .unwrap();
    assert_eq!(json["outcome"]["code"], "404 NR");
    assert!(json["outcome"]["cluster"].is_null());
}

#[test]
fn trace_refuses_bad_requests_with_exit_2() {
    let seed = example("double-tls.yaml");
    let cases: [&[&str]; 4] = [
        &["trace", &seed, "--from", "node:x", "http://a/"],
        &["trace", &seed, "--from", "pod", "ftp://a/"],
        &["trace", &seed, "--from", "gateway:x/missing", "http://a/"],
        &["trace", "--from", "pod", "http://a/"],
    ];
    for args in cases {
        let output = routescope(args, None);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).starts_with("routescope: "),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn graph_prints_dot_json_and_svg() {
    let seed = example("double-tls.yaml");
    let dot = stdout(&routescope(&["graph", &seed], None));
    assert!(
        dot.starts_with("digraph traffic {") && dot.contains("TLS inside TLS"),
        "{dot}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&routescope(
        &["graph", &seed, "--format", "json"],
        None,
    )))
    .unwrap();
    let edges = json["edges"].as_array().unwrap();
    assert!(
        edges
            .iter()
            .any(|edge| edge["wire"] == "double" && edge["broken"] == true)
    );
    let nodes = json["nodes"].as_array().unwrap();
    assert!(nodes.iter().any(|node| {
        node["checks"]
            .as_array()
            .unwrap()
            .contains(&"double-tls".into())
    }));
    let svg = stdout(&routescope(&["graph", &seed, "--format", "svg"], None));
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
}

/// What the sidecar logs when the double-TLS example's mistake is live.
const UF_LINE: &str = r#"[2024-05-01T10:00:02.000Z] "GET /get HTTP/1.1" 503 UF,URX upstream_reset_before_response_started{connection_failure,TLS_error:_268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER} - "TLS_error:_268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER" 0 190 12 - "-" "curl/8.5.0" "e3a4b1f2-9c8d-4e7f-a6b5-c4d3e2f1a0b9" "httpbin.org" "3.223.37.81:443" outbound|443||httpbin.org 10.244.0.7:40100 3.223.37.81:443 10.244.0.7:51824 httpbin.org default"#;

#[test]
fn explain_log_names_the_flags_and_the_problem_that_produces_them() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/double-tls.yaml")
        .display()
        .to_string();
    let output = routescope(&["explain-log", &example, "--line", UF_LINE], None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "503 UF,URX: GET /get to httpbin.org\nUF    UpstreamConnectionFailure: Connecting to the upstream failed (503).\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("one side encrypts and the other does not"),
        "{text}"
    );
    let first_problem =
        "Can produce WRONG_VERSION_NUMBER, UF, URX; about httpbin.org.\nerror[double-tls]: ";
    assert!(text.contains(first_problem), "{text}");
    assert!(text.contains(&format!("--> {example}:24:13")), "{text}");
    let without_config = stdout(&routescope(&["explain-log", "--line", "UF"], None));
    assert!(
        without_config.contains("No configuration given"),
        "{without_config}"
    );
}

#[test]
fn explain_log_reads_the_line_from_standard_input_and_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "vs.yaml", GATEWAY_AND_VS);
    let output = routescope(
        &["explain-log", "--format", "json", &file],
        Some("NoRouteFound\n"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["line"], serde_json::Value::Null);
    assert_eq!(report["flags"][0]["short"], "NR");
    assert_eq!(report["flags"][0]["tcp"], true);
    let related = &report["related"][0];
    assert_eq!(related["produces"], serde_json::json!(["NR"]));
    assert_eq!(related["diagnostic"]["check"], "unknown-gateway");
    assert_eq!(related["diagnostic"]["file"], file.as_str());
    let line = routescope(
        &["explain-log", "--format", "json", "--line", UF_LINE],
        None,
    );
    let report: serde_json::Value = serde_json::from_slice(&line.stdout).unwrap();
    assert_eq!(
        report["line"]["upstream_cluster"],
        "outbound|443||httpbin.org"
    );
    assert_eq!(
        report["line"]["response_flags"],
        serde_json::json!(["UF", "URX"])
    );
    assert_eq!(
        report["line"]["upstream_service_time"],
        serde_json::Value::Null
    );
    assert_eq!(report["host"], "httpbin.org");
}

#[test]
fn explain_log_errors_exit_2_with_the_column() {
    let unknown = routescope(&["explain-log", "--line", "UF,XYZ"], None);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(
        stderr(&unknown),
        "routescope: the access log line, column 4: `XYZ` is not a response flag Envoy documents\n"
    );
    let both = routescope(&["explain-log", "-"], Some("UF"));
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr(&both).contains("pass the line with --line"));
    let missing = routescope(&["explain-log", "/no/such.yaml", "--line", "UF"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/no/such.yaml"));
}

/// Istio's bookinfo sample as Gateway API YAML (our own text): a Gateway of class `istio` with
/// one HTTP listener and the HTTPRoute that sends the product page's paths to productpage:9080.
const BOOKINFO_GATEWAY_API: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
  generation: 2
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Same
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bookinfo
spec:
  parentRefs:
  - name: bookinfo-gateway
  rules:
  - matches:
    - path: {type: Exact, value: /productpage}
    - path: {type: PathPrefix, value: /static}
    - path: {type: Exact, value: /login}
    backendRefs:
    - name: productpage
      port: 9080
---
apiVersion: v1
kind: Service
metadata: {name: productpage}
spec:
  ports:
  - {name: http, port: 9080}
"#;

/// A route the listener refuses (its hostname is not the listener's), one that names a
/// Gateway not in the input, and a ReferenceGrant (no status).
const REFUSED_ROUTES: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web}
spec:
  gatewayClassName: istio
  listeners:
  - {name: shop, port: 80, protocol: HTTP, hostname: shop.example.com}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: blog}
spec:
  hostnames: ["blog.example.com"]
  parentRefs:
  - {name: web, sectionName: shop}
  - {name: elsewhere}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-web}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}]
  to: [{group: "", kind: Service}]
"#;

fn status_json(yaml: &str) -> serde_json::Value {
    let output = routescope(&["status", "--format", "json", "-"], Some(yaml));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["version"], 1);
    report
}

/// `(type, status, reason)` of each condition, in order.
fn conditions(value: &serde_json::Value) -> Vec<(String, String, String)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap().to_string();
            (text("type"), text("status"), text("reason"))
        })
        .collect()
}

fn triples(expected: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn status_of_bookinfo_accepts_the_route_on_its_listener() {
    let report = status_json(BOOKINFO_GATEWAY_API);
    let resources = report["resources"].as_array().unwrap();
    assert_eq!(
        resources.len(),
        2,
        "only the Gateway API objects: {report:#}"
    );
    let gateway = &resources[0];
    assert_eq!(gateway["apiVersion"], "gateway.networking.k8s.io/v1");
    assert_eq!(gateway["kind"], "Gateway");
    assert_eq!(
        gateway["metadata"],
        serde_json::json!({"namespace": "default", "name": "bookinfo-gateway"})
    );
    let status = &gateway["status"];
    assert_eq!(
        conditions(&status["conditions"]),
        triples(&[
            ("Accepted", "True", "Accepted"),
            ("Programmed", "True", "Programmed")
        ])
    );
    let listener = &status["listeners"][0];
    assert_eq!(listener["name"], "http");
    assert_eq!(listener["attachedRoutes"], 1);
    assert_eq!(
        listener["supportedKinds"][0],
        serde_json::json!({"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"})
    );
    // Sorted by type, as Istio's setConditions writes them.
    assert_eq!(
        conditions(&listener["conditions"]),
        triples(&[
            ("Accepted", "True", "Accepted"),
            ("Conflicted", "False", "NoConflicts"),
            ("Programmed", "True", "Programmed"),
            ("ResolvedRefs", "True", "ResolvedRefs"),
        ])
    );
    // The Gateway says `generation: 2`; the route says nothing, so it gets no observedGeneration.
    assert_eq!(listener["conditions"][0]["observedGeneration"], 2);
    let route = &resources[1];
    assert_eq!(route["kind"], "HTTPRoute");
    let parents = route["status"]["parents"].as_array().unwrap();
    assert_eq!(parents.len(), 1);
    assert_eq!(
        parents[0]["parentRef"],
        serde_json::json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "bookinfo-gateway"})
    );
    assert_eq!(parents[0]["controllerName"], "istio.io/gateway-controller");
    assert_eq!(
        conditions(&parents[0]["conditions"]),
        triples(&[
            ("Accepted", "True", "Accepted"),
            ("ResolvedRefs", "True", "ResolvedRefs")
        ])
    );
    assert_eq!(parents[0]["conditions"][0]["message"], "Route was valid");
    assert!(
        parents[0]["conditions"][0]
            .get("observedGeneration")
            .is_none()
    );

    let yaml = routescope(&["status", "-"], Some(BOOKINFO_GATEWAY_API));
    assert_eq!(yaml.status.code(), Some(0));
    let yaml = stdout(&yaml);
    assert!(yaml.contains("\n    attachedRoutes: 1\n"), "{yaml}");
    assert!(
        yaml.contains("  - type: Accepted\n    status: \"True\"\n    observedGeneration: 2\n    reason: Accepted\n    message: Resource accepted\n"),
        "{yaml}"
    );
}

#[test]
fn status_shows_why_a_route_is_refused_and_skips_parents_istio_does_not_handle() {
    let report = status_json(REFUSED_ROUTES);
    let resources = report["resources"].as_array().unwrap();
    let parents = resources[1]["status"]["parents"].as_array().unwrap();
    // `elsewhere` is not in the input: Istio writes nothing for it.
    assert_eq!(parents.len(), 1, "{parents:#?}");
    assert_eq!(
        parents[0]["parentRef"],
        serde_json::json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web", "sectionName": "shop"})
    );
    let accepted = &parents[0]["conditions"][0];
    assert_eq!(accepted["type"], "Accepted");
    assert_eq!(accepted["status"], "False");
    assert_eq!(accepted["reason"], "NoMatchingListenerHostname");
    assert_eq!(
        accepted["message"],
        r#"no hostnames matched parent hostname "shop.example.com""#
    );
    assert_eq!(
        resources[0]["status"]["listeners"][0]["attachedRoutes"], 0,
        "the refused route does not count"
    );
    assert_eq!(resources[2]["kind"], "ReferenceGrant");
    assert_eq!(resources[2]["status"], serde_json::json!({}));

    let yaml = stdout(&routescope(&["status", "-"], Some(REFUSED_ROUTES)));
    assert!(
        yaml.contains("reason: NoMatchingListenerHostname\n"),
        "{yaml}"
    );
    assert!(!yaml.contains("elsewhere"), "{yaml}");
    assert!(yaml.ends_with("status: {}\n"), "{yaml}");
}

/// The YAML documents read back (with the core's own parser) as the JSON contract's objects.
#[test]
fn status_yaml_and_json_agree() {
    for input in [BOOKINFO_GATEWAY_API, REFUSED_ROUTES] {
        let json = status_json(input);
        let yaml = stdout(&routescope(
            &["status", "--format", "yaml", "-"],
            Some(input),
        ));
        let chunks = routescope_core::yaml::split_documents(&yaml);
        let documents: Vec<serde_json::Value> = chunks
            .into_iter()
            .flat_map(|range| {
                routescope_core::yaml::parse_documents(
                    &yaml[range.clone()],
                    routescope_core::source::FileId(0),
                    range.start,
                )
                .unwrap()
            })
            .map(|node| yaml_to_json(&node))
            .collect();
        assert_eq!(serde_json::Value::Array(documents), json["resources"]);
    }
}

fn yaml_to_json(node: &routescope_core::yaml::Node) -> serde_json::Value {
    use routescope_core::yaml::Value;
    match &node.value {
        Value::Scalar(scalar) if scalar.plain => scalar.text.parse::<i64>().map_or_else(
            |_| serde_json::json!(scalar.text.as_str()),
            |n| serde_json::json!(n),
        ),
        Value::Scalar(scalar) => serde_json::json!(scalar.text.as_str()),
        Value::Mapping(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|e| (e.key.as_str().unwrap().to_string(), yaml_to_json(&e.value)))
                .collect(),
        ),
        Value::Sequence(items) => items.iter().map(yaml_to_json).collect(),
    }
}

#[test]
fn status_input_errors_exit_2() {
    let missing = routescope(&["status", "/definitely/not/here.yaml"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/definitely/not/here.yaml"));
    let bad_format = routescope(&["status", "--format", "text", "-"], Some(""));
    assert_eq!(bad_format.status.code(), Some(2));
    let help = stdout(&routescope(&["status", "--help"], None));
    for flag in [
        "--format",
        "--namespace",
        "--complete",
        "observedGeneration",
    ] {
        assert!(help.contains(flag), "{flag} not in status --help");
    }
}

/// `routescope lsp` is the language server itself (the LSP crate's tests drive its library):
/// a client that opens a document gets the server's capabilities and the document's
/// diagnostics, and after shutdown and exit the server ends with status 0.
#[test]
fn lsp_subcommand_serves_the_language_server_protocol() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    fn send(to: &mut impl Write, body: &str) {
        write!(to, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        to.flush().unwrap();
    }
    fn receive(from: &mut impl BufRead) -> String {
        let mut length = 0;
        loop {
            let mut header = String::new();
            from.read_line(&mut header).unwrap();
            match header.trim_end().strip_prefix("Content-Length: ") {
                Some(n) => length = n.parse().unwrap(),
                None if header.trim_end().is_empty() => break,
                None => {}
            }
        }
        let mut body = vec![0; length];
        from.read_exact(&mut body).unwrap();
        String::from_utf8(body).unwrap()
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_routescope"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to = server.stdin.take().unwrap();
    let mut from = BufReader::new(server.stdout.take().unwrap());
    send(
        &mut to,
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
    );
    let initialized = receive(&mut from);
    assert!(initialized.contains("capabilities"), "{initialized}");
    send(
        &mut to,
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    );
    let text = serde_json::to_string(GATEWAY_AND_VS).unwrap();
    send(
        &mut to,
        &format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{{"uri":"file:///tmp/routescope-lsp-test/vs.yaml","languageId":"yaml","version":1,"text":{text}}}}}}}"#
        ),
    );
    let published = receive(&mut from);
    assert!(
        published.contains("textDocument/publishDiagnostics")
            && published.contains("unknown-gateway"),
        "{published}"
    );
    send(&mut to, r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#);
    assert!(receive(&mut from).contains(r#""id":2"#));
    send(&mut to, r#"{"jsonrpc":"2.0","method":"exit"}"#);
    assert!(server.wait().unwrap().success());
}
