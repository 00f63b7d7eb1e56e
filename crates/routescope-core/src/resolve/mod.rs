//! The resolved mesh: every resource of the input plus the look-ups checks need (namespaces,
//! gateway references, server bindings, destination rules, ports, effective mTLS).
//!
//! Look-ups go through hash indexes built once, so a 10,000-resource input resolves in linear
//! time.

use std::collections::HashMap;

use crate::diagnostic::Severity;
use crate::model::*;
use crate::settings::MeshSettings;
use crate::source::{Sources, Span};
use crate::yaml::Node;

pub mod gateway_api;
mod inventory;
pub use inventory::Inventory;
mod reference;
mod servers;
mod tls;
mod workload;

pub use reference::{Reference, ReferenceKind};
pub use servers::{ReachedServer, RouteKind, has_server_certificate, server_label};
pub use tls::{Origination, TlsLevel, TlsPlace, TlsSetting, all_tls_settings};
pub use workload::{DropCause, DroppedServer, MergedServer, Workload};

/// All resources of one input, the text they came from, and the mesh settings.
pub struct Mesh {
    pub sources: Sources,
    pub settings: MeshSettings,
    pub resources: Vec<Resource>,
    /// The objects of the input that are not analysed (other kinds, groups or versions).
    pub skipped: Vec<SkippedObject>,
    /// (namespace, name) → index of the Gateway.
    gateways: HashMap<(String, String), usize>,
    /// Gateway name → namespaces that have one, for "did you mean" hints.
    gateway_namespaces: HashMap<String, Vec<String>>,
    /// Exact FQDN host → DestinationRules; wildcard hosts are scanned (they are few).
    destination_rules: HashMap<String, Vec<usize>>,
    wildcard_destination_rules: Vec<usize>,
    /// FQDN host → ServiceEntries and Services declaring it.
    services: HashMap<String, Vec<usize>>,
    wildcard_service_entries: Vec<usize>,
    /// Namespace → namespace-wide PeerAuthentication (no selector).
    peer_authentications: HashMap<String, usize>,
    /// The Gateway API objects and the attachment of their routes.
    gateway_api: gateway_api::GatewayApi,
    /// Resources a later one of the same kind, namespace and name replaces, as `kubectl apply`
    /// of the whole input would: they are not part of the mesh.
    pub overridden: Vec<Overridden>,
}

/// A resource of the input that a later namesake replaces.
#[derive(Clone, Debug)]
pub struct Overridden {
    pub resource: Resource,
    /// Its place in the input, among all resources.
    position: usize,
    /// The index in [`Mesh::resources`] of the resource that replaces it.
    pub survivor: usize,
}

/// What one `gateways` entry of a VirtualService refers to.
#[derive(Clone, Debug)]
pub struct GatewayRef<'m> {
    /// The entry as written; `None` when `gateways` is omitted (implicitly `mesh`).
    pub entry: Option<&'m Spanned<String>>,
    pub target: GatewayTarget<'m>,
}

#[derive(Clone, Debug)]
pub enum GatewayTarget<'m> {
    /// The reserved `mesh`: the sidecars of every workload.
    Mesh,
    Found(&'m Resource, &'m Gateway),
    /// A Kubernetes Gateway API Gateway: Istio binds VirtualServices to those too.
    Kubernetes(&'m Resource, &'m crate::model::gateway_api::Gateway),
    Missing {
        namespace: &'m str,
        name: &'m str,
    },
}

/// A port a destination host reaches, declared by a ServiceEntry or a Kubernetes Service.
#[derive(Clone, Debug)]
pub struct DeclaredPort<'m> {
    pub resource: &'m Resource,
    pub number: u32,
    pub number_span: Span,
    pub protocol: Option<Protocol>,
    /// The `protocol` field (ServiceEntry) or the port's span (Service, by name convention).
    pub protocol_span: Span,
    pub port: PortRef<'m>,
}

