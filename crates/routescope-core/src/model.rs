//! Typed Istio resources. Every field a check uses keeps the span of its value and, for
//! mapping entries, of its key, so diagnostics point at exact characters and fixes can edit
//! keys, values or whole entries.

use std::fmt;

use crate::diagnostic::ResourceRef;
use crate::source::{FileId, Span};
use crate::yaml::Node;

/// A mapping entry's value with the spans of its key and its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Field<T> {
    pub value: T,
    pub key: Span,
    pub span: Span,
}

impl<T> Field<T> {
    /// From the key's start to the value's end.
    pub fn entry_span(&self) -> Span {
        self.key.cover(self.span)
    }
}

/// A list item (or other keyless value) with its span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// Enums read from YAML: case-sensitive Istio enum names, listed for "expected one of".
pub trait Named: Sized + Copy + 'static {
    const WHAT: &'static str;
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == text)
    }
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }
        impl Named for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

pub mod gateway_api;

named_enum!(
    /// Gateway `servers[].tls.mode`.
    ServerTlsMode, "TLS mode" {
        Passthrough = "PASSTHROUGH",
        Simple = "SIMPLE",
        Mutual = "MUTUAL",
        AutoPassthrough = "AUTO_PASSTHROUGH",
        IstioMutual = "ISTIO_MUTUAL",
        OptionalMutual = "OPTIONAL_MUTUAL",
    }
);

impl ServerTlsMode {
    /// Terminating modes hand decrypted traffic to `http:` routes.
    pub fn terminates(self) -> bool {
        !matches!(
            self,
            ServerTlsMode::Passthrough | ServerTlsMode::AutoPassthrough
        )
    }
}

named_enum!(
    /// DestinationRule `trafficPolicy.tls.mode`.
    ClientTlsMode, "TLS mode" {
        Disable = "DISABLE",
        Simple = "SIMPLE",
        Mutual = "MUTUAL",
        IstioMutual = "ISTIO_MUTUAL",
    }
);

impl ClientTlsMode {
    /// SIMPLE and MUTUAL originate TLS to the destination with the user's certificates.
    pub fn originates(self) -> bool {
        matches!(self, ClientTlsMode::Simple | ClientTlsMode::Mutual)
    }
}

named_enum!(
    /// PeerAuthentication `mtls.mode`.
    MtlsMode, "mTLS mode" {
        Unset = "UNSET",
        Disable = "DISABLE",
        Permissive = "PERMISSIVE",
        Strict = "STRICT",
    }
);

named_enum!(
    /// Port protocols as Istio writes them (read case-insensitively).
    Protocol, "protocol" {
        Http = "HTTP",
        Https = "HTTPS",
        Http2 = "HTTP2",
        Grpc = "GRPC",
        GrpcWeb = "GRPC-WEB",
        Tcp = "TCP",
        Tls = "TLS",
        Mongo = "MONGO",
        Redis = "REDIS",
        Mysql = "MYSQL",
        Udp = "UDP",
    }
);

impl Protocol {
    pub fn parse_any_case(text: &str) -> Option<Protocol> {
        Protocol::ALL
            .iter()
            .copied()
            .find(|protocol| protocol.name().eq_ignore_ascii_case(text))
    }

