//! YAML documents → typed [`Resource`]s, reporting `yaml-syntax` and `invalid-field`.
//!
//! Unknown fields are ignored (Istio has far more than the checks need); a known field of the
//! wrong shape is reported and treated as absent, so one bad value never hides the rest.

use crate::diagnostic::{Diagnostic, Severity};
use crate::limits::{MAX_DOCUMENTS, MAX_INPUT_BYTES};
use crate::model::*;
use crate::source::{FileId, Sources, Span, first_line};
use std::collections::HashMap;
use std::ops::Range;

use crate::yaml::{self, Entry, Node, Value, YamlError};

mod gateway_api;

pub const YAML_SYNTAX: &str = "yaml-syntax";
pub const INVALID_FIELD: &str = "invalid-field";

/// What one file loads into.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loaded {
    pub resources: Vec<Resource>,
    pub diagnostics: Vec<Diagnostic>,
    /// The objects of kinds (or API groups and versions) that are not analysed.
    pub skipped: Vec<SkippedObject>,
}

impl Loaded {
    fn extend(&mut self, other: Loaded) {
        self.resources.extend(other.resources);
        self.diagnostics.extend(other.diagnostics);
        self.skipped.extend(other.skipped);
    }
}

/// Loads every file. Limits on the whole input are enforced here.
pub fn load(sources: &Sources, default_namespace: &str) -> Loaded {
    load_with(sources, |text, file_text, file, base| {
        let parsed = yaml::parse_documents(text, file, base);
        build_document(parsed, file_text, file, default_namespace)
    })
}

/// Parsed documents kept between analyses of a changing text: the playground analyses on
/// every keystroke, and a document whose text did not change is not parsed again. With
/// [`DocumentCache::recycle`], a document that did not move either keeps the resources built
/// from it, so a keystroke costs the edited document, not a copy of every other one.
#[derive(Default)]
pub struct DocumentCache {
    /// Document text → its parse, with spans as if it started at byte 0 of file 0.
    parsed: HashMap<String, Parsed>,
    /// The documents of the last load, in input order.
    last: Vec<Built>,
    /// Documents of the last load with the resources `recycle` gave back, by where they start.
    recycled: HashMap<(FileId, usize), (Built, Vec<Resource>)>,
}

type Parsed = Result<Vec<Node>, YamlError>;

/// One document at one place of the input, and what loading it reported. Its resources live
/// in the analysis until `recycle` gives them back.
struct Built {
    file: FileId,
    base: usize,
    text: String,
    default_namespace: String,
    /// How many resources it gave, in the order `load` returned them.
    resources: usize,
    diagnostics: Vec<Diagnostic>,
    skipped: Vec<SkippedObject>,
}

impl DocumentCache {
    pub fn new() -> DocumentCache {
        DocumentCache::default()
    }

    /// How many distinct documents the cache holds (those of the last load).
    pub fn len(&self) -> usize {
        self.parsed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parsed.is_empty()
    }

    /// Takes back the resources of the last load (all of them, in the order it returned
    /// them), so that the next load reuses those of the documents that did not change or move
    /// instead of building them again. Anything else is dropped.
    pub fn recycle(&mut self, mut resources: Vec<Resource>) {
        self.recycled.clear();
        let last = std::mem::take(&mut self.last);
        if resources.len() != last.iter().map(|built| built.resources).sum::<usize>() {
            return;
        }
        for built in last.into_iter().rev() {
            let own = resources.split_off(resources.len() - built.resources);
            self.recycled.insert((built.file, built.base), (built, own));
        }
    }
}

/// [`load`], parsing only the documents the cache does not hold, and building resources only
/// for the documents it does not hold at the same place (see [`DocumentCache::recycle`]). The
/// cache keeps just the documents of this input afterwards.
pub fn load_cached(
    sources: &Sources,
    default_namespace: &str,
    cache: &mut DocumentCache,
) -> Loaded {
    let mut previous = std::mem::take(&mut cache.parsed);
    let mut recycled = std::mem::take(&mut cache.recycled);
    cache.last.clear();
    load_with(sources, |text, file_text, file, base| {
        let (built, resources) = match recycled.remove(&(file, base)) {
            Some((built, resources))
                if built.text == text && built.default_namespace == default_namespace =>
            {
                if let Some((text, parsed)) = previous.remove_entry(text) {
                    cache.parsed.insert(text, parsed);
                }
                (built, resources)
            }
            _ => {
                let parsed = match cache.parsed.get(text) {
                    Some(parsed) => parsed,
                    None => {
                        let parsed = previous
                            .remove(text)
                            .unwrap_or_else(|| yaml::parse_documents(text, FileId(0), 0));
                        cache.parsed.entry(text.to_string()).or_insert(parsed)
                    }
                };
                let delta = base as u32;
                let rebased = match parsed {
                    Ok(roots) => Ok(roots.iter().map(|root| root.rebased(file, delta)).collect()),
                    Err(error) => Err(error.rebased(file, delta)),
                };
                let loaded = build_document(rebased, file_text, file, default_namespace);
                let built = Built {
                    file,
                    base,
                    text: text.to_string(),
                    default_namespace: default_namespace.to_string(),
                    resources: loaded.resources.len(),
                    diagnostics: loaded.diagnostics,
                    skipped: loaded.skipped,
                };
                (built, loaded.resources)
            }
        };
        let diagnostics = built.diagnostics.clone();
        let skipped = built.skipped.clone();
        cache.last.push(built);
        Loaded {
            resources,
            diagnostics,
            skipped,
        }
    })
}

