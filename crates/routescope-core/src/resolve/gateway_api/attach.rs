//! Route attachment: which listeners each parentRef of an HTTPRoute, GRPCRoute, TLSRoute or
//! TCPRoute attaches to, and why the others refuse it, in the order of checks of Istio's
//! `referenceAllowed` (port, sectionName, hostname intersection with the listener's allowed
//! namespaces, route kind) and with its ranking when every listener refuses.

use std::collections::HashMap;

use super::conflicts;
use super::hostnames::hostnames_intersect;
use super::{View, group_kind};
use crate::model::gateway_api::{
    FromNamespaces, GROUP, LabelSelector, Listener, ListenerProtocol, ListenerTlsMode,
    NamespaceSelection, ObjectRef, RouteType,
};
use crate::model::{Resource, Spec};

/// Why one listener refuses a parentRef.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DenialCause {
    /// The parentRef's `port` is not the listener's.
    Port,
    /// The parentRef's `sectionName` is not the listener's name.
    SectionName,
    /// No route hostname intersects the listener's hostname.
    Hostname,
    /// The hostnames intersect, but `allowedRoutes.namespaces` does not admit the route's
    /// namespace.
    Namespace,
    /// The listener does not carry the route's kind (its protocol and TLS mode, or
    /// `allowedRoutes.kinds`).
    Kind,
}

impl DenialCause {
    /// The `Accepted` condition's reason, as Istio writes it.
    pub fn reason(self) -> &'static str {
        match self {
            DenialCause::Port | DenialCause::SectionName => "NoMatchingParent",
            DenialCause::Hostname => "NoMatchingListenerHostname",
            DenialCause::Namespace | DenialCause::Kind => "NotAllowedByListeners",
        }
    }

    /// Istio reports the reason of lowest rank when every listener refuses.
    fn rank(self) -> u8 {
        match self {
            DenialCause::Namespace | DenialCause::Kind => 1,
            DenialCause::Hostname => 2,
            DenialCause::Port | DenialCause::SectionName => 4,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub cause: DenialCause,
    pub message: String,
}

impl Denial {
    pub fn reason(&self) -> &'static str {
        self.cause.reason()
    }
}

/// One listener of a parent, against one parentRef.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerResult {
    /// Index into the parent's `listeners`.
    pub listener: usize,
    pub denial: Option<Denial>,
    /// The route's namespace was admitted by a label selector whose labels the input does not
    /// show (no Namespace object): assumed to match.
    pub namespace_assumed: bool,
}

/// What a parentRef names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParentTarget {
    /// A Gateway (or an accepted ListenerSet) that Istio runs: the result of each listener.
    Listeners {
        /// The resource holding the listeners (the Gateway or the ListenerSet).
        parent: usize,
        /// The Gateway the listeners belong to (the ListenerSet's parent, or `parent`).
        gateway: usize,
        results: Vec<ListenerResult>,
    },
    /// A Service: the route configures the mesh's sidecars (or waypoint) for it.
    Service { namespace: String, name: String },
    /// No Gateway or ListenerSet of that name is in the input.
    Missing {
        kind: &'static str,
        namespace: String,
        name: String,
    },
    /// It exists but Istio does not run it (another GatewayClass, or a ListenerSet its Gateway
    /// does not take).
    NotIstio { parent: usize },
    /// A kind Istio cannot attach to: its controller ignores the reference.
    Unsupported { group: String, kind: String },
}

/// The attachment of one parentRef of a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Index into the route's `parentRefs`.
    pub parent_ref: usize,
    pub target: ParentTarget,
}