    /// HTTPS and TLS mean the bytes arrive already encrypted.
    pub fn is_encrypted(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls)
    }

    pub fn is_http(self) -> bool {
        matches!(
            self,
            Protocol::Http | Protocol::Http2 | Protocol::Grpc | Protocol::GrpcWeb
        )
    }

    /// The protocol a Kubernetes port name announces (`http-web` → HTTP), per Istio's
    /// protocol selection.
    pub fn from_port_name(name: &str) -> Option<Protocol> {
        let prefix = name.split('-').next().unwrap_or(name);
        match prefix.to_ascii_lowercase().as_str() {
            "grpc-web" => Some(Protocol::GrpcWeb),
            _ => Protocol::parse_any_case(prefix),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Gateway,
    VirtualService,
    DestinationRule,
    ServiceEntry,
    PeerAuthentication,
    Service,
    GatewayClass,
    /// A Gateway API Gateway (`gateway.networking.k8s.io`), as opposed to Istio's.
    KubernetesGateway,
    ListenerSet,
    HttpRoute,
    GrpcRoute,
    TlsRoute,
    TcpRoute,
    ReferenceGrant,
    BackendTlsPolicy,
    Namespace,
    Secret,
    ConfigMap,
}

impl ResourceKind {
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::Gateway | ResourceKind::KubernetesGateway => "Gateway",
            ResourceKind::VirtualService => "VirtualService",
            ResourceKind::DestinationRule => "DestinationRule",
            ResourceKind::ServiceEntry => "ServiceEntry",
            ResourceKind::PeerAuthentication => "PeerAuthentication",
            ResourceKind::Service => "Service",
            ResourceKind::GatewayClass => "GatewayClass",
            ResourceKind::ListenerSet => "ListenerSet",
            ResourceKind::HttpRoute => "HTTPRoute",
            ResourceKind::GrpcRoute => "GRPCRoute",
            ResourceKind::TlsRoute => "TLSRoute",
            ResourceKind::TcpRoute => "TCPRoute",
            ResourceKind::ReferenceGrant => "ReferenceGrant",
            ResourceKind::BackendTlsPolicy => "BackendTLSPolicy",
            ResourceKind::Namespace => "Namespace",
            ResourceKind::Secret => "Secret",
            ResourceKind::ConfigMap => "ConfigMap",
        }
    }

    /// The kinds of the Kubernetes Gateway API group.
    pub fn is_gateway_api(self) -> bool {
        matches!(
            self,
            ResourceKind::GatewayClass
                | ResourceKind::KubernetesGateway
                | ResourceKind::ListenerSet
                | ResourceKind::HttpRoute
                | ResourceKind::GrpcRoute
                | ResourceKind::TlsRoute
                | ResourceKind::TcpRoute
                | ResourceKind::ReferenceGrant
                | ResourceKind::BackendTlsPolicy
        )
    }

    /// The Gateway API route kind, for the four route kinds.
    pub fn route_type(self) -> Option<gateway_api::RouteType> {
        use gateway_api::RouteType;
        match self {
            ResourceKind::HttpRoute => Some(RouteType::Http),
            ResourceKind::GrpcRoute => Some(RouteType::Grpc),
            ResourceKind::TlsRoute => Some(RouteType::Tls),
            ResourceKind::TcpRoute => Some(RouteType::Tcp),
            _ => None,
        }
    }
}

/// A document naming a Kubernetes object that Routescope does not analyse (another kind, an
/// API group or version it does not read, no `apiVersion`): kept so that a summary can say
/// what was not read, and `unknown-kind` can tell a misspelling from a kind of another tool.
#[derive(Clone, Debug, PartialEq)]
pub struct SkippedObject {
    pub span: Span,
    pub api_version: Option<Field<String>>,
    pub kind: Field<String>,
    /// The document's top-level keys as written (`xapiVersion` where `apiVersion` was meant),
    /// each with its value when that is a scalar.
    pub keys: Vec<(Spanned<String>, Option<String>)>,
}

/// One Istio (or Kubernetes Service) resource of the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub file: FileId,
    /// The whole resource (its document, or its item of a `kind: List`).
    pub span: Span,
    pub kind: ResourceKind,
    /// `apiVersion` as written (`gateway.networking.k8s.io/v1`).
    pub api_version: Option<Field<String>>,
    pub name: Field<String>,
    pub namespace_field: Option<Field<String>>,
    /// `metadata.namespace`, or the default namespace of the mesh settings.
    pub namespace: String,
    /// `metadata.creationTimestamp` (RFC 3339), which orders routes and policies where the
    /// Gateway API says "the oldest wins"; absent in most hand-written YAML.
    pub created: Option<String>,
    pub spec: Spec,
    /// The resource's YAML tree (spanning `span`), for what the model leaves out: fixes find
    /// a field's node with [`crate::resolve::Mesh::node_at`].
    pub node: Node,
}

