//! `listeners-share-certificate`: HTTPS listeners on one port of one gateway workload
//! terminate TLS with the same certificate for different hostnames — the Gateway API form of
//! `gateways-share-certificate` (Istio's IST0138).

use std::collections::HashMap;

use super::gateways_share_certificate::connection_reuse_message;
use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::replace_scalar;
use crate::model::gateway_api::{Listener, ListenerTlsMode};
use crate::model::{Resource, Spec};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{conflicted_listeners, group_kind, listeners_of};
use crate::source::Span;

pub static CHECK: Check = Check {
    id: "listeners-share-certificate",
    summary: "HTTPS listeners on one port of one gateway workload terminate TLS with the same certificate for different hostnames.",
    istio_code: None,
    docs: r#"
## What it does
Finds HTTPS listeners that terminate TLS with the same certificate (a `certificateRefs`
entry naming the same Secret) on the same port of one gateway workload, for different
hostnames (no hostname counts as `*`). One workload is one Gateway with the ListenerSets it
takes, or several Gateways of one GatewayClass that name the same `spec.addresses` (a
manually deployed gateway they all run on). Each listener involved is reported, at its
certificate, with the others as related spans. Listeners that lose a conflict are left out:
Istio does not program them.

## Why is this bad?
Istio turns every listener into a gateway server of its own, with its own routes, chosen by
the SNI of the connection. The listeners share an address and present the same (typically
wildcard) certificate, so browsers that reuse HTTP/2 connections (most of them) send
requests for the second hostname over the connection opened for the first one. That
connection belongs to the first listener, which has no route for the second hostname: the
browser gets 404, depending on which host was visited first. Istio reports no
`OverlappingTLSConfig` condition for this.

## Fix
Serve the hostnames from one listener (a wildcard hostname such as `*.example.com`) and
attach all routes to it, or give each listener its own certificate.

## Fix safety
The fix gives every listener after the first its own certificate, a Secret to be named in
place of the placeholder `<certificate-secret>`: unsafe, it needs that value (and the
certificate for the listener's hostname). Merging listeners is left to the user: it changes
which routes attach where.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: shop
    port: 443
    protocol: HTTPS
    hostname: shop.example.com
    tls:
      certificateRefs:
      - name: wildcard-example-com
  - name: blog
    port: 443
    protocol: HTTPS
    hostname: blog.example.com
    tls:
      certificateRefs:
      - name: wildcard-example-com
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: sites
    port: 443
    protocol: HTTPS
    hostname: "*.example.com"
    tls:
      certificateRefs:
      - name: wildcard-example-com
"#,
    run: Run::OnMesh(run),
};

/// A terminating HTTPS listener, the Secret it presents and where it names it.
struct Terminating<'m> {
    holder: &'m Resource,
    /// The gateway workload it runs on.
    workload: Workload<'m>,
    listener: &'m Listener,
    at: Span,
}

/// One Gateway (by resource index), or the addresses several Gateways of a class share.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Workload<'m> {
    Gateway(usize),
    Addresses {
        class: &'m str,
        values: Vec<&'m str>,
    },
}

