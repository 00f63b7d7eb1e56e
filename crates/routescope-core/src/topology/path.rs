//! What happens to traffic for one destination after its route: the DestinationRule TLS
//! setting that applies, the declared port, the upstream and the wire state on the way out.
//! The graph draws it; the tracer follows it.

use super::Wire;
use crate::model::{ClientTlsMode, DestinationRule, MtlsMode, Protocol, Resource, Spec};
use crate::resolve::{DeclaredPort, EffectiveMtls, Mesh, PortRef, TlsSetting, fqdn};

/// One destination (host, port, subset) and everything that applies to it.
pub struct DestinationPath<'m> {
    /// The host as the rule wrote it.
    pub host: String,
    pub host_fqdn: String,
    pub port: Option<u32>,
    pub subset: Option<String>,
    pub rule: Option<(&'m Resource, &'m DestinationRule)>,
    pub setting: Option<TlsSetting<'m>>,
    pub declared: Option<DeclaredPort<'m>>,
    /// Workloads with sidecars (they take mesh mTLS) rather than a host outside the mesh.
    pub in_mesh: bool,
    /// What the upstream's workloads require, for hosts in the mesh.
    pub mtls: Option<EffectiveMtls<'m>>,
    pub wire_in: Wire,
    pub wire_out: Wire,
}

impl<'m> DestinationPath<'m> {
    /// Resolves traffic for `host` (written in `namespace`) with `wire` on the way in.
    pub fn new(
        mesh: &'m Mesh,
        host: &str,
        namespace: &str,
        port: Option<u32>,
        subset: Option<&str>,
        wire: Wire,
    ) -> DestinationPath<'m> {
        let in_mesh = mesh.is_in_mesh(host, namespace);
        let host_fqdn = fqdn(host, namespace);
        let rule = mesh.destination_rule_for(host, namespace, namespace);
        let setting = rule.and_then(|(_, rule)| Mesh::client_tls(rule, port, subset));
        let declared = mesh
            .declared_ports(host, namespace)
            .into_iter()
            .find(|declared| port.is_some_and(|port| declared.number == port));
        let mtls =
            in_mesh.then(|| mesh.effective_mtls(Mesh::host_namespace(&host_fqdn, namespace)));
        let wire_out = wire.to_upstream(
            setting.map(|s| s.tls.value.mode_value()),
            mesh.settings.auto_mtls && in_mesh,
        );
        DestinationPath {
            host: host.to_string(),
            host_fqdn,
            port,
            subset: subset.map(str::to_string),
            rule,
            setting,
            declared,
            in_mesh,
            mtls,
            wire_in: wire,
            wire_out,
        }
    }

    pub fn mode(&self) -> Option<ClientTlsMode> {
        self.setting.map(|setting| setting.tls.value.mode_value())
    }

    pub fn port_text(&self) -> String {
        self.port.map_or_else(|| "*".to_string(), |n| n.to_string())
    }

    pub fn protocol(&self) -> Option<Protocol> {
        self.declared
            .as_ref()
            .and_then(|declared| declared.protocol)
    }

    /// Does the upstream's sidecar require mTLS that this traffic does not carry?
    pub fn breaks_strict_mtls(&self) -> bool {
        self.mtls
            .as_ref()
            .is_some_and(|mtls| mtls.mode == MtlsMode::Strict)
            && self.wire_out != Wire::MeshMtls
    }

    pub fn destination_key(&self) -> String {
        DestinationPath::key(&self.host_fqdn, self.port, self.subset.as_deref())
    }

    /// The destination node's key, before resolving anything else.
    pub fn key(host_fqdn: &str, port: Option<u32>, subset: Option<&str>) -> String {
        let port = port.map_or_else(|| "*".to_string(), |n| n.to_string());
        format!("destination:{host_fqdn}:{port}:{}", subset.unwrap_or("-"))
    }

    pub fn policy_key(&self) -> String {
        match (self.rule, self.setting) {
            (Some((resource, _)), Some(setting)) => format!(
                "policy:{}/{}:{}",
                resource.namespace,
                resource.name.value,
                setting.place()
            ),
            (Some((resource, _)), None) => {
                format!("policy:{}/{}:", resource.namespace, resource.name.value)
            }
            (None, _) => format!("policy:none:{}", self.host_fqdn),
        }
    }

    /// What the TLS policy node shows: its label and detail.
    pub fn policy_text(&self, auto_mtls: bool) -> (String, String) {
        let auto = auto_mtls && self.in_mesh;
        match (self.rule, self.setting) {
            (Some((resource, _)), Some(setting)) => (
                format!("DR {}", resource.name.value),
                format!("tls {}{}", setting.tls.value.mode_value(), setting.place()),
            ),
            (Some((resource, _)), None) => (
                format!("DR {}", resource.name.value),
                if auto {
                    "no tls: auto mTLS"
                } else {
                    "no tls setting"
                }
                .to_string(),
            ),
            (None, _) => (
                "no DestinationRule".to_string(),
                if auto {
                    "auto mTLS"
                } else {
                    "sent as it comes"
                }
                .to_string(),
            ),
        }
    }

    pub fn port_key(&self) -> String {
        match &self.declared {
            Some(declared) => {
                let resource = declared.resource;
                format!(
                    "port:{}:{}/{}:{}",
                    resource.kind.name(),
                    resource.namespace,
                    resource.name.value,
                    declared.number
                )
            }
            None => format!("port:undeclared:{}:{}", self.host_fqdn, self.port_text()),
        }
    }

    /// What the port node shows: its label and detail.
    pub fn port_text_and_detail(&self) -> (String, String) {
        let Some(declared) = &self.declared else {
            return (
                format!(":{}", self.port_text()),
                "not declared in the input".to_string(),
            );
        };
        let resource = declared.resource;
        let mut detail = vec![
            declared
                .protocol
                .map_or_else(|| "protocol ?".to_string(), |p| p.to_string()),
        ];
        if let Some(target) = self.target_port() {
            detail.push(format!("targetPort {target}"));
        }
        if let Spec::ServiceEntry(entry) = &resource.spec
            && let Some(resolution) = &entry.resolution
        {
            detail.push(resolution.value.clone());
        }
        (
            format!("{} :{}", resource.name.value, declared.number),
            detail.join(" · "),
        )
    }

    /// A ServiceEntry port's `targetPort`: where the sidecar actually connects.
    pub fn target_port(&self) -> Option<u32> {
        match self.declared.as_ref()?.port {
            PortRef::ServiceEntry(entry) => entry.value.target_port.as_ref().map(|t| t.value),
            PortRef::Service(_) => None,
        }
    }

    pub fn upstream_key(&self) -> String {
        format!("upstream:{}", self.host_fqdn)
    }

    pub fn upstream_detail(&self) -> String {
        match &self.mtls {
            Some(mtls) => format!("mesh workloads · mTLS {}", mtls.mode),
            None => "outside the mesh".to_string(),
        }
    }
}