impl Resource {
    pub fn reference(&self) -> ResourceRef {
        ResourceRef {
            kind: self.kind.name().to_string(),
            namespace: self.namespace.clone(),
            name: self.name.value.clone(),
        }
    }

    /// The Gateway API's "oldest first, then by namespace and name" (route precedence, policy
    /// conflicts): by `creationTimestamp` (RFC 3339, so its text orders it), a resource without
    /// one first, as Istio's zero time sorts first.
    pub fn oldest_first(&self, other: &Resource) -> std::cmp::Ordering {
        fn key(r: &Resource) -> (&str, &str, &str) {
            (
                r.created.as_deref().unwrap_or(""),
                &r.namespace,
                &r.name.value,
            )
        }
        key(self).cmp(&key(other))
    }

    /// Istio's own order of its configuration (`sortConfigByCreationTime`: the order
    /// VirtualServices merge and Gateways are merged in): by `creationTimestamp`, then name,
    /// then namespace — where the Gateway API's [`Resource::oldest_first`] takes the namespace
    /// before the name.
    pub fn istio_config_order(&self, other: &Resource) -> std::cmp::Ordering {
        fn key(r: &Resource) -> (&str, &str, &str) {
            (
                r.created.as_deref().unwrap_or(""),
                &r.name.value,
                &r.namespace,
            )
        }
        key(self).cmp(&key(other))
    }

    /// `Kind namespace/name`, for messages.
    pub fn label(&self) -> String {
        format!(
            "{} {}/{}",
            self.kind.name(),
            self.namespace,
            self.name.value
        )
    }
}