/// Loads every document with `document(its text, its file's text, its file, where it starts)`.
fn load_with(
    sources: &Sources,
    mut document: impl FnMut(&str, &str, FileId, usize) -> Loaded,
) -> Loaded {
    let total: usize = sources.iter().map(|(_, file)| file.text.len()).sum();
    if total > MAX_INPUT_BYTES {
        let (file, _) = sources
            .iter()
            .next()
            .expect("input over the limit is not empty");
        return Loaded {
            resources: Vec::new(),
            diagnostics: vec![Diagnostic::new(
                YAML_SYNTAX,
                Severity::Error,
                Span::new(file, 0..0),
                format!(
                    "input is {total} bytes, over the limit of {MAX_INPUT_BYTES} bytes \
                     (16 MiB); nothing was analysed"
                ),
            )],
            skipped: Vec::new(),
        };
    }
    let mut loaded = Loaded::default();
    let mut documents = 0;
    for (file, source) in sources.iter() {
        for range in yaml::split_documents(&source.text) {
            documents += 1;
            if documents > MAX_DOCUMENTS {
                loaded.diagnostics.push(Diagnostic::new(
                    YAML_SYNTAX,
                    Severity::Error,
                    Span::new(file, range.start..range.start),
                    format!(
                        "more than {MAX_DOCUMENTS} documents; the rest of the input was not \
                         analysed"
                    ),
                ));
                return loaded;
            }
            loaded.extend(document(
                &source.text[range.clone()],
                &source.text,
                file,
                range.start,
            ));
        }
    }
    loaded
}

/// Loads the document chunk `range` of `text`, the text of `file` (see
/// [`yaml::split_documents`]).
pub fn load_document(
    text: &str,
    range: Range<usize>,
    file: FileId,
    default_namespace: &str,
) -> Loaded {
    let parsed = yaml::parse_documents(&text[range.clone()], file, range.start);
    build_document(parsed, text, file, default_namespace)
}

/// The resources of one parsed document chunk of `text`, the text of `file`. Each keeps its
/// YAML tree, so fixes can read what the model leaves out without parsing again.
fn build_document(parsed: Parsed, text: &str, file: FileId, default_namespace: &str) -> Loaded {
    let mut reader = Reader {
        text,
        diagnostics: Vec::new(),
        skipped: Vec::new(),
    };
    let mut resources = Vec::new();
    match parsed {
        Err(error) => reader.diagnostics.push(Diagnostic::new(
            YAML_SYNTAX,
            Severity::Error,
            error.span,
            format!("invalid YAML: {}", error.message),
        )),
        Ok(roots) => {
            for root in roots {
                reader.document(root, file, default_namespace, &mut resources);
            }
        }
    }
    Loaded {
        resources,
        diagnostics: reader.diagnostics,
        skipped: reader.skipped,
    }
}

struct Reader<'t> {
    /// The text of the file being read.
    text: &'t str,
    diagnostics: Vec<Diagnostic>,
    skipped: Vec<SkippedObject>,
}

enum Group {
    Networking,
    Security,
    Core,
    /// `gateway.networking.k8s.io`, any version: which versions are served is a check's
    /// business (`gateway-api-version`), so every version is read.
    GatewayApi,
    Other,
}

fn group_of(api_version: &str) -> Group {
    match api_version {
        "networking.istio.io/v1alpha3"
        | "networking.istio.io/v1beta1"
        | "networking.istio.io/v1" => Group::Networking,
        "security.istio.io/v1beta1" | "security.istio.io/v1" => Group::Security,
        "v1" => Group::Core,
        _ if api_version
            .strip_prefix(crate::model::gateway_api::GROUP)
            .is_some_and(|version| version.starts_with('/')) =>
        {
            Group::GatewayApi
        }
        _ => Group::Other,
    }
}