#[derive(Clone, Copy, Debug)]
pub enum PortRef<'m> {
    ServiceEntry(&'m Spanned<PortSpec>),
    Service(&'m Spanned<ServicePort>),
}

/// The effective mTLS mode for workloads of a namespace and what decided it.
#[derive(Clone, Debug)]
pub struct EffectiveMtls<'m> {
    pub mode: MtlsMode,
    /// The PeerAuthentication that set it, or none for the mesh setting.
    pub source: Option<(&'m Resource, &'m Field<MtlsMode>)>,
}

impl Mesh {
    /// The mesh of `resources` (in input order, as [`crate::load::load`] gives them: look-ups
    /// by span rely on it) read from `sources`.
    pub fn new(sources: Sources, settings: MeshSettings, resources: Vec<Resource>) -> Mesh {
        let (resources, overridden) = last_wins(resources);
        let mut mesh = Mesh {
            sources,
            settings,
            resources,
            skipped: Vec::new(),
            overridden,
            gateways: HashMap::new(),
            gateway_namespaces: HashMap::new(),
            destination_rules: HashMap::new(),
            wildcard_destination_rules: Vec::new(),
            services: HashMap::new(),
            wildcard_service_entries: Vec::new(),
            peer_authentications: HashMap::new(),
            gateway_api: gateway_api::GatewayApi::default(),
        };
        mesh.index();
        mesh.gateway_api = gateway_api::GatewayApi::new(&mesh.resources);
        mesh
    }

    fn index(&mut self) {
        for (index, resource) in self.resources.iter().enumerate() {
            let namespace = &resource.namespace;
            match &resource.spec {
                Spec::Gateway(_) => {
                    let key = (namespace.clone(), resource.name.value.clone());
                    self.gateways.entry(key).or_insert(index);
                    self.gateway_namespaces
                        .entry(resource.name.value.clone())
                        .or_default()
                        .push(namespace.clone());
                }
                Spec::DestinationRule(rule) => {
                    if let Some(host) = &rule.host {
                        let host = fqdn(&host.value, namespace);
                        if host.starts_with('*') {
                            self.wildcard_destination_rules.push(index);
                        } else {
                            self.destination_rules.entry(host).or_default().push(index);
                        }
                    }
                }
                Spec::ServiceEntry(entry) => {
                    for host in entry.host_values() {
                        let host = fqdn(&host.value, namespace);
                        if host.starts_with('*') {
                            self.wildcard_service_entries.push(index);
                        } else {
                            self.services.entry(host).or_default().push(index);
                        }
                    }
                }
                Spec::Service(_) => {
                    let host = fqdn(&resource.name.value, namespace);
                    self.services.entry(host).or_default().push(index);
                }
                Spec::PeerAuthentication(policy) if !policy.has_selector => {
                    self.peer_authentications
                        .entry(namespace.clone())
                        .or_insert(index);
                }
                // The Gateway API kinds have their own index (`gateway_api`).
                _ => {}
            }
        }
    }

    /// Every resource of the input, overridden ones included, in input order (to hand back to
    /// a [`crate::load::DocumentCache`]).
    pub fn take_resources(&mut self) -> Vec<Resource> {
        let mut kept = std::mem::take(&mut self.resources).into_iter();
        let mut overridden = std::mem::take(&mut self.overridden).into_iter().peekable();
        let mut all = Vec::with_capacity(kept.len() + overridden.len());
        loop {
            match overridden.peek() {
                Some(next) if next.position == all.len() => {
                    all.push(overridden.next().expect("peeked").resource);
                }
                _ => match kept.next() {
                    Some(resource) => all.push(resource),
                    None => break,
                },
            }
        }
        all.extend(overridden.map(|o| o.resource));
        all
    }

