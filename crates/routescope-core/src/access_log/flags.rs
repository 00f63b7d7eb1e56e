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
    /// What usually causes it in an Istio mesh and where to look; empty where Istio adds
    /// nothing to Envoy's meaning.
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
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "UH",
        long: "NoHealthyUpstream",
        tcp: true,
        meaning: "No healthy host in the upstream cluster (503).",
        in_istio: "No endpoint is ready: no pod ready, a subset selecting no pod, all hosts ejected, or a ServiceEntry resolving to nothing.",
        checks: &["unknown-subset"],
    },
    ResponseFlag {
        short: "UT",
        long: "UpstreamRequestTimeout",
        tcp: false,
        meaning: "The upstream request timed out (504).",
        in_istio: "A VirtualService `timeout` or `retries.perTryTimeout` elapsed.",
        checks: &[],
    },
    ResponseFlag {
        short: "LR",
        long: "LocalReset",
        tcp: false,
        meaning: "Envoy reset the stream locally (503).",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "UR",
        long: "UpstreamRemoteReset",
        tcp: false,
        meaning: "The upstream reset the stream (503).",
        in_istio: "The upstream aborted: a crash, or a port protocol (HTTP2, GRPC) it does not speak.",
        checks: &[],
    },
    ResponseFlag {
        short: "UF",
        long: "UpstreamConnectionFailure",
        tcp: true,
        meaning: "Connecting to the upstream failed (503).",
        in_istio: "Nothing accepted the connection, or the TLS handshake failed (see the transport failure reason): TLS originated twice or to a plaintext port, settings the server's mTLS rejects, an unverified certificate.",
        checks: UPSTREAM_TLS,
    },
    ResponseFlag {
        short: "UC",
        long: "UpstreamConnectionTermination",
        tcp: false,
        meaning: "The upstream connection closed before the response (503).",
        in_istio: "A STRICT mTLS workload closes connections from clients sending plaintext (DestinationRule TLS mode DISABLE); or idle keep-alive connections closed.",
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
        in_istio: "A DestinationRule `connectionPool` limit was reached.",
        checks: &[],
    },
    ResponseFlag {
        short: "NR",
        long: "NoRouteFound",
        tcp: true,
        meaning: "No route for the request (404), or no filter chain for a connection.",
        in_istio: "Nothing at this proxy takes the host: the gateway does not accept it, the VirtualService is not bound to the gateway, the server hands traffic to the other kind of route (`http` vs `tls`), or the resource was rejected.",
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
        meaning: "The request was aborted by fault injection.",
        in_istio: "A VirtualService `fault.abort` applied; retries on that rule do not apply.",
        checks: FAULTS,
    },
    ResponseFlag {
        short: "RL",
        long: "RateLimited",
        tcp: false,
        meaning: "The request was rate limited (429).",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "UAEX",
        long: "UnauthorizedExternalService",
        tcp: false,
        meaning: "The external authorization service denied the request.",
        in_istio: "An AuthorizationPolicy with `action: CUSTOM` denied it.",
        checks: &[],
    },
    ResponseFlag {
        short: "RLSE",
        long: "RateLimitServiceError",
        tcp: false,
        meaning: "The rate limit service failed.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "DC",
        long: "DownstreamConnectionTermination",
        tcp: false,
        meaning: "The downstream (client) connection closed.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "URX",
        long: "UpstreamRetryLimitExceeded",
        tcp: true,
        meaning: "The retry limit (HTTP) or connect attempts (TCP) ran out.",
        in_istio: "Every attempt failed (Istio retries twice by default); the other flags say how.",
        checks: UPSTREAM_TLS,
    },
    ResponseFlag {
        short: "SI",
        long: "StreamIdleTimeout",
        tcp: false,
        meaning: "The stream idle timeout was reached (408).",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "IH",
        long: "InvalidEnvoyRequestHeaders",
        tcp: false,
        meaning: "An `x-envoy-*` request header was invalid (400).",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "DPE",
        long: "DownstreamProtocolError",
        tcp: false,
        meaning: "The downstream request had an HTTP protocol error (400).",
        in_istio: "The client sent something else than the HTTP its port is declared for: typically HTTPS to a port declared HTTP.",
        checks: &["https-to-http-port"],
    },
    ResponseFlag {
        short: "UMSDR",
        long: "UpstreamMaxStreamDurationReached",
        tcp: false,
        meaning: "The upstream request reached its maximum stream duration.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "RFCF",
        long: "ResponseFromCacheFilter",
        tcp: false,
        meaning: "The response came from Envoy's cache filter.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "NFCF",
        long: "NoFilterConfigFound",
        tcp: false,
        meaning: "A filter's configuration did not arrive in time.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "DT",
        long: "DurationTimeout",
        tcp: true,
        meaning: "The connection exceeded its maximum duration.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "UPE",
        long: "UpstreamProtocolError",
        tcp: false,
        meaning: "The upstream response had an HTTP protocol error (502).",
        in_istio: "The upstream does not speak its port's declared protocol: TLS or another protocol behind HTTP, HTTP/1 behind HTTP2 or GRPC.",
        checks: &["double-tls", "https-to-http-port"],
    },
    ResponseFlag {
        short: "NC",
        long: "NoClusterFound",
        tcp: true,
        meaning: "The route's upstream cluster does not exist (503).",
        in_istio: "A route sends to a subset no DestinationRule defines, or to a destination not pushed yet.",
        checks: &["unknown-subset"],
    },
    ResponseFlag {
        short: "OM",
        long: "OverloadManagerTerminated",
        tcp: false,
        meaning: "Envoy's overload manager terminated the request.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "DF",
        long: "DnsResolutionFailed",
        tcp: false,
        meaning: "DNS resolution failed.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "DO",
        long: "DropOverload",
        tcp: false,
        meaning: "Dropped by the endpoints' drop-overload share.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "DR",
        long: "DownstreamRemoteReset",
        tcp: false,
        meaning: "The client reset the stream.",
        in_istio: "",
        checks: &[],
    },
    ResponseFlag {
        short: "UDO",
        long: "UnconditionalDropOverload",
        tcp: false,
        meaning: "Dropped: drop-overload is 100%.",
        in_istio: "",
        checks: &[],
    },
];
