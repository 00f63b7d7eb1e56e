//! Readers of the Kubernetes Gateway API kinds and of the core objects their references name
//! (Namespace, Secret, ConfigMap). Fields of the wrong shape are reported as `invalid-field`
//! and read as absent, as for the Istio kinds.

use super::{Reader, string_pairs};
use crate::model::gateway_api::*;
use crate::model::{Field, Spanned};
use crate::yaml::Node;

impl Reader<'_> {
    pub(super) fn gateway_class(&mut self, spec: &Node) -> GatewayClass {
        GatewayClass {
            controller_name: self.string(spec, "controllerName"),
        }
    }

    pub(super) fn kubernetes_gateway(&mut self, spec: &Node) -> Gateway {
        let listeners = self.items(spec, "listeners", Reader::listener);
        let allowed_listeners = self
            .mapping(spec, "allowedListeners")
            .and_then(|allowed| self.namespace_selection(allowed.value, "namespaces"));
        Gateway {
            gateway_class_name: self.string(spec, "gatewayClassName"),
            listeners_field: listeners.as_ref().map(unit_field),
            listeners: listeners.map(|l| l.value).unwrap_or_default(),
            allowed_listeners,
        }
    }

    pub(super) fn listener_set(&mut self, spec: &Node) -> ListenerSet {
        let listeners = self.items(spec, "listeners", Reader::listener);
        let parent_ref = self.mapping(spec, "parentRef").map(|parent| Field {
            value: self.object_ref(parent.value),
            key: parent.key,
            span: parent.span,
        });
        ListenerSet {
            parent_ref,
            listeners_field: listeners.as_ref().map(unit_field),
            listeners: listeners.map(|l| l.value).unwrap_or_default(),
        }
    }

    fn listener(&mut self, node: &Node) -> Listener {
        let tls = self.mapping(node, "tls").map(|tls| Field {
            value: ListenerTls {
                mode: self.named(tls.value, "mode"),
                certificate_refs: self.items(tls.value, "certificateRefs", Reader::object_ref),
                has_options: tls.value.get("options").is_some_and(|o| !o.is_null()),
            },
            key: tls.key,
            span: tls.span,
        });
        let allowed_routes = self.mapping(node, "allowedRoutes").map(|allowed| Field {
            value: AllowedRoutes {
                namespaces: self.namespace_selection(allowed.value, "namespaces"),
                kinds: self.items(allowed.value, "kinds", Reader::object_ref),
            },
            key: allowed.key,
            span: allowed.span,
        });
        Listener {
            span: node.span,
            name: self.string(node, "name"),
            hostname: self.string(node, "hostname"),
            port: self.number(node, "port"),
            protocol: self.string(node, "protocol"),
            tls,
            allowed_routes,
        }
    }

    fn namespace_selection(&mut self, node: &Node, key: &str) -> Option<Field<NamespaceSelection>> {
        let namespaces = self.mapping(node, key)?;
        let selector = self
            .mapping(namespaces.value, "selector")
            .map(|selector| Field {
                value: self.label_selector(selector.value),
                key: selector.key,
                span: selector.span,
            });
        Some(Field {
            value: NamespaceSelection {
                from: self.named(namespaces.value, "from"),
                selector,
            },
            key: namespaces.key,
            span: namespaces.span,
        })
    }

    fn label_selector(&mut self, node: &Node) -> LabelSelector {
        let mut match_labels = self
            .mapping(node, "matchLabels")
            .map(|labels| string_pairs(labels.value))
            .unwrap_or_default();
        crate::order::sort(&mut match_labels);
        let match_expressions = self
            .items(node, "matchExpressions", |r, item| LabelExpression {
                key: r.string(item, "key").map(|k| k.value).unwrap_or_default(),
                operator: r
                    .string(item, "operator")
                    .map(|o| o.value)
                    .unwrap_or_default(),
                values: r
                    .strings(item, "values")
                    .map(|values| values.value.into_iter().map(|v| v.value).collect())
                    .unwrap_or_default(),
            })
            .map(|e| e.value)
            .unwrap_or_default();
        LabelSelector {
            match_labels,
            match_expressions,
        }
    }

    fn object_ref(&mut self, node: &Node) -> ObjectRef {
        ObjectRef {
            span: node.span,
            group: self.string(node, "group"),
            kind: self.string(node, "kind"),
            name: self.string(node, "name"),
            namespace: self.string(node, "namespace"),
            section_name: self.string(node, "sectionName"),
            port: self.number(node, "port"),
            weight: self.integer(node, "weight"),
        }
    }

    pub(super) fn route(&mut self, spec: &Node) -> Route {
        Route {
            parent_refs: self.items(spec, "parentRefs", Reader::object_ref),
            hostnames: self.strings(spec, "hostnames"),
            rules: self.items(spec, "rules", Reader::route_rule),
        }
    }

    fn route_rule(&mut self, node: &Node) -> RouteRule {
        RouteRule {
            span: node.span,
            name: self.string(node, "name"),
            matches: self.items(node, "matches", Reader::route_match),
            filters: self.items(node, "filters", Reader::route_filter),
            backend_refs: self.items(node, "backendRefs", Reader::object_ref),
        }
    }

    fn route_match(&mut self, node: &Node) -> RouteMatch {
        let path = self.mapping(node, "path").map(|path| Field {
            value: PathMatch {
                kind: self
                    .named(path.value, "type")
                    .map_or(PathMatchType::PathPrefix, |t| t.value),
                value: self
                    .string(path.value, "value")
                    .map_or_else(|| "/".to_string(), |v| v.value),
            },
            key: path.key,
            span: path.span,
        });
        // HTTPRoute: `method: GET`; GRPCRoute: `method: {service, method}`.
        let method = match node.get("method").map(|m| &m.value) {
            Some(crate::yaml::Value::Mapping(_)) => self.mapping(node, "method").map(|m| {
                let service = self.string(m.value, "service").map(|s| s.value);
                let method = self.string(m.value, "method").map(|s| s.value);
                Field {
                    value: format!(
                        "{}/{}",
                        service.as_deref().unwrap_or("*"),
                        method.as_deref().unwrap_or("*")
                    ),
                    key: m.key,
                    span: m.span,
                }
            }),
            _ => self.string(node, "method"),
        };
        RouteMatch {
            span: node.span,
            path,
            headers: self.value_matches(node, "headers"),
            query_params: self.value_matches(node, "queryParams"),
            method,
        }
    }

    fn value_matches(&mut self, node: &Node, key: &str) -> Vec<Spanned<ValueMatch>> {
        self.items(node, key, |r, item| Spanned {
            value: ValueMatch {
                kind: r
                    .named(item, "type")
                    .map_or(ValueMatchType::Exact, |t| t.value),
                name: r.string(item, "name").map(|n| n.value).unwrap_or_default(),
                value: r.string(item, "value").map(|v| v.value).unwrap_or_default(),
            },
            span: item.span,
        })
        .map(|items| items.value)
        .unwrap_or_default()
    }

    fn route_filter(&mut self, node: &Node) -> RouteFilter {
        let redirect = self.mapping(node, "requestRedirect").map(|r| Field {
            value: Redirect {
                scheme: self.string(r.value, "scheme").map(|s| s.value),
                hostname: self.string(r.value, "hostname").map(|s| s.value),
                port: self.number(r.value, "port").map(|p| p.value),
                status_code: self.number(r.value, "statusCode").map(|p| p.value),
                path: self.path_modifier(r.value),
            },
            key: r.key,
            span: r.span,
        });
        let rewrite = self.mapping(node, "urlRewrite").map(|r| Field {
            value: Rewrite {
                hostname: self.string(r.value, "hostname").map(|s| s.value),
                path: self.path_modifier(r.value),
            },
            key: r.key,
            span: r.span,
        });
        let mirror = self
            .mapping(node, "requestMirror")
            .and_then(|m| self.mapping(m.value, "backendRef"))
            .map(|backend| self.object_ref(backend.value));
        RouteFilter {
            span: node.span,
            kind: self.string(node, "type"),
            redirect,
            rewrite,
            mirror,
        }
    }

    fn path_modifier(&mut self, node: &Node) -> Option<PathModifier> {
        let path = self.mapping(node, "path")?;
        if let Some(full) = self.string(path.value, "replaceFullPath") {
            return Some(PathModifier::ReplaceFullPath(full.value));
        }
        self.string(path.value, "replacePrefixMatch")
            .map(|prefix| PathModifier::ReplacePrefixMatch(prefix.value))
    }

    pub(super) fn reference_grant(&mut self, spec: &Node) -> ReferenceGrant {
        let from = self
            .items(spec, "from", |r, item| Spanned {
                value: GrantFrom {
                    group: r.string(item, "group").map(|g| g.value).unwrap_or_default(),
                    kind: r.string(item, "kind").map(|k| k.value).unwrap_or_default(),
                    namespace: r
                        .string(item, "namespace")
                        .map(|n| n.value)
                        .unwrap_or_default(),
                },
                span: item.span,
            })
            .map(|f| f.value)
            .unwrap_or_default();
        let to = self
            .items(spec, "to", |r, item| Spanned {
                value: GrantTo {
                    group: r.string(item, "group").map(|g| g.value).unwrap_or_default(),
                    kind: r.string(item, "kind").map(|k| k.value).unwrap_or_default(),
                    name: r.string(item, "name").map(|n| n.value),
                },
                span: item.span,
            })
            .map(|t| t.value)
            .unwrap_or_default();
        ReferenceGrant { from, to }
    }

    pub(super) fn backend_tls_policy(&mut self, spec: &Node) -> BackendTlsPolicy {
        let validation = self.mapping(spec, "validation").map(|v| Field {
            value: BackendTlsValidation {
                hostname: self.string(v.value, "hostname"),
                ca_certificate_refs: self.items(v.value, "caCertificateRefs", Reader::object_ref),
                well_known_ca_certificates: self.string(v.value, "wellKnownCACertificates"),
            },
            key: v.key,
            span: v.span,
        });
        BackendTlsPolicy {
            target_refs: self.items(spec, "targetRefs", Reader::object_ref),
            validation,
        }
    }

    pub(super) fn namespace_object(&mut self, metadata: Option<&Node>, name: &str) -> Namespace {
        let mut labels = metadata
            .and_then(|m| self.mapping(m, "labels"))
            .map(|labels| string_pairs(labels.value))
            .unwrap_or_default();
        const NAME_LABEL: &str = "kubernetes.io/metadata.name";
        if !labels.iter().any(|(key, _)| key == NAME_LABEL) {
            labels.push((NAME_LABEL.to_string(), name.to_string()));
        }
        crate::order::sort(&mut labels);
        Namespace { labels }
    }

    /// A Secret's or ConfigMap's type and keys, from the document's top level (they have no
    /// `spec`).
    pub(super) fn key_store(&mut self, root: &Node) -> KeyStore {
        let mut keys: Vec<String> = ["data", "stringData", "binaryData"]
            .into_iter()
            .filter_map(|key| self.mapping(root, key))
            .flat_map(|data| {
                data.value
                    .as_mapping()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|entry| entry.key.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .collect();
        crate::order::sort(&mut keys);
        KeyStore {
            type_: self.string(root, "type"),
            keys,
        }
    }
}

fn unit_field<T>(field: &Field<T>) -> Field<()> {
    Field {
        value: (),
        key: field.key,
        span: field.span,
    }
}
