//! `listener-conflict`: listeners of one Gateway (with the ListenerSets it takes) that cannot
//! share a port, as Istio's controller decides it: the later one is `Conflicted` and dead.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::gateway_api::Listener;
use crate::model::{Resource, Spec};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{
    CONFLICT_MESSAGE, Conflict, ConflictReason, conflicted_listeners, listeners_of,
};

pub static CHECK: Check = Check {
    id: "listener-conflict",
    summary: "A listener conflicts with an earlier one on the same port of its Gateway: Istio does not program it.",
    istio_code: None,
    docs: r#"
## What it does
Merges the listeners of each Gateway that Istio runs with those of the ListenerSets the
Gateway takes, the way Istio's controller does: the Gateway's own listeners first, in order,
then each ListenerSet's, oldest set first (`creationTimestamp`, then `namespace/name`). A
listener conflicts with an earlier listener that was itself accepted when both use the same
port and:
- one is TCP or UDP (TCP and UDP share a port with nothing, not even each other), or
- both are HTTP, HTTPS or TLS for the same hostname (no hostname counts as `*`): with the
  same protocol that is a `HostnameConflict`, with different ones a `ProtocolConflict`.

HTTP, HTTPS and TLS listeners for different hostnames coexist on one port. Two listeners of
one object with the same port, protocol and hostname are left to `gateway-api-rejected`: the
API server refuses that object.

## Why is this bad?
Istio sets the losing listener's `Accepted` and `Programmed` to False and `Conflicted` to True
("Listener has a conflict with another listener attached to the same Gateway"), and skips it:
it serves nothing, and routes that name it by `sectionName` are not accepted. Connections
on that port reach the winner instead: an HTTPS client talking to an HTTP listener, a TCP
client reaching HTTP routing.

## Fix
Move one listener to another port, or give the HTTP-like listeners distinct hostnames.

## Fix safety
No automatic fix: which listener should move, and where, is the user's decision.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: web
    port: 8080
    protocol: HTTP
  - name: database
    port: 8080
    protocol: TCP
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: web
    port: 8080
    protocol: HTTP
  - name: database
    port: 5432
    protocol: TCP
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let view = mesh.gateway_api();
    for (index, holder) in mesh.resources.iter().enumerate() {
        let runs = match &holder.spec {
            Spec::KubernetesGateway(gateway) => view.class_owner(gateway).is_istio(),
            Spec::ListenerSet(_) => view.listener_set_parent(index).is_some(),
            _ => false,
        };
        if !runs {
            continue;
        }
        for conflict in conflicted_listeners(&view, index) {
            let loser = &listeners_of(holder)[conflict.listener];
            let (winner_holder, winner_index) = conflict.winner;
            let winner_holder = view.resource(winner_holder);
            let winner = &listeners_of(winner_holder)[winner_index];
            let rejected_anyway = std::ptr::eq(winner_holder, holder) && repeats(loser, winner);
            if !rejected_anyway {
                out.push(diagnostic(holder, loser, winner_holder, winner, &conflict));
            }
        }
    }
}

/// Same port, protocol and hostname: a CRD rule refuses that within one object.
fn repeats(a: &Listener, b: &Listener) -> bool {
    a.port_number() == b.port_number()
        && a.protocol.as_ref().map(|p| &p.value) == b.protocol.as_ref().map(|p| &p.value)
        && a.hostname_value() == b.hostname_value()
}

fn protocol(listener: &Listener) -> &str {
    listener.protocol.as_ref().map_or("", |p| p.value.as_str())
}

