//! What the "Status" tab shows, as plain Rust: the status Istio's Gateway API controller would
//! write for each Gateway API object of the text (the core predicts it), with where each
//! object and listener is in the editor. The same status `routescope status` prints.

use routescope_core::model::ResourceKind;
use routescope_core::resolve::gateway_api::listeners_of;
use routescope_core::resolve::gateway_api::status::{
    Condition, ObjectStatus, ParentReference, ParentStatus, Status, statuses,
};

use crate::session::Session;

/// One condition as the tab shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusCondition {
    pub type_: &'static str,
    /// `status: "True"` or `"False"`.
    pub status: bool,
    /// The good polarity: True, except for `Conflicted`, where False is good.
    pub healthy: bool,
    pub reason: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatusListener {
    pub name: String,
    pub supported_kinds: Vec<&'static str>,
    pub attached_routes: usize,
    pub conditions: Vec<StatusCondition>,
    /// The editor range of the listener's name (or the listener), to go to it.
    pub range: (usize, usize),
}

/// A route's `parents[]` entry or a policy's `ancestors[]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusParent {
    /// `Gateway web, sectionName shop` (namespace only when the reference sets it).
    pub reference: String,
    pub controller: String,
    pub conditions: Vec<StatusCondition>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatusObject {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    /// The editor range of `metadata.name`, to go to the object's YAML.
    pub range: (usize, usize),
    pub conditions: Vec<StatusCondition>,
    pub listeners: Vec<StatusListener>,
    /// `Parents` of a route, `Ancestors` of a BackendTLSPolicy, else empty.
    pub parents_heading: &'static str,
    pub parents: Vec<StatusParent>,
    /// Why there is nothing to show, when there is not.
    pub note: Option<&'static str>,
}

impl StatusObject {
    /// Every condition, the listeners' and parents' too, has its good polarity.
    pub fn healthy(&self) -> bool {
        self.conditions
            .iter()
            .chain(self.listeners.iter().flat_map(|l| &l.conditions))
            .chain(self.parents.iter().flat_map(|p| &p.conditions))
            .all(|c| c.healthy)
    }
}

impl Session {
    /// The predicted status of every Gateway API object, in text order.
    pub fn gateway_status(&self) -> Vec<StatusObject> {
        statuses(&self.analysis().mesh)
            .iter()
            .map(|object| self.status_object(object))
            .collect()
    }

    /// How many Gateway API objects have a condition that is not as it should be: the
    /// Problems tab must not give an all-clear while there are some.
    pub fn unhealthy_status_count(&self) -> usize {
        self.gateway_status()
            .iter()
            .filter(|object| !object.healthy())
            .count()
    }

    fn status_object(&self, object: &ObjectStatus) -> StatusObject {
        let resource = object.resource;
        let name_span = resource.name.span;
        let mut shown = StatusObject {
            kind: resource.kind.name(),
            namespace: resource.namespace.clone(),
            name: resource.name.value.clone(),
            range: self.editor_range(name_span.start, name_span.end),
            conditions: Vec::new(),
            listeners: Vec::new(),
            parents_heading: "",
            parents: Vec::new(),
            note: None,
        };
        match &object.status {
            Status::Empty => {
                shown.note = Some(if resource.kind == ResourceKind::ReferenceGrant {
                    "A ReferenceGrant has no status."
                } else {
                    "Istio writes no status for it: another controller runs it."
                });
            }
            Status::Conditions(conditions) => shown.conditions = sorted(conditions),
            Status::Listeners {
                conditions,
                listeners,
            } => {
                shown.conditions = sorted(conditions);
                let specs = listeners_of(resource);
                shown.listeners = listeners
                    .iter()
                    .enumerate()
                    .map(|(at, listener)| {
                        let span = specs
                            .get(at)
                            .map(|spec| spec.name.as_ref().map_or(spec.span, |n| n.span))
                            .unwrap_or(name_span);
                        StatusListener {
                            name: listener.name.clone(),
                            supported_kinds: listener
                                .supported_kinds
                                .iter()
                                .map(|kind| kind.kind())
                                .collect(),
                            attached_routes: listener.attached_routes,
                            conditions: sorted(&listener.conditions),
                            range: self.editor_range(span.start, span.end),
                        }
                    })
                    .collect();
            }
            Status::Parents(parents) => {
                shown.parents_heading = "Parents";
                shown.parents = parents.iter().map(parent).collect();
                if parents.is_empty() {
                    shown.note = Some(
                        "No parent Istio handles: each parentRef names a Gateway that is not in \
                         the text or that another controller runs, so Istio writes no entry.",
                    );
                }
            }
            Status::Ancestors(ancestors) => {
                shown.parents_heading = "Ancestors";
                shown.parents = ancestors.iter().map(parent).collect();
            }
        }
        shown
    }
}

