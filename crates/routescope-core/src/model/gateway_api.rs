//! Typed Kubernetes Gateway API resources (`gateway.networking.k8s.io`) and the core objects
//! their attachment reads (Namespace labels, Secret and ConfigMap keys). Like the Istio kinds,
//! every field a check or the status reads keeps its spans; these are first-class resources of
//! the [`crate::resolve::Mesh`], not translations into Istio objects.

use std::fmt;

use super::{Field, Named, Spanned};
use crate::source::Span;

/// The API group of the Gateway API kinds.
pub const GROUP: &str = "gateway.networking.k8s.io";

named_enum!(
    /// Listener `protocol` values Istio implements; anything else is `UnsupportedProtocol`.
    ListenerProtocol, "listener protocol" {
        Http = "HTTP",
        Https = "HTTPS",
        Tls = "TLS",
        Tcp = "TCP",
        Udp = "UDP",
    }
);

named_enum!(
    /// Listener `tls.mode`. Absent means `Terminate` — the opposite of an Istio Gateway, where a
    /// `tls` block without `mode` means PASSTHROUGH.
    ListenerTlsMode, "TLS mode" {
        Terminate = "Terminate",
        Passthrough = "Passthrough",
    }
);

named_enum!(
    /// `allowedRoutes.namespaces.from`.
    FromNamespaces, "namespace selection" {
        Same = "Same",
        All = "All",
        Selector = "Selector",
        None = "None",
    }
);

named_enum!(
    /// HTTPRoute `matches[].path.type`.
    PathMatchType, "path match type" {
        Exact = "Exact",
        PathPrefix = "PathPrefix",
        RegularExpression = "RegularExpression",
    }
);

named_enum!(
    /// Header and query parameter match `type`.
    ValueMatchType, "match type" {
        Exact = "Exact",
        RegularExpression = "RegularExpression",
    }
);

/// The route kinds of the Gateway API that Istio implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteType {
    Http,
    Grpc,
    Tls,
    Tcp,
}

impl RouteType {
    pub fn kind(self) -> &'static str {
        match self {
            RouteType::Http => "HTTPRoute",
            RouteType::Grpc => "GRPCRoute",
            RouteType::Tls => "TLSRoute",
            RouteType::Tcp => "TCPRoute",
        }
    }

    pub fn of_kind(kind: &str) -> Option<RouteType> {
        [
            RouteType::Http,
            RouteType::Grpc,
            RouteType::Tls,
            RouteType::Tcp,
        ]
        .into_iter()
        .find(|route| route.kind() == kind)
    }
}

impl fmt::Display for RouteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// A reference to another object by group, kind, name and optional namespace
/// (`certificateRefs`, `caCertificateRefs`, `backendRefs`, policy `targetRefs`, `parentRef`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ObjectRef {
    pub span: Span,
    pub group: Option<Field<String>>,
    pub kind: Option<Field<String>>,
    pub name: Option<Field<String>>,
    pub namespace: Option<Field<String>>,
    /// `sectionName`, where the reference may name a listener or a port.
    pub section_name: Option<Field<String>>,
    pub port: Option<Field<u32>>,
    /// `weight` of a backendRef.
    pub weight: Option<Field<i64>>,
}

impl ObjectRef {
    /// The group as written, `""` (the core group) when absent or empty.
    pub fn group_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.group.as_ref().map_or(default, |g| g.value.as_str())
    }

    pub fn kind_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.kind.as_ref().map_or(default, |k| k.value.as_str())
    }

    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.namespace
            .as_ref()
            .map_or(default, |n| n.value.as_str())
    }

    pub fn name_value(&self) -> &str {
        self.name.as_ref().map_or("", |n| n.value.as_str())
    }

    /// Where to point at this reference: its name, else the whole entry.
    pub fn name_span(&self) -> Span {
        self.name.as_ref().map_or(self.span, |n| n.span)
    }
}

/// `metav1.LabelSelector`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<LabelExpression>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LabelExpression {
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub operator: String,
    pub values: Vec<String>,
}

impl LabelSelector {
    /// Whether `labels` satisfy every label and expression. An unknown operator matches nothing,
    /// as the API server would have refused it.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let value = |key: &str| labels.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        self.match_labels
            .iter()
            .all(|(key, wanted)| value(key) == Some(wanted))
            && self.match_expressions.iter().all(|expression| {
                let found = value(&expression.key);
                match expression.operator.as_str() {
                    "In" => found.is_some_and(|v| expression.values.contains(v)),
                    "NotIn" => found.is_none_or(|v| !expression.values.contains(v)),
                    "Exists" => found.is_some(),
                    "DoesNotExist" => found.is_none(),
                    _ => false,
                }
            })
    }

    /// The label keys the selector reads.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.match_labels
            .iter()
            .map(|(key, _)| key.as_str())
            .chain(self.match_expressions.iter().map(|e| e.key.as_str()))
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct GatewayClass {
    pub controller_name: Option<Field<String>>,
}