/// The placeholder of the fix: the Secret of the listener's own certificate.
const OWN_CERTIFICATE: &str = "<certificate-secret>";

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let view = mesh.gateway_api();
    let mut by_secret: HashMap<(&str, &str), Vec<Terminating>> = HashMap::new();
    for (index, holder) in mesh.resources.iter().enumerate() {
        let gateway = match &holder.spec {
            Spec::KubernetesGateway(gateway) if view.class_owner(gateway).is_istio() => index,
            Spec::ListenerSet(_) => match view.listener_set_parent(index) {
                Some(gateway) => gateway,
                None => continue,
            },
            _ => continue,
        };
        let workload = workload(view.resource(gateway), gateway);
        let conflicted = conflicted_listeners(&view, index);
        for (at, listener) in listeners_of(holder).iter().enumerate() {
            let terminates = listener
                .protocol
                .as_ref()
                .is_some_and(|p| p.value == "HTTPS")
                && listener.tls_mode() == Some(ListenerTlsMode::Terminate);
            if !terminates || conflicted.iter().any(|c| c.listener == at) {
                continue;
            }
            let refs = listener
                .tls
                .iter()
                .flat_map(|tls| tls.value.certificate_refs());
            for reference in refs {
                if group_kind(reference, "", "Secret") != ("", "Secret") {
                    continue;
                }
                let secret = (
                    reference.namespace_or(&holder.namespace),
                    reference.name_value(),
                );
                by_secret.entry(secret).or_default().push(Terminating {
                    holder,
                    workload: workload.clone(),
                    listener,
                    at: reference.name_span(),
                });
            }
        }
    }
    let mut groups: Vec<(&(&str, &str), &Vec<Terminating>)> = by_secret.iter().collect();
    crate::order::sort_by_key(&mut groups, |(_, group)| group[0].at);
    for ((namespace, name), group) in groups {
        for (position, listener) in group.iter().enumerate() {
            let others: Vec<&Terminating> = group
                .iter()
                .filter(|other| coalesce(listener, other))
                .collect();
            if others.is_empty() {
                continue;
            }
            let mut found = diagnostic(listener, &others, namespace, name);
            // The first listener keeps the certificate; each later one gets its own, so fixing
            // them all leaves no two sharing.
            if position > 0 {
                found = found.fix(Fix::unsafe_(
                    format!(
                        "Give listener `{}` a certificate of its own (name its Secret in place of \
                         `{OWN_CERTIFICATE}`)",
                        listener.listener.name_value()
                    ),
                    vec![replace_scalar(&mesh.sources, listener.at, OWN_CERTIFICATE)],
                ));
            }
            out.push(found);
        }
    }
}

/// The Gateway's workload: its own, unless it names addresses (a gateway deployed by hand,
/// which other Gateways of the class may name too).
fn workload(gateway: &Resource, index: usize) -> Workload<'_> {
    let mut values: Vec<&str> = gateway
        .node
        .get("spec")
        .and_then(|spec| spec.get("addresses"))
        .and_then(|addresses| addresses.as_sequence())
        .unwrap_or_default()
        .iter()
        .filter_map(|address| address.get("value")?.as_str())
        .collect();
    let class = match &gateway.spec {
        Spec::KubernetesGateway(spec) => spec.gateway_class_name.as_ref(),
        _ => None,
    };
    match class {
        Some(class) if !values.is_empty() => {
            crate::order::sort(&mut values);
            Workload::Addresses {
                class: &class.value,
                values,
            }
        }
        _ => Workload::Gateway(index),
    }
}

fn hostname(listener: &Listener) -> &str {
    listener
        .hostname_value()
        .filter(|h| !h.is_empty())
        .unwrap_or("*")
}

/// Two listeners on one workload and port, for different hostnames.
fn coalesce(a: &Terminating, b: &Terminating) -> bool {
    !std::ptr::eq(a.listener, b.listener)
        && a.workload == b.workload
        && a.listener.port_number() == b.listener.port_number()
        && hostname(a.listener) != hostname(b.listener)
}

fn describe(listener: &Terminating) -> String {
    format!(
        "listener `{}` of {} ({})",
        listener.listener.name_value(),
        listener.holder.label(),
        hostname(listener.listener)
    )
}

