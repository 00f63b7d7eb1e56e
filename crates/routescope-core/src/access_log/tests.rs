use super::*;
use crate::checks;
use crate::settings::MeshSettings;
use crate::source::Sources;

fn analysis(config: &str) -> Analysis {
    crate::analyze(
        Sources::single("config.yaml", config),
        MeshSettings::default(),
    )
}

fn line(pasted: &str) -> LogLine {
    match parse(pasted) {
        Ok(Pasted::Line(line)) => *line,
        other => panic!("not read as a line: {other:?}"),
    }
}

fn shorts(flags: &[&ResponseFlag]) -> Vec<&'static str> {
    flags.iter().map(|flag| flag.short).collect()
}

const DEFAULT_EXAMPLE: &str =
    include_str!("../../../../examples/tls-route-behind-terminating-gateway.yaml");
const DOUBLE_TLS: &str = include_str!("../../../../examples/double-tls.yaml");
const HTTPS_TO_HTTP_PORT: &str = include_str!("../../../../examples/https-to-http-port.yaml");
const MTLS_DISABLED: &str =
    include_str!("../../../../examples/mtls-disabled-by-destination-rule.yaml");

/// The example a check must flag (its docs show it).
fn bad_example(check: &str) -> &'static str {
    checks::find(check).unwrap().bad_example
}

/// A seed symptom: a configuration, the access log line its mistake produces, and the
/// diagnostic the explanation must name first.
struct Symptom {
    name: &'static str,
    config: fn() -> &'static str,
    line: &'static str,
    flags: &'static [&'static str],
    first_check: &'static str,
    produces: &'static [&'static str],
    same_host: bool,
}

const SYMPTOMS: &[Symptom] = &[
    Symptom {
        name: "404 NR: the gateway does not accept the VirtualService's host",
        config: || bad_example("host-not-in-gateway"),
        line: r#"[2024-05-01T10:00:00.000Z] "GET /cart HTTP/1.1" 404 NR route_not_found - "-" 0 0 0 - "203.0.113.7" "curl/8.5.0" "0b1c6b53-7f0e-4a47-9d8a-6a0f5c2b9e11" "example.com" "-" - - 10.244.0.5:8080 203.0.113.7:52314 - -"#,
        flags: &["NR"],
        first_check: "host-not-in-gateway",
        produces: &["NR"],
        same_host: true,
    },
    Symptom {
        name: "404 NR: tls routes behind a gateway that terminates TLS (the default example)",
        config: || DEFAULT_EXAMPLE,
        line: r#"[2024-05-01T10:00:01.000Z] "GET /get HTTP/2" 404 NR route_not_found - "-" 0 0 0 - "203.0.113.7" "curl/8.5.0" "5d2c0c0e-1f3a-4d55-8d7e-0c6f3c9b2a10" "httpbin.example.com" "-" - - 10.244.0.5:8443 203.0.113.7:52316 httpbin.example.com -"#,
        flags: &["NR"],
        first_check: "tls-route-behind-terminating-gateway",
        produces: &["NR"],
        same_host: true,
    },
    Symptom {
        name: "503 UF with a TLS error: TLS originated for a port that is already TLS",
        config: || DOUBLE_TLS,
        line: r#"[2024-05-01T10:00:02.000Z] "GET /get HTTP/1.1" 503 UF,URX upstream_reset_before_response_started{connection_failure,TLS_error:_268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER} - "TLS_error:_268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER" 0 190 12 - "-" "curl/8.5.0" "e3a4b1f2-9c8d-4e7f-a6b5-c4d3e2f1a0b9" "httpbin.org" "3.223.37.81:443" outbound|443||httpbin.org 10.244.0.7:40100 3.223.37.81:443 10.244.0.7:51824 httpbin.org default"#,
        flags: &["UF", "URX"],
        first_check: "double-tls",
        produces: &["WRONG_VERSION_NUMBER", "UF", "URX"],
        same_host: true,
    },
    Symptom {
        name: "503 UH: the route's subset is defined nowhere",
        config: || bad_example("unknown-subset"),
        line: r#"[2024-05-01T10:00:03.000Z] "GET /reviews/0 HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "python-requests/2.31.0" "7a9e5c3b-2d1f-4e8a-b6c4-9f0e1d2c3b4a" "reviews:9080" "-" outbound|9080|v3|reviews.default.svc.cluster.local - 10.96.1.10:9080 10.244.0.12:51234 - default"#,
        flags: &["UH"],
        first_check: "unknown-subset",
        produces: &["UH"],
        same_host: true,
    },
    Symptom {
        name: "400 DPE: HTTPS sent to a port declared HTTP",
        config: || HTTPS_TO_HTTP_PORT,
        line: r#"[2024-05-01T10:00:04.000Z] "- - HTTP/1.1" 400 DPE http1.codec_error - "-" 0 11 0 - "-" "-" "-" "-" "-" - - 3.223.37.81:443 10.244.0.7:48012 - -"#,
        flags: &["DPE"],
        first_check: "https-to-http-port",
        produces: &["codec_error", "DPE"],
        same_host: false,
    },
    Symptom {
        name: "503 UC: plaintext to a STRICT mTLS workload",
        config: || MTLS_DISABLED,
        line: r#"[2024-05-01T10:00:05.000Z] "GET /reviews/0 HTTP/1.1" 503 UC upstream_reset_before_response_started{connection_termination} - "-" 0 95 1 - "-" "python-requests/2.31.0" "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f" "reviews:9080" "10.244.0.15:9080" outbound|9080||reviews.default.svc.cluster.local 10.244.0.12:43210 10.96.5.5:9080 10.244.0.12:51234 - default"#,
        flags: &["UC"],
        first_check: "mtls-disabled-by-destination-rule",
        produces: &["connection_termination", "UC"],
        same_host: true,
    },
];