/// A Gateway API Gateway (`gateway.networking.k8s.io`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Gateway {
    pub gateway_class_name: Option<Field<String>>,
    pub listeners: Vec<Listener>,
    pub listeners_field: Option<Field<()>>,
    /// `spec.allowedListeners.namespaces`: which namespaces' ListenerSets may attach. Absent
    /// means none may.
    pub allowed_listeners: Option<Field<NamespaceSelection>>,
}

/// A ListenerSet: listeners of a parent Gateway declared in another object.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ListenerSet {
    pub parent_ref: Option<Field<ObjectRef>>,
    pub listeners: Vec<Listener>,
    pub listeners_field: Option<Field<()>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Listener {
    pub span: Span,
    pub name: Option<Field<String>>,
    pub hostname: Option<Field<String>>,
    pub port: Option<Field<u32>>,
    /// As written: `HTTP`, `HTTPS`, `TLS`, `TCP`, `UDP` or a domain-prefixed custom protocol.
    pub protocol: Option<Field<String>>,
    pub tls: Option<Field<ListenerTls>>,
    pub allowed_routes: Option<Field<AllowedRoutes>>,
}

impl Listener {
    pub fn name_value(&self) -> &str {
        self.name.as_ref().map_or("", |n| n.value.as_str())
    }

    pub fn port_number(&self) -> Option<u32> {
        self.port.as_ref().map(|p| p.value)
    }

    /// The protocol, when it is one Istio implements.
    pub fn protocol_value(&self) -> Option<ListenerProtocol> {
        ListenerProtocol::parse(&self.protocol.as_ref()?.value)
    }

    /// The TLS mode in force: an explicit `mode`, else `Terminate` when a `tls` block exists.
    pub fn tls_mode(&self) -> Option<ListenerTlsMode> {
        let tls = self.tls.as_ref()?;
        Some(
            tls.value
                .mode
                .as_ref()
                .map_or(ListenerTlsMode::Terminate, |m| m.value),
        )
    }

    /// The hostname, `None` for a listener that accepts every host.
    pub fn hostname_value(&self) -> Option<&str> {
        self.hostname.as_ref().map(|h| h.value.as_str())
    }

    /// Where to point at the listener: its name, else its entry.
    pub fn name_span(&self) -> Span {
        self.name.as_ref().map_or(self.span, |n| n.span)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ListenerTls {
    pub mode: Option<Field<ListenerTlsMode>>,
    pub certificate_refs: Option<Field<Vec<ObjectRef>>>,
    /// `tls.options` is set (an implementation may take its certificate from there).
    pub has_options: bool,
}

impl ListenerTls {
    pub fn certificate_refs(&self) -> &[ObjectRef] {
        self.certificate_refs.as_ref().map_or(&[], |r| &r.value)
    }
}

/// `namespaces: {from, selector}`, of `allowedRoutes` and of `allowedListeners`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NamespaceSelection {
    pub from: Option<Field<FromNamespaces>>,
    pub selector: Option<Field<LabelSelector>>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct AllowedRoutes {
    pub namespaces: Option<Field<NamespaceSelection>>,
    pub kinds: Option<Field<Vec<ObjectRef>>>,
}

impl AllowedRoutes {
    /// `namespaces.from`, `Same` when absent.
    pub fn from(&self) -> FromNamespaces {
        self.namespaces
            .as_ref()
            .and_then(|n| n.value.from.as_ref())
            .map_or(FromNamespaces::Same, |f| f.value)
    }
}

/// HTTPRoute, GRPCRoute, TLSRoute and TCPRoute share their attachment and backends.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Route {
    pub parent_refs: Option<Field<Vec<ObjectRef>>>,
    pub hostnames: Option<Field<Vec<Spanned<String>>>>,
    pub rules: Option<Field<Vec<RouteRule>>>,
}

impl Route {
    pub fn parent_refs(&self) -> &[ObjectRef] {
        self.parent_refs.as_ref().map_or(&[], |r| &r.value)
    }

    pub fn hostname_values(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.hostnames.iter().flat_map(|h| h.value.iter())
    }