impl Reader<'_> {
    fn invalid(&mut self, span: Span, message: String) {
        self.diagnostics.push(Diagnostic::new(
            INVALID_FIELD,
            Severity::Error,
            span,
            message,
        ));
    }

    fn document(
        &mut self,
        root: Node,
        file: FileId,
        default_namespace: &str,
        out: &mut Vec<Resource>,
    ) {
        // A document with neither `apiVersion` nor `kind` is no Kubernetes object (a CI
        // workflow, a compose file, a playbook): skipped silently, so that every YAML file of a
        // repository can be handed over.
        let names_an_object = root.as_mapping().is_some()
            && (root.get("apiVersion").is_some() || root.get("kind").is_some());
        if !names_an_object {
            return;
        }
        let Some(kind) = self.string(&root, "kind") else {
            self.invalid(
                first_line(self.text, root.span),
                "document has no `kind`; it is not analysed".into(),
            );
            return;
        };
        if kind.value.ends_with("List") && root.get("items").is_some() {
            if self.list(&root, "items").is_some() {
                for item in into_items(root) {
                    self.document(item, file, default_namespace, out);
                }
            }
            return;
        }
        let api_version = self.string(&root, "apiVersion");
        let group = api_version
            .as_ref()
            .map_or(Group::Other, |v| group_of(&v.value));
        let kind = match (group, kind.value.as_str()) {
            (Group::Networking, "Gateway") => ResourceKind::Gateway,
            (Group::Networking, "VirtualService") => ResourceKind::VirtualService,
            (Group::Networking, "DestinationRule") => ResourceKind::DestinationRule,
            (Group::Networking, "ServiceEntry") => ResourceKind::ServiceEntry,
            (Group::Security, "PeerAuthentication") => ResourceKind::PeerAuthentication,
            (Group::Core, "Service") => ResourceKind::Service,
            (Group::Core, "Namespace") => ResourceKind::Namespace,
            (Group::Core, "Secret") => ResourceKind::Secret,
            (Group::Core, "ConfigMap") => ResourceKind::ConfigMap,
            (Group::GatewayApi, "GatewayClass") => ResourceKind::GatewayClass,
            (Group::GatewayApi, "Gateway") => ResourceKind::KubernetesGateway,
            (Group::GatewayApi, "ListenerSet" | "XListenerSet") => ResourceKind::ListenerSet,
            (Group::GatewayApi, "HTTPRoute") => ResourceKind::HttpRoute,
            (Group::GatewayApi, "GRPCRoute") => ResourceKind::GrpcRoute,
            (Group::GatewayApi, "TLSRoute") => ResourceKind::TlsRoute,
            (Group::GatewayApi, "TCPRoute") => ResourceKind::TcpRoute,
            (Group::GatewayApi, "ReferenceGrant") => ResourceKind::ReferenceGrant,
            (Group::GatewayApi, "BackendTLSPolicy") => ResourceKind::BackendTlsPolicy,
            // Kinds (and API groups) we do not analyse.
            _ => {
                self.skipped.push(SkippedObject {
                    span: root.span,
                    api_version,
                    kind,
                    keys: top_level_keys(&root),
                });
                return;
            }
        };
        let metadata = self.mapping(&root, "metadata");
        let name = metadata.and_then(|m| self.string(m.value, "name"));
        let Some(name) = name else {
            let at = metadata.map_or(first_line(self.text, root.span), |m| m.key);
            self.invalid(
                at,
                format!("{} has no `metadata.name`; it is not analysed", kind.name()),
            );
            return;
        };
        let namespace_field = metadata.and_then(|m| self.string(m.value, "namespace"));
        let namespace = namespace_field
            .as_ref()
            .map_or(default_namespace, |ns| ns.value.as_str())
            .to_string();
        let created = metadata
            .and_then(|m| self.string(m.value, "creationTimestamp"))
            .map(|created| created.value);
        // Namespaces are cluster-scoped: their own name is their namespace.
        let namespace = if kind == ResourceKind::Namespace {
            name.value.clone()
        } else {
            namespace
        };
        let empty = Node {
            span: Span::new(file, root.span.end as usize..root.span.end as usize),
            value: Value::Mapping(Vec::new()),
        };
        let spec_node = self
            .mapping(&root, "spec")
            .map_or(&empty, |spec| spec.value);
        let spec = match kind {
            ResourceKind::Gateway => Spec::Gateway(self.gateway(spec_node)),
            ResourceKind::VirtualService => Spec::VirtualService(self.virtual_service(spec_node)),
            ResourceKind::DestinationRule => {
                Spec::DestinationRule(self.destination_rule(spec_node))
            }
            ResourceKind::ServiceEntry => Spec::ServiceEntry(self.service_entry(spec_node)),
            ResourceKind::PeerAuthentication => {
                Spec::PeerAuthentication(self.peer_authentication(spec_node))
            }
            ResourceKind::Service => Spec::Service(self.service(spec_node)),
            ResourceKind::GatewayClass => Spec::GatewayClass(self.gateway_class(spec_node)),
            ResourceKind::KubernetesGateway => {
                Spec::KubernetesGateway(self.kubernetes_gateway(spec_node))
            }
            ResourceKind::ListenerSet => Spec::ListenerSet(self.listener_set(spec_node)),
            ResourceKind::HttpRoute
            | ResourceKind::GrpcRoute
            | ResourceKind::TlsRoute
            | ResourceKind::TcpRoute => Spec::Route(self.route(spec_node)),
            ResourceKind::ReferenceGrant => Spec::ReferenceGrant(self.reference_grant(spec_node)),
            ResourceKind::BackendTlsPolicy => {
                Spec::BackendTlsPolicy(self.backend_tls_policy(spec_node))
            }
            ResourceKind::Namespace => {
                Spec::Namespace(self.namespace_object(metadata.map(|m| m.value), &name.value))
            }
            ResourceKind::Secret | ResourceKind::ConfigMap => Spec::KeyStore(self.key_store(&root)),
        };
        out.push(Resource {
            file,
            span: root.span,
            kind,
            api_version,
            name,
            namespace_field,
            namespace,
            created,
            spec,
            node: root,
        });
    }

    // ---- field readers: each reports a value of the wrong shape and returns None ----

    fn field<'n, T>(
        &mut self,
        node: &'n Node,
        key: &str,
        read: impl FnOnce(&mut Self, &'n Node) -> Result<T, String>,
    ) -> Option<Field<T>> {
        let entry: &Entry = node.entry(key)?;
        if entry.value.is_null() {
            return None;
        }
        if entry
            .value
            .as_scalar()
            .is_some_and(|s| s.plain && &*s.text == "...")
        {
            // Documentation snippets elide what does not matter with `...`; people paste them.
            self.diagnostics.push(Diagnostic::new(
                INVALID_FIELD,
                Severity::Info,
                entry.value.span,
                format!("`{key}` is elided (`...`, as in documentation); it is not analysed"),
            ));
            return None;
        }
        match read(self, &entry.value) {
            Ok(value) => Some(Field {
                value,
                key: entry.key.span,
                span: entry.value.span,
            }),
            Err(expected) => {
                self.invalid(
                    entry.value.span,
                    format!(
                        "`{key}` must be {expected}, found {}",
                        entry.value.describe()
                    ),
                );
                None
            }
        }
    }

    fn string(&mut self, node: &Node, key: &str) -> Option<Field<String>> {
        self.field(node, key, |_, value| scalar_text(value))
    }

    fn mapping<'n>(&mut self, node: &'n Node, key: &str) -> Option<Field<&'n Node>> {
        self.field(node, key, |_, value| match value.value {
            Value::Mapping(_) => Ok(value),
            _ => Err("a mapping".into()),
        })
    }

    fn list<'n>(&mut self, node: &'n Node, key: &str) -> Option<Field<&'n [Node]>> {
        self.field(node, key, |_, value| {
            value.as_sequence().ok_or_else(|| "a list".to_string())
        })
    }

    /// A list of mappings, each read by `read`.
    fn items<T>(
        &mut self,
        node: &Node,
        key: &str,
        mut read: impl FnMut(&mut Self, &Node) -> T,
    ) -> Option<Field<Vec<T>>> {
        let list = self.list(node, key)?;
        let mut items = Vec::with_capacity(list.value.len());
        for item in list.value {
            if item.as_mapping().is_some() {
                items.push(read(self, item));
            } else {
                self.invalid(
                    item.span,
                    format!(
                        "each `{key}` entry must be a mapping, found {}",
                        item.describe()
                    ),
                );
            }
        }
        Some(Field {
            value: items,
            key: list.key,
            span: list.span,
        })
    }

    fn strings(&mut self, node: &Node, key: &str) -> Option<Field<Vec<Spanned<String>>>> {
        let list = self.list(node, key)?;
        let mut values = Vec::with_capacity(list.value.len());
        for item in list.value {
            match scalar_text(item) {
                Ok(text) => values.push(Spanned {
                    value: text,
                    span: item.span,
                }),
                Err(_) => self.invalid(
                    item.span,
                    format!(
                        "each `{key}` entry must be a string, found {}",
                        item.describe()
                    ),
                ),
            }
        }
        Some(Field {
            value: values,
            key: list.key,
            span: list.span,
        })
    }

    fn number(&mut self, node: &Node, key: &str) -> Option<Field<u32>> {
        self.field(node, key, |_, value| {
            plain_text(value)
                .and_then(|text| text.parse::<u32>().ok())
                .ok_or_else(|| "a whole number".to_string())
        })
    }

    fn integer(&mut self, node: &Node, key: &str) -> Option<Field<i64>> {
        self.field(node, key, |_, value| {
            plain_text(value)
                .and_then(|text| text.parse::<i64>().ok())
                .ok_or_else(|| "a whole number".to_string())
        })
    }

    fn boolean(&mut self, node: &Node, key: &str) -> Option<Field<bool>> {
        self.field(node, key, |_, value| match plain_text(value) {
            Some("true" | "True" | "TRUE") => Ok(true),
            Some("false" | "False" | "FALSE") => Ok(false),
            _ => Err("true or false".into()),
        })
    }

    fn named<T: Named>(&mut self, node: &Node, key: &str) -> Option<Field<T>> {
        self.enumerated(node, key, T::parse)
    }

    fn protocol(&mut self, node: &Node, key: &str) -> Option<Field<Protocol>> {
        self.enumerated(node, key, Protocol::parse_any_case)
    }

    fn enumerated<T: Named>(
        &mut self,
        node: &Node,
        key: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<Field<T>> {
        let text = self.string(node, key)?;
        match parse(&text.value) {
            Some(value) => Some(Field {
                value,
                key: text.key,
                span: text.span,
            }),
            None => {
                let expected: Vec<&str> = T::ALL.iter().map(|v| v.name()).collect();
                self.invalid(
                    text.span,
                    format!(
                        "unknown {} `{}`; expected one of {}",
                        T::WHAT,
                        text.value,
                        expected.join(", ")
                    ),
                );
                None
            }
        }
    }

    /// A key whose presence matters but whose content the checks do not read.
    /// A string condition (`{exact: …}`, `{prefix: …}` or `{regex: …}`) under `key`.
    fn string_match(&mut self, node: &Node, key: &str) -> Option<Field<StringMatch>> {
        let condition = self.mapping(node, key)?;
        let value = Reader::string_match_of(condition.value)?;
        Some(Field {
            value,
            key: condition.key,
            span: condition.span,
        })
    }

    fn string_match_of(condition: &Node) -> Option<StringMatch> {
        condition.as_mapping()?.iter().find_map(|entry| {
            let kind = match entry.key.as_str()? {
                "exact" => MatchKind::Exact,
                "prefix" => MatchKind::Prefix,
                "regex" => MatchKind::Regex,
                _ => return None,
            };
            let value = entry.value.as_str()?.to_string();
            Some(StringMatch { kind, value })
        })
    }

    /// String conditions by name under `key` of an HTTP match entry (`headers`,
    /// `withoutHeaders`, `queryParams`); header names are lower-cased.
    fn named_matches(
        &mut self,
        node: &Node,
        key: &str,
        lower_case: bool,
    ) -> Vec<(String, Field<StringMatch>)> {
        let Some(conditions) = self.mapping(node, key) else {
            return Vec::new();
        };
        let entries = conditions.value.as_mapping().unwrap_or_default();
        entries
            .iter()
            .filter_map(|entry| {
                let name = entry.key.as_str()?;
                let name = if lower_case {
                    name.to_ascii_lowercase()
                } else {
                    name.to_string()
                };
                let value = Reader::string_match_of(&entry.value)?;
                let field = Field {
                    value,
                    key: entry.key.span,
                    span: entry.value.span,
                };
                Some((name, field))
            })
            .collect()
    }

    fn fault_abort(&mut self, route: &Node) -> Option<FaultAbort> {
        let abort = route.get("fault")?.get("abort")?;
        let status = self.number(abort, "httpStatus")?;
        let percent = abort
            .get("percentage")
            .and_then(|p| p.get("value"))
            .and_then(|v| v.as_str())
            .filter(|v| yaml::looks_numeric(v))
            .map(str::to_string);
        Some(FaultAbort { status, percent })
    }

    fn source_match(&mut self, node: &Node) -> SourceMatch {
        let mut labels = self
            .mapping(node, "sourceLabels")
            .map(|s| string_pairs(s.value))
            .unwrap_or_default();
        crate::order::sort(&mut labels);
        SourceMatch {
            labels,
            namespace: self.string(node, "sourceNamespace"),
        }
    }

    fn present(&mut self, node: &Node, key: &str) -> Option<Field<()>> {
        self.field(node, key, |_, _| Ok(()))
    }

    // ---- resources ----

    fn gateway(&mut self, spec: &Node) -> Gateway {
        let mut selector: Vec<(String, String)> = self
            .mapping(spec, "selector")
            .map(|s| string_pairs(s.value))
            .unwrap_or_default();
        crate::order::sort(&mut selector);
        let servers = self
            .items(spec, "servers", |r, server| Server {
                span: server.span,
                port: r.port_field(server, "port"),
                hosts: r.strings(server, "hosts"),
                tls: r.mapping(server, "tls").map(|tls| Field {
                    value: ServerTls {
                        mode: r.named(tls.value, "mode"),
                        https_redirect: r.boolean(tls.value, "httpsRedirect"),
                        credential_name: r.string(tls.value, "credentialName"),
                        server_certificate: r.string(tls.value, "serverCertificate"),
                        private_key: r.string(tls.value, "privateKey"),
                        ca_certificates: r.string(tls.value, "caCertificates"),
                    },
                    key: tls.key,
                    span: tls.span,
                }),
            })
            .map(|servers| servers.value)
            .unwrap_or_default();
        Gateway { selector, servers }
    }

    fn port_field(&mut self, node: &Node, key: &str) -> Option<Field<PortSpec>> {
        let port = self.mapping(node, key)?;
        Some(Field {
            value: self.port_spec(port.value),
            key: port.key,
            span: port.span,
        })
    }

    fn port_spec(&mut self, port: &Node) -> PortSpec {
        PortSpec {
            number: self.number(port, "number"),
            name: self.string(port, "name"),
            protocol: self.protocol(port, "protocol"),
            target_port: self.number(port, "targetPort"),
        }
    }

    fn virtual_service(&mut self, spec: &Node) -> VirtualService {
        VirtualService {
            hosts: self.strings(spec, "hosts"),
            gateways: self.strings(spec, "gateways"),
            http: self.items(spec, "http", Reader::http_route),
            tls: self.items(spec, "tls", Reader::tls_route),
            tcp: self.items(spec, "tcp", Reader::tls_route),
            export_to: self.strings(spec, "exportTo"),
        }
    }

    fn http_route(&mut self, route: &Node) -> HttpRoute {
        let route_field = self.present(route, "route");
        HttpRoute {
            span: route.span,
            name: self.string(route, "name"),
            matches: self.items(route, "match", |r, item| HttpMatch {
                span: item.span,
                conditions: item.as_mapping().map_or(0, |entries| {
                    entries
                        .iter()
                        .filter(|e| !matches!(e.key.as_str(), Some("gateways" | "name")))
                        .count()
                }),
                gateways: r.strings(item, "gateways"),
                port: r.number(item, "port"),
                uri: r.string_match(item, "uri"),
                authority: r.string_match(item, "authority"),
                scheme: r.string_match(item, "scheme"),
                method: r.string_match(item, "method"),
                headers: r.named_matches(item, "headers", true),
                without_headers: r.named_matches(item, "withoutHeaders", true),
                query_params: r.named_matches(item, "queryParams", false),
                source: r.source_match(item),
                ignore_uri_case: r.boolean(item, "ignoreUriCase").is_some_and(|b| b.value),
            }),
            route: self.route_destinations(route),
            route_field,
            redirect: self.present(route, "redirect"),
            direct_response: self.present(route, "directResponse"),
            mirror: self
                .mapping(route, "mirror")
                .map(|mirror| self.destination(&mirror)),
            fault: self.present(route, "fault"),
            abort: self.fault_abort(route),
            answer_status: match (route.get("redirect"), route.get("directResponse")) {
                (Some(redirect), _) => self.number(redirect, "redirectCode"),
                (None, Some(direct)) => self.number(direct, "status"),
                (None, None) => None,
            },
            rewrite_uri: route.get("rewrite").and_then(|r| self.string(r, "uri")),
            rewrite_authority: route
                .get("rewrite")
                .and_then(|r| self.string(r, "authority")),
            retries: self.mapping(route, "retries").map(|retries| Field {
                value: Retries {
                    attempts: self.number(retries.value, "attempts"),
                },
                key: retries.key,
                span: retries.span,
            }),
        }
    }

    fn tls_route(&mut self, route: &Node) -> TlsRoute {
        TlsRoute {
            span: route.span,
            matches: self.items(route, "match", |r, item| TlsMatch {
                span: item.span,
                sni_hosts: r.strings(item, "sniHosts"),
                port: r.number(item, "port"),
                gateways: r.strings(item, "gateways"),
                destination_subnets: r.strings(item, "destinationSubnets"),
                source: r.source_match(item),
                keys: item
                    .as_mapping()
                    .unwrap_or_default()
                    .iter()
                    .map(|entry| entry.key.span)
                    .collect(),
            }),
            route: self.route_destinations(route),
            route_field: self.present(route, "route"),
        }
    }

    fn route_destinations(&mut self, route: &Node) -> Vec<RouteDestination> {
        self.items(route, "route", |r, item| RouteDestination {
            span: item.span,
            destination: match r.mapping(item, "destination") {
                Some(destination) => r.destination(&destination),
                None => Destination {
                    span: item.span,
                    key: item.span,
                    host: None,
                    subset: None,
                    port: None,
                },
            },
            weight: r.integer(item, "weight"),
        })
        .map(|items| items.value)
        .unwrap_or_default()
    }

    fn destination(&mut self, destination: &Field<&Node>) -> Destination {
        let node = destination.value;
        Destination {
            span: node.span,
            key: destination.key,
            host: self.string(node, "host"),
            subset: self.string(node, "subset"),
            port: self
                .mapping(node, "port")
                .and_then(|port| self.number(port.value, "number")),
        }
    }

    fn destination_rule(&mut self, spec: &Node) -> DestinationRule {
        let subsets_field = self.present(spec, "subsets");
        DestinationRule {
            host: self.string(spec, "host"),
            traffic_policy: self.traffic_policy(spec),
            subsets: self
                .items(spec, "subsets", |r, subset| Subset {
                    span: subset.span,
                    name: r.string(subset, "name"),
                    traffic_policy: r.traffic_policy(subset),
                })
                .map(|subsets| subsets.value)
                .unwrap_or_default(),
            subsets_field,
            export_to: self.strings(spec, "exportTo"),
            has_workload_selector: spec.get("workloadSelector").is_some(),
        }
    }

    fn traffic_policy(&mut self, node: &Node) -> Option<Field<TrafficPolicy>> {
        let policy = self.mapping(node, "trafficPolicy")?;
        let value = TrafficPolicy {
            tls: self.client_tls(policy.value),
            port_level: self
                .items(policy.value, "portLevelSettings", |r, item| {
                    PortTrafficPolicy {
                        span: item.span,
                        port: r
                            .mapping(item, "port")
                            .and_then(|port| r.number(port.value, "number")),
                        tls: r.client_tls(item),
                    }
                })
                .map(|items| items.value)
                .unwrap_or_default(),
        };
        Some(Field {
            value,
            key: policy.key,
            span: policy.span,
        })
    }

    fn client_tls(&mut self, node: &Node) -> Option<Field<ClientTls>> {
        let tls = self.mapping(node, "tls")?;
        let value = ClientTls {
            mode: self.named(tls.value, "mode"),
            credential_name: self.string(tls.value, "credentialName"),
            ca_certificates: self.string(tls.value, "caCertificates"),
            client_certificate: self.string(tls.value, "clientCertificate"),
            private_key: self.string(tls.value, "privateKey"),
            sni: self.string(tls.value, "sni"),
            insecure_skip_verify: self.boolean(tls.value, "insecureSkipVerify"),
        };
        Some(Field {
            value,
            key: tls.key,
            span: tls.span,
        })
    }

    fn service_entry(&mut self, spec: &Node) -> ServiceEntry {
        let ports = self
            .items(spec, "ports", |r, port| Spanned {
                value: r.port_spec(port),
                span: port.span,
            })
            .map(|ports| ports.value)
            .unwrap_or_default();
        ServiceEntry {
            hosts: self.strings(spec, "hosts"),
            addresses: self.strings(spec, "addresses"),
            ports,
            location: self.string(spec, "location"),
            resolution: self.string(spec, "resolution"),
            export_to: self.strings(spec, "exportTo"),
        }
    }

    fn peer_authentication(&mut self, spec: &Node) -> PeerAuthentication {
        PeerAuthentication {
            has_selector: spec.get("selector").is_some_and(|s| !s.is_null()),
            mode: self
                .mapping(spec, "mtls")
                .and_then(|mtls| self.named(mtls.value, "mode")),
        }
    }

    fn service(&mut self, spec: &Node) -> Service {
        let ports = self
            .items(spec, "ports", |r, port| Spanned {
                value: ServicePort {
                    number: r.number(port, "port"),
                    name: r.string(port, "name"),
                    app_protocol: r.string(port, "appProtocol"),
                },
                span: port.span,
            })
            .map(|ports| ports.value)
            .unwrap_or_default();
        let external = self
            .string(spec, "type")
            .is_some_and(|kind| kind.value == "ExternalName");
        let external_name = self.string(spec, "externalName").filter(|_| external);
        Service {
            ports,
            external_name,
        }
    }
}

