//! Envoy's response flags: every flag of Envoy's `%RESPONSE_FLAGS%` (short name) and
//! `%RESPONSE_FLAGS_LONG%` (long name), in Envoy's order (`CORE_RESPONSE_FLAGS` of
//! `source/common/stream_info/utility.h`, access-log docs "Command operators"), with what it
//! means, what usually causes it in an Istio mesh, and the checks whose findings produce it.

/// One response flag.
#[derive(Debug, PartialEq, Eq)]
pub struct ResponseFlag {
    /// `UF`, as `%RESPONSE_FLAGS%` prints it.
    pub short: &'static str,
    /// `UpstreamConnectionFailure`, as `%RESPONSE_FLAGS_LONG%` prints it.
    pub long: &'static str,
    /// Whether TCP proxies set it too (Envoy documents the others as HTTP only).
    pub tcp: bool,
    /// What Envoy says the flag means, with the response code it goes with.
    pub meaning: &'static str,
    /// What usually causes it in an Istio mesh and where to look.
    pub in_istio: &'static str,
    /// Ids of the checks whose findings can produce the flag.
    pub checks: &'static [&'static str],
}

impl ResponseFlag {
    /// The flag of a short (`UF`) or long (`UpstreamConnectionFailure`) name, in any letter
    /// case.
    pub fn find(name: &str) -> Option<&'static ResponseFlag> {
        RESPONSE_FLAGS.iter().find(|flag| {
            flag.short.eq_ignore_ascii_case(name) || flag.long.eq_ignore_ascii_case(name)
        })
    }
}

/// Checks after which no route or filter chain matches: the resource is rejected, not bound,
/// or bound to a server that hands the traffic to the other kind of route.
const NO_ROUTE: &[&str] = &[
    "gateway-tls-credential",
    "gateway-tls-missing",
    "gateway-tls-mode-implicit",
    "gateways-share-certificate",
    "host-not-in-gateway",
    "http-route-behind-passthrough-gateway",
    "invalid-field",
    "route-weights-total",
    "tls-route-behind-terminating-gateway",
    "tls-route-sni",
    "unknown-gateway",
    "unknown-subset",
    "wildcard-host-with-mesh",
    "yaml-syntax",
];

/// Checks whose TLS settings make the connection to the upstream fail or close.
const UPSTREAM_TLS: &[&str] = &[
    "double-tls",
    "mtls-disabled-by-destination-rule",
    "tls-origination-without-ca",
];

const FAULTS: &[&str] = &["retries-with-fault"];