impl Attachment {
    /// The listeners that accept the route.
    pub fn accepted_listeners(&self) -> impl Iterator<Item = usize> + '_ {
        let results = match &self.target {
            ParentTarget::Listeners { results, .. } => results.as_slice(),
            _ => &[],
        };
        results
            .iter()
            .filter(|r| r.denial.is_none())
            .map(|r| r.listener)
    }

    /// Whether Istio writes an `Accepted: True` status for this parentRef.
    pub fn is_accepted(&self) -> bool {
        match &self.target {
            ParentTarget::Listeners { results, .. } => results.iter().any(|r| r.denial.is_none()),
            ParentTarget::Service { .. } => true,
            _ => false,
        }
    }

    /// The refusal Istio reports when no listener accepts: the reason of lowest rank, its
    /// messages joined with `; ` as Istio joins them. `None` when accepted or when the
    /// parentRef names no listeners.
    pub fn denial(&self) -> Option<Denial> {
        let ParentTarget::Listeners { results, .. } = &self.target else {
            return None;
        };
        if results.is_empty() || results.iter().any(|r| r.denial.is_none()) {
            return None;
        }
        let best = results
            .iter()
            .filter_map(|r| r.denial.as_ref())
            .min_by_key(|d| d.cause.rank())?;
        let messages: Vec<&str> = results
            .iter()
            .filter_map(|r| r.denial.as_ref())
            .filter(|d| d.cause.rank() == best.cause.rank())
            .map(|d| d.message.as_str())
            .collect();
        Some(Denial {
            cause: best.cause,
            message: messages.join("; "),
        })
    }

    /// The listeners whose refusal is the one reported.
    pub fn denying_listeners(&self) -> Vec<(usize, &Denial)> {
        let ParentTarget::Listeners { results, .. } = &self.target else {
            return Vec::new();
        };
        let Some(reported) = self.denial() else {
            return Vec::new();
        };
        results
            .iter()
            .filter_map(|r| Some((r.listener, r.denial.as_ref()?)))
            .filter(|(_, d)| d.cause.rank() == reported.cause.rank())
            .collect()
    }
}

/// The route kinds a listener carries by its protocol and TLS mode (before `allowedRoutes`).
pub fn protocol_route_kinds(listener: &Listener) -> &'static [RouteType] {
    match listener.protocol_value() {
        Some(ListenerProtocol::Http | ListenerProtocol::Https) => {
            &[RouteType::Http, RouteType::Grpc]
        }
        Some(ListenerProtocol::Tcp) => &[RouteType::Tcp],
        Some(ListenerProtocol::Tls) => match listener.tls_mode() {
            Some(ListenerTlsMode::Passthrough) => &[RouteType::Tls],
            _ => &[RouteType::Tls, RouteType::Tcp],
        },
        Some(ListenerProtocol::Udp) | None => &[],
    }
}

/// The listener's `supportedKinds`: what its protocol carries, narrowed to
/// `allowedRoutes.kinds` when that is set; and whether every listed kind is one of them
/// (else the listener's `ResolvedRefs` is `InvalidRouteKinds`).
pub fn supported_kinds(listener: &Listener) -> (Vec<RouteType>, bool) {
    let carried = protocol_route_kinds(listener);
    let listed = listener
        .allowed_routes
        .as_ref()
        .and_then(|allowed| allowed.value.kinds.as_ref())
        .filter(|kinds| !kinds.value.is_empty());
    let Some(listed) = listed else {
        return (carried.to_vec(), true);
    };
    let supported: Vec<RouteType> = carried
        .iter()
        .copied()
        .filter(|route| {
            listed
                .value
                .iter()
                .any(|kind| group_kind(kind, GROUP, "") == (GROUP, route.kind()))
        })
        .collect();
    let valid = supported.len() == listed.value.len();
    (supported, valid)
}

/// How a listener's namespace selection judges a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admission {
    Allowed,
    Denied,
    /// A label selector whose labels the input does not show.
    Assumed,
}

impl Admission {
    fn of(allowed: bool) -> Admission {
        if allowed {
            Admission::Allowed
        } else {
            Admission::Denied
        }
    }
}