#[test]
fn seed_symptoms_name_the_diagnostic_behind_them() {
    for symptom in SYMPTOMS {
        let analysis = analysis((symptom.config)());
        let pasted = parse(symptom.line).unwrap_or_else(|e| panic!("{}: {e}", symptom.name));
        let explanation = explain(&pasted, &analysis);
        assert_eq!(
            shorts(&explanation.flags),
            symptom.flags,
            "{}",
            symptom.name
        );
        let first = explanation
            .related
            .first()
            .unwrap_or_else(|| panic!("{}: nothing related", symptom.name));
        let diagnostic = &analysis.diagnostics[first.diagnostic];
        assert_eq!(diagnostic.check, symptom.first_check, "{}", symptom.name);
        assert_eq!(first.produces, symptom.produces, "{}", symptom.name);
        assert_eq!(first.same_host, symptom.same_host, "{}", symptom.name);
        assert!(
            explanation.checks.contains(&symptom.first_check),
            "{}: {:?}",
            symptom.name,
            explanation.checks
        );
    }
}

#[test]
fn the_tls_error_is_told_once_and_ranks_the_matching_check_first() {
    let analysis = analysis(DOUBLE_TLS);
    let explanation = explain(&parse(SYMPTOMS[2].line).unwrap(), &analysis);
    let told = explanation
        .facts
        .iter()
        .filter(|fact| fact.contains("one side encrypts and the other does not"))
        .count();
    assert_eq!(told, 1, "{:#?}", explanation.facts);
    assert!(
        explanation.facts.iter().any(|f| f
            == "Upstream cluster `outbound|443||httpbin.org`: outbound to httpbin.org port 443."),
        "{:#?}",
        explanation.facts
    );
    assert_eq!(explanation.host.as_deref(), Some("httpbin.org"));
    // The CA check can produce UF too, but matches no evidence: it comes after.
    let checks: Vec<&str> = explanation
        .related
        .iter()
        .map(|r| analysis.diagnostics[r.diagnostic].check)
        .collect();
    assert_eq!(checks, ["double-tls", "tls-origination-without-ca"]);
    assert!(explanation.related[0].by_evidence);
    assert!(!explanation.related[1].by_evidence);
    assert_eq!(
        explanation.related[1].why,
        "Can produce UF, URX; about httpbin.org."
    );
}

#[test]
fn a_diagnostic_about_the_same_host_is_listed_after_those_that_can_produce_the_line() {
    // The default example's mistake gives 404 NR, not UF; it is shown as being about the host.
    let analysis = analysis(DEFAULT_EXAMPLE);
    let explanation = explain(&parse(SYMPTOMS[2].line).unwrap(), &analysis);
    let related = &explanation.related;
    assert_eq!(related.len(), 1);
    assert_eq!(
        analysis.diagnostics[related[0].diagnostic].check,
        "tls-route-behind-terminating-gateway"
    );
    assert!(related[0].produces.is_empty() && related[0].same_host);
    assert_eq!(related[0].why, "About httpbin.org, the line's host.");
}

#[test]
fn nothing_is_related_to_another_host_by_its_host_alone() {
    let analysis = analysis(DEFAULT_EXAMPLE);
    let other = SYMPTOMS[2]
        .line
        .replace("httpbin.org", "api.example.net")
        .replace("UF,URX", "UT");
    let explanation = explain(&parse(&other).unwrap(), &analysis);
    assert_eq!(explanation.related, []);
    assert_eq!(explanation.host.as_deref(), Some("api.example.net"));
}