// Resources are built once and kept in one Vec: the size difference between kinds does not
// matter, and boxing would only add indirection to every look-up.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Spec {
    Gateway(Gateway),
    VirtualService(VirtualService),
    DestinationRule(DestinationRule),
    ServiceEntry(ServiceEntry),
    PeerAuthentication(PeerAuthentication),
    Service(Service),
    GatewayClass(gateway_api::GatewayClass),
    KubernetesGateway(gateway_api::Gateway),
    ListenerSet(gateway_api::ListenerSet),
    /// HTTPRoute, GRPCRoute, TLSRoute and TCPRoute (the resource's kind says which).
    Route(gateway_api::Route),
    ReferenceGrant(gateway_api::ReferenceGrant),
    BackendTlsPolicy(gateway_api::BackendTlsPolicy),
    Namespace(gateway_api::Namespace),
    /// A Secret or a ConfigMap.
    KeyStore(gateway_api::KeyStore),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Gateway {
    /// `spec.selector`, sorted by key.
    pub selector: Vec<(String, String)>,
    pub servers: Vec<Server>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Server {
    pub span: Span,
    pub port: Option<Field<PortSpec>>,
    pub hosts: Option<Field<Vec<Spanned<String>>>>,
    pub tls: Option<Field<ServerTls>>,
}

impl Server {
    pub fn port_number(&self) -> Option<u32> {
        self.port.as_ref()?.value.number.as_ref().map(|n| n.value)
    }

    pub fn protocol(&self) -> Option<Protocol> {
        self.port.as_ref()?.value.protocol.as_ref().map(|p| p.value)
    }

    /// The TLS mode in force: an explicit `mode`, PASSTHROUGH for a `tls` block without one,
    /// none when there is no `tls` block.
    pub fn tls_mode(&self) -> Option<ServerTlsMode> {
        let tls = self.tls.as_ref()?;
        Some(
            tls.value
                .mode
                .as_ref()
                .map_or(ServerTlsMode::Passthrough, |m| m.value),
        )
    }

    /// The span to point at for the TLS mode: `mode`'s value, else the `tls` key.
    pub fn tls_mode_span(&self) -> Option<Span> {
        let tls = self.tls.as_ref()?;
        Some(tls.value.mode.as_ref().map_or(tls.key, |mode| mode.span))
    }

    pub fn host_values(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.hosts.iter().flat_map(|hosts| hosts.value.iter())
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct PortSpec {
    pub number: Option<Field<u32>>,
    pub name: Option<Field<String>>,
    pub protocol: Option<Field<Protocol>>,
    pub target_port: Option<Field<u32>>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ServerTls {
    pub mode: Option<Field<ServerTlsMode>>,
    pub https_redirect: Option<Field<bool>>,
    pub credential_name: Option<Field<String>>,
    pub server_certificate: Option<Field<String>>,
    pub private_key: Option<Field<String>>,
    pub ca_certificates: Option<Field<String>>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct VirtualService {
    pub hosts: Option<Field<Vec<Spanned<String>>>>,
    pub gateways: Option<Field<Vec<Spanned<String>>>>,
    pub http: Option<Field<Vec<HttpRoute>>>,
    pub tls: Option<Field<Vec<TlsRoute>>>,
    pub tcp: Option<Field<Vec<TlsRoute>>>,
    pub export_to: Option<Field<Vec<Spanned<String>>>>,
}

impl VirtualService {
    pub fn host_values(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.hosts.iter().flat_map(|hosts| hosts.value.iter())
    }

    pub fn http_routes(&self) -> &[HttpRoute] {
        self.http.as_ref().map_or(&[], |http| &http.value)
    }

    pub fn tls_routes(&self) -> &[TlsRoute] {
        self.tls.as_ref().map_or(&[], |tls| &tls.value)
    }

    pub fn tcp_routes(&self) -> &[TlsRoute] {
        self.tcp.as_ref().map_or(&[], |tcp| &tcp.value)
    }

    /// Every destination of every rule (routes and mirrors), in source order.
    pub fn destinations(&self) -> impl Iterator<Item = &Destination> {
        let http = self.http_routes().iter().flat_map(|route| {
            route
                .route
                .iter()
                .map(|dest| &dest.destination)
                .chain(route.mirror.iter())
        });
        let tls_tcp = self
            .tls_routes()
            .iter()
            .chain(self.tcp_routes())
            .flat_map(|route| route.route.iter().map(|dest| &dest.destination));
        http.chain(tls_tcp)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HttpRoute {
    pub span: Span,
    pub name: Option<Field<String>>,
    pub matches: Option<Field<Vec<HttpMatch>>>,
    pub route: Vec<RouteDestination>,
    pub route_field: Option<Field<()>>,
    pub redirect: Option<Field<()>>,
    pub direct_response: Option<Field<()>>,
    pub mirror: Option<Destination>,
    pub fault: Option<Field<()>>,
    /// `fault.abort`: the status the proxy answers with instead of routing.
    pub abort: Option<FaultAbort>,
    /// `redirect.redirectCode` (Istio's default is 301) and `directResponse.status`.
    pub answer_status: Option<Field<u32>>,
    /// `rewrite.uri` and `rewrite.authority`.
    pub rewrite_uri: Option<Field<String>>,
    pub rewrite_authority: Option<Field<String>>,
    pub retries: Option<Field<Retries>>,
}

/// `fault.abort` of an HTTP rule.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultAbort {
    /// `httpStatus`.
    pub status: Field<u32>,
    /// `percentage.value` as written (a decimal); Istio aborts every request when it is unset.
    /// Kept as text: the page carries no float parsing or formatting (about 10 KB of wasm).
    pub percent: Option<String>,
}

impl FaultAbort {
    /// Whether the abort takes at least half of the requests (so a trace follows it); the
    /// whole part of the percentage decides (49.9 does not, 50 and 50.5 do).
    pub fn takes_most(&self) -> bool {
        let Some(percent) = &self.percent else {
            return true;
        };
        let whole = percent.split('.').next().unwrap_or("");
        whole.parse::<u32>().is_ok_and(|whole| whole >= 50)
    }
}

impl HttpRoute {
    pub fn match_items(&self) -> &[HttpMatch] {
        self.matches.as_ref().map_or(&[], |m| &m.value)
    }

    /// True when the rule matches every request that reaches it: no `match`, or a match
    /// entry with no condition at all.
    pub fn is_unconditional(&self) -> bool {
        let items = self.match_items();
        items.is_empty() || items.iter().any(HttpMatch::is_empty)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HttpMatch {
    pub span: Span,
    /// How many request conditions (uri, headers, method, port, …) this entry sets,
    /// not counting `gateways`.
    pub conditions: usize,
    pub gateways: Option<Field<Vec<Spanned<String>>>>,
    pub port: Option<Field<u32>>,
    pub uri: Option<Field<StringMatch>>,
    pub authority: Option<Field<StringMatch>>,
    pub scheme: Option<Field<StringMatch>>,
    pub method: Option<Field<StringMatch>>,
    /// `headers`, by lower-cased name.
    pub headers: Vec<(String, Field<StringMatch>)>,
    /// `withoutHeaders`, by lower-cased name: the request matches when none of them does.
    pub without_headers: Vec<(String, Field<StringMatch>)>,
    /// `queryParams`, by name as written (Envoy compares query parameter names exactly).
    pub query_params: Vec<(String, Field<StringMatch>)>,
    pub source: SourceMatch,
    pub ignore_uri_case: bool,
}

/// The `sourceLabels` and `sourceNamespace` of a match entry: which client workloads it
/// takes (Istio compares them with the client proxy's own labels and namespace).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SourceMatch {
    /// Sorted by key.
    pub labels: Vec<(String, String)>,
    pub namespace: Option<Field<String>>,
}

/// How an HTTP match condition compares a request value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchKind {
    Exact,
    Prefix,
    Regex,
}

/// One string condition of an HTTP match entry (`uri: {prefix: /api}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringMatch {
    pub kind: MatchKind,
    pub value: String,
}

impl StringMatch {
    /// Does `text` satisfy the condition? A regular expression must match all of it (RE2, as
    /// Envoy's `safe_regex`); `None` for one the engine does not accept.
    pub fn matches(&self, text: &str, ignore_case: bool) -> Option<bool> {
        let folded = |s: &str| {
            if ignore_case {
                s.to_ascii_lowercase()
            } else {
                s.to_string()
            }
        };
        match self.kind {
            MatchKind::Exact => Some(folded(text) == folded(&self.value)),
            MatchKind::Prefix => Some(folded(text).starts_with(&folded(&self.value))),
            MatchKind::Regex => crate::regex_match::full_match(&self.value, text, ignore_case),
        }
    }
}

impl fmt::Display for StringMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            MatchKind::Exact => "exact",
            MatchKind::Prefix => "prefix",
            MatchKind::Regex => "regex",
        };
        write!(f, "{kind} {}", self.value)
    }
}

impl HttpMatch {
    pub fn is_empty(&self) -> bool {
        self.conditions == 0 && self.gateways.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Retries {
    pub attempts: Option<Field<u32>>,
}

/// A `tls:` or `tcp:` rule: both match on L4 properties and route without L7 features.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsRoute {
    pub span: Span,
    pub matches: Option<Field<Vec<TlsMatch>>>,
    pub route: Vec<RouteDestination>,
    pub route_field: Option<Field<()>>,
}

impl TlsRoute {
    pub fn match_items(&self) -> &[TlsMatch] {
        self.matches.as_ref().map_or(&[], |m| &m.value)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TlsMatch {
    pub span: Span,
    pub sni_hosts: Option<Field<Vec<Spanned<String>>>>,
    pub port: Option<Field<u32>>,
    pub gateways: Option<Field<Vec<Spanned<String>>>>,
    /// `destinationSubnets` (`tcp` rules): the connection's destination address must be in one.
    pub destination_subnets: Option<Field<Vec<Spanned<String>>>>,
    pub source: SourceMatch,
    /// Every key of this match entry, for fixes that remove some of them.
    pub keys: Vec<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouteDestination {
    pub span: Span,
    pub destination: Destination,
    pub weight: Option<Field<i64>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Destination {
    pub span: Span,
    /// The `destination:` (or `mirror:`) key.
    pub key: Span,
    pub host: Option<Field<String>>,
    pub subset: Option<Field<String>>,
    pub port: Option<Field<u32>>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct DestinationRule {
    pub host: Option<Field<String>>,
    pub traffic_policy: Option<Field<TrafficPolicy>>,
    pub subsets: Vec<Subset>,
    pub subsets_field: Option<Field<()>>,
    pub export_to: Option<Field<Vec<Spanned<String>>>>,
    pub has_workload_selector: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct TrafficPolicy {
    pub tls: Option<Field<ClientTls>>,
    pub port_level: Vec<PortTrafficPolicy>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PortTrafficPolicy {
    pub span: Span,
    pub port: Option<Field<u32>>,
    pub tls: Option<Field<ClientTls>>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ClientTls {
    pub mode: Option<Field<ClientTlsMode>>,
    pub credential_name: Option<Field<String>>,
    pub ca_certificates: Option<Field<String>>,
    pub client_certificate: Option<Field<String>>,
    pub private_key: Option<Field<String>>,
    pub sni: Option<Field<String>>,
    pub insecure_skip_verify: Option<Field<bool>>,
}

impl ClientTls {
    /// An absent mode means DISABLE as written (auto-mTLS only applies without a `tls`).
    pub fn mode_value(&self) -> ClientTlsMode {
        self.mode
            .as_ref()
            .map_or(ClientTlsMode::Disable, |m| m.value)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Subset {
    pub span: Span,
    pub name: Option<Field<String>>,
    pub traffic_policy: Option<Field<TrafficPolicy>>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ServiceEntry {
    pub hosts: Option<Field<Vec<Spanned<String>>>>,
    pub addresses: Option<Field<Vec<Spanned<String>>>>,
    pub ports: Vec<Spanned<PortSpec>>,
    pub location: Option<Field<String>>,
    pub resolution: Option<Field<String>>,
    pub export_to: Option<Field<Vec<Spanned<String>>>>,
}

impl ServiceEntry {
    pub fn host_values(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.hosts.iter().flat_map(|hosts| hosts.value.iter())
    }

    /// MESH_INTERNAL entries are workloads in the mesh (with sidecars, so with mTLS).
    pub fn is_mesh_internal(&self) -> bool {
        self.location
            .as_ref()
            .is_some_and(|location| location.value == "MESH_INTERNAL")
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct PeerAuthentication {
    pub has_selector: bool,
    pub mode: Option<Field<MtlsMode>>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Service {
    pub ports: Vec<Spanned<ServicePort>>,
    /// `spec.externalName` of a `type: ExternalName` Service: the host it is an alias of.
    pub external_name: Option<Field<String>>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ServicePort {
    pub number: Option<Field<u32>>,
    pub name: Option<Field<String>>,
    pub app_protocol: Option<Field<String>>,
}

impl ServicePort {
    /// `appProtocol` first, then the port name's prefix; unknown means Istio sniffs it.
    pub fn protocol(&self) -> Option<Protocol> {
        self.app_protocol
            .as_ref()
            .and_then(|p| Protocol::parse_any_case(&p.value))
            .or_else(|| {
                self.name
                    .as_ref()
                    .and_then(|n| Protocol::from_port_name(&n.value))
            })
    }
}
