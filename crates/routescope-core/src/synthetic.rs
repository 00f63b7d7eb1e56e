//! Generated meshes: in realistic proportions, for benchmarks (criterion natively, the
//! keystroke benchmark in the browser) and tests that need large inputs; and with the seed
//! mistakes planted at known bytes in random formatting, for the property tests.

/// A mesh in realistic proportions, in units of ten resources that alternate between Istio's
/// API and the Kubernetes Gateway API (the first unit is Istio's):
///
/// - an Istio unit: one Gateway (two servers), four VirtualServices (three HTTP routes with
///   matches, weights and subsets), three DestinationRules (two subsets, a TLS policy) and two
///   ServiceEntries;
/// - a Gateway API unit: one Gateway (HTTP, HTTPS, TLS passthrough and TCP listeners), three
///   HTTPRoutes (matches, weights, a redirect, a backend in another namespace), a TLSRoute, a
///   TCPRoute, the ReferenceGrant the cross-namespace backends need, and the three Services
///   every backendRef names.
///
/// So about a third of a large mesh is Gateway API objects, and every reference resolves: the
/// mesh is clean.
pub fn generate(resources: usize) -> String {
    let mut text = String::new();
    for unit in 0..resources.div_ceil(10) {
        if unit % 2 == 0 {
            istio_unit(&mut text, unit);
        } else {
            gateway_api_unit(&mut text, unit);
        }
    }
    text
}

fn istio_unit(text: &mut String, unit: usize) {
    let ns = format!("team{}", unit % 50);
    text.push_str(&format!(
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw{unit}\n  namespace: {ns}\nspec:\n  selector:\n    istio: ingressgateway\n  servers:\n  - port:\n      number: 443\n      name: https\n      protocol: HTTPS\n    hosts:\n    - \"*.app{unit}.example.com\"\n    tls:\n      mode: SIMPLE\n      credentialName: app{unit}-cert\n  - port:\n      number: 80\n      name: http\n      protocol: HTTP\n    hosts:\n    - \"*.app{unit}.example.com\"\n    tls:\n      httpsRedirect: true\n---\n"
    ));
    for vs in 0..4 {
        let svc = format!("svc{unit}-{vs}");
        text.push_str(&format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {svc}\n  namespace: {ns}\nspec:\n  hosts:\n  - {svc}.app{unit}.example.com\n  gateways:\n  - gw{unit}\n  http:\n  - match:\n    - uri:\n        prefix: /api/v2\n      headers:\n        x-canary:\n          exact: \"true\"\n    route:\n    - destination:\n        host: svc{unit}-{}\n        subset: v2\n  - match:\n    - uri:\n        prefix: /api\n    route:\n    - destination:\n        host: svc{unit}-{}\n        subset: v1\n      weight: 90\n    - destination:\n        host: svc{unit}-{}\n        subset: v2\n      weight: 10\n    retries:\n      attempts: 3\n  - route:\n    - destination:\n        host: svc{unit}-{}\n        subset: v1\n---\n",
            vs % 3, vs % 3, vs % 3, vs % 3
        ));
    }
    for dr in 0..3 {
        text.push_str(&format!(
            "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: svc{unit}-{dr}\n  namespace: {ns}\nspec:\n  host: svc{unit}-{dr}\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n    connectionPool:\n      tcp:\n        maxConnections: 100\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n  - name: v2\n    labels:\n      version: v2\n---\n"
        ));
    }
    for se in 0..2 {
        text.push_str(&format!(
            "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext{unit}-{se}\n  namespace: {ns}\nspec:\n  hosts:\n  - api{se}.partner{unit}.com\n  location: MESH_EXTERNAL\n  ports:\n  - number: 443\n    name: https\n    protocol: HTTPS\n  resolution: DNS\n---\n"
        ));
    }
}

