//! What the reference at a place of the text resolves to — a VirtualService's gateway, a
//! destination host or subset, a route's parentRef or backendRef — for an editor's hover and
//! "go to definition". It only reads the look-ups the checks use; it resolves nothing anew.

use crate::model::gateway_api::{ObjectRef, Route};
use crate::model::{Resource, ResourceKind, Spec, VirtualService};
use crate::resolve::gateway_api::{ParentTarget, group_kind_text, listeners_of};
use crate::resolve::{GatewayTarget, Mesh, fqdn};
use crate::source::{FileId, Span};

/// What kind of reference it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceKind {
    /// An entry of a VirtualService's `gateways`.
    Gateway,
    /// A route destination's `host`.
    DestinationHost,
    /// A route destination's `subset`.
    Subset,
    /// A Gateway API route's `parentRefs` entry.
    ParentRef,
    /// A Gateway API route's `backendRefs` entry.
    BackendRef,
}

/// A reference of the input and what it resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub kind: ReferenceKind,
    /// The reference as written.
    pub span: Span,
    /// What it resolves to, in words, or why it resolves to nothing.
    pub description: String,
    /// Where what it resolves to is defined (a resource's name, a subset's or listener's
    /// name); empty when the input does not hold it.
    pub targets: Vec<Span>,
}

impl Mesh {
    /// The reference whose text holds byte `offset` of `file` (its end included, where an
    /// editor's cursor stands after typing it), if any.
    pub fn reference_at(&self, file: FileId, offset: usize) -> Option<Reference> {
        let at = Span::new(file, offset..offset);
        let index = self
            .resources
            .partition_point(|r| (r.file, r.span.start) <= (file, at.start))
            .checked_sub(1)?;
        let resource = &self.resources[index];
        if !resource.span.contains(at) {
            return None;
        }
        let holds = |span: Span| span.file == file && span.start <= at.start && at.end <= span.end;
        match &resource.spec {
            Spec::VirtualService(service) => {
                self.virtual_service_reference(resource, service, holds)
            }
            Spec::Route(route) => self.route_reference(index, resource, route, holds),
            _ => None,
        }
    }

    fn virtual_service_reference(
        &self,
        resource: &Resource,
        service: &VirtualService,
        holds: impl Fn(Span) -> bool,
    ) -> Option<Reference> {
        for gateway in self.gateway_refs(resource, service) {
            let Some(entry) = gateway.entry.filter(|entry| holds(entry.span)) else {
                continue;
            };
            let (description, targets) = match gateway.target {
                GatewayTarget::Mesh => (
                    "the reserved `mesh`: the sidecars of every workload".to_string(),
                    Vec::new(),
                ),
                GatewayTarget::Found(found, _) => {
                    (format!("Istio {}", found.label()), vec![found.name.span])
                }
                GatewayTarget::Kubernetes(found, _) => (
                    format!("Gateway API {}", found.label()),
                    vec![found.name.span],
                ),
                GatewayTarget::Missing { namespace, name } => (
                    format!("Gateway {namespace}/{name}, which is not in the input"),
                    Vec::new(),
                ),
            };
            return Some(Reference {
                kind: ReferenceKind::Gateway,
                span: entry.span,
                description,
                targets,
            });
        }
        for destination in service.destinations() {
            let Some(host) = &destination.host else {
                continue;
            };
            if holds(host.span) {
                return Some(self.host_reference(&host.value, &resource.namespace, host.span));
            }
            if let Some(subset) = destination.subset.as_ref().filter(|s| holds(s.span)) {
                return Some(self.subset_reference(
                    &host.value,
                    &resource.namespace,
                    &subset.value,
                    subset.span,
                ));
            }
        }
        None
    }

    fn host_reference(&self, host: &str, namespace: &str, span: Span) -> Reference {
        let full = fqdn(host, namespace);
        let declarations = self.declarations(host, namespace);
        let mut description = if declarations.is_empty() {
            format!("host {full}, which no Service or ServiceEntry of the input declares")
        } else {
            let labels: Vec<String> = declarations.iter().map(|r| r.label()).collect();
            format!("host {full}, declared by {}", labels.join(", "))
        };
        if let Some((rule, _)) = self.destination_rule_for(host, namespace, namespace) {
            description.push_str(&format!("; its traffic policy is {}", rule.label()));
        }
        Reference {
            kind: ReferenceKind::DestinationHost,
            span,
            description,
            targets: declarations.iter().map(|r| r.name.span).collect(),
        }
    }