fn diagnostic(
    listener: &Terminating,
    others: &[&Terminating],
    namespace: &str,
    name: &str,
) -> Diagnostic {
    let port = listener
        .listener
        .port_number()
        .map_or_else(|| "?".to_string(), |p| p.to_string());
    let place = match &listener.workload {
        Workload::Gateway(_) => format!("port {port} of one Gateway"),
        Workload::Addresses { values, .. } => {
            format!("port {port} of the gateway at `{}`", values.join(", "))
        }
    };
    let other_names: Vec<String> = others.iter().map(|other| describe(other)).collect();
    let message = format!(
        "{} (Istio reports no `OverlappingTLSConfig` condition for this)",
        connection_reuse_message(
            &describe(listener),
            &other_names,
            &place,
            &format!("certificate Secret `{namespace}/{name}`"),
            "listener",
        )
    );
    let mut diagnostic = Diagnostic::new(CHECK.id, Severity::Warning, listener.at, message)
        .resource(listener.holder.reference());
    for other in others {
        diagnostic = diagnostic.related(
            other.at,
            format!("the same certificate in {}", describe(other)),
        );
    }
    diagnostic
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    const ID: &str = "listeners-share-certificate";

    #[test]
    fn listeners_of_one_gateway_and_its_listener_sets() {
        check(
            ID,
            r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  gatewayClassName: istio
  allowedListeners: {namespaces: {from: Same}}
  listeners:
  - name: shop
    port: 443
    protocol: HTTPS
    hostname: shop.example.com
    tls: {certificateRefs: [{name: wildcard}]}
#                                  ^^^^^^^^ warning: listener `shop` of Gateway default/edge (shop.example.com) and listener `blog` of ListenerSet default/blog (blog.example.com) terminate TLS on port 443 of one Gateway with the same certificate Secret `default/wildcard`: browsers reuse one HTTP/2 connection for all these hosts and get 404 from the listener that lacks the host's route (Istio reports no `OverlappingTLSConfig` condition for this)
  - name: admin
    port: 8443
    protocol: HTTPS
    hostname: admin.example.com
    tls: {certificateRefs: [{name: wildcard}]}
  - name: api
    port: 443
    protocol: HTTPS
    hostname: api.example.com
    tls: {certificateRefs: [{name: api-cert}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: blog}
spec:
  parentRef: {name: edge}
  listeners:
  - name: blog
    port: 443
    protocol: HTTPS
    hostname: blog.example.com
    tls:
      certificateRefs:
      - kind: Secret
        name: wildcard
#             ^^^^^^^^ warning: listener `blog` of ListenerSet default/blog (blog.example.com) and listener `shop` of Gateway default/edge (shop.example.com) terminate TLS on port 443 [fix]
"#,
        );
    }

    #[test]
    fn gateways_share_a_workload_only_through_their_addresses() {
        let gateway = |name: &str, host: &str, addresses: &str| {
            format!(
                "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: {name}}}\nspec:\n  gatewayClassName: istio\n{addresses}  listeners:\n  - name: https\n    port: 443\n    protocol: HTTPS\n    hostname: {host}\n    tls: {{certificateRefs: [{{name: wildcard}}]}}\n"
            )
        };
        let shared =
            "  addresses: [{type: Hostname, value: ingress.istio-system.svc.cluster.local}]\n";
        let text = [
            gateway("one", "one.example.com", shared),
            gateway("two", "two.example.com", shared),
            gateway("three", "three.example.com", ""),
        ]
        .join("---\n");
        let analysis = crate::analyze(
            crate::source::Sources::single("t.yaml", text),
            crate::settings::MeshSettings::default(),
        );
        let messages: Vec<&str> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.check == ID)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].starts_with(
            "listener `https` of Gateway default/one (one.example.com) and listener `https` of \
             Gateway default/two (two.example.com) terminate TLS on port 443 of the gateway at \
             `ingress.istio-system.svc.cluster.local`"
        ));
    }

    #[test]
    fn conflicted_and_passthrough_listeners_are_left_out() {
        check(
            ID,
            r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  gatewayClassName: istio
  listeners:
  - name: plain
    port: 443
    protocol: HTTP
    hostname: shop.example.com
  - name: shop
    port: 443
    protocol: HTTPS
    hostname: shop.example.com
    tls: {certificateRefs: [{name: wildcard}]}
  - name: blog
    port: 443
    protocol: HTTPS
    hostname: blog.example.com
    tls: {certificateRefs: [{name: other}]}
  - name: db
    port: 443
    protocol: TLS
    hostname: db.example.com
    tls: {mode: Passthrough, certificateRefs: [{name: wildcard}]}
"#,
        );
    }
}