/// In the core's order, which is Istio's (Accepted, Conflicted, Programmed, ResolvedRefs) and
/// what `kubectl` shows.
fn sorted(conditions: &[Condition]) -> Vec<StatusCondition> {
    conditions
        .iter()
        .map(|c| StatusCondition {
            type_: c.type_,
            status: c.status,
            healthy: c.is_healthy(),
            reason: c.reason.clone(),
            message: c.message.clone(),
        })
        .collect()
}

fn parent(entry: &ParentStatus) -> StatusParent {
    StatusParent {
        reference: reference_text(&entry.parent_ref),
        controller: entry.controller_name.clone(),
        conditions: sorted(&entry.conditions),
    }
}

fn reference_text(reference: &ParentReference) -> String {
    let mut text = format!("{} ", reference.kind);
    if let Some(namespace) = &reference.namespace {
        text.push_str(&format!("{namespace}/"));
    }
    text.push_str(&reference.name);
    if let Some(section) = &reference.section_name {
        text.push_str(&format!(", sectionName {section}"));
    }
    if let Some(port) = reference.port {
        text.push_str(&format!(", port {port}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use routescope_core::settings::MeshSettings;

    use crate::session::Session;

    const GATEWAY_API: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: web}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: shop, port: 80, protocol: HTTP, hostname: shop.example.com}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: shop}\nspec:\n  parentRefs: [{name: web}]\n  hostnames: [shop.example.com]\n  rules:\n  - backendRefs: [{name: shop, port: 8080}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: blog}\nspec:\n  parentRefs: [{name: web, sectionName: shop}, {name: elsewhere}]\n  hostnames: [blog.example.com]\n---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: grant}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: x}]\n  to: [{group: \"\", kind: Service}]\n";

    fn status() -> Vec<super::StatusObject> {
        Session::new(GATEWAY_API.to_string(), MeshSettings::default()).gateway_status()
    }

    #[test]
    fn a_gateway_shows_its_listeners_with_attached_routes_and_sorted_conditions() {
        let all = status();
        let gateway = &all[0];
        assert_eq!((gateway.kind, gateway.name.as_str()), ("Gateway", "web"));
        let listener = &gateway.listeners[0];
        assert_eq!(listener.name, "shop");
        assert_eq!(listener.attached_routes, 1, "shop attaches, blog does not");
        assert_eq!(listener.supported_kinds, ["HTTPRoute", "GRPCRoute"]);
        let types: Vec<&str> = listener.conditions.iter().map(|c| c.type_).collect();
        assert_eq!(
            types,
            ["Accepted", "Conflicted", "Programmed", "ResolvedRefs"]
        );
        assert!(listener.conditions.iter().all(|c| c.healthy));
        assert!(!listener.conditions[1].status, "Conflicted: False is good");
        assert!(gateway.healthy());
        let utf16: Vec<u16> = GATEWAY_API.encode_utf16().collect();
        let (from, to) = listener.range;
        assert_eq!(String::from_utf16(&utf16[from..to]).unwrap(), "shop");
        let (from, to) = gateway.range;
        assert_eq!(String::from_utf16(&utf16[from..to]).unwrap(), "web");
    }

    #[test]
    fn a_refused_route_shows_the_reason_and_a_missing_gateway_gets_no_entry() {
        let all = status();
        let blog = &all[2];
        assert_eq!(blog.parents_heading, "Parents");
        assert_eq!(blog.parents.len(), 1, "`elsewhere` is not in the text");
        assert_eq!(blog.parents[0].reference, "Gateway web, sectionName shop");
        let accepted = &blog.parents[0].conditions[0];
        assert_eq!(
            (accepted.type_, accepted.status, accepted.reason.as_str()),
            ("Accepted", false, "NoMatchingListenerHostname")
        );
        assert!(!blog.healthy());
        assert!(all[1].healthy());
        let session = Session::new(GATEWAY_API.to_string(), MeshSettings::default());
        assert_eq!(session.unhealthy_status_count(), 1);
    }

    #[test]
    fn objects_without_a_status_say_why() {
        let all = status();
        assert_eq!(all.len(), 4);
        assert_eq!(all[3].note, Some("A ReferenceGrant has no status."));
        let lonely = Session::new(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: nowhere}]\n".to_string(),
            MeshSettings::default(),
        )
        .gateway_status();
        assert!(lonely[0].parents.is_empty());
        assert!(
            lonely[0]
                .note
                .unwrap()
                .starts_with("No parent Istio handles")
        );
        assert!(lonely[0].healthy(), "a partial input is no alarm");
    }
}