    pub fn rules(&self) -> &[RouteRule] {
        self.rules.as_ref().map_or(&[], |r| &r.value)
    }

    /// Every backendRef of every rule, mirrors included, in source order.
    pub fn backend_refs(&self) -> impl Iterator<Item = &ObjectRef> {
        self.rules().iter().flat_map(|rule| {
            rule.backend_refs().iter().chain(
                rule.filters()
                    .iter()
                    .filter_map(|filter| filter.mirror.as_ref()),
            )
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouteRule {
    pub span: Span,
    pub name: Option<Field<String>>,
    pub matches: Option<Field<Vec<RouteMatch>>>,
    pub filters: Option<Field<Vec<RouteFilter>>>,
    pub backend_refs: Option<Field<Vec<ObjectRef>>>,
}

impl RouteRule {
    pub fn matches(&self) -> &[RouteMatch] {
        self.matches.as_ref().map_or(&[], |m| &m.value)
    }

    pub fn filters(&self) -> &[RouteFilter] {
        self.filters.as_ref().map_or(&[], |f| &f.value)
    }

    pub fn backend_refs(&self) -> &[ObjectRef] {
        self.backend_refs.as_ref().map_or(&[], |b| &b.value)
    }
}

/// One entry of an HTTPRoute's (or GRPCRoute's) `matches`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RouteMatch {
    pub span: Span,
    pub path: Option<Field<PathMatch>>,
    pub headers: Vec<Spanned<ValueMatch>>,
    pub query_params: Vec<Spanned<ValueMatch>>,
    /// HTTP `method`, or for GRPCRoute `method.service`/`method.method` as `service/method`.
    pub method: Option<Field<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PathMatch {
    pub kind: PathMatchType,
    pub value: String,
}

impl Default for PathMatch {
    /// The API's default: `PathPrefix /`.
    fn default() -> PathMatch {
        PathMatch {
            kind: PathMatchType::PathPrefix,
            value: "/".to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValueMatch {
    pub kind: ValueMatchType,
    pub name: String,
    pub value: String,
}

/// One `filters` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteFilter {
    pub span: Span,
    /// `type` as written (`RequestRedirect`, `URLRewrite`, `RequestMirror`, …).
    pub kind: Option<Field<String>>,
    pub redirect: Option<Field<Redirect>>,
    pub rewrite: Option<Field<Rewrite>>,
    pub mirror: Option<ObjectRef>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Redirect {
    pub scheme: Option<String>,
    pub hostname: Option<String>,
    pub port: Option<u32>,
    pub status_code: Option<u32>,
    /// `path.replaceFullPath` or `path.replacePrefixMatch`, with which one it is.
    pub path: Option<PathModifier>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Rewrite {
    pub hostname: Option<String>,
    pub path: Option<PathModifier>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PathModifier {
    ReplaceFullPath(String),
    ReplacePrefixMatch(String),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ReferenceGrant {
    pub from: Vec<Spanned<GrantFrom>>,
    pub to: Vec<Spanned<GrantTo>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GrantFrom {
    pub group: String,
    pub kind: String,
    pub namespace: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GrantTo {
    pub group: String,
    pub kind: String,
    /// A grant without a name covers every object of the kind.
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct BackendTlsPolicy {
    pub target_refs: Option<Field<Vec<ObjectRef>>>,
    pub validation: Option<Field<BackendTlsValidation>>,
}

impl BackendTlsPolicy {
    pub fn target_refs(&self) -> &[ObjectRef] {
        self.target_refs.as_ref().map_or(&[], |t| &t.value)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct BackendTlsValidation {
    pub hostname: Option<Field<String>>,
    pub ca_certificate_refs: Option<Field<Vec<ObjectRef>>>,
    pub well_known_ca_certificates: Option<Field<String>>,
}

impl BackendTlsValidation {
    pub fn ca_certificate_refs(&self) -> &[ObjectRef] {
        self.ca_certificate_refs.as_ref().map_or(&[], |r| &r.value)
    }
}

/// A core Namespace: its labels (`allowedRoutes.namespaces.selector` reads them).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Namespace {
    /// `metadata.labels`, sorted by key, plus the automatic `kubernetes.io/metadata.name`.
    pub labels: Vec<(String, String)>,
}

/// A Secret or ConfigMap: what certificate references need of it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct KeyStore {
    /// Secret `type` (`kubernetes.io/tls`, …); `None` for a ConfigMap or an untyped Secret.
    pub type_: Option<Field<String>>,
    /// The keys of `data`, `stringData` (and `binaryData`), sorted.
    pub keys: Vec<String>,
}