/// Envoy's response flags (short, long), as Envoy's `CORE_RESPONSE_FLAGS` lists them.
const ENVOY_FLAGS: &[(&str, &str)] = &[
    ("LH", "FailedLocalHealthCheck"),
    ("UH", "NoHealthyUpstream"),
    ("UT", "UpstreamRequestTimeout"),
    ("LR", "LocalReset"),
    ("UR", "UpstreamRemoteReset"),
    ("UF", "UpstreamConnectionFailure"),
    ("UC", "UpstreamConnectionTermination"),
    ("UO", "UpstreamOverflow"),
    ("NR", "NoRouteFound"),
    ("DI", "DelayInjected"),
    ("FI", "FaultInjected"),
    ("RL", "RateLimited"),
    ("UAEX", "UnauthorizedExternalService"),
    ("RLSE", "RateLimitServiceError"),
    ("DC", "DownstreamConnectionTermination"),
    ("URX", "UpstreamRetryLimitExceeded"),
    ("SI", "StreamIdleTimeout"),
    ("IH", "InvalidEnvoyRequestHeaders"),
    ("DPE", "DownstreamProtocolError"),
    ("UMSDR", "UpstreamMaxStreamDurationReached"),
    ("RFCF", "ResponseFromCacheFilter"),
    ("NFCF", "NoFilterConfigFound"),
    ("DT", "DurationTimeout"),
    ("UPE", "UpstreamProtocolError"),
    ("NC", "NoClusterFound"),
    ("OM", "OverloadManagerTerminated"),
    ("DF", "DnsResolutionFailed"),
    ("DO", "DropOverload"),
    ("DR", "DownstreamRemoteReset"),
    ("UDO", "UnconditionalDropOverload"),
];

#[test]
fn every_flag_envoy_documents_is_explained_by_both_names() {
    assert_eq!(RESPONSE_FLAGS.len(), ENVOY_FLAGS.len());
    for (short, long) in ENVOY_FLAGS {
        let by_short = ResponseFlag::find(short).unwrap_or_else(|| panic!("{short} is missing"));
        assert_eq!(by_short.long, *long);
        assert_eq!(ResponseFlag::find(long), Some(by_short));
        assert_eq!(
            ResponseFlag::find(&long.to_ascii_lowercase()),
            Some(by_short)
        );
        let sentence = |text: &str| text.len() > 20 && text.ends_with('.');
        assert!(
            sentence(by_short.meaning),
            "{short}: its meaning is not a sentence"
        );
        assert!(
            by_short.in_istio.is_empty() || sentence(by_short.in_istio),
            "{short}: its Istio hint is not a sentence"
        );
    }
}

#[test]
fn every_check_named_for_a_flag_or_evidence_exists() {
    let named = RESPONSE_FLAGS
        .iter()
        .flat_map(|flag| flag.checks.iter())
        .chain(EVIDENCE.iter().flat_map(|e| e.checks.iter()));
    for id in named {
        assert!(checks::find(id).is_some(), "no check `{id}`");
    }
}

#[test]
fn a_flags_field_alone_is_read() {
    let read = |text: &str| parse(text).map(|p| shorts(p.flags()));
    assert_eq!(read("UF,URX"), Ok(vec!["UF", "URX"]));
    assert_eq!(read("  uf,NoRouteFound\n"), Ok(vec!["UF", "NR"]));
    assert_eq!(read("-"), Ok(vec![]));
    assert_eq!(read("UF,UF"), Ok(vec!["UF"]));
    let explanation = explain(
        &parse("NR").unwrap(),
        &analysis(bad_example("host-not-in-gateway")),
    );
    assert_eq!(explanation.host, None);
    assert_eq!(explanation.facts, Vec::<String>::new());
    let related = &explanation.related[0];
    assert_eq!(
        (related.produces.as_slice(), related.same_host),
        (["NR"].as_slice(), false)
    );
}