fn top_level_keys(root: &Node) -> Vec<(Spanned<String>, Option<String>)> {
    root.as_mapping()
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| {
            let key = Spanned {
                value: entry.key.as_str()?.to_string(),
                span: entry.key.span,
            };
            Some((key, entry.value.as_str().map(str::to_string)))
        })
        .collect()
}

fn scalar_text(node: &Node) -> Result<String, String> {
    node.as_str()
        .map(str::to_string)
        .ok_or_else(|| "a string".to_string())
}

/// An unquoted scalar's text: numbers and booleans must not be quoted in Istio's schema.
fn plain_text(node: &Node) -> Option<&str> {
    node.as_scalar()
        .filter(|scalar| scalar.plain)
        .map(|scalar| &*scalar.text)
}

fn string_pairs(node: &Node) -> Vec<(String, String)> {
    node.as_mapping()
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| {
            Some((
                entry.key.as_str()?.to_string(),
                entry.value.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The items of a `kind: List` document, whose `items` entry was read as a list.
fn into_items(root: Node) -> Vec<Node> {
    let Value::Mapping(entries) = root.value else {
        return Vec::new();
    };
    entries
        .into_iter()
        .find(|entry| entry.key.as_str() == Some("items"))
        .and_then(|entry| match entry.value.value {
            Value::Sequence(items) => Some(items),
            _ => None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(loaded: &Loaded) -> Vec<&str> {
        loaded
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect()
    }

    fn load_text(text: &str) -> Loaded {
        load(&Sources::single("test.yaml", text), "default")
    }

    #[test]
    fn loads_resources_from_a_list_and_skips_other_kinds() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: Gateway\n  metadata: {name: gw, namespace: istio-system, managedFields: [{}]}\n  spec: {servers: []}\n  status: {}\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d}\n";
        let loaded = load_text(text);
        assert_eq!(loaded.diagnostics, vec![]);
        assert_eq!(loaded.resources.len(), 1);
        assert_eq!(loaded.resources[0].namespace, "istio-system");
    }

    #[test]
    fn a_broken_document_leaves_the_others() {
        let text = "kind: Gateway\napiVersion: networking.istio.io/v1beta1\nmetadata: {name: a}\n---\nfoo: [\n---\nkind: Gateway\napiVersion: networking.istio.io/v1beta1\nmetadata: {name: b}\n";
        let loaded = load_text(text);
        assert_eq!(loaded.resources.len(), 2);
        assert_eq!(loaded.diagnostics.len(), 1);
        assert_eq!(loaded.diagnostics[0].check, YAML_SYNTAX);
    }

    #[test]
    fn wrong_shapes_are_invalid_fields() {
        let text = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: foo\n  http:\n  - route:\n    - destination: {host: a, port: {number: abc}}\n";
        let loaded = load_text(text);
        assert_eq!(
            messages(&loaded),
            [
                "`hosts` must be a list, found a string",
                "`number` must be a whole number, found a string"
            ]
        );
        let span = loaded.diagnostics[0].span;
        assert_eq!(&text[span.range()], "foo");
    }

    #[test]
    fn unknown_enum_values_list_the_known_ones() {
        let text = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  servers:\n  - port: {number: 443, protocol: HTTPX}\n    tls: {mode: SIMPEL}\n";
        let loaded = load_text(text);
        assert_eq!(loaded.diagnostics.len(), 2);
        assert!(
            loaded.diagnostics[0]
                .message
                .starts_with("unknown protocol `HTTPX`")
        );
        assert!(
            loaded.diagnostics[1]
                .message
                .contains("expected one of PASSTHROUGH, SIMPLE")
        );
    }

    #[test]
    fn elided_values_are_a_note_not_an_error() {
        let loaded =
            load_text("apiVersion: v1\nkind: Service\nmetadata: {name: details}\nspec: ...\n");
        assert_eq!(loaded.resources.len(), 1);
        assert_eq!(loaded.diagnostics[0].severity, Severity::Info);
        assert!(loaded.diagnostics[0].message.contains("elided"));
    }

    #[test]
    fn missing_kind_and_name_are_reported() {
        let loaded = load_text(
            "apiVersion: v1\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Service\nmetadata: {}\n",
        );
        assert_eq!(
            messages(&loaded),
            [
                "document has no `kind`; it is not analysed",
                "Service has no `metadata.name`; it is not analysed"
            ]
        );
    }

    #[test]
    fn documents_that_are_no_kubernetes_object_are_skipped_silently() {
        let loaded = load_text(
            "name: CI\non: [push]\n---\n- hosts: all\n  tasks: []\n---\njust text\n---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n",
        );
        assert!(messages(&loaded).is_empty(), "{:?}", messages(&loaded));
        assert_eq!(loaded.resources.len(), 1);
    }

    #[test]
    fn the_cache_gives_the_same_result_and_reparses_only_changes() {
        let first = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nb: [\n---\napiVersion: v1\nkind: Service\nmetadata: {name: é}\n";
        let mut cache = DocumentCache::new();
        let sources = Sources::single("t", first);
        assert_eq!(
            load_cached(&sources, "default", &mut cache),
            load(&sources, "default")
        );
        assert_eq!(cache.len(), 3);
        // Growing the first document moves the others: their spans must follow.
        let second = first.replacen("name: a", "name: abc", 1);
        let sources = Sources::single("t", second.as_str());
        assert_eq!(
            load_cached(&sources, "default", &mut cache),
            load(&sources, "default")
        );
        assert_eq!(cache.len(), 3, "the old first document was dropped");
    }

    #[test]
    fn recycled_resources_are_reused_only_where_a_document_neither_changed_nor_moved() {
        let first = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n---\nb: [\n";
        // Where each resource's name lives: a reused resource is moved, not rebuilt, so it
        // keeps its allocation (a rebuilt one is made while the old one is still alive).
        let names = |loaded: &Loaded| -> Vec<*const u8> {
            loaded
                .resources
                .iter()
                .map(|r| r.name.value.as_ptr())
                .collect()
        };
        let mut cache = DocumentCache::new();
        let mut loaded = load_cached(&Sources::single("t", first), "default", &mut cache);
        let mut reload = |loaded: &mut Loaded, text: &str, namespace: &str| {
            let sources = Sources::single("t", text);
            cache.recycle(std::mem::take(&mut loaded.resources));
            *loaded = load_cached(&sources, namespace, &mut cache);
            assert_eq!(
                *loaded,
                load(&sources, namespace),
                "after recycling, for {text:?}"
            );
        };

        // Typing in the last document: the other two are reused.
        let before = names(&loaded);
        reload(&mut loaded, &first.replacen("b: [", "b: [1]", 1), "default");
        assert_eq!(names(&loaded), before);
        // Growing the first document moves the second: both are built again.
        reload(
            &mut loaded,
            &first.replacen("name: a", "name: abc", 1),
            "default",
        );
        let after = names(&loaded);
        assert!(after[0] != before[0] && after[1] != before[1]);
        // The same places with the texts swapped: built again, not mixed up.
        let swapped = first
            .replacen("name: a", "name: x", 1)
            .replacen("name: b", "name: a", 1)
            .replacen("name: x", "name: b", 1);
        reload(&mut loaded, &swapped, "default");
        // Another default namespace changes every resource without a namespace.
        reload(&mut loaded, first, "other");
        assert_eq!(loaded.resources[0].namespace, "other");
        // Resources from elsewhere are dropped, not mixed in.
        cache.recycle(load_text("apiVersion: v1\nkind: Service\nmetadata: {name: z}\n").resources);
        assert_eq!(
            load_cached(&Sources::single("t", first), "other", &mut cache),
            loaded
        );
    }

    #[test]
    fn input_over_the_size_limit_is_refused() {
        let text = "#".repeat(MAX_INPUT_BYTES + 1);
        let loaded = load_text(&text);
        assert!(loaded.diagnostics[0].message.contains("over the limit"));
        let text = "#".repeat(MAX_INPUT_BYTES);
        assert_eq!(load_text(&text).diagnostics, vec![]);
    }
}