/// Every flag Envoy documents, in Envoy's order.
pub static RESPONSE_FLAGS: &[ResponseFlag] = &[
    ResponseFlag {
        short: "LH",
        long: "FailedLocalHealthCheck",
        tcp: false,
        meaning: "The local service failed its health check (503).",
        in_istio: "The workload behind this proxy reports itself unhealthy; Kubernetes probes, not Istio routing, decide this.",
        checks: &[],
    },
    ResponseFlag {
        short: "UH",
        long: "NoHealthyUpstream",
        tcp: true,
        meaning: "No healthy host in the upstream cluster (503, `no healthy upstream`).",
        in_istio: "The destination has no ready endpoint: no pod is ready, a subset's labels select no pod, outlier detection ejected every host, or a ServiceEntry resolves to no address.",
        checks: &["unknown-subset"],
    },
    ResponseFlag {
        short: "UT",
        long: "UpstreamRequestTimeout",
        tcp: false,
        meaning: "The upstream request timed out (504).",
        in_istio: "A VirtualService `timeout` (or `retries.perTryTimeout`) elapsed before the upstream answered.",
        checks: &[],
    },
    ResponseFlag {
        short: "LR",
        long: "LocalReset",
        tcp: false,
        meaning: "Envoy reset the stream itself (503).",
        in_istio: "Often a timeout or a limit of the proxy; the response code details say which.",
        checks: &[],
    },
    ResponseFlag {
        short: "UR",
        long: "UpstreamRemoteReset",
        tcp: false,
        meaning: "The upstream reset the stream (503).",
        in_istio: "The upstream application or its sidecar aborted the request: a crash, or a port protocol (HTTP2, GRPC) the server does not speak.",
        checks: &[],
    },
    ResponseFlag {
        short: "UF",
        long: "UpstreamConnectionFailure",
        tcp: true,
        meaning: "Connecting to the upstream failed (503).",
        in_istio: "Nothing accepted the connection, or the TLS handshake to the upstream failed (see the transport failure reason): TLS originated twice or to a plaintext port, TLS settings the server's mTLS does not accept, a certificate not verified.",
        checks: UPSTREAM_TLS,
    },
    ResponseFlag {
        short: "UC",
        long: "UpstreamConnectionTermination",
        tcp: false,
        meaning: "The upstream connection closed before the response (503).",
        in_istio: "A STRICT mTLS workload closes connections from clients that send plaintext (a DestinationRule with TLS mode DISABLE); also an upstream closing idle keep-alive connections.",
        checks: &[
            "double-tls",
            "https-to-http-port",
            "mtls-disabled-by-destination-rule",
        ],
    },
    ResponseFlag {
        short: "UO",
        long: "UpstreamOverflow",
        tcp: true,
        meaning: "Upstream overflow: circuit breaking (503).",
        in_istio: "A limit of the DestinationRule's `connectionPool` (`http1MaxPendingRequests`, `http2MaxRequests`, `maxConnections`) was reached.",
        checks: &[],
    },
    ResponseFlag {
        short: "NR",
        long: "NoRouteFound",
        tcp: true,
        meaning: "No route for the request (404), or no filter chain for a connection.",
        in_istio: "No VirtualService at this proxy takes the request's host: the gateway does not accept the host, the VirtualService is not bound to the gateway, the server hands the traffic to the other kind of route (`http` vs `tls`), or the resource was rejected.",
        checks: NO_ROUTE,
    },
    ResponseFlag {
        short: "DI",
        long: "DelayInjected",
        tcp: false,
        meaning: "The request was delayed by fault injection.",
        in_istio: "A VirtualService `fault.delay` applied.",
        checks: FAULTS,
    },
    ResponseFlag {
        short: "FI",
        long: "FaultInjected",
        tcp: false,
        meaning: "The request was aborted by fault injection with the configured response code.",
        in_istio: "A VirtualService `fault.abort` applied; retries on the same rule do not apply.",
        checks: FAULTS,
    },
    ResponseFlag {
        short: "RL",
        long: "RateLimited",
        tcp: false,
        meaning: "The request was rate limited (429).",
        in_istio: "A rate limit filter (an EnvoyFilter) refused the request.",
        checks: &[],
    },
    ResponseFlag {
        short: "UAEX",
        long: "UnauthorizedExternalService",
        tcp: false,
        meaning: "The external authorization service denied the request.",
        in_istio: "An AuthorizationPolicy with `action: CUSTOM` (ext_authz provider) denied it.",
        checks: &[],
    },
    ResponseFlag {
        short: "RLSE",
        long: "RateLimitServiceError",
        tcp: false,
        meaning: "The rate limit service failed.",
        in_istio: "The rate limit service configured by an EnvoyFilter could not be reached or answered an error.",
        checks: &[],
    },
    ResponseFlag {
        short: "DC",
        long: "DownstreamConnectionTermination",
        tcp: false,
        meaning: "The downstream (client) connection closed before the response ended.",
        in_istio: "The client gave up (a client timeout or a cancelled call); the configuration is rarely the cause.",
        checks: &[],
    },
    ResponseFlag {
        short: "URX",
        long: "UpstreamRetryLimitExceeded",
        tcp: true,
        meaning: "The upstream retry limit (HTTP) or maximum connect attempts (TCP) was reached.",
        in_istio: "Every attempt failed (Istio retries twice by default, or per VirtualService `retries`): the other flags say how.",
        checks: UPSTREAM_TLS,
    },
    ResponseFlag {
        short: "SI",
        long: "StreamIdleTimeout",
        tcp: false,
        meaning: "The stream idle timeout was reached (408).",
        in_istio: "No byte moved on the stream for the idle timeout (a DestinationRule `idleTimeout`, or the proxy default).",
        checks: &[],
    },
    ResponseFlag {
        short: "IH",
        long: "InvalidEnvoyRequestHeaders",
        tcp: false,
        meaning: "A strictly checked `x-envoy-*` request header had an invalid value (400).",
        in_istio: "The client set an `x-envoy-*` header (such as `x-envoy-max-retries`) to a malformed value.",
        checks: &[],
    },
    ResponseFlag {
        short: "DPE",
        long: "DownstreamProtocolError",
        tcp: false,
        meaning: "The downstream request had an HTTP protocol error (400).",
        in_istio: "The client sent something that is not the HTTP the port is declared for: typically HTTPS (`curl https://…`) to a port declared HTTP.",
        checks: &["https-to-http-port"],
    },
    ResponseFlag {
        short: "UMSDR",
        long: "UpstreamMaxStreamDurationReached",
        tcp: false,
        meaning: "The upstream request reached its maximum stream duration.",
        in_istio: "The stream outlived the maximum duration configured for the upstream.",
        checks: &[],
    },
    ResponseFlag {
        short: "RFCF",
        long: "ResponseFromCacheFilter",
        tcp: false,
        meaning: "The response came from Envoy's cache filter.",
        in_istio: "Not an error: a cache filter (an EnvoyFilter) answered.",
        checks: &[],
    },
    ResponseFlag {
        short: "NFCF",
        long: "NoFilterConfigFound",
        tcp: false,
        meaning: "A filter's configuration was not received within its warming deadline.",
        in_istio: "A dynamically delivered filter (such as a WasmPlugin) had no configuration yet.",
        checks: &[],
    },
    ResponseFlag {
        short: "DT",
        long: "DurationTimeout",
        tcp: true,
        meaning: "The request or connection exceeded its maximum connection duration.",
        in_istio: "A maximum connection duration of the proxy or a DestinationRule's `connectionPool` closed it.",
        checks: &[],
    },
    ResponseFlag {
        short: "UPE",
        long: "UpstreamProtocolError",
        tcp: false,
        meaning: "The upstream response had an HTTP protocol error (502).",
        in_istio: "The upstream does not speak the protocol its port is declared with: TLS or another protocol behind a port declared HTTP, HTTP/1 behind HTTP2 or GRPC.",
        checks: &["double-tls", "https-to-http-port"],
    },
    ResponseFlag {
        short: "NC",
        long: "NoClusterFound",
        tcp: true,
        meaning: "The route's upstream cluster does not exist (503).",
        in_istio: "A route sends to a subset or host the proxy has no cluster for: a subset no DestinationRule defines, or a destination not pushed (yet).",
        checks: &["unknown-subset"],
    },
    ResponseFlag {
        short: "OM",
        long: "OverloadManagerTerminated",
        tcp: false,
        meaning: "Envoy's overload manager terminated the request.",
        in_istio: "The proxy was short of memory or connections; give the sidecar more resources.",
        checks: &[],
    },
    ResponseFlag {
        short: "DF",
        long: "DnsResolutionFailed",
        tcp: false,
        meaning: "The request was terminated because DNS resolution failed.",
        in_istio: "The destination's name did not resolve (a dynamic forward proxy); check the host's spelling and DNS.",
        checks: &[],
    },
    ResponseFlag {
        short: "DO",
        long: "DropOverload",
        tcp: false,
        meaning: "The request was dropped by the endpoints' drop-overload setting.",
        in_istio: "The control plane asked the proxy to shed a share of the traffic.",
        checks: &[],
    },
    ResponseFlag {
        short: "DR",
        long: "DownstreamRemoteReset",
        tcp: false,
        meaning: "The client reset the stream.",
        in_istio: "The client cancelled the request (an HTTP/2 or gRPC cancellation); the configuration is rarely the cause.",
        checks: &[],
    },
    ResponseFlag {
        short: "UDO",
        long: "UnconditionalDropOverload",
        tcp: false,
        meaning: "The request was dropped because drop-overload is set to 100%.",
        in_istio: "The control plane asked the proxy to shed all traffic to the endpoints.",
        checks: &[],
    },
];