/// Seven Gateway API objects and three Services; the routes and their Services are in
/// `team*`, the store Service in `shared*`, where a ReferenceGrant admits the routes.
fn gateway_api_unit(text: &mut String, unit: usize) {
    const API: &str = "apiVersion: gateway.networking.k8s.io/v1";
    let ns = format!("team{}", unit % 50);
    let shared = format!("shared{}", unit % 50);
    let hosts = format!("edge{unit}.example.com");
    text.push_str(&format!(
        "{API}\nkind: Gateway\nmetadata:\n  name: edge{unit}\n  namespace: {ns}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: http\n    hostname: \"*.{hosts}\"\n    port: 80\n    protocol: HTTP\n  - name: https\n    hostname: \"*.{hosts}\"\n    port: 443\n    protocol: HTTPS\n    tls:\n      mode: Terminate\n      certificateRefs:\n      - name: edge{unit}-cert\n  - name: tls\n    hostname: \"*.tls{unit}.example.com\"\n    port: 8443\n    protocol: TLS\n    tls:\n      mode: Passthrough\n  - name: tcp\n    port: 9000\n    protocol: TCP\n---\n"
    ));
    let route = |name: &str, section: &str, hostname: &str, rules: &str| {
        format!(
            "{API}\nkind: HTTPRoute\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  parentRefs:\n  - name: edge{unit}\n    sectionName: {section}\n  hostnames:\n  - {hostname}\n  rules:\n{rules}---\n"
        )
    };
    text.push_str(&route(
        &format!("web{unit}"),
        "https",
        &format!("web.{hosts}"),
        &format!("  - matches:\n    - path:\n        type: PathPrefix\n        value: /api/v2\n      headers:\n      - name: x-canary\n        value: \"true\"\n    backendRefs:\n    - name: web{unit}-canary\n      port: 8080\n  - matches:\n    - path:\n        type: PathPrefix\n        value: /api\n    backendRefs:\n    - name: web{unit}\n      port: 8080\n      weight: 90\n    - name: web{unit}-canary\n      port: 8080\n      weight: 10\n  - backendRefs:\n    - name: web{unit}\n      port: 8080\n"),
    ));
    text.push_str(&route(
        &format!("web{unit}-redirect"),
        "http",
        &format!("web.{hosts}"),
        "  - filters:\n    - type: RequestRedirect\n      requestRedirect:\n        scheme: https\n        statusCode: 301\n",
    ));
    text.push_str(&route(
        &format!("store{unit}"),
        "https",
        &format!("store.{hosts}"),
        &format!("  - matches:\n    - path:\n        type: PathPrefix\n        value: /cart\n      method: POST\n    filters:\n    - type: RequestHeaderModifier\n      requestHeaderModifier:\n        add:\n        - name: x-team\n          value: {ns}\n    backendRefs:\n    - name: store{unit}\n      namespace: {shared}\n      port: 8080\n"),
    ));
    text.push_str(&format!(
        "{API}\nkind: TLSRoute\nmetadata:\n  name: secure{unit}\n  namespace: {ns}\nspec:\n  parentRefs:\n  - name: edge{unit}\n    sectionName: tls\n  hostnames:\n  - secure.tls{unit}.example.com\n  rules:\n  - backendRefs:\n    - name: web{unit}\n      port: 8443\n---\n"
    ));
    text.push_str(&format!(
        "{API}\nkind: TCPRoute\nmetadata:\n  name: db{unit}\n  namespace: {ns}\nspec:\n  parentRefs:\n  - name: edge{unit}\n    sectionName: tcp\n  rules:\n  - backendRefs:\n    - name: store{unit}\n      namespace: {shared}\n      port: 5432\n---\n"
    ));
    text.push_str(&format!(
        "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: allow-edge{unit}\n  namespace: {shared}\nspec:\n  from:\n  - group: gateway.networking.k8s.io\n    kind: HTTPRoute\n    namespace: {ns}\n  - group: gateway.networking.k8s.io\n    kind: TCPRoute\n    namespace: {ns}\n  to:\n  - group: \"\"\n    kind: Service\n    name: store{unit}\n---\n"
    ));
    let service = |name: String, namespace: &str, ports: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  selector:\n    app: {name}\n  ports:\n{ports}---\n"
        )
    };
    text.push_str(&service(
        format!("web{unit}"),
        &ns,
        "  - name: http\n    port: 8080\n  - name: https\n    port: 8443\n",
    ));
    text.push_str(&service(
        format!("web{unit}-canary"),
        &ns,
        "  - name: http\n    port: 8080\n",
    ));
    text.push_str(&service(
        format!("store{unit}"),
        &shared,
        "  - name: http\n    port: 8080\n  - name: tcp-db\n    port: 5432\n",
    ));
}

