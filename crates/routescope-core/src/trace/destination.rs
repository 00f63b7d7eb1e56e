//! The tracer past the route: destination, the TLS policy that applies, the port, the
//! upstream connection, and the outcome there.

use super::{End, Origin, Outcome, Step, Tracer};
use crate::model::Protocol;
use crate::resolve::{Mesh, fqdn};
use crate::source::Span;
use crate::topology::{DestinationPath, Stage, Wire};

impl Tracer<'_, '_> {
    /// Destination → TLS policy → port → upstream, and the outcome there.
    pub(super) fn follow_destination(
        &mut self,
        host: &str,
        namespace: &str,
        port: Option<u32>,
        subset: Option<&str>,
        span: Option<Span>,
        wire: Wire,
    ) -> End {
        let mesh = self.mesh;
        let path =
            DestinationPath::new(mesh, host, namespace, port, subset, wire).with_backend_tls(mesh);
        let subset_text = subset.map_or(String::new(), |s| format!(", subset {s}"));
        let alias_text = path.alias.map_or(String::new(), |alias| {
            format!(
                " {} is an ExternalName Service: Istio routes it as an alias of {}.",
                alias.label(),
                path.host
            )
        });
        self.step(
            Stage::Destination,
            format!(
                "Destination {host}:{}{subset_text}.{alias_text}",
                path.port_text()
            ),
            Some(path.destination_key().text()),
            span,
        );
        let host = path.host;
        if let Some(subset) = subset {
            let defined = path.rule.is_some_and(|(_, rule)| {
                rule.subsets
                    .iter()
                    .any(|s| s.name.as_ref().is_some_and(|n| n.value == subset))
            });
            if !defined && (path.rule.is_some() || mesh.settings.input_complete) {
                return (
                    Outcome::NoCluster,
                    format!(
                        "No DestinationRule defines subset {subset} for {host}: the route names a cluster that does not exist, 503 NC."
                    ),
                );
            }
        }
        // Istio's GetDestinationCluster: the destination's port, else the service's only
        // port, else the port the listener took the request on.
        let cluster_port = port.unwrap_or(self.request.url.port);
        self.cluster = Some(cluster_name(
            cluster_port,
            subset,
            &fqdn(path.host, namespace),
        ));
        let policy = match (path.rule, path.setting, path.mode()) {
            _ if let Some(tls) = path.backend_tls => (
                format!(
                    "{} applies: the proxy originates TLS ({tls}).",
                    tls.resource.label()
                ),
                Some(tls.span()),
            ),
            (Some((resource, _)), Some(setting), Some(mode)) => {
                let effect = if mode.originates() {
                    "the proxy originates TLS"
                } else if mode == crate::model::ClientTlsMode::IstioMutual {
                    "the proxy uses mesh mTLS"
                } else {
                    "the proxy sends what it has, without TLS of its own"
                };
                (
                    format!(
                        "{} sets tls {mode}{}: {effect}.",
                        resource.label(),
                        setting.place()
                    ),
                    Some(setting.tls.span),
                )
            }
            (Some((resource, _)), _, _) => (
                format!(
                    "{} sets no TLS mode here{}.",
                    resource.label(),
                    auto_text(&path, mesh)
                ),
                Some(resource.name.span),
            ),
            (None, _, _) => (
                format!("No DestinationRule applies{}.", auto_text(&path, mesh)),
                None,
            ),
        };
        self.step(
            Stage::Policy,
            policy.0,
            Some(path.policy_key().text()),
            policy.1,
        );
        let port_span = path
            .declared
            .as_ref()
            .map(|declared| declared.protocol_span);
        self.step(
            Stage::Port,
            format!("Port {} ({}).", path.port_label(), path.port_detail()),
            Some(path.port_key().text()),
            port_span,
        );
        let pod_port = match self.request.origin {
            Origin::Pod { .. } => Some(self.request.url.port),
            Origin::Gateway { .. } => None,
        };
        let connect_port = path
            .target_port()
            .or(path.port)
            .or(pod_port)
            .map_or("?".to_string(), |p| p.to_string());
        self.steps.push(Step {
            stage: Stage::Upstream,
            text: format!(
                "The proxy connects to {host}:{connect_port} ({}) with {}.",
                path.upstream_detail(),
                path.wire_out.describe()
            ),
            node: Some(path.upstream_key().text()),
            span: None,
            wire: Some(path.wire_out),
        });
        if path.wire_out == Wire::Double {
            return (
                Outcome::WrongVersionNumber,
                "The proxy wraps the client's own TLS in TLS it originates: the upstream sees TLS inside TLS and the client's handshake fails with `wrong version number`.".to_string(),
            );
        }
        if path.breaks_strict_mtls() {
            return (
                Outcome::UpstreamFailure,
                format!(
                    "The workloads of {host} require mTLS (STRICT) but get {}: they reset the connection, 503 UF (`upstream connect error or disconnect/reset before headers. reset reason: connection termination`).",
                    path.wire_out.describe()
                ),
            );
        }
        let tls_port =
            path.target_port().is_none() && path.protocol().is_some_and(Protocol::is_encrypted);
        if path.wire_out == Wire::Plaintext && tls_port && !path.in_mesh {
            return (
                Outcome::UpstreamRejects,
                format!(
                    "{host} expects TLS on port {connect_port} but gets plaintext: it answers with an error (400) or closes the connection."
                ),
            );
        }
        if self.proxies_connection {
            return (
                Outcome::Proxied,
                format!(
                    "The connection is proxied to {}: {host} receives {}.",
                    self.cluster.as_deref().unwrap_or(host),
                    path.wire_out.describe()
                ),
            );
        }
        (
            Outcome::Success,
            format!("{host} receives {} and answers.", path.wire_out.describe()),
        )
    }
}

/// Envoy's name of the outbound cluster for `host` (an FQDN), as Istio's `BuildSubsetKey`
/// writes it: `outbound|port|subset|host`, the subset empty for the whole service.
pub fn cluster_name(port: u32, subset: Option<&str>, host: &str) -> String {
    format!("outbound|{port}|{}|{host}", subset.unwrap_or(""))
}

fn auto_text(path: &DestinationPath, mesh: &Mesh) -> &'static str {
    if path.in_mesh && mesh.settings.auto_mtls {
        ": auto mTLS applies"
    } else {
        ": traffic goes as it is"
    }
}