    fn subset_reference(&self, host: &str, namespace: &str, subset: &str, span: Span) -> Reference {
        let full = fqdn(host, namespace);
        let (description, targets) = match self.destination_rule_for(host, namespace, namespace) {
            None => (
                format!(
                    "subset `{subset}` of {full}, but no DestinationRule for that host is in the input"
                ),
                Vec::new(),
            ),
            Some((resource, rule)) => {
                let defined = rule
                    .subsets
                    .iter()
                    .filter_map(|s| s.name.as_ref())
                    .find(|name| name.value == subset);
                match defined {
                    Some(name) => (
                        format!(
                            "subset `{subset}` of {full}, defined by {}",
                            resource.label()
                        ),
                        vec![name.span],
                    ),
                    None => (
                        format!(
                            "subset `{subset}` of {full}, which {} does not define",
                            resource.label()
                        ),
                        vec![resource.name.span],
                    ),
                }
            }
        };
        Reference {
            kind: ReferenceKind::Subset,
            span,
            description,
            targets,
        }
    }

    fn route_reference(
        &self,
        index: usize,
        route_resource: &Resource,
        route: &Route,
        holds: impl Fn(Span) -> bool,
    ) -> Option<Reference> {
        if let Some((position, parent)) = route
            .parent_refs()
            .iter()
            .enumerate()
            .find(|(_, parent)| holds(parent.span))
        {
            return Some(self.parent_reference(index, position, parent));
        }
        let backend = route.backend_refs().find(|backend| holds(backend.span))?;
        let (description, targets) = match self.gateway_api_backend(route_resource, backend) {
            Ok(host) => {
                let declarations = self.declarations(&host, &route_resource.namespace);
                let labels: Vec<String> = declarations.iter().map(|r| r.label()).collect();
                (
                    format!("{host}, declared by {}", labels.join(", ")),
                    declarations.iter().map(|r| r.name.span).collect(),
                )
            }
            Err(problem) => (problem.message(route_resource, backend), Vec::new()),
        };
        Some(Reference {
            kind: ReferenceKind::BackendRef,
            span: backend.span,
            description,
            targets,
        })
    }

    fn parent_reference(&self, route: usize, position: usize, parent: &ObjectRef) -> Reference {
        let view = self.gateway_api();
        let attachment = view
            .attachments(route)
            .iter()
            .find(|attachment| attachment.parent_ref == position);
        let (description, targets) = match attachment.map(|a| (a, &a.target)) {
            None => (
                "a parent Istio does not attach this route to".to_string(),
                Vec::new(),
            ),
            Some((attachment, ParentTarget::Listeners { parent, .. })) => {
                let holder = view.resource(*parent);
                let listeners = listeners_of(holder);
                let accepted: Vec<usize> = attachment.accepted_listeners().collect();
                if accepted.is_empty() {
                    let why = attachment
                        .denial()
                        .map_or_else(|| "it has no listeners".to_string(), |d| d.message);
                    (
                        format!(
                            "{}, whose listeners do not accept the route: {why}",
                            holder.label()
                        ),
                        vec![holder.name.span],
                    )
                } else {
                    let names: Vec<&str> = accepted
                        .iter()
                        .map(|&at| listeners[at].name_value())
                        .collect();
                    (
                        format!(
                            "{}, listeners {} accept the route",
                            holder.label(),
                            names.join(", ")
                        ),
                        accepted
                            .iter()
                            .map(|&at| listeners[at].name_span())
                            .collect(),
                    )
                }
            }
            Some((_, ParentTarget::Service { namespace, name })) => {
                let services: Vec<Span> = self
                    .declarations(name, namespace)
                    .into_iter()
                    .filter(|r| r.kind == ResourceKind::Service)
                    .map(|r| r.name.span)
                    .collect();
                (
                    format!("Service {namespace}/{name}: the route configures the mesh for it"),
                    services,
                )
            }
            Some((
                _,
                ParentTarget::Missing {
                    kind,
                    namespace,
                    name,
                },
            )) => (
                format!("{kind} {namespace}/{name}, which is not in the input"),
                Vec::new(),
            ),
            Some((_, ParentTarget::NotIstio { parent })) => {
                let holder = view.resource(*parent);
                (
                    format!("{}, which Istio does not run", holder.label()),
                    vec![holder.name.span],
                )
            }
            Some((_, ParentTarget::Unsupported { group, kind })) => (
                format!(
                    "a {} parent, which Istio cannot attach to",
                    group_kind_text(group, kind)
                ),
                Vec::new(),
            ),
        };
        Reference {
            kind: ReferenceKind::ParentRef,
            span: parent.span,
            description,
            targets,
        }
    }
}

#[cfg(test)]
#[path = "reference_tests.rs"]
mod tests;