/// A small deterministic random generator (splitmix64), so a generated input is reproduced
/// from its seed alone: the planted meshes below and the fuzz targets' mutator use it.
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// The mistakes of the seed documents, each planted by [`planted_mesh`] as the `examples/`
/// file named after its check shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedMistake {
    TlsRouteBehindTerminatingGateway,
    HttpRouteBehindPassthroughGateway,
    DoubleTls,
    HttpsToHttpPort,
    MtlsDisabledByDestinationRule,
    IngressBypassesMeshSubsets,
    GatewaysShareCertificate,
    /// The Gateway API forms of the first two: a TLSRoute on an HTTPS listener, which
    /// terminates TLS, and an HTTPRoute on a TLS Passthrough listener.
    TlsRouteOnHttpsListener,
    HttpRouteOnPassthroughListener,
    /// An HTTPRoute whose hostname intersects no hostname of its listener.
    RouteHostnameMismatch,
}

impl SeedMistake {
    pub const ALL: [SeedMistake; 10] = [
        SeedMistake::TlsRouteBehindTerminatingGateway,
        SeedMistake::HttpRouteBehindPassthroughGateway,
        SeedMistake::DoubleTls,
        SeedMistake::HttpsToHttpPort,
        SeedMistake::MtlsDisabledByDestinationRule,
        SeedMistake::IngressBypassesMeshSubsets,
        SeedMistake::GatewaysShareCertificate,
        SeedMistake::TlsRouteOnHttpsListener,
        SeedMistake::HttpRouteOnPassthroughListener,
        SeedMistake::RouteHostnameMismatch,
    ];

    /// The id of the check that must report it.
    pub fn check(self) -> &'static str {
        match self {
            SeedMistake::TlsRouteBehindTerminatingGateway => "tls-route-behind-terminating-gateway",
            SeedMistake::HttpRouteBehindPassthroughGateway => {
                "http-route-behind-passthrough-gateway"
            }
            SeedMistake::DoubleTls => "double-tls",
            SeedMistake::HttpsToHttpPort => "https-to-http-port",
            SeedMistake::MtlsDisabledByDestinationRule => "mtls-disabled-by-destination-rule",
            SeedMistake::IngressBypassesMeshSubsets => "ingress-bypasses-mesh-subsets",
            SeedMistake::GatewaysShareCertificate => "gateways-share-certificate",
            SeedMistake::TlsRouteOnHttpsListener | SeedMistake::HttpRouteOnPassthroughListener => {
                "route-kind-not-allowed"
            }
            SeedMistake::RouteHostnameMismatch => "route-hostname-mismatch",
        }
    }
}