fn diagnostic(
    holder: &Resource,
    loser: &Listener,
    winner_holder: &Resource,
    winner: &Listener,
    conflict: &Conflict,
) -> Diagnostic {
    let port = loser
        .port_number()
        .map_or_else(|| "(default)".to_string(), |p| p.to_string());
    let hostname = loser.hostname_value().unwrap_or("*");
    let why = match conflict.reason {
        ConflictReason::Hostname => format!(
            "both are {} on port {port} for hostname `{hostname}`",
            protocol(loser)
        ),
        ConflictReason::Protocol if protocol(loser) == protocol(winner) => format!(
            "both are {} on port {port}, which only one {} listener can hold",
            protocol(loser),
            protocol(loser)
        ),
        ConflictReason::Protocol => format!(
            "{} and {} cannot share port {port}{}",
            protocol(winner),
            protocol(loser),
            if matches!(protocol(loser), "TCP" | "UDP") || matches!(protocol(winner), "TCP" | "UDP")
            {
                String::new()
            } else {
                format!(" for the same hostname `{hostname}`")
            }
        ),
    };
    let winner_text = if std::ptr::eq(winner_holder, holder) {
        format!("listener `{}`", winner.name_value())
    } else {
        format!(
            "listener `{}` of {}",
            winner.name_value(),
            winner_holder.label()
        )
    };
    let reason = conflict.reason.reason();
    let message = format!(
        "listener `{}` of {} conflicts with {winner_text}, which comes first: {why}; Istio \
         reports it `Conflicted` ({reason}: \"{CONFLICT_MESSAGE}\"), does not program it, and \
         attaches no route to it",
        loser.name_value(),
        holder.label()
    );
    let at = match conflict.reason {
        ConflictReason::Protocol => loser.protocol.as_ref().map(|p| p.span),
        ConflictReason::Hostname => loser.hostname.as_ref().map(|h| h.span),
    }
    .unwrap_or(loser.name_span());
    Diagnostic::new(CHECK.id, Severity::Warning, at, message)
        .resource(holder.reference())
        .condition("Conflicted", reason)
        .related(winner.name_span(), "the listener that wins the port")
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;
    use crate::resolve::gateway_api::status::{Status, statuses};

    const ID: &str = "listener-conflict";

    #[test]
    fn same_port_listeners_of_one_gateway() {
        check(
            ID,
            r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
  - name: https
    port: 80
    protocol: HTTPS
#             ^^^^^ warning: listener `https` of Gateway default/gw conflicts with listener `http`, which comes first: HTTP and HTTPS cannot share port 80 for the same hostname `*`; Istio reports it `Conflicted` (ProtocolConflict: "Listener has a conflict with another listener attached to the same Gateway")
    tls: {certificateRefs: [{name: cert}]}
  - name: tcp
    port: 9000
    protocol: TCP
  - name: udp
    port: 9000
    protocol: UDP
#             ^^^ warning: listener `udp` of Gateway default/gw conflicts with listener `tcp`, which comes first: TCP and UDP cannot share port 9000
  - name: a
    port: 8080
    protocol: HTTP
    hostname: a.example.com
  - name: b
    port: 8080
    protocol: HTTP
    hostname: b.example.com
  - name: secure-a
    port: 443
    protocol: HTTPS
    hostname: a.example.com
    tls: {certificateRefs: [{name: cert}]}
  - name: passthrough-b
    port: 443
    protocol: TLS
    hostname: b.example.com
    tls: {mode: Passthrough}
  - name: passthrough-a
    port: 443
    protocol: TLS
#             ^^^ warning: listener `passthrough-a` of Gateway default/gw conflicts with listener `secure-a`, which comes first: HTTPS and TLS cannot share port 443 for the same hostname `a.example.com`
    hostname: a.example.com
    tls: {mode: Passthrough}
  - name: repeated
    port: 8080
    protocol: HTTP
    hostname: a.example.com
"#,
        );
    }

    const SETS: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: istio
  allowedListeners: {namespaces: {from: Same}}
  listeners:
  - name: web
    port: 80
    protocol: HTTP
    hostname: web.example.com
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: newer, creationTimestamp: "2025-06-02T00:00:00Z"}
spec:
  parentRef: {name: gw}
  listeners:
  - name: shop
    port: 80
    protocol: HTTP
    hostname: shop.example.com
#             ^^^^^^^^^^^^^^^^ warning: listener `shop` of ListenerSet default/newer conflicts with listener `shop` of ListenerSet default/older, which comes first: both are HTTP on port 80 for hostname `shop.example.com`; Istio reports it `Conflicted` (HostnameConflict
  - name: web-again
    port: 80
    protocol: HTTP
    hostname: web.example.com
#             ^^^^^^^^^^^^^^^ warning: listener `web-again` of ListenerSet default/newer conflicts with listener `web` of Gateway default/gw, which comes first
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: older, creationTimestamp: "2025-06-01T00:00:00Z"}
spec:
  parentRef: {name: gw}
  listeners:
  - name: shop
    port: 80
    protocol: HTTP
    hostname: shop.example.com
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop}
spec:
  parentRefs:
  - {kind: ListenerSet, name: newer, sectionName: shop}
  - {kind: ListenerSet, name: older, sectionName: shop}
  rules:
  - backendRefs: [{name: shop, port: 8080}]
"#;

    #[test]
    fn listener_sets_lose_to_the_gateway_and_to_older_sets() {
        check(ID, SETS);
    }

    #[test]
    fn the_loser_is_conflicted_in_status_and_takes_no_route() {
        let analysis = crate::analyze(
            crate::source::Sources::single("t.yaml", SETS),
            crate::settings::MeshSettings::default(),
        );
        let all = statuses(&analysis.mesh);
        let Status::Listeners { listeners, .. } = &all[1].status else {
            panic!("{:?}", all[1].status)
        };
        let conditions: Vec<(&str, bool, &str, &str)> = listeners[0]
            .conditions
            .iter()
            .map(|c| (c.type_, c.status, c.reason.as_str(), c.message.as_str()))
            .collect();
        let message = super::CONFLICT_MESSAGE;
        assert_eq!(
            conditions,
            [
                ("Accepted", false, "HostnameConflict", message),
                ("Conflicted", true, "HostnameConflict", message),
                ("Programmed", false, "HostnameConflict", message),
            ]
        );
        assert_eq!(listeners[0].attached_routes, 0);
        let Status::Listeners { listeners, .. } = &all[2].status else {
            panic!("{:?}", all[2].status)
        };
        assert_eq!(listeners[0].attached_routes, 1);
        let Status::Parents(parents) = &all[3].status else {
            panic!("{:?}", all[3].status)
        };
        let accepted: Vec<(&str, bool, &str)> = parents
            .iter()
            .map(|p| {
                let c = &p.conditions[0];
                (p.parent_ref.name.as_str(), c.status, c.reason.as_str())
            })
            .collect();
        assert_eq!(
            accepted,
            [
                ("older", true, "Accepted"),
                ("newer", false, "NoMatchingParent")
            ]
        );
    }

    #[test]
    fn gateways_istio_does_not_run_are_left_alone() {
        check(
            ID,
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: other\n  listeners:\n  - {name: web, port: 80, protocol: HTTP}\n  - {name: db, port: 80, protocol: TCP}\n",
        );
    }
}
