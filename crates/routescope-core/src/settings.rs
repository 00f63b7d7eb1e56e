//! What the input does not say: the mesh's install-time settings.

use crate::model::{MtlsMode, Named};

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

impl MeshSettings {
    /// A one-line form (`ns=default;root=istio-system;auto-mtls=on;mtls=PERMISSIVE;complete=off`)
    /// kept with the text in share links and in the browser's storage.
    pub fn encode(&self) -> String {
        let switch = |on: bool| if on { "on" } else { "off" };
        format!(
            "ns={};root={};auto-mtls={};mtls={};complete={}",
            self.default_namespace,
            self.root_namespace,
            switch(self.auto_mtls),
            self.default_mtls.name(),
            switch(self.input_complete)
        )
    }

    /// Reads [`MeshSettings::encode`]'s form; unknown keys are ignored (newer links stay
    /// readable) and a bad value is an error naming it.
    pub fn decode(line: &str) -> Result<MeshSettings, String> {
        let mut settings = MeshSettings::default();
        for pair in line.split(';').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("setting `{pair}` has no `=`"))?;
            let switch = |value: &str| match value {
                "on" => Ok(true),
                "off" => Ok(false),
                _ => Err(format!("setting `{key}` must be on or off, not `{value}`")),
            };
            match key {
                "ns" if is_namespace(value) => settings.default_namespace = value.to_string(),
                "root" if is_namespace(value) => settings.root_namespace = value.to_string(),
                "ns" | "root" => return Err(format!("`{value}` is not a namespace name")),
                "auto-mtls" => settings.auto_mtls = switch(value)?,
                "complete" => settings.input_complete = switch(value)?,
                "mtls" => {
                    settings.default_mtls = MtlsMode::parse(value)
                        .ok_or_else(|| format!("unknown mTLS mode `{value}`"))?
                }
                _ => {}
            }
        }
        Ok(settings)
    }
}

/// A Kubernetes namespace name: lower-case letters, digits and `-`, at most 63 characters.
pub fn is_namespace(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip() {
        let settings = MeshSettings {
            default_namespace: "shop".into(),
            auto_mtls: false,
            default_mtls: MtlsMode::Strict,
            input_complete: true,
            ..MeshSettings::default()
        };
        assert_eq!(MeshSettings::decode(&settings.encode()), Ok(settings));
        assert_eq!(MeshSettings::decode(""), Ok(MeshSettings::default()));
    }

    #[test]
    fn bad_settings_are_refused_with_a_reason() {
        assert!(
            MeshSettings::decode("ns=Bad_Name")
                .unwrap_err()
                .contains("Bad_Name")
        );
        assert!(
            MeshSettings::decode("mtls=LOOSE")
                .unwrap_err()
                .contains("LOOSE")
        );
        assert!(MeshSettings::decode("auto-mtls=yes").is_err());
        assert_eq!(
            MeshSettings::decode("future=1"),
            Ok(MeshSettings::default())
        );
    }
}