/// A generated input and where its mistakes are.
#[derive(Clone, Debug)]
pub struct PlantedMesh {
    pub text: String,
    /// The check that must report each planted mistake, and the exact bytes it must point at.
    pub mistakes: Vec<(&'static str, std::ops::Range<usize>)>,
}

/// One `(mistake, style seed)` a scenario: its resources, named apart from every other
/// scenario's, written in a style drawn from the seed — block or flow collections, plain,
/// single- or double-quoted strings, comments (non-ASCII among them), blank lines — with
/// non-ASCII annotation values, and every line ending in CRLF when `crlf`.
pub fn planted_mesh(scenarios: &[(SeedMistake, u64)], crlf: bool) -> PlantedMesh {
    let mut writer = Writer {
        out: String::new(),
        newline: if crlf { "\r\n" } else { "\n" },
        rng: SplitMix::new(0),
        mistakes: Vec::new(),
    };
    for (index, &(mistake, style)) in scenarios.iter().enumerate() {
        writer.rng = SplitMix::new(style);
        for document in scenario(mistake, index) {
            if !writer.out.is_empty() {
                writer.line("---");
            }
            writer.block_mapping(&document, 0, false);
        }
    }
    PlantedMesh {
        text: writer.out,
        mistakes: writer.mistakes,
    }
}

/// A YAML tree to write in a random style.
enum Yaml {
    /// A string, quoted or not; `Some(check)` plants it as the span `check` must report.
    Str(String, Option<&'static str>),
    /// A number or boolean, never quoted (quoting would make it a string).
    Raw(&'static str),
    Map(Vec<(Key, Yaml)>),
    List(Vec<Yaml>),
}

struct Key {
    name: &'static str,
    planted: Option<&'static str>,
}

fn s(text: impl Into<String>) -> Yaml {
    Yaml::Str(text.into(), None)
}

fn planted(check: &'static str, text: impl Into<String>) -> Yaml {
    Yaml::Str(text.into(), Some(check))
}

fn map<const N: usize>(entries: [(&'static str, Yaml); N]) -> Yaml {
    map_of(entries)
}

fn map_of(entries: impl IntoIterator<Item = (&'static str, Yaml)>) -> Yaml {
    Yaml::Map(
        entries
            .into_iter()
            .map(|(name, value)| {
                (
                    Key {
                        name,
                        planted: None,
                    },
                    value,
                )
            })
            .collect(),
    )
}

fn list<const N: usize>(items: [Yaml; N]) -> Yaml {
    Yaml::List(items.into())
}

/// A resource: apiVersion, kind, metadata (with a non-ASCII annotation) and `spec`, whose
/// key named `planted_key` (if any) is planted for `check`.
fn resource(
    api: &str,
    kind: &str,
    name: String,
    namespace: Option<&str>,
    spec: Yaml,
    planted_key: Option<(&'static str, &'static str)>,
) -> Yaml {
    let mut metadata = vec![(
        Key {
            name: "name",
            planted: None,
        },
        s(name),
    )];
    if let Some(namespace) = namespace {
        metadata.push((
            Key {
                name: "namespace",
                planted: None,
            },
            s(namespace),
        ));
    }
    metadata.push((
        Key {
            name: "annotations",
            planted: None,
        },
        map([("note", s("généré ☕ 日本"))]),
    ));
    let spec = match (spec, planted_key) {
        (Yaml::Map(entries), Some((key, check))) => Yaml::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let planted = (k.name == key).then_some(check);
                    (
                        Key {
                            name: k.name,
                            planted,
                        },
                        v,
                    )
                })
                .collect(),
        ),
        (spec, _) => spec,
    };
    map([
        ("apiVersion", s(api)),
        ("kind", s(kind)),
        ("metadata", Yaml::Map(metadata)),
        ("spec", spec),
    ])
}

const NETWORKING: &str = "networking.istio.io/v1";

fn port(number: &'static str, name: &str, protocol: Yaml) -> Yaml {
    map([
        ("number", Yaml::Raw(number)),
        ("name", s(name)),
        ("protocol", protocol),
    ])
}

fn ingress_selector() -> Yaml {
    map([("istio", s("ingressgateway"))])
}

fn http_route_to(host: Yaml) -> Yaml {
    list([map([(
        "route",
        list([map([("destination", map([("host", host)]))])]),
    )])])
}

/// A Gateway of the ingress gateway with one server: port 443 HTTPS for `host`, with `tls`.
fn https_gateway(name: String, namespace: Option<&str>, host: String, tls: Yaml) -> Yaml {
    let server = map([
        ("port", port("443", "https", s("HTTPS"))),
        ("hosts", list([s(host)])),
        ("tls", tls),
    ]);
    let spec = map([
        ("selector", ingress_selector()),
        ("servers", list([server])),
    ]);
    resource(NETWORKING, "Gateway", name, namespace, spec, None)
}

const GATEWAY_API: &str = "gateway.networking.k8s.io/v1";

/// A Gateway API Gateway of Istio's class with one listener.
fn gateway_api_gateway(name: String, listener: Yaml) -> Yaml {
    let spec = map([
        ("gatewayClassName", s("istio")),
        ("listeners", list([listener])),
    ]);
    resource(GATEWAY_API, "Gateway", name, None, spec, None)
}

/// A Gateway API listener on `port` for `*.{domain}`, with `tls` if any.
fn listener(
    name: &str,
    protocol: &str,
    port: &'static str,
    domain: &str,
    tls: Option<Yaml>,
) -> Yaml {
    let entries = [
        ("name", s(name)),
        ("hostname", s(format!("*.{domain}"))),
        ("port", Yaml::Raw(port)),
        ("protocol", s(protocol)),
    ];
    map_of(entries.into_iter().chain(tls.map(|tls| ("tls", tls))))
}

/// A route of `kind` whose one parentRef names `parent` (the planted span), for `hostname`,
/// sending to the Service `backend` on port 8443.
fn gateway_api_route(
    kind: &str,
    name: String,
    parent: Yaml,
    hostname: String,
    backend: &str,
) -> Yaml {
    let spec = map([
        ("parentRefs", list([map([("name", parent)])])),
        ("hostnames", list([s(hostname)])),
        (
            "rules",
            list([map([(
                "backendRefs",
                list([map([("name", s(backend)), ("port", Yaml::Raw("8443"))])]),
            )])]),
        ),
    ]);
    resource(GATEWAY_API, kind, name, None, spec, None)
}

/// The Service a Gateway API route of a scenario sends to.
fn service(name: &str) -> Yaml {
    let spec = map([
        ("selector", map([("app", s(name))])),
        (
            "ports",
            list([map([("name", s("https")), ("port", Yaml::Raw("8443"))])]),
        ),
    ]);
    resource("v1", "Service", name.to_string(), None, spec, None)
}

/// The documents of one scenario, as in `examples/<check>.yaml`, named with `i`.
fn scenario(mistake: SeedMistake, i: usize) -> Vec<Yaml> {
    let check = mistake.check();
    match mistake {
        SeedMistake::TlsRouteBehindTerminatingGateway => vec![
            https_gateway(
                format!("term{i}"),
                Some("istio-system"),
                format!("*.term{i}.example.com"),
                map([
                    ("mode", s("SIMPLE")),
                    ("credentialName", s(format!("term{i}-cert"))),
                ]),
            ),
            resource(
                NETWORKING,
                "VirtualService",
                format!("term{i}"),
                None,
                map([
                    ("hosts", list([s(format!("*.term{i}.example.com"))])),
                    ("gateways", list([s(format!("istio-system/term{i}"))])),
                    (
                        "tls",
                        list([map([
                            (
                                "match",
                                list([map([(
                                    "sniHosts",
                                    list([s(format!("*.term{i}.example.com"))]),
                                )])]),
                            ),
                            (
                                "route",
                                list([map([("destination", map([("host", s("httpbin.org"))]))])]),
                            ),
                        ])]),
                    ),
                ]),
                Some(("tls", check)),
            ),
        ],
        SeedMistake::HttpRouteBehindPassthroughGateway => vec![
            https_gateway(
                format!("pass{i}"),
                None,
                format!("*.pass{i}.example.com"),
                map([("mode", s("PASSTHROUGH"))]),
            ),
            resource(
                NETWORKING,
                "VirtualService",
                format!("pass{i}"),
                None,
                map([
                    ("gateways", list([s(format!("pass{i}"))])),
                    ("hosts", list([s(format!("httpbin.pass{i}.example.com"))])),
                    ("http", http_route_to(s("httpbin.org"))),
                ]),
                Some(("http", check)),
            ),
        ],
        SeedMistake::DoubleTls => vec![
            resource(
                NETWORKING,
                "ServiceEntry",
                format!("twice{i}"),
                None,
                map([
                    ("hosts", list([s(format!("twice{i}.example.org"))])),
                    ("ports", list([port("443", "https", s("HTTPS"))])),
                    ("resolution", s("DNS")),
                ]),
                None,
            ),
            resource(
                NETWORKING,
                "DestinationRule",
                format!("twice{i}"),
                None,
                map([
                    ("host", s(format!("twice{i}.example.org"))),
                    (
                        "trafficPolicy",
                        map([("tls", map([("mode", planted(check, "SIMPLE"))]))]),
                    ),
                ]),
                None,
            ),
        ],
        SeedMistake::HttpsToHttpPort => vec![resource(
            NETWORKING,
            "ServiceEntry",
            format!("plain{i}"),
            None,
            map([
                ("hosts", list([s(format!("plain{i}.example.org"))])),
                ("ports", list([port("443", "http", planted(check, "HTTP"))])),
                ("resolution", s("DNS")),
            ]),
            None,
        )],
        SeedMistake::MtlsDisabledByDestinationRule => vec![
            resource(
                "security.istio.io/v1",
                "PeerAuthentication",
                "default".into(),
                Some(&format!("secure{i}")),
                map([("mtls", map([("mode", s("STRICT"))]))]),
                None,
            ),
            resource(
                NETWORKING,
                "DestinationRule",
                "reviews".into(),
                Some(&format!("secure{i}")),
                map([
                    ("host", s("reviews")),
                    (
                        "subsets",
                        list([map([
                            ("name", s("v1")),
                            ("labels", map([("version", s("v1"))])),
                        ])]),
                    ),
                    (
                        "trafficPolicy",
                        map([("tls", map([("mode", planted(check, "DISABLE"))]))]),
                    ),
                ]),
                None,
            ),
        ],
        SeedMistake::IngressBypassesMeshSubsets => {
            let hello = format!("hello{i}.default.svc.cluster.local");
            vec![
                resource(
                    NETWORKING,
                    "Gateway",
                    format!("app{i}"),
                    None,
                    map([
                        ("selector", ingress_selector()),
                        (
                            "servers",
                            list([map([
                                ("port", port("80", "http", s("HTTP"))),
                                ("hosts", list([s(format!("app{i}.example.com"))])),
                            ])]),
                        ),
                    ]),
                    None,
                ),
                resource(
                    NETWORKING,
                    "VirtualService",
                    format!("app{i}"),
                    None,
                    map([
                        ("hosts", list([s(format!("app{i}.example.com"))])),
                        ("gateways", list([s(format!("app{i}"))])),
                        (
                            "http",
                            list([map([
                                (
                                    "match",
                                    list([map([("uri", map([("prefix", s("/hello"))]))])]),
                                ),
                                (
                                    "route",
                                    list([map([(
                                        "destination",
                                        map([("host", planted(check, hello.clone()))]),
                                    )])]),
                                ),
                            ])]),
                        ),
                    ]),
                    None,
                ),
                resource(
                    NETWORKING,
                    "VirtualService",
                    format!("hello{i}"),
                    None,
                    map([
                        ("hosts", list([s(hello.clone())])),
                        (
                            "http",
                            list([map([(
                                "route",
                                list([map([(
                                    "destination",
                                    map([("host", s(hello.clone())), ("subset", s("v1"))]),
                                )])]),
                            )])]),
                        ),
                    ]),
                    None,
                ),
                resource(
                    NETWORKING,
                    "DestinationRule",
                    format!("hello{i}"),
                    None,
                    map([
                        ("host", s(hello)),
                        (
                            "subsets",
                            list([
                                map([("name", s("v1")), ("labels", map([("version", s("v1"))]))]),
                                map([("name", s("v2")), ("labels", map([("version", s("v2"))]))]),
                            ]),
                        ),
                    ]),
                    None,
                ),
            ]
        }
        SeedMistake::GatewaysShareCertificate => {
            let gateway = |side: &str| {
                https_gateway(
                    format!("{side}{i}"),
                    None,
                    format!("{side}{i}.test.com"),
                    map([
                        ("mode", s("SIMPLE")),
                        (
                            "credentialName",
                            planted(check, format!("wildcard{i}-cert")),
                        ),
                    ]),
                )
            };
            let bound = |side: &str| {
                resource(
                    NETWORKING,
                    "VirtualService",
                    format!("{side}{i}"),
                    None,
                    map([
                        ("hosts", list([s(format!("{side}{i}.test.com"))])),
                        ("gateways", list([s(format!("{side}{i}"))])),
                        ("http", http_route_to(s(format!("{side}{i}")))),
                    ]),
                    None,
                )
            };
            vec![gateway("one"), gateway("two"), bound("one"), bound("two")]
        }
        SeedMistake::TlsRouteOnHttpsListener => {
            let (name, backend) = (format!("kterm{i}"), format!("kterm{i}-app"));
            let domain = format!("kterm{i}.example.com");
            let tls = map([
                ("mode", s("Terminate")),
                (
                    "certificateRefs",
                    list([map([("name", s(format!("{name}-cert")))])]),
                ),
            ]);
            vec![
                gateway_api_gateway(
                    name.clone(),
                    listener("https", "HTTPS", "443", &domain, Some(tls)),
                ),
                gateway_api_route(
                    "TLSRoute",
                    name.clone(),
                    planted(check, name),
                    format!("app.{domain}"),
                    &backend,
                ),
                service(&backend),
            ]
        }
        SeedMistake::HttpRouteOnPassthroughListener => {
            let (name, backend) = (format!("kpass{i}"), format!("kpass{i}-app"));
            let domain = format!("kpass{i}.example.com");
            let tls = map([("mode", s("Passthrough"))]);
            vec![
                gateway_api_gateway(
                    name.clone(),
                    listener("tls", "TLS", "443", &domain, Some(tls)),
                ),
                gateway_api_route(
                    "HTTPRoute",
                    name.clone(),
                    planted(check, name),
                    format!("app.{domain}"),
                    &backend,
                ),
                service(&backend),
            ]
        }
        SeedMistake::RouteHostnameMismatch => {
            let (name, backend) = (format!("khost{i}"), format!("khost{i}-app"));
            vec![
                gateway_api_gateway(
                    name.clone(),
                    listener("http", "HTTP", "80", &format!("khost{i}.example.com"), None),
                ),
                gateway_api_route(
                    "HTTPRoute",
                    name.clone(),
                    planted(check, name),
                    format!("app.khost{i}.example.org"),
                    &backend,
                ),
                service(&backend),
            ]
        }
    }
}

/// Writes [`Yaml`] trees, drawing each style choice from `rng` and noting where planted
/// scalars and keys land.
struct Writer {
    out: String,
    newline: &'static str,
    rng: SplitMix,
    mistakes: Vec<(&'static str, std::ops::Range<usize>)>,
}

impl Writer {
    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push_str(self.newline);
    }

    /// Now and then a comment line (non-ASCII) or a blank line before an entry.
    fn maybe_comment_line(&mut self, indent: usize) {
        match self.rng.below(8) {
            0 => {
                let comment = format!("{}# vérifié ☕ {}", " ".repeat(indent), self.rng.below(100));
                self.line(&comment);
            }
            1 => self.line(""),
            _ => {}
        }
    }

    /// A string as plain, 'single' or "double" quoted; strings YAML would read otherwise
    /// (`*…` is an alias) are always quoted.
    fn string(&mut self, text: &str, planted: Option<&'static str>) {
        let must_quote = text.starts_with('*');
        let start = self.out.len();
        match self.rng.below(3) {
            0 if !must_quote => self.out.push_str(text),
            1 => {
                self.out.push('\'');
                self.out.push_str(&text.replace('\'', "''"));
                self.out.push('\'');
            }
            _ => {
                self.out.push('"');
                self.out.push_str(text);
                self.out.push('"');
            }
        }
        if let Some(check) = planted {
            self.mistakes.push((check, start..self.out.len()));
        }
    }

    fn key(&mut self, key: &Key) {
        let start = self.out.len();
        if self.rng.one_in(8) {
            self.out.push('"');
            self.out.push_str(key.name);
            self.out.push('"');
        } else {
            self.out.push_str(key.name);
        }
        if let Some(check) = key.planted {
            self.mistakes.push((check, start..self.out.len()));
        }
    }

    fn flow(&mut self, value: &Yaml) {
        match value {
            Yaml::Str(text, planted) => self.string(text, *planted),
            Yaml::Raw(text) => self.out.push_str(text),
            Yaml::Map(entries) => {
                self.out.push('{');
                for (index, (key, value)) in entries.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(", ");
                    }
                    self.key(key);
                    self.out.push_str(": ");
                    self.flow(value);
                }
                self.out.push('}');
            }
            Yaml::List(items) => {
                self.out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(", ");
                    }
                    self.flow(item);
                }
                self.out.push(']');
            }
        }
    }

    /// A scalar after `key: ` or `- `, sometimes with a trailing comment.
    fn scalar_line(&mut self, value: &Yaml) {
        self.flow(value);
        if self.rng.one_in(6) {
            self.out.push_str(" # ünïcödé ✓");
        }
        self.out.push_str(self.newline);
    }

    /// The entries of a block mapping at `indent`; with `after_dash` the first entry follows
    /// a `- ` already written.
    fn block_mapping(&mut self, value: &Yaml, indent: usize, after_dash: bool) {
        let Yaml::Map(entries) = value else {
            return self.scalar_line(value);
        };
        for (index, (key, value)) in entries.iter().enumerate() {
            if index > 0 || !after_dash {
                self.maybe_comment_line(indent);
                self.out.push_str(&" ".repeat(indent));
            }
            self.key(key);
            self.out.push(':');
            self.value(value, indent);
        }
    }

    /// What follows `key:` of a block mapping at `indent`.
    fn value(&mut self, value: &Yaml, indent: usize) {
        match value {
            Yaml::Str(..) | Yaml::Raw(_) => {
                self.out.push(' ');
                self.scalar_line(value);
            }
            _ if self.rng.one_in(3) => {
                self.out.push(' ');
                self.scalar_line(value);
            }
            Yaml::Map(_) => {
                self.out.push_str(self.newline);
                self.block_mapping(value, indent + 2, false);
            }
            Yaml::List(items) => {
                self.out.push_str(self.newline);
                // Both `key:\n- item` and `key:\n  - item` are block lists.
                let indent = if self.rng.one_in(2) {
                    indent
                } else {
                    indent + 2
                };
                for item in items {
                    self.out.push_str(&" ".repeat(indent));
                    self.out.push_str("- ");
                    match item {
                        Yaml::Map(_) if !self.rng.one_in(4) => {
                            self.block_mapping(item, indent + 2, true)
                        }
                        _ => self.scalar_line(item),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::MeshSettings;
    use crate::source::Sources;

    #[test]
    fn generated_meshes_have_the_size_asked_and_are_clean() {
        let text = generate(100);
        let analysis = crate::analyze(Sources::single("mesh.yaml", text), MeshSettings::default());
        assert_eq!(analysis.mesh.resources.len(), 100);
        let problems: Vec<&str> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.severity >= crate::diagnostic::Severity::Warning)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(problems, Vec::<&str>::new());
    }

    #[test]
    fn a_third_is_gateway_api_and_every_route_is_accepted_with_its_references() {
        use crate::resolve::gateway_api::status::{Status, statuses};
        let text = generate(1_000);
        let analysis = crate::analyze(Sources::single("mesh.yaml", text), MeshSettings::default());
        let resources = &analysis.mesh.resources;
        let gateway_api = resources.iter().filter(|r| r.kind.is_gateway_api()).count();
        assert_eq!((resources.len(), gateway_api), (1_000, 350));
        let mut routes = 0;
        for status in statuses(&analysis.mesh) {
            if let Status::Parents(parents) = &status.status {
                routes += 1;
                for condition in parents.iter().flat_map(|p| &p.conditions) {
                    assert!(
                        condition.status,
                        "{} {}: {} {}",
                        status.resource.name.value,
                        condition.type_,
                        condition.reason,
                        condition.message
                    );
                }
            }
        }
        assert_eq!(routes, 50 * 5);
    }
}