/// Whether a listener's `allowedRoutes.namespaces` (of a listener in `own_namespace`) admits
/// routes of `namespace`, as Istio's `namespacesFromSelector` reads it: absent or `Same`
/// admits the listener's namespace, `All` every one, and any other `from` (`Selector`, and
/// `None` too: Istio has no case for it) runs the selector, where a missing selector admits
/// every namespace ("should never happen, invalid config").
fn admits_routes(
    view: &View<'_>,
    selection: Option<&NamespaceSelection>,
    own_namespace: &str,
    namespace: &str,
) -> Admission {
    let from = selection
        .and_then(|s| s.from.as_ref())
        .map_or(FromNamespaces::Same, |f| f.value);
    match from {
        FromNamespaces::Same => Admission::of(namespace == own_namespace),
        FromNamespaces::All => Admission::Allowed,
        FromNamespaces::Selector | FromNamespaces::None => {
            match selection.and_then(|s| s.selector.as_ref()) {
                Some(selector) => selector_admits(view, &selector.value, namespace),
                None => Admission::Allowed,
            }
        }
    }
}

/// Whether a Gateway's `allowedListeners.namespaces` (of a Gateway in `own_namespace`) admits
/// ListenerSets of `namespace`, as Istio's `NamespaceAcceptedByAllowListeners` reads it:
/// absent admits none, and so does `Selector` without a selector.
fn admits_listener_sets(
    view: &View<'_>,
    selection: Option<&NamespaceSelection>,
    own_namespace: &str,
    namespace: &str,
) -> Admission {
    let Some(selection) = selection else {
        return Admission::Denied;
    };
    match selection.from.as_ref().map(|f| f.value) {
        Some(FromNamespaces::All) => Admission::Allowed,
        Some(FromNamespaces::Same) => Admission::of(namespace == own_namespace),
        Some(FromNamespaces::None) => Admission::Denied,
        Some(FromNamespaces::Selector) | None => match &selection.selector {
            Some(selector) => selector_admits(view, &selector.value, namespace),
            None => Admission::Denied,
        },
    }
}

/// A label selector against the labels of namespace `namespace`: those of its Namespace
/// object, else only the automatic `kubernetes.io/metadata.name` label, which decides a
/// selector reading nothing else; any other selector is assumed to match.
fn selector_admits(view: &View<'_>, selector: &LabelSelector, namespace: &str) -> Admission {
    match view.namespace_labels(namespace) {
        Some(labels) => Admission::of(selector.matches(labels)),
        None => {
            const NAME_LABEL: &str = "kubernetes.io/metadata.name";
            let known = [(NAME_LABEL.to_string(), namespace.to_string())];
            if selector.keys().all(|key| key == NAME_LABEL) {
                Admission::of(selector.matches(&known))
            } else {
                Admission::Assumed
            }
        }
    }
}

/// `gateway.networking.k8s.io/v1/HTTPRoute`: how Istio prints a route's kind in messages.
fn route_gvk(route: &Resource) -> String {
    let version = route
        .api_version
        .as_ref()
        .and_then(|v| v.value.rsplit_once('/'))
        .map_or("v1", |(_, version)| version);
    format!("{GROUP}/{version}/{}", route.kind.name())
}

/// One listener against one parentRef of `route`, in Istio's order of checks.
fn judge(
    view: &View<'_>,
    route: &Resource,
    route_type: RouteType,
    reference: &ObjectRef,
    listener: &Listener,
    listener_namespace: &str,
) -> (Option<Denial>, bool) {
    let deny = |cause, message| (Some(Denial { cause, message }), false);
    if let Some(port) = &reference.port
        && listener.port_number() != Some(port.value)
    {
        return deny(DenialCause::Port, format!("port {} not found", port.value));
    }
    if let Some(section) = &reference.section_name
        && listener.name_value() != section.value
    {
        return deny(
            DenialCause::SectionName,
            format!("sectionName {:?} not found", section.value),
        );
    }
    let hostnames = route_hostnames(route);
    admit(
        view,
        route,
        route_type,
        &hostnames,
        listener,
        listener_namespace,
    )
}