    /// The Gateway API objects of the input: look-ups and route attachment.
    pub fn gateway_api(&self) -> gateway_api::View<'_> {
        self.gateway_api.view(&self.resources)
    }

    /// The YAML node whose span is exactly `span` (a model field's value or list item), from
    /// the tree of the resource holding it: fixes read there what the model leaves out.
    pub fn node_at(&self, span: Span) -> Option<&Node> {
        self.last_resource_from(span)?.node.descendant(span)
    }

    /// The resource whose text holds `span` (a diagnostic's, say).
    pub fn resource_at(&self, span: Span) -> Option<&Resource> {
        self.last_resource_from(span)
            .filter(|resource| resource.span.contains(span))
    }

    /// The last resource starting at or before `span`: the one holding it, if any.
    fn last_resource_from(&self, span: Span) -> Option<&Resource> {
        // Resources stand in input order.
        let after = self
            .resources
            .partition_point(|r| (r.file, r.span.start) <= (span.file, span.start));
        self.resources.get(after.checked_sub(1)?)
    }

    /// How serious a reference to something not in the input is: the input may be a partial
    /// paste unless the settings say it is complete.
    pub fn missing_reference_severity(&self) -> Severity {
        if self.settings.input_complete {
            Severity::Warning
        } else {
            Severity::Info
        }
    }

    pub fn gateways(&self) -> impl Iterator<Item = (&Resource, &Gateway)> {
        self.resources.iter().filter_map(|r| match &r.spec {
            Spec::Gateway(spec) => Some((r, spec)),
            _ => None,
        })
    }

    pub fn virtual_services(&self) -> impl Iterator<Item = (&Resource, &VirtualService)> {
        self.resources.iter().filter_map(|r| match &r.spec {
            Spec::VirtualService(spec) => Some((r, spec)),
            _ => None,
        })
    }

    pub fn destination_rules(&self) -> impl Iterator<Item = (&Resource, &DestinationRule)> {
        self.resources.iter().filter_map(|r| match &r.spec {
            Spec::DestinationRule(spec) => Some((r, spec)),
            _ => None,
        })
    }

    pub fn service_entries(&self) -> impl Iterator<Item = (&Resource, &ServiceEntry)> {
        self.resources.iter().filter_map(|r| match &r.spec {
            Spec::ServiceEntry(spec) => Some((r, spec)),
            _ => None,
        })
    }

    pub fn peer_authentications(&self) -> impl Iterator<Item = (&Resource, &PeerAuthentication)> {
        self.resources.iter().filter_map(|r| match &r.spec {
            Spec::PeerAuthentication(spec) => Some((r, spec)),
            _ => None,
        })
    }

    /// What each `gateways` entry of a VirtualService refers to (omitted: `mesh`).
    pub fn gateway_refs<'m>(
        &'m self,
        resource: &'m Resource,
        service: &'m VirtualService,
    ) -> Vec<GatewayRef<'m>> {
        let Some(gateways) = written_gateways(service) else {
            return vec![GatewayRef {
                entry: None,
                target: GatewayTarget::Mesh,
            }];
        };
        gateways
            .iter()
            .map(|entry| GatewayRef {
                entry: Some(entry),
                target: self.gateway_target(&entry.value, &resource.namespace),
            })
            .collect()
    }

    /// Resolves a gateway reference written in a resource of namespace `namespace`.
    pub fn gateway_target<'a>(
        &'a self,
        reference: &'a str,
        namespace: &'a str,
    ) -> GatewayTarget<'a> {
        if reference == "mesh" {
            return GatewayTarget::Mesh;
        }
        let (gateway_namespace, name) = match reference.split_once('/') {
            Some((ns, name)) => (ns, name),
            None => (namespace, reference),
        };
        // Istio still reads the legacy `name.namespace.svc.cluster.local` form.
        let (name, gateway_namespace) = match name.split_once('.') {
            Some((short, rest)) if !reference.contains('/') => {
                (short, rest.split('.').next().unwrap_or(gateway_namespace))
            }
            _ => (name, gateway_namespace),
        };
        match self
            .gateways
            .get(&(gateway_namespace.to_string(), name.to_string()))
        {
            Some(&index) => {
                let resource = &self.resources[index];
                match &resource.spec {
                    Spec::Gateway(gateway) => GatewayTarget::Found(resource, gateway),
                    _ => unreachable!("the gateway index holds gateways"),
                }
            }
            None => match self.gateway_api().gateway(gateway_namespace, name) {
                Some((index, gateway)) => {
                    GatewayTarget::Kubernetes(&self.resources[index], gateway)
                }
                None => GatewayTarget::Missing {
                    namespace: gateway_namespace,
                    name,
                },
            },
        }
    }

    /// Namespaces that have a Gateway of this name (for "did you mean").
    pub fn namespaces_with_gateway(&self, name: &str) -> &[String] {
        self.gateway_namespaces.get(name).map_or(&[], Vec::as_slice)
    }

    /// The DestinationRule that applies to traffic for `host` (written in namespace
    /// `namespace`) sent from namespace `client_namespace`: an exact host beats a wildcard,
    /// and a rule in the client's namespace beats one elsewhere.
    pub fn destination_rule_for(
        &self,
        host: &str,
        namespace: &str,
        client_namespace: &str,
    ) -> Option<(&Resource, &DestinationRule)> {
        let host = fqdn(host, namespace);
        let as_rule = |index: &usize| {
            let resource = &self.resources[*index];
            match &resource.spec {
                Spec::DestinationRule(rule) => (resource, rule),
                _ => unreachable!("the destination rule index holds destination rules"),
            }
        };
        let exact: Vec<_> = self
            .destination_rules
            .get(&host)
            .into_iter()
            .flatten()
            .map(as_rule)
            .collect();
        let candidates = if exact.is_empty() {
            let mut wildcards: Vec<_> = self
                .wildcard_destination_rules
                .iter()
                .map(as_rule)
                .filter(|(resource, rule)| {
                    rule.host.as_ref().is_some_and(|h| {
                        hosts_intersect(&fqdn(&h.value, &resource.namespace), &host)
                    })
                })
                .collect();
            // The most specific wildcard (longest) wins.
            crate::order::sort_by_key(&mut wildcards, |(_, rule)| {
                std::cmp::Reverse(rule.host.as_ref().map_or(0, |h| h.value.len()))
            });
            wildcards
        } else {
            exact
        };
        candidates
            .iter()
            .find(|(resource, _)| resource.namespace == client_namespace)
            .or_else(|| candidates.first())
            .copied()
    }

    /// The ServiceEntries and Services that declare `host` (written in `namespace`): those
    /// of the exact host, then wildcard ServiceEntries covering it, each once, in that order.
    pub fn declarations(&self, host: &str, namespace: &str) -> Vec<&Resource> {
        let host = fqdn(host, namespace);
        let exact = self.services.get(&host).into_iter().flatten().copied();
        let wildcard = self
            .wildcard_service_entries
            .iter()
            .copied()
            .filter(|&index| {
                let resource = &self.resources[index];
                matches!(&resource.spec, Spec::ServiceEntry(entry) if entry.host_values().any(|h| {
                    h.value.starts_with('*') && hosts_intersect(&h.value, &host)
                }))
            });
        let mut seen = Vec::new();
        for index in exact.chain(wildcard) {
            if !seen.contains(&index) {
                seen.push(index);
            }
        }
        seen.into_iter()
            .map(|index| &self.resources[index])
            .collect()
    }

    /// The ports that ServiceEntries and Services declare for `host` (written in `namespace`).
    pub fn declared_ports(&self, host: &str, namespace: &str) -> Vec<DeclaredPort<'_>> {
        let mut ports = Vec::new();
        for resource in self.declarations(host, namespace) {
            match &resource.spec {
                Spec::ServiceEntry(entry) => {
                    for port in &entry.ports {
                        let Some(number) = &port.value.number else {
                            continue;
                        };
                        ports.push(DeclaredPort {
                            resource,
                            number: number.value,
                            number_span: number.span,
                            protocol: port.value.protocol.as_ref().map(|p| p.value),
                            protocol_span: port
                                .value
                                .protocol
                                .as_ref()
                                .map_or(port.span, |p| p.span),
                            port: PortRef::ServiceEntry(port),
                        });
                    }
                }
                Spec::Service(service) => {
                    for port in &service.ports {
                        let Some(number) = &port.value.number else {
                            continue;
                        };
                        ports.push(DeclaredPort {
                            resource,
                            number: number.value,
                            number_span: number.span,
                            protocol: port.value.protocol(),
                            protocol_span: port.span,
                            port: PortRef::Service(port),
                        });
                    }
                }
                _ => {}
            }
        }
        ports
    }

    /// The ExternalName Service `host` (written in `namespace`) names, and its target: Istio
    /// treats such a Service as an alias, so requests for it reach the target's clusters.
    pub fn external_name_alias(
        &self,
        host: &str,
        namespace: &str,
    ) -> Option<(&Resource, &Field<String>)> {
        let host = fqdn(host, namespace);
        self.services
            .get(&host)
            .into_iter()
            .flatten()
            .find_map(|&index| {
                let resource = &self.resources[index];
                match &resource.spec {
                    Spec::Service(service) => service.external_name.as_ref().map(|t| (resource, t)),
                    _ => None,
                }
            })
    }

    /// The ports traffic for each host is sent on, by what the input says of it besides
    /// declaring it: DestinationRule `portLevelSettings` and the ports of route destinations
    /// naming it (sorted, without repeats). For a host only a DestinationRule names, these are
    /// the sidecar ports it is called on.
    pub fn called_ports(&self) -> HashMap<Fqdn<'_>, Vec<u32>> {
        let mut ports: HashMap<Fqdn, Vec<u32>> = HashMap::new();
        for (resource, rule) in self.destination_rules() {
            let Some(host) = &rule.host else {
                continue;
            };
            let levels = rule.traffic_policy.iter().flat_map(|p| &p.value.port_level);
            ports
                .entry(Fqdn::of(&host.value, &resource.namespace))
                .or_default()
                .extend(levels.filter_map(|level| level.port.as_ref().map(|p| p.value)));
        }
        for (resource, service) in self.virtual_services() {
            for destination in service.destinations() {
                if let (Some(host), Some(port)) = (&destination.host, &destination.port) {
                    ports
                        .entry(Fqdn::of(&host.value, &resource.namespace))
                        .or_default()
                        .push(port.value);
                }
            }
        }
        for list in ports.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        ports
    }

    /// Is there a Kubernetes Service `namespace/name` in the input?
    pub fn has_service(&self, namespace: &str, name: &str) -> bool {
        let host = fqdn(name, namespace);
        self.services
            .get(&host)
            .into_iter()
            .flatten()
            .any(|&index| matches!(self.resources[index].spec, Spec::Service(_)))
    }

    /// Is `host` declared anywhere in the input (a Service or a ServiceEntry)?
    pub fn is_declared(&self, host: &str, namespace: &str) -> bool {
        let host = fqdn(host, namespace);
        self.services.contains_key(&host)
            || self.wildcard_service_entries.iter().any(|&index| {
                matches!(&self.resources[index].spec, Spec::ServiceEntry(entry)
                    if entry.host_values().any(|h| hosts_intersect(&h.value, &host)))
            })
    }

    /// Is `host` a workload inside the mesh (so it has a sidecar that takes mTLS)? Kubernetes
    /// service names and MESH_INTERNAL ServiceEntries are; external hosts are not.
    pub fn is_in_mesh(&self, host: &str, namespace: &str) -> bool {
        let host = fqdn(host, namespace);
        if host.ends_with(".svc.cluster.local") {
            return true;
        }
        self.services
            .get(&host)
            .into_iter()
            .flatten()
            .any(|&index| match &self.resources[index].spec {
                Spec::ServiceEntry(entry) => entry.is_mesh_internal(),
                Spec::Service(_) => true,
                _ => false,
            })
    }

    /// The namespace a workload behind `host` runs in: `name.ns.svc.cluster.local` says it.
    pub fn host_namespace<'h>(host: &'h str, namespace: &'h str) -> &'h str {
        Fqdn::of(host, namespace)
            .cluster_namespace()
            .unwrap_or(namespace)
    }

    /// The mTLS mode that workloads of `namespace` require: a namespace-wide
    /// PeerAuthentication, else a mesh-wide one in the root namespace, else the mesh setting.
    /// UNSET inherits from the next level.
    pub fn effective_mtls(&self, namespace: &str) -> EffectiveMtls<'_> {
        for ns in [namespace, self.settings.root_namespace.as_str()] {
            let Some(&index) = self.peer_authentications.get(ns) else {
                continue;
            };
            let resource = &self.resources[index];
            if let Spec::PeerAuthentication(policy) = &resource.spec
                && let Some(mode) = &policy.mode
                && mode.value != MtlsMode::Unset
            {
                return EffectiveMtls {
                    mode: mode.value,
                    source: Some((resource, mode)),
                };
            }
        }
        EffectiveMtls {
            mode: self.settings.default_mtls,
            source: None,
        }
    }
}

