//! A gateway is a workload, not a Gateway resource: the Envoy of an ingress pod serves the
//! servers of every Gateway whose selector matches the pod's labels, merged as Istio's
//! `mergeGateways` (pilot/pkg/model/gateway.go) merges them: Gateways oldest first, each
//! server kept unless it conflicts with one kept before it on the same port.
//!
//! The input has no pods, so a workload is known by the labels a Gateway selects: the
//! workload of Gateway `g` has exactly `g`'s selector as labels, and carries every Gateway
//! whose selector is a subset of them.

use std::collections::HashMap;

use super::Mesh;
use crate::model::{Gateway, Protocol, Resource, Server};

/// One server of a merged gateway.
#[derive(Clone, Copy, Debug)]
pub struct MergedServer<'m> {
    pub gateway: &'m Resource,
    /// The server's index in its Gateway's `servers`.
    pub index: usize,
    pub server: &'m Server,
}

/// Why Istio drops a server when it merges the Gateways of one workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropCause {
    /// A TLS server (or one with a `tls` block) repeats a host another already has on this
    /// port: Envoy would get two filter chains with one SNI match.
    DuplicateTlsHost(String),
    /// The port is held by a plaintext server whose protocol this one cannot share (only HTTP
    /// servers share a plaintext port).
    ProtocolConflict,
    /// The port is held by TLS servers, told apart by SNI; a server without `tls` cannot join.
    PlaintextOnTlsPort,
}

/// A server Istio leaves out, and the kept server it lost to.
#[derive(Clone, Debug)]
pub struct DroppedServer<'m> {
    pub dropped: MergedServer<'m>,
    pub kept: MergedServer<'m>,
    pub cause: DropCause,
}

/// The servers one gateway workload serves.
#[derive(Clone, Debug)]
pub struct Workload<'m> {
    /// The workload's labels: the selector of the Gateway it was found by, sorted by key.
    pub labels: &'m [(String, String)],
    /// The Gateways whose selector matches, oldest first.
    pub gateways: Vec<&'m Resource>,
    /// The servers kept, in merge order.
    pub servers: Vec<MergedServer<'m>>,
    pub dropped: Vec<DroppedServer<'m>>,
}

impl Workload<'_> {
    /// `istio=ingressgateway`, for messages and the page's choices.
    pub fn label_text(&self) -> String {
        if self.labels.is_empty() {
            return "every gateway workload".to_string();
        }
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        labels.join(",")
    }
}

impl Mesh {
    /// The workload that `gateway`'s selector picks, with every Gateway it carries.
    pub fn gateway_workload<'m>(&'m self, gateway: &'m Resource) -> Workload<'m> {
        let labels = match &gateway.spec {
            crate::model::Spec::Gateway(g) => g.selector.as_slice(),
            _ => &[],
        };
        let mut gateways: Vec<(&Resource, &Gateway)> = self
            .gateways()
            .filter(|(_, other)| other.selector.iter().all(|label| labels.contains(label)))
            .collect();
        crate::order::sort_by(&mut gateways, |a, b| a.0.istio_config_order(b.0));
        merge(labels, &gateways)
    }

    /// One workload per distinct Gateway selector, in the order of the first Gateway with it.
    pub fn gateway_workloads(&self) -> Vec<Workload<'_>> {
        let mut seen: Vec<&[(String, String)]> = Vec::new();
        let mut workloads = Vec::new();
        for (resource, gateway) in self.gateways() {
            if seen.contains(&gateway.selector.as_slice()) {
                continue;
            }
            seen.push(&gateway.selector);
            workloads.push(self.gateway_workload(resource));
        }
        workloads
    }
}

fn merge<'m>(
    labels: &'m [(String, String)],
    gateways: &[(&'m Resource, &'m Gateway)],
) -> Workload<'m> {
    let mut servers: Vec<MergedServer> = Vec::new();
    let mut dropped = Vec::new();
    // Per port: the hosts TLS servers hold (as Istio compares them, namespace prefixes
    // resolved), and whether the port is plaintext (its first server).
    let mut tls_hosts: HashMap<(u32, String), MergedServer> = HashMap::new();
    let mut ports: HashMap<u32, MergedServer> = HashMap::new();
    for &(gateway, spec) in gateways {
        for (index, server) in spec.servers.iter().enumerate() {
            let Some(port) = server.port_number() else {
                continue;
            };
            let entry = MergedServer {
                gateway,
                index,
                server,
            };
            if server.tls.is_some() {
                let hosts = sanitized_hosts(server, &gateway.namespace);
                let duplicate = hosts.iter().find_map(|host| {
                    let kept = tls_hosts.get(&(port, host.clone()))?;
                    Some((host.clone(), *kept))
                });
                if let Some((host, kept)) = duplicate {
                    dropped.push(DroppedServer {
                        dropped: entry,
                        kept,
                        cause: DropCause::DuplicateTlsHost(host),
                    });
                    continue;
                }
                tls_hosts.extend(hosts.into_iter().map(|host| ((port, host), entry)));
            }
            match ports.get(&port) {
                None => {
                    ports.insert(port, entry);
                }
                Some(first) if !is_tls_server(first.server) => {
                    // Istio's canMergeProtocols: only HTTP servers share a plaintext port.
                    if !(protocol_of(server).is_http() && protocol_of(first.server).is_http()) {
                        dropped.push(DroppedServer {
                            dropped: entry,
                            kept: *first,
                            cause: DropCause::ProtocolConflict,
                        });
                        continue;
                    }
                }
                Some(first) if server.tls.is_none() => {
                    dropped.push(DroppedServer {
                        dropped: entry,
                        kept: *first,
                        cause: DropCause::PlaintextOnTlsPort,
                    });
                    continue;
                }
                Some(_) => {}
            }
            servers.push(entry);
        }
    }
    Workload {
        labels,
        gateways: gateways.iter().map(|(resource, _)| *resource).collect(),
        servers,
        dropped,
    }
}

/// A server's protocol as Istio parses it (unknown protocols are not HTTP).
fn protocol_of(server: &Server) -> Protocol {
    server.protocol().unwrap_or(Protocol::Tcp)
}

/// Istio's `IsTLSServer`: a `tls` block on a port that is not plain HTTP.
fn is_tls_server(server: &Server) -> bool {
    server.tls.is_some() && !protocol_of(server).is_http()
}

/// Istio's `sanitizeServerHostNamespace`: `./host` becomes `<namespace>/host`, `*/host` becomes
/// `host` (and `*/*` the lone `*`).
fn sanitized_hosts(server: &Server, namespace: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    for host in server.host_values() {
        match host.value.split_once('/') {
            Some((".", rest)) => hosts.push(format!("{namespace}/{rest}")),
            Some(("*", "*")) => return vec!["*".to_string()],
            Some(("*", rest)) => hosts.push(rest.to_string()),
            _ => hosts.push(host.value.clone()),
        }
    }
    hosts
}