/// The checks after the parentRef's port and sectionName: the route's `hostnames` against
/// the listener's hostname and allowed namespaces, then its kind.
fn admit(
    view: &View<'_>,
    route: &Resource,
    route_type: RouteType,
    hostnames: &[&str],
    listener: &Listener,
    listener_namespace: &str,
) -> (Option<Denial>, bool) {
    let deny = |cause, message| (Some(Denial { cause, message }), false);
    let listener_hostname = listener.hostname_value().unwrap_or("*");
    let hostnames = if hostnames.is_empty() {
        &["*"][..]
    } else {
        hostnames
    };
    let selection = listener
        .allowed_routes
        .as_ref()
        .and_then(|allowed| allowed.value.namespaces.as_ref())
        .map(|namespaces| &namespaces.value);
    let admission = admits_routes(view, selection, listener_namespace, &route.namespace);
    let host_matched = hostnames
        .iter()
        .any(|hostname| hostnames_intersect(listener_hostname, hostname));
    let original = listener.hostname_value().unwrap_or("");
    if !host_matched {
        return deny(
            DenialCause::Hostname,
            format!("no hostnames matched parent hostname {original:?}"),
        );
    }
    if admission == Admission::Denied {
        return deny(
            DenialCause::Namespace,
            format!(
                "hostnames matched parent hostname {original:?}, but namespace {:?} is not \
                 allowed by the parent",
                route.namespace
            ),
        );
    }
    let (kinds, _) = supported_kinds(listener);
    if !kinds.contains(&route_type) {
        return deny(
            DenialCause::Kind,
            format!("kind {} is not allowed", route_gvk(route)),
        );
    }
    (None, admission == Admission::Assumed)
}