/// Splits `resources` into those the mesh has and those a later resource of the same kind,
/// namespace and name replaces (`kubectl apply` of the documents in order keeps the last).
fn last_wins(resources: Vec<Resource>) -> (Vec<Resource>, Vec<Overridden>) {
    let mut last: HashMap<(ResourceKind, &str, &str), usize> = HashMap::new();
    for (position, resource) in resources.iter().enumerate() {
        last.insert(
            (resource.kind, &resource.namespace, &resource.name.value),
            position,
        );
    }
    let survives: Vec<bool> = resources
        .iter()
        .enumerate()
        .map(|(position, r)| {
            last[&(r.kind, r.namespace.as_str(), r.name.value.as_str())] == position
        })
        .collect();
    if survives.iter().all(|&s| s) {
        return (resources, Vec::new());
    }
    // Where each surviving resource lands once the overridden ones are taken out.
    let mut kept_index = vec![0; resources.len()];
    let mut count = 0;
    for (position, &kept) in survives.iter().enumerate() {
        kept_index[position] = count;
        count += usize::from(kept);
    }
    let survivor_of: Vec<usize> = resources
        .iter()
        .map(|r| kept_index[last[&(r.kind, r.namespace.as_str(), r.name.value.as_str())]])
        .collect();
    let mut kept = Vec::with_capacity(count);
    let mut overridden = Vec::new();
    for (position, resource) in resources.into_iter().enumerate() {
        if survives[position] {
            kept.push(resource);
        } else {
            overridden.push(Overridden {
                resource,
                position,
                survivor: survivor_of[position],
            });
        }
    }
    (kept, overridden)
}

