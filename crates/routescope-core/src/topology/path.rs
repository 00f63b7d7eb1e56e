//! What happens to traffic for one destination after its route: the DestinationRule TLS
//! setting (or BackendTLSPolicy) that applies, the declared port, the upstream and the wire
//! state on the way out. The graph draws it; the tracer follows it.

use std::fmt::{self, Display};

use super::Wire;
use super::keys::{NodeKey, PortText};
use crate::model::{ClientTlsMode, DestinationRule, MtlsMode, Protocol, Resource, Spec};
use crate::resolve::gateway_api::{BackendTls, backend_tls_for};
use crate::resolve::{DeclaredPort, EffectiveMtls, Fqdn, Mesh, PortRef, TlsPlace, TlsSetting};

/// One destination (host, port, subset) and everything that applies to it.
pub struct DestinationPath<'m> {
    /// The host as the rule wrote it, or the target of the ExternalName Service it names.
    pub host: &'m str,
    /// The ExternalName Service the rule named, whose target `host` is: Istio treats it as an
    /// alias, so traffic reaches the target's cluster on the requested port.
    pub alias: Option<&'m Resource>,
    /// The host as the rule wrote it, which names the destination node.
    pub written: Fqdn<'m>,
    pub host_fqdn: Fqdn<'m>,
    pub port: Option<u32>,
    pub subset: Option<&'m str>,
    pub rule: Option<(&'m Resource, &'m DestinationRule)>,
    pub setting: Option<TlsSetting<'m>>,
    pub declared: Option<DeclaredPort<'m>>,
    /// The BackendTLSPolicy that applies when no DestinationRule TLS setting does.
    pub backend_tls: Option<BackendTls<'m>>,
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
        host: &'m str,
        namespace: &'m str,
        port: Option<u32>,
        subset: Option<&'m str>,
        wire: Wire,
    ) -> DestinationPath<'m> {
        let written = Fqdn::of(host, namespace);
        let alias = mesh.external_name_alias(host, namespace);
        let host = alias.map_or(host, |(_, target)| target.value.as_str());
        let in_mesh = mesh.is_in_mesh(host, namespace);
        let host_fqdn = Fqdn::of(host, namespace);
        let rule = mesh.destination_rule_for(host, namespace, namespace);
        let setting = rule.and_then(|(_, rule)| Mesh::client_tls(rule, port, subset));
        let declared = mesh
            .declared_ports(host, namespace)
            .into_iter()
            .find(|declared| port.is_some_and(|port| declared.number == port));
        let mtls = in_mesh.then(|| mesh.effective_mtls(Mesh::host_namespace(host, namespace)));
        let wire_out = wire.to_upstream(
            setting.map(|s| s.tls.value.mode_value()),
            mesh.settings.auto_mtls && in_mesh,
        );
        DestinationPath {
            host,
            alias: alias.map(|(resource, _)| resource),
            written,
            host_fqdn,
            port,
            subset,
            rule,
            setting,
            declared,
            backend_tls: None,
            in_mesh,
            mtls,
            wire_in: wire,
            wire_out,
        }
    }

    /// Applies the BackendTLSPolicy that targets this destination's Service and port, when no
    /// DestinationRule TLS setting applies: the proxy then originates TLS, as the
    /// DestinationRule Istio generates from the policy says.
    pub fn with_backend_tls(mut self, mesh: &'m Mesh) -> DestinationPath<'m> {
        if self.setting.is_some() {
            return self;
        }
        let found = match (
            self.host_fqdn.cluster_name(),
            self.host_fqdn.cluster_namespace(),
            self.port,
        ) {
            (Some(service), Some(namespace), Some(port)) => {
                backend_tls_for(mesh, namespace, service, port)
            }
            _ => None,
        };
        if let Some(tls) = found {
            self.backend_tls = Some(tls);
            self.wire_out = self.wire_in.to_upstream(Some(ClientTlsMode::Simple), false);
        }
        self
    }

    pub fn mode(&self) -> Option<ClientTlsMode> {
        self.setting.map(|setting| setting.tls.value.mode_value())
    }

    /// The port number, or `*` when the route and the input leave it open.
    pub fn port_text(&self) -> String {
        PortText(self.port).to_string()
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

    pub fn destination_key(&self) -> NodeKey<'m> {
        NodeKey::Destination {
            host: self.written,
            port: self.port,
            subset: self.subset,
        }
    }

    pub fn policy_key(&self) -> NodeKey<'m> {
        if let Some(tls) = &self.backend_tls {
            return NodeKey::BackendTlsPolicy {
                namespace: &tls.resource.namespace,
                name: &tls.resource.name.value,
            };
        }
        match self.rule {
            Some((resource, _)) => NodeKey::Policy {
                namespace: &resource.namespace,
                name: &resource.name.value,
                place: self
                    .setting
                    .map_or(TlsPlace::TOP, |setting| setting.place()),
            },
            None => NodeKey::NoPolicy(self.host_fqdn),
        }
    }

    /// The TLS policy node's label: the DestinationRule that applies, if any.
    pub fn policy_label(&self) -> impl Display + '_ {
        fmt::from_fn(|f| match (self.backend_tls, self.rule) {
            (Some(tls), _) => write!(f, "BackendTLSPolicy {}", tls.resource.name.value),
            (None, Some((resource, _))) => write!(f, "DR {}", resource.name.value),
            (None, None) => f.write_str("no DestinationRule"),
        })
    }

    /// The TLS policy node's detail: the TLS setting that applies and where it sits.
    pub fn policy_detail(&self, auto_mtls: bool) -> impl Display + '_ {
        let auto = auto_mtls && self.in_mesh;
        fmt::from_fn(move |f| match (self.rule, self.setting) {
            _ if let Some(tls) = self.backend_tls => write!(f, "{tls}"),
            (Some(_), Some(setting)) => write!(
                f,
                "tls {}{}",
                setting.tls.value.mode_value(),
                setting.place()
            ),
            (Some(_), None) if auto => f.write_str("no tls: auto mTLS"),
            (Some(_), None) => f.write_str("no tls setting"),
            (None, _) if auto => f.write_str("auto mTLS"),
            (None, _) => f.write_str("sent as it comes"),
        })
    }

    pub fn port_key(&self) -> NodeKey<'m> {
        match &self.declared {
            Some(declared) => NodeKey::DeclaredPort {
                kind: declared.resource.kind.name(),
                namespace: &declared.resource.namespace,
                name: &declared.resource.name.value,
                number: declared.number,
            },
            None => NodeKey::UndeclaredPort {
                host: self.host_fqdn,
                port: self.port,
            },
        }
    }

    /// The port node's label: the resource that declares the port, and its number.
    pub fn port_label(&self) -> impl Display + '_ {
        fmt::from_fn(|f| match &self.declared {
            Some(declared) => write!(f, "{} :{}", declared.resource.name.value, declared.number),
            None => write!(f, ":{}", PortText(self.port)),
        })
    }

    /// The port node's detail: protocol, `targetPort` and resolution.
    pub fn port_detail(&self) -> impl Display + '_ {
        fmt::from_fn(|f| {
            let Some(declared) = &self.declared else {
                return f.write_str("not declared in the input");
            };
            match declared.protocol {
                Some(protocol) => write!(f, "{protocol}")?,
                None => f.write_str("protocol ?")?,
            }
            if let Some(target) = self.target_port() {
                write!(f, " · targetPort {target}")?;
            }
            if let Spec::ServiceEntry(entry) = &declared.resource.spec
                && let Some(resolution) = &entry.resolution
            {
                write!(f, " · {}", resolution.value)?;
            }
            Ok(())
        })
    }

    /// A ServiceEntry port's `targetPort`: where the sidecar actually connects.
    pub fn target_port(&self) -> Option<u32> {
        match self.declared.as_ref()?.port {
            PortRef::ServiceEntry(entry) => entry.value.target_port.as_ref().map(|t| t.value),
            PortRef::Service(_) => None,
        }
    }

    pub fn upstream_key(&self) -> NodeKey<'m> {
        NodeKey::Upstream(self.host_fqdn)
    }

    pub fn upstream_detail(&self) -> impl Display + '_ {
        fmt::from_fn(|f| match &self.mtls {
            Some(mtls) => write!(f, "mesh workloads · mTLS {}", mtls.mode),
            None => f.write_str("outside the mesh"),
        })
    }
}
