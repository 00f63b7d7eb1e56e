//! The server's settings: the CLI's mesh flags, from `initializationOptions` and
//! `workspace/didChangeConfiguration`, both as `{"namespace": …}` or `{"routescope": {…}}`.
//!
//! | key | CLI flag | value |
//! |---|---|---|
//! | `namespace` | `--namespace` | a namespace name (default `default`) |
//! | `rootNamespace` | `--root-namespace` | a namespace name (default `istio-system`) |
//! | `autoMtls` | `--auto-mtls` | `true`/`false` or `"on"`/`"off"` (default on) |
//! | `mtls` | `--mtls` | `"strict"` or `"permissive"` (default) |
//! | `complete` | `--complete` | `true`/`false` (default false) |
//! | `docsUrl` | — | the check docs' address, `{check}` standing for the id |

use routescope_core::model::{MtlsMode, Named};
use routescope_core::settings::{MeshSettings, is_namespace};
use serde_json::Value;

/// Where `codeDescription` links: the check's section of CHECKS.md (its heading is the id,
/// which is stable), in the project's repository.
pub const DEFAULT_DOCS_URL: &str =
    "https://github.com/routescope/routescope/blob/main/CHECKS.md#{check}";

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub mesh: MeshSettings,
    pub docs_url: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            mesh: MeshSettings::default(),
            docs_url: DEFAULT_DOCS_URL.to_string(),
        }
    }
}

impl Settings {
    /// `self` with the keys `value` sets changed; keys it leaves out keep their value, unknown
    /// keys are ignored, and a bad value is an error naming it (the settings then stay).
    pub fn updated(&self, value: &Value) -> Result<Settings, String> {
        let value = value.get("routescope").unwrap_or(value);
        let Some(object) = value.as_object() else {
            return Ok(self.clone());
        };
        let mut next = self.clone();
        for (key, value) in object {
            match key.as_str() {
                "namespace" => next.mesh.default_namespace = namespace(key, value)?,
                "rootNamespace" => next.mesh.root_namespace = namespace(key, value)?,
                "autoMtls" => next.mesh.auto_mtls = switch(key, value)?,
                "complete" => next.mesh.input_complete = switch(key, value)?,
                "mtls" => {
                    let mode = value.as_str().map(str::to_ascii_uppercase);
                    next.mesh.default_mtls = match mode.as_deref() {
                        Some(mode @ ("STRICT" | "PERMISSIVE")) => {
                            MtlsMode::parse(mode).expect("an mTLS mode")
                        }
                        _ => {
                            return Err(format!(
                                "`mtls` must be strict or permissive, not {value}"
                            ));
                        }
                    }
                }
                "docsUrl" => match value.as_str() {
                    Some(url) if url.contains("{check}") => next.docs_url = url.to_string(),
                    _ => {
                        return Err(format!(
                            "`docsUrl` must be a string with {{check}}, not {value}"
                        ));
                    }
                },
                _ => {}
            }
        }
        Ok(next)
    }

    /// The docs address of check `id`.
    pub fn docs_url(&self, id: &str) -> String {
        self.docs_url.replace("{check}", id)
    }
}

fn namespace(key: &str, value: &Value) -> Result<String, String> {
    match value.as_str() {
        Some(name) if is_namespace(name) => Ok(name.to_string()),
        _ => Err(format!("`{key}` must be a namespace name, not {value}")),
    }
}

fn switch(key: &str, value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(on) => Ok(*on),
        Value::String(text) if text == "on" => Ok(true),
        Value::String(text) if text == "off" => Ok(false),
        _ => Err(format!("`{key}` must be true or false, not {value}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_mesh_flag_is_read_flat_or_under_routescope() {
        let flat = json!({"namespace": "shop", "rootNamespace": "mesh-root", "autoMtls": false,
                          "mtls": "strict", "complete": true});
        let settings = Settings::default().updated(&flat).unwrap();
        assert_eq!(
            settings.mesh,
            MeshSettings {
                default_namespace: "shop".into(),
                root_namespace: "mesh-root".into(),
                auto_mtls: false,
                default_mtls: MtlsMode::Strict,
                input_complete: true,
            }
        );
        let nested = Settings::default()
            .updated(&json!({"routescope": flat}))
            .unwrap();
        assert_eq!(nested, settings);
    }

    #[test]
    fn absent_keys_keep_their_value_and_bad_ones_are_refused() {
        let shop = Settings::default()
            .updated(&json!({"namespace": "shop"}))
            .unwrap();
        let again = shop.updated(&json!({"complete": "on"})).unwrap();
        assert_eq!(again.mesh.default_namespace, "shop");
        assert!(again.mesh.input_complete);
        assert!(
            shop.updated(&json!({"namespace": "Bad_Name"}))
                .unwrap_err()
                .contains("Bad_Name")
        );
        assert!(shop.updated(&json!({"mtls": "loose"})).is_err());
        assert_eq!(shop.updated(&Value::Null).unwrap(), shop);
    }

    #[test]
    fn the_docs_url_names_the_check() {
        assert_eq!(
            Settings::default().docs_url("double-tls"),
            "https://github.com/routescope/routescope/blob/main/CHECKS.md#double-tls"
        );
    }
}