/// The `gateways` a VirtualService lists; `None` when it lists none: omitted and empty both
/// mean the reserved `mesh`.
fn written_gateways(service: &VirtualService) -> Option<&[Spanned<String>]> {
    let gateways = &service.gateways.as_ref()?.value;
    (!gateways.is_empty()).then_some(gateways.as_slice())
}

/// Whether a VirtualService configures the sidecars of the mesh: its `gateways` list none
/// (omitted or empty), or `mesh`. Agrees with [`Mesh::gateway_refs`] naming
/// [`GatewayTarget::Mesh`].
pub fn applies_to_mesh(service: &VirtualService) -> bool {
    written_gateways(service).is_none_or(|gateways| gateways.iter().any(|g| g.value == "mesh"))
}

/// Expands a short host name (`reviews`) to `reviews.<namespace>.svc.cluster.local`; names
/// with a dot and wildcards are kept as written.
pub fn fqdn(host: &str, namespace: &str) -> String {
    Fqdn::of(host, namespace).to_text()
}

/// A host's fully qualified name without building its text: two are equal exactly when their
/// texts are, so the traffic graph keys nodes by it without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fqdn<'a> {
    /// The whole name, or its first label when `namespace` is set.
    name: &'a str,
    /// Set for `name.namespace.svc.cluster.local`.
    namespace: Option<&'a str>,
}