#[test]
fn unknown_flags_and_malformed_lines_say_where() {
    let error = |text: &str| parse(text).unwrap_err();
    let cases: &[(&str, usize, &str)] = &[
        ("UF,XYZ", 4, "`XYZ` is not a response flag Envoy documents"),
        ("  UF,,URX", 6, "an empty response flag"),
        ("", 1, "paste an Envoy access log line"),
        ("UF\nNR", 3, "one access log line at a time"),
        (r#"{"response_flags": "UF"}"#, 1, "JSON access log entry"),
        (
            "GET /index.html 404",
            1,
            "expected the start time in brackets",
        ),
        ("[2024-05-01T10:00:00.000Z 404", 1, "never closed"),
        (
            "[2024-05-01T10:00:00.000Z] 404 NR",
            28,
            "expected the quoted request",
        ),
        (
            r#"[2024-05-01T10:00:00.000Z] "GET / HTTP/1.1" abc NR"#,
            45,
            "expected the response code (a number), found `abc`",
        ),
        (
            r#"[2024-05-01T10:00:00.000Z] "GET / HTTP/1.1" 503 UF,BOGUS - -"#,
            52,
            "`BOGUS` is not a response flag",
        ),
        (
            r#"[2024-05-01T10:00:00.000Z] "GET / HTTP/1.1" 503 UF - - "-" 0 0"#,
            63,
            "the line ends before the duration: Istio's default format has 20 fields",
        ),
        (
            r#"[2024-05-01T10:00:00.000Z] "GET / HTTP/1.1" 503 UF - - - 0 0"#,
            56,
            "expected the upstream_transport_failure_reason in quotes, found `-`",
        ),
        (
            r#"[2024-05-01T10:00:00.000Z] "GET / HTTP/1.1 404"#,
            28,
            "this quoted field is never closed",
        ),
    ];
    for (text, column, message) in cases {
        let error = error(text);
        assert_eq!(error.column, *column, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
    }
    assert_eq!(
        error("UF,XYZ").to_string(),
        "column 4: `XYZ` is not a response flag Envoy documents"
    );
}

#[test]
fn every_field_of_a_line_is_read() {
    let read = line(SYMPTOMS[5].line);
    assert_eq!(read.response_code, Some(503));
    assert_eq!(shorts(&read.response_flags), ["UC"]);
    let values: Vec<(&str, Option<&str>)> = Field::ALL
        .iter()
        .map(|&field| (field.name(), read.get(field)))
        .collect();
    assert_eq!(
        values,
        [
            ("start_time", Some("2024-05-01T10:00:05.000Z")),
            ("method", Some("GET")),
            ("path", Some("/reviews/0")),
            ("protocol", Some("HTTP/1.1")),
            (
                "response_code_details",
                Some("upstream_reset_before_response_started{connection_termination}")
            ),
            ("connection_termination_details", None),
            ("upstream_transport_failure_reason", None),
            ("bytes_received", Some("0")),
            ("bytes_sent", Some("95")),
            ("duration", Some("1")),
            ("upstream_service_time", None),
            ("x_forwarded_for", None),
            ("user_agent", Some("python-requests/2.31.0")),
            ("request_id", Some("c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f")),
            ("authority", Some("reviews:9080")),
            ("upstream_host", Some("10.244.0.15:9080")),
            (
                "upstream_cluster",
                Some("outbound|9080||reviews.default.svc.cluster.local")
            ),
            ("upstream_local_address", Some("10.244.0.12:43210")),
            ("downstream_local_address", Some("10.96.5.5:9080")),
            ("downstream_remote_address", Some("10.244.0.12:51234")),
            ("requested_server_name", None),
            ("route_name", Some("default")),
        ]
    );
}

#[test]
fn lines_of_istio_before_1_9_tcp_lines_and_kubectl_prefixes_are_read() {
    // Istio 1.3 to 1.8: no details fields; a user agent with spaces and quotes.
    let old = line(
        r#"[2020-11-13T15:57:44.123Z] "GET /status/418 HTTP/1.1" 418 - "-" 0 135 4 3 "-" "Mozilla/5.0 (X11; "quoted")" "9d3b0a2e" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.default.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"#,
    );
    assert_eq!(old.response_code, Some(418));
    assert_eq!(old.get(Field::ResponseCodeDetails), None);
    assert_eq!(
        old.get(Field::UserAgent),
        Some(r#"Mozilla/5.0 (X11; "quoted")"#)
    );
    assert_eq!(old.get(Field::Authority), Some("httpbin:8000"));
    assert_eq!(old.get(Field::RouteName), Some("default"));
    let tcp = line(
        r#"[2024-05-01T10:00:06.000Z] "- - -" 0 UF,URX - - "-" 0 0 1 - "-" "-" "-" "-" "-" outbound|443||api.example.com - 240.240.0.1:443 10.244.0.7:40100 api.example.com -"#,
    );
    assert_eq!((tcp.get(Field::Method), tcp.response_code), (None, Some(0)));
    assert_eq!(shorts(&tcp.response_flags), ["UF", "URX"]);
    let prefixed = line(&format!(
        "[pod/sleep-7f8d/istio-proxy] 2024-05-01T10:00:05.000123456Z {}",
        SYMPTOMS[5].line
    ));
    assert_eq!(prefixed, line(SYMPTOMS[5].line));
}

#[test]
fn facts_read_the_code_the_details_and_the_cluster() {
    let analysis = analysis("");
    let facts = |pasted: &str| explain(&parse(pasted).unwrap(), &analysis).facts;
    let upstream_503 = facts(
        r#"[2024-05-01T10:00:07.000Z] "GET /api HTTP/1.1" 503 - via_upstream - "-" 0 20 3 2 "-" "curl/8.5.0" "id-1" "api:8080" "10.244.0.9:8080" outbound|8080||api.default.svc.cluster.local 10.244.0.7:4444 10.96.0.9:8080 10.244.0.7:5555 - default"#,
    );
    assert!(upstream_503[0].starts_with("No response flag: Envoy did not produce the 503"));
    assert_eq!(
        upstream_503[1],
        "Response code details `via_upstream`: the upstream sent this response code; Envoy passed it on."
    );
    let black_hole = facts(
        r#"[2024-05-01T10:00:08.000Z] "GET / HTTP/1.1" 502 - direct_response - "-" 0 0 0 - "-" "curl/8.5.0" "id-2" "example.net" "-" BlackHoleCluster - 93.184.216.34:80 10.244.0.7:5556 - block_all"#,
    );
    assert!(
        black_hole[1].ends_with("Response code details `direct_response`."),
        "{black_hole:#?}"
    );
    assert!(black_hole[2].contains("REGISTRY_ONLY"), "{black_hole:#?}");
    let inbound = facts(
        r#"[2024-05-01T10:00:09.000Z] "GET / HTTP/1.1" 0 DC downstream_remote_disconnect - "-" 0 0 5 - "-" "curl/8.5.0" "id-3" "reviews:9080" "10.244.0.15:9080" inbound|9080|| 127.0.0.6:4321 10.244.0.15:9080 10.244.0.12:51234 outbound_.9080_._.reviews.default.svc.cluster.local default"#,
    );
    assert_eq!(
        inbound[0],
        "Response code 0: no response reached the client."
    );
    assert!(inbound[2].contains("inbound, to the workload behind this sidecar on port 9080"));
}

#[test]
fn the_host_comes_from_the_cluster_then_the_sni_then_the_authority() {
    let host = |pasted: &str| line_host(&line(pasted));
    let base = SYMPTOMS[5].line;
    assert_eq!(
        host(base).as_deref(),
        Some("reviews.default.svc.cluster.local")
    );
    let inbound = base.replace(
        "outbound|9080||reviews.default.svc.cluster.local",
        "inbound|9080||",
    );
    assert_eq!(host(&inbound).as_deref(), Some("reviews"));
    let with_sni = inbound.replace(
        " - default",
        " outbound_.9080_._.ratings.prod.svc.cluster.local default",
    );
    assert_eq!(
        host(&with_sni).as_deref(),
        Some("ratings.prod.svc.cluster.local")
    );
    assert!(host_matches("reviews.default.svc.cluster.local", "reviews"));
    assert!(!host_matches(
        "reviewsx.default.svc.cluster.local",
        "reviews"
    ));
    assert!(host_matches("*.example.com", "httpbin.example.com"));
}

#[test]
fn cluster_names_are_read_as_istio_writes_them() {
    assert_eq!(
        cluster_parts("outbound|9080|v3|reviews.default.svc.cluster.local"),
        Some([
            "outbound",
            "9080",
            "v3",
            "reviews.default.svc.cluster.local"
        ])
    );
    assert_eq!(
        cluster_parts("inbound|8080||"),
        Some(["inbound", "8080", "", ""])
    );
    assert_eq!(cluster_parts("PassthroughCluster"), None);
    assert_eq!(cluster_parts("outbound|443"), None);
    assert_eq!(sni_host("outbound_.443_._.httpbin.org"), "httpbin.org");
    assert_eq!(sni_host("shop.example.com"), "shop.example.com");
    let analysis = analysis("");
    let facts = |cluster: &str| {
        let pasted = SYMPTOMS[5]
            .line
            .replace("outbound|9080||reviews.default.svc.cluster.local", cluster);
        explain(&parse(&pasted).unwrap(), &analysis).facts
    };
    assert!(
        facts("outbound|9080|v3|reviews.default.svc.cluster.local").contains(
            &"Upstream cluster `outbound|9080|v3|reviews.default.svc.cluster.local`: outbound to reviews.default.svc.cluster.local port 9080, subset v3.".to_string()
        )
    );
    assert!(
        facts("PassthroughCluster")
            .iter()
            .any(|f| f.contains("ALLOW_ANY"))
    );
}