fn route_hostnames(route: &Resource) -> Vec<&str> {
    match &route.spec {
        Spec::Route(spec) => spec.hostname_values().map(|h| h.value.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// For every ListenerSet: the Gateway that takes it (Istio's, and admitting the set's
/// namespace by `allowedListeners`), or `None`.
pub(super) fn listener_set_parents(view: &View<'_>) -> HashMap<usize, Option<usize>> {
    let mut parents = HashMap::new();
    for (index, resource) in view.resources.iter().enumerate() {
        let Spec::ListenerSet(set) = &resource.spec else {
            continue;
        };
        let parent = set.parent_ref.as_ref().and_then(|reference| {
            let reference = &reference.value;
            let namespace = reference.namespace_or(&resource.namespace);
            let (gateway_index, gateway) = view.gateway(namespace, reference.name_value())?;
            if !view.class_owner(gateway).is_istio() {
                return None;
            }
            let selection = gateway.allowed_listeners.as_ref().map(|a| &a.value);
            let admission = admits_listener_sets(
                view,
                selection,
                &view.resource(gateway_index).namespace,
                &resource.namespace,
            );
            (admission != Admission::Denied).then_some(gateway_index)
        });
        parents.insert(index, parent);
    }
    parents
}

/// The attachment of every parentRef of every route of the input, by route resource index.
pub(super) fn attach_routes(
    resources: &[Resource],
    view: &View<'_>,
    set_parents: &HashMap<usize, Option<usize>>,
) -> HashMap<usize, Vec<Attachment>> {
    let set_parent = |set: usize| set_parents.get(&set).copied().flatten();
    let mut attachments = HashMap::new();
    for (index, route) in resources.iter().enumerate() {
        let (Some(route_type), Spec::Route(spec)) = (route.kind.route_type(), &route.spec) else {
            continue;
        };
        let results = spec
            .parent_refs()
            .iter()
            .enumerate()
            .map(|(parent_ref, reference)| Attachment {
                parent_ref,
                target: target(view, &set_parent, route, route_type, reference),
            })
            .collect();
        attachments.insert(index, results);
    }
    attachments
}

/// What `reference`, a parentRef of `route`, names; `set_parent` says which Gateway takes a
/// ListenerSet.
fn target(
    view: &View<'_>,
    set_parent: &dyn Fn(usize) -> Option<usize>,
    route: &Resource,
    route_type: RouteType,
    reference: &ObjectRef,
) -> ParentTarget {
    let namespace = reference.namespace_or(&route.namespace).to_string();
    let name = reference.name_value().to_string();
    let listeners_of = |parent: usize, gateway: usize, listeners: &[Listener]| {
        let listener_namespace = &view.resource(parent).namespace;
        let conflicted = conflicts::conflicts_in(view, set_parent, parent);
        let results = listeners
            .iter()
            .enumerate()
            .filter_map(|(listener, l)| {
                let (denial, namespace_assumed) =
                    if conflicted.iter().any(|c| c.listener == listener) {
                        // Not programmed: Istio knows no such section of the parent. A
                        // parentRef naming a section does not find it; others never meet it.
                        let section = &reference.section_name.as_ref()?.value;
                        let denial = Denial {
                            cause: DenialCause::SectionName,
                            message: format!("sectionName {section:?} not found"),
                        };
                        (Some(denial), false)
                    } else {
                        judge(view, route, route_type, reference, l, listener_namespace)
                    };
                Some(ListenerResult {
                    listener,
                    denial,
                    namespace_assumed,
                })
            })
            .collect();
        ParentTarget::Listeners {
            parent,
            gateway,
            results,
        }
    };
    match group_kind(reference, GROUP, "Gateway") {
        (GROUP, "Gateway") => match view.gateway(&namespace, &name) {
            None => ParentTarget::Missing {
                kind: "Gateway",
                namespace,
                name,
            },
            Some((index, gateway)) if view.class_owner(gateway).is_istio() => {
                listeners_of(index, index, &gateway.listeners)
            }
            Some((index, _)) => ParentTarget::NotIstio { parent: index },
        },
        (GROUP, "ListenerSet" | "XListenerSet") => match view.listener_set(&namespace, &name) {
            None => ParentTarget::Missing {
                kind: "ListenerSet",
                namespace,
                name,
            },
            Some((index, set)) => match set_parent(index) {
                Some(gateway) => listeners_of(index, gateway, &set.listeners),
                None => ParentTarget::NotIstio { parent: index },
            },
        },
        // Istio's mesh parents: the route configures the sidecars (or waypoint).
        ("" | "core", "Service") | ("networking.istio.io", "ServiceEntry") => {
            ParentTarget::Service { namespace, name }
        }
        (group, kind) => ParentTarget::Unsupported {
            group: group.to_string(),
            kind: kind.to_string(),
        },
    }
}

/// What-ifs for fixes: how the route would attach if a parentRef or its hostnames read
/// differently, judged exactly as the route's own parentRefs are.
impl View<'_> {
    /// What the route at resource `route` would attach to through a parentRef reading
    /// `reference`.
    pub fn attach_as(&self, route: usize, reference: &ObjectRef) -> ParentTarget {
        let resource = self.resource(route);
        let Some(route_type) = resource.kind.route_type() else {
            return ParentTarget::Unsupported {
                group: GROUP.to_string(),
                kind: resource.kind.name().to_string(),
            };
        };
        let set_parent = |set: usize| self.listener_set_parent(set);
        target(self, &set_parent, resource, route_type, reference)
    }

    /// Whether listener `listener` of the Gateway or ListenerSet at resource `parent` would
    /// take the route at resource `route` through a parentRef naming that listener, with
    /// `hostnames` in place of the route's own when given.
    pub fn listener_takes(
        &self,
        route: usize,
        hostnames: Option<&[&str]>,
        parent: usize,
        listener: usize,
    ) -> bool {
        let resource = self.resource(route);
        let holder = self.resource(parent);
        let (Some(route_type), Some(listener)) = (
            resource.kind.route_type(),
            super::listeners_of(holder).get(listener),
        ) else {
            return false;
        };
        let own = route_hostnames(resource);
        let hostnames = hostnames.unwrap_or(&own);
        let (denial, _) = admit(
            self,
            resource,
            route_type,
            hostnames,
            listener,
            &holder.namespace,
        );
        denial.is_none()
    }
}
