//! What the input does not say: the mesh's install-time settings.

use crate::model::MtlsMode;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeshSettings {
    /// Namespace of resources without `metadata.namespace`.
    pub default_namespace: String,
    /// Istio's root namespace: a PeerAuthentication there applies mesh-wide.
    pub root_namespace: String,
    /// Auto mutual TLS (Istio's default): a DestinationRule without `tls` gets ISTIO_MUTUAL.
    pub auto_mtls: bool,
    /// The mTLS mode when no PeerAuthentication says otherwise (Istio's default: PERMISSIVE).
    pub default_mtls: MtlsMode,
    /// The input holds every resource of the mesh, so a reference it cannot resolve is an
    /// error rather than a note about something pasted elsewhere.
    pub input_complete: bool,
}

impl Default for MeshSettings {
    fn default() -> MeshSettings {
        MeshSettings {
            default_namespace: "default".into(),
            root_namespace: "istio-system".into(),
            auto_mtls: true,
            default_mtls: MtlsMode::Permissive,
            input_complete: false,
        }
    }
}
