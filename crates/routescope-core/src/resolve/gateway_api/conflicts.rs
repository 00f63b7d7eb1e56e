//! Listener conflicts as Istio's newest Gateway API controller computes them
//! (`gatewaycommon.ComputeGatewayListenerConflicts`): the listeners of a Gateway and of the
//! ListenerSets it takes are merged in precedence order, and a listener that cannot coexist
//! with an earlier *winning* one loses: it is `Conflicted`, not programmed, and no route
//! attaches to it. Losers free their slot, so they block nobody.

use super::View;
use super::refs::listeners_of;
use crate::model::Spec;
use crate::model::gateway_api::Listener;

/// The message Istio writes on the three conditions of a conflicted listener.
pub const CONFLICT_MESSAGE: &str =
    "Listener has a conflict with another listener attached to the same Gateway";

/// Why a listener lost, as the `Conflicted` condition's reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictReason {
    /// Same port and protocol family, same hostname.
    Hostname,
    /// Same port, protocols that cannot share it (TCP/UDP beside anything, or HTTP beside
    /// HTTPS for the same hostname).
    Protocol,
}

impl ConflictReason {
    pub fn reason(self) -> &'static str {
        match self {
            ConflictReason::Hostname => "HostnameConflict",
            ConflictReason::Protocol => "ProtocolConflict",
        }
    }
}

/// A listener of the holder that loses, and the earlier listener it loses to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// Index into the holder's `listeners`.
    pub listener: usize,
    pub reason: ConflictReason,
    /// The winner: (holder resource index, listener index).
    pub winner: (usize, usize),
}

/// The conflicted listeners of `holder` (a Gateway, or a ListenerSet its Gateway takes).
pub fn conflicted_listeners(view: &View<'_>, holder: usize) -> Vec<Conflict> {
    conflicts_in(view, &|set| view.listener_set_parent(set), holder)
}

/// [`conflicted_listeners`] with the ListenerSet parents given, for attachment, which runs
/// before the view knows them.
pub(super) fn conflicts_in(
    view: &View<'_>,
    parent_of: &dyn Fn(usize) -> Option<usize>,
    holder: usize,
) -> Vec<Conflict> {
    let gateway = match &view.resource(holder).spec {
        Spec::KubernetesGateway(_) => holder,
        Spec::ListenerSet(_) => match parent_of(holder) {
            Some(gateway) => gateway,
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let mut accepted: Vec<(usize, usize, &Listener)> = Vec::new();
    let mut out = Vec::new();
    for (owner, index, listener) in merged(view, parent_of, gateway) {
        let prior = accepted
            .iter()
            .find(|(_, _, prior)| !distinct(listener, prior));
        match prior {
            Some(&(prior_owner, prior_index, prior)) => {
                if owner == holder {
                    out.push(Conflict {
                        listener: index,
                        reason: reason(listener, prior),
                        winner: (prior_owner, prior_index),
                    });
                }
            }
            None => accepted.push((owner, index, listener)),
        }
    }
    out
}

/// The Gateway's listeners in spec order, then those of the ListenerSets it takes, oldest
/// set first (creationTimestamp, then `namespace/name`), as (holder, index, listener).
fn merged<'m>(
    view: &View<'m>,
    parent_of: &dyn Fn(usize) -> Option<usize>,
    gateway: usize,
) -> Vec<(usize, usize, &'m Listener)> {
    let mut sets: Vec<usize> = (0..view.resources.len())
        .filter(|&index| {
            matches!(view.resource(index).spec, Spec::ListenerSet(_))
                && parent_of(index) == Some(gateway)
        })
        .collect();
    crate::order::sort_by_key(&mut sets, |&index| {
        let set = view.resource(index);
        // An absent timestamp is Go's zero time: the oldest.
        (
            set.created.clone(),
            format!("{}/{}", set.namespace, set.name.value),
        )
    });
    std::iter::once(gateway)
        .chain(sets)
        .flat_map(|holder| {
            listeners_of(view.resource(holder))
                .iter()
                .enumerate()
                .map(move |(index, listener)| (holder, index, listener))
        })
        .collect()
}

/// The port Istio compares: as written, else the ListenerSet default (HTTP 80, HTTPS 443).
fn port(listener: &Listener) -> Option<u32> {
    listener.port_number().or(match protocol(listener) {
        "HTTP" => Some(80),
        "HTTPS" => Some(443),
        _ => None,
    })
}

fn protocol(listener: &Listener) -> &str {
    listener.protocol.as_ref().map_or("", |p| p.value.as_str())
}

fn is_tcp_udp(listener: &Listener) -> bool {
    matches!(protocol(listener), "TCP" | "UDP")
}

fn is_http_like(listener: &Listener) -> bool {
    matches!(protocol(listener), "HTTP" | "HTTPS" | "TLS")
}

/// Istio's `listenersDistinct`: whether two listeners can coexist on one Gateway.
fn distinct(a: &Listener, b: &Listener) -> bool {
    if port(a) != port(b) {
        return true;
    }
    if is_tcp_udp(a) && (is_http_like(b) || is_tcp_udp(b)) || is_http_like(a) && is_tcp_udp(b) {
        return false;
    }
    if is_http_like(a) && is_http_like(b) {
        // An unset hostname is `*`; HTTPS:443:a.com and TLS:443:b.com coexist.
        return hostname(a) != hostname(b);
    }
    protocol(a) != protocol(b)
}

/// The hostname Istio compares: unset (or empty) is `*`.
fn hostname(listener: &Listener) -> &str {
    listener
        .hostname_value()
        .filter(|h| !h.is_empty())
        .unwrap_or("*")
}

/// Istio's `listenerConflictReason`.
fn reason(a: &Listener, b: &Listener) -> ConflictReason {
    if is_tcp_udp(a) && is_tcp_udp(b) || protocol(a) != protocol(b) {
        ConflictReason::Protocol
    } else {
        ConflictReason::Hostname
    }
}