const CLUSTER_SUFFIX: &str = ".svc.cluster.local";

impl<'a> Fqdn<'a> {
    /// [`fqdn`]'s name for `host` written in `namespace`.
    pub fn of(host: &'a str, namespace: &'a str) -> Fqdn<'a> {
        if !host.contains('.') && !host.contains('*') {
            return Fqdn {
                name: host,
                namespace: Some(namespace),
            };
        }
        // Written out in full, a cluster name is the same as its short form.
        match host
            .strip_suffix(CLUSTER_SUFFIX)
            .and_then(|rest| rest.split_once('.'))
        {
            Some((name, namespace)) => Fqdn {
                name,
                namespace: Some(namespace),
            },
            None => Fqdn {
                name: host,
                namespace: None,
            },
        }
    }

    /// The text's pieces, for [`Fqdn::to_text`] and `Display` alike.
    fn pieces(self) -> [&'a str; 4] {
        match self.namespace {
            Some(namespace) => [self.name, ".", namespace, CLUSTER_SUFFIX],
            None => [self.name, "", "", ""],
        }
    }

    /// The text, in one allocation.
    pub fn to_text(self) -> String {
        self.pieces().concat()
    }

    /// The Service name of a cluster name (`reviews.prod.svc.cluster.local`: `reviews`).
    pub fn cluster_name(self) -> Option<&'a str> {
        self.namespace.map(|_| self.name)
    }

    /// The namespace of a cluster name (`reviews.prod.svc.cluster.local`: `prod`).
    pub fn cluster_namespace(self) -> Option<&'a str> {
        self.namespace
            .map(|namespace| namespace.split('.').next().unwrap_or(namespace))
    }
}

