//! The stable keys of nodes, shared by the graph and the tracer. A key is compared and hashed
//! as a value while the graph is built; its text (`listener:istio-system/gateway:0`) is made
//! once per node.

use std::fmt;

use crate::model::Resource;
use crate::model::gateway_api::RouteType;
use crate::resolve::{Fqdn, RouteKind, TlsPlace};

/// What identifies a node of the graph: two keys are equal when their texts are. (Only names
/// the input may not legally hold, such as a `:` or `/` in a resource name or a subset named
/// `-`, could give two keys one text.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKey<'a> {
    /// Outside clients of a gateway port (`None`: a port the input does not say).
    OutsideClient(Option<u32>),
    MeshClient,
    /// Server `server` of a Gateway.
    GatewayListener {
        namespace: &'a str,
        name: &'a str,
        server: usize,
    },
    /// A Gateway that VirtualServices name but the input lacks.
    MissingGateway {
        namespace: &'a str,
        name: &'a str,
    },
    /// Listener `index` of a Gateway API Gateway or ListenerSet (`holder` is its kind).
    ApiListener {
        holder: &'static str,
        namespace: &'a str,
        name: &'a str,
        index: usize,
    },
    /// The sidecar's outbound listener for a port (`None`: a port the input does not say).
    SidecarListener(Option<u32>),
    Rule {
        namespace: &'a str,
        name: &'a str,
        kind: RouteKind,
        index: usize,
    },
    /// Rule `index` of an HTTPRoute, GRPCRoute, TLSRoute or TCPRoute.
    ApiRule {
        route: RouteType,
        namespace: &'a str,
        name: &'a str,
        index: usize,
    },
    /// The route a sidecar takes to a host no VirtualService routes.
    DefaultRule {
        host: Fqdn<'a>,
        port: Option<u32>,
    },
    Destination {
        host: Fqdn<'a>,
        port: Option<u32>,
        subset: Option<&'a str>,
    },
    /// A DestinationRule, and where its TLS setting that applies sits (the top level when
    /// none does).
    Policy {
        namespace: &'a str,
        name: &'a str,
        place: TlsPlace<'a>,
    },
    /// A BackendTLSPolicy that makes the proxy originate TLS to a Service.
    BackendTlsPolicy {
        namespace: &'a str,
        name: &'a str,
    },
    /// No DestinationRule applies to the host.
    NoPolicy(Fqdn<'a>),
    DeclaredPort {
        kind: &'static str,
        namespace: &'a str,
        name: &'a str,
        number: u32,
    },
    UndeclaredPort {
        host: Fqdn<'a>,
        port: Option<u32>,
    },
    Upstream(Fqdn<'a>),
}

impl<'a> NodeKey<'a> {
    pub fn gateway_listener(gateway: &'a Resource, server: usize) -> NodeKey<'a> {
        NodeKey::GatewayListener {
            namespace: &gateway.namespace,
            name: &gateway.name.value,
            server,
        }
    }

    pub fn rule(service: &'a Resource, kind: RouteKind, index: usize) -> NodeKey<'a> {
        NodeKey::Rule {
            namespace: &service.namespace,
            name: &service.name.value,
            kind,
            index,
        }
    }

    pub fn api_listener(holder: &'a Resource, index: usize) -> NodeKey<'a> {
        NodeKey::ApiListener {
            holder: holder.kind.name(),
            namespace: &holder.namespace,
            name: &holder.name.value,
            index,
        }
    }

    pub fn api_rule(route: &'a Resource, route_type: RouteType, index: usize) -> NodeKey<'a> {
        NodeKey::ApiRule {
            route: route_type,
            namespace: &route.namespace,
            name: &route.name.value,
            index,
        }
    }

    /// The key's text, in one allocation for the usual lengths (rather than the several a
    /// growing `to_string` makes).
    pub fn text(self) -> String {
        use fmt::Write;
        let mut text = String::with_capacity(64);
        let _ = write!(text, "{self}");
        text
    }
}

/// A port number, or `*` for one the input does not say.
pub(super) struct PortText(pub Option<u32>);

impl fmt::Display for PortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(port) => write!(f, "{port}"),
            None => f.write_str("*"),
        }
    }
}

impl fmt::Display for NodeKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NodeKey::OutsideClient(port) => write!(f, "client:outside:{}", PortText(port)),
            NodeKey::MeshClient => f.write_str("client:mesh"),
            NodeKey::GatewayListener {
                namespace,
                name,
                server,
            } => write!(f, "listener:{namespace}/{name}:{server}"),
            NodeKey::MissingGateway { namespace, name } => {
                write!(f, "listener:missing:{namespace}/{name}")
            }
            NodeKey::ApiListener {
                holder,
                namespace,
                name,
                index,
            } => write!(f, "listener:{holder}:{namespace}/{name}:{index}"),
            NodeKey::SidecarListener(port) => write!(f, "listener:mesh:{}", PortText(port)),
            NodeKey::Rule {
                namespace,
                name,
                kind,
                index,
            } => write!(f, "rule:{namespace}/{name}:{}:{index}", kind.key()),
            NodeKey::ApiRule {
                route,
                namespace,
                name,
                index,
            } => write!(f, "rule:{route}:{namespace}/{name}:{index}"),
            NodeKey::DefaultRule { host, port } => {
                write!(f, "rule:default:{host}:{}", PortText(port))
            }
            NodeKey::Destination { host, port, subset } => write!(
                f,
                "destination:{host}:{}:{}",
                PortText(port),
                subset.unwrap_or("-")
            ),
            NodeKey::Policy {
                namespace,
                name,
                place,
            } => write!(f, "policy:{namespace}/{name}:{place}"),
            NodeKey::BackendTlsPolicy { namespace, name } => {
                write!(f, "policy:BackendTLSPolicy:{namespace}/{name}")
            }
            NodeKey::NoPolicy(host) => write!(f, "policy:none:{host}"),
            NodeKey::DeclaredPort {
                kind,
                namespace,
                name,
                number,
            } => write!(f, "port:{kind}:{namespace}/{name}:{number}"),
            NodeKey::UndeclaredPort { host, port } => {
                write!(f, "port:undeclared:{host}:{}", PortText(port))
            }
            NodeKey::Upstream(host) => write!(f, "upstream:{host}"),
        }
    }
}