impl std::fmt::Display for Fqdn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.pieces()
            .iter()
            .try_for_each(|piece| f.write_str(piece))
    }
}

/// Whether two host patterns can name the same host. `*` is allowed only leftmost:
/// `*.foo.com` matches `a.foo.com` and `a.b.foo.com`, not `foo.com`.
pub fn hosts_intersect(a: &str, b: &str) -> bool {
    fn covers(wildcard: &str, other: &str) -> bool {
        match wildcard.strip_prefix('*') {
            Some(suffix) => {
                let other = other.trim_start_matches('*');
                other.ends_with(suffix) && (other.len() > suffix.len() || suffix.is_empty())
                    || other == suffix && suffix.is_empty()
            }
            None => false,
        }
    }
    a.eq_ignore_ascii_case(b) || covers(a, b) || covers(b, a)
}

/// Whether host pattern `pattern` matches every name `host` matches (wildcards only
/// leftmost): `*.example.com` covers `a.example.com` and `*.a.example.com`, not
/// `example.com`; a VirtualService host covers the SNI hosts of its `tls` rules this way.
pub fn host_covers(pattern: &str, host: &str) -> bool {
    let (pattern, host) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    pattern == host
        || pattern
            .strip_prefix('*')
            .is_some_and(|suffix| host.len() > suffix.len() && host.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load;

    /// The resolved mesh of one file of `text`, with default settings.
    pub(super) fn mesh(text: &str) -> Mesh {
        let sources = Sources::single("t.yaml", text);
        let resources = load(&sources, "default").resources;
        Mesh::new(sources, MeshSettings::default(), resources)
    }

    fn virtual_service<'m>(mesh: &'m Mesh, name: &str) -> (&'m Resource, &'m VirtualService) {
        mesh.virtual_services()
            .find(|(resource, _)| resource.name.value == name)
            .unwrap()
    }

    #[test]
    fn applies_to_mesh_agrees_with_the_gateway_references() {
        let mesh = mesh(
            "kind: VirtualService\napiVersion: networking.istio.io/v1\nmetadata: {name: omitted}\n---\nkind: VirtualService\napiVersion: networking.istio.io/v1\nmetadata: {name: empty}\nspec: {gateways: []}\n---\nkind: VirtualService\napiVersion: networking.istio.io/v1\nmetadata: {name: listed}\nspec: {gateways: [gw, mesh]}\n---\nkind: VirtualService\napiVersion: networking.istio.io/v1\nmetadata: {name: gateway-only}\nspec: {gateways: [gw]}\n",
        );
        for (name, expected) in [
            ("omitted", true),
            ("empty", true),
            ("listed", true),
            ("gateway-only", false),
        ] {
            let (resource, service) = virtual_service(&mesh, name);
            let refers_to_mesh = mesh
                .gateway_refs(resource, service)
                .iter()
                .any(|reference| matches!(reference.target, GatewayTarget::Mesh));
            assert_eq!(applies_to_mesh(service), expected, "{name}");
            assert_eq!(refers_to_mesh, expected, "{name}");
        }
    }

    #[test]
    fn node_at_finds_fields_in_every_resource() {
        let text = "# é\nkind: List\napiVersion: v1\nitems:\n- kind: VirtualService\n  apiVersion: networking.istio.io/v1\n  metadata: {name: a}\n  spec: {hosts: [a], gateways: [☕]}\n---\nkind: Deployment\n---\nkind: VirtualService\napiVersion: networking.istio.io/v1\nmetadata: {name: b}\nspec:\n  hosts:\n  - b\n";
        let mesh = mesh(text);
        for name in ["a", "b"] {
            let (_, service) = virtual_service(&mesh, name);
            let hosts = service.hosts.as_ref().unwrap();
            let node = mesh.node_at(hosts.span).unwrap();
            assert_eq!(node.as_sequence().unwrap()[0].as_str(), Some(name));
        }
        let (resource, service) = virtual_service(&mesh, "a");
        let gateway = &service.gateways.as_ref().unwrap().value[0];
        assert_eq!(mesh.node_at(gateway.span).unwrap().as_str(), Some("☕"));
        assert!(std::ptr::eq(
            mesh.node_at(resource.span).unwrap(),
            &resource.node
        ));
        let comment = Span::new(resource.file, 0..4);
        assert_eq!(mesh.node_at(comment), None);
    }

    #[test]
    fn wildcards_match_only_leftmost_labels() {
        assert!(hosts_intersect("*.example.com", "a.example.com"));
        assert!(hosts_intersect("*.example.com", "a.b.example.com"));
        assert!(!hosts_intersect("*.example.com", "example.com"));
        assert!(hosts_intersect("*", "anything.io"));
        assert!(hosts_intersect("*.b.com", "*.a.b.com"));
        assert!(!hosts_intersect("*.a.com", "*.b.com"));
        assert!(!hosts_intersect("foo.com", "bar.com"));
    }

    #[test]
    fn host_patterns_cover_sni_hosts_within_them() {
        assert!(host_covers("*.example.com", "a.example.com"));
        assert!(host_covers("*.example.com", "*.a.example.com"));
        assert!(host_covers("a.EXAMPLE.com", "A.example.com"));
        assert!(host_covers("*", "anything.io"));
        assert!(host_covers("*.example.com", "*.example.com"));
        assert!(!host_covers("a.example.com", "*.example.com"));
        assert!(!host_covers("*.example.com", "example.com"));
        assert!(!host_covers("a.com", "b.com"));
    }

    #[test]
    fn short_names_expand_in_their_namespace() {
        assert_eq!(
            fqdn("reviews", "bookinfo"),
            "reviews.bookinfo.svc.cluster.local"
        );
        assert_eq!(fqdn("httpbin.org", "bookinfo"), "httpbin.org");
        assert_eq!(fqdn("*", "bookinfo"), "*");
    }

    #[test]
    fn host_namespace_comes_from_the_fqdn() {
        assert_eq!(
            Mesh::host_namespace("a.prod.svc.cluster.local", "default"),
            "prod"
        );
        assert_eq!(Mesh::host_namespace("reviews", "default"), "default");
    }
}
