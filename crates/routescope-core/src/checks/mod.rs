//! The checks: one file each, with its docs, detection, fix and fixture tests, and one sorted
//! registry ([`registry`]). A meta-test keeps the registry, the files and the docs in step.

use crate::diagnostic::Diagnostic;
use crate::resolve::Mesh;

mod backend_tls_behind_passthrough;
mod backend_tls_double_tls;
mod backend_tls_policy_invalid;
mod backend_tls_replaces_mesh_mtls;
mod conflicting_gateway_servers;
mod conflicting_mesh_virtual_services;
mod double_tls;
mod duplicate_resource;
mod gateway_api_rejected;
mod gateway_api_version;
mod gateway_tls_credential;
mod gateway_tls_missing;
mod gateway_tls_mode_implicit;
mod gateways_share_certificate;
mod host_not_in_gateway;
mod http_route_behind_passthrough_gateway;
mod https_redirect_on_non_http;
mod https_to_http_port;
mod ingress_bypasses_mesh_subsets;
mod invalid_field;
mod invalid_name;
mod listener_certificate_invalid;
mod listener_conflict;
mod listener_hostname_hijack;
mod listener_invalid_route_kinds;
mod listeners_share_certificate;
mod mtls_disabled_by_destination_rule;
mod reference_not_permitted;
mod retries_with_fault;
mod route_backend_invalid_kind;
mod route_backend_not_found;
mod route_hostname_mismatch;
mod route_hostname_wildcard_suffix;
mod route_kind_not_allowed;
mod route_namespace_not_allowed;
mod route_parent_not_found;
mod route_section_not_found;
mod route_weights_total;
mod tls_origination_without_ca;
mod tls_route_behind_terminating_gateway;
mod tls_route_sni;
mod unknown_gateway;
mod unknown_kind;
mod unknown_subset;
mod unreachable_http_rule;
mod unused_subset_policy;
mod virtual_service_rejected;
mod wildcard_host_with_mesh;
mod yaml_syntax;

#[cfg(test)]
pub(crate) mod fixture;

/// A check: its contract (id, docs, examples) and what it runs.
pub struct Check {
    /// Stable id, used in output, suppression and `routescope explain`.
    pub id: &'static str,
    /// One line: what it reports.
    pub summary: &'static str,
    /// Istio's analyzer code for the same problem, if any.
    pub istio_code: Option<&'static str>,
    /// Markdown with the sections `## What it does`, `## Why is this bad?`, `## Fix` and
    /// `## Fix safety`; the examples below are appended when rendered.
    pub docs: &'static str,
    /// Input the check must flag; the meta-test runs it.
    pub bad_example: &'static str,
    /// The same input corrected; the check must not flag it.
    pub good_example: &'static str,
    pub run: Run,
}

pub enum Run {
    /// Reported while loading (YAML syntax, field shapes): documented here, run by `load`.
    AtLoad,
    /// Runs over the resolved mesh.
    OnMesh(fn(&Mesh, &mut Vec<Diagnostic>)),
}

impl Check {
    /// The full documentation: the docs with both examples.
    pub fn render_docs(&self) -> String {
        let code = self
            .istio_code
            .map(|code| format!("Istio analyzer code: {code}\n\n"))
            .unwrap_or_default();
        format!(
            "# {}\n\n{}\n\n{code}{}\n\n## Example\n\n```yaml\n{}```\n\nCorrected:\n\n```yaml\n{}```\n",
            self.id,
            self.summary,
            self.docs.trim(),
            self.bad_example,
            self.good_example
        )
    }
}

/// CHECKS.md: a table of every check, then each check's full docs (headings one level
/// down). A meta-test keeps the committed file equal to this.
pub fn checks_markdown() -> String {
    let mut out = String::from(
        "# Routescope checks\n\nGenerated from the checks' own docs (`routescope explain <id>` prints the same); do not edit by hand.\n\n| id | Istio code | what it reports |\n|---|---|---|\n",
    );
    for check in registry() {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} |\n",
            check.id,
            check.id,
            check.istio_code.unwrap_or(""),
            check.summary.replace('|', "\\|")
        ));
    }
    for check in registry() {
        out.push('\n');
        let mut in_code = false;
        for line in check.render_docs().lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if !in_code && line.starts_with('#') {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Every check, sorted by id.
pub fn registry() -> &'static [&'static Check] {
    REGISTRY
}

static REGISTRY: &[&Check] = &[
    &backend_tls_behind_passthrough::CHECK,
    &backend_tls_double_tls::CHECK,
    &backend_tls_policy_invalid::CHECK,
    &backend_tls_replaces_mesh_mtls::CHECK,
    &conflicting_gateway_servers::CHECK,
    &conflicting_mesh_virtual_services::CHECK,
    &double_tls::CHECK,
    &duplicate_resource::CHECK,
    &gateway_api_rejected::CHECK,
    &gateway_api_version::CHECK,
    &gateway_tls_credential::CHECK,
    &gateway_tls_missing::CHECK,
    &gateway_tls_mode_implicit::CHECK,
    &gateways_share_certificate::CHECK,
    &host_not_in_gateway::CHECK,
    &http_route_behind_passthrough_gateway::CHECK,
    &https_redirect_on_non_http::CHECK,
    &https_to_http_port::CHECK,
    &ingress_bypasses_mesh_subsets::CHECK,
    &invalid_field::CHECK,
    &invalid_name::CHECK,
    &listener_certificate_invalid::CHECK,
    &listener_conflict::CHECK,
    &listener_hostname_hijack::CHECK,
    &listener_invalid_route_kinds::CHECK,
    &listeners_share_certificate::CHECK,
    &mtls_disabled_by_destination_rule::CHECK,
    &reference_not_permitted::CHECK,
    &retries_with_fault::CHECK,
    &route_backend_invalid_kind::CHECK,
    &route_backend_not_found::CHECK,
    &route_hostname_mismatch::CHECK,
    &route_hostname_wildcard_suffix::CHECK,
    &route_kind_not_allowed::CHECK,
    &route_namespace_not_allowed::CHECK,
    &route_parent_not_found::CHECK,
    &route_section_not_found::CHECK,
    &route_weights_total::CHECK,
    &tls_origination_without_ca::CHECK,
    &tls_route_behind_terminating_gateway::CHECK,
    &tls_route_sni::CHECK,
    &unknown_gateway::CHECK,
    &unknown_kind::CHECK,
    &unknown_subset::CHECK,
    &unreachable_http_rule::CHECK,
    &unused_subset_policy::CHECK,
    &virtual_service_rejected::CHECK,
    &wildcard_host_with_mesh::CHECK,
    &yaml_syntax::CHECK,
];

pub fn find(id: &str) -> Option<&'static Check> {
    registry().iter().copied().find(|check| check.id == id)
}

#[cfg(test)]
mod meta_tests {
    use super::*;
    use crate::settings::MeshSettings;
    use crate::source::Sources;

    #[test]
    fn checks_md_is_generated_from_the_docs() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../CHECKS.md");
        let generated = checks_markdown();
        if std::env::var_os("UPDATE_CHECKS_MD").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "CHECKS.md is out of date: run `UPDATE_CHECKS_MD=1 cargo test -p routescope-core checks_md`"
        );
    }

    #[test]
    fn registry_is_sorted_and_unique() {
        let ids: Vec<&str> = registry().iter().map(|c| c.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            ids, sorted,
            "keep the registry sorted by id, without duplicates"
        );
    }

    #[test]
    fn every_check_file_is_registered() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/checks");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter_map(|name| name.strip_suffix(".rs").map(|stem| stem.replace('_', "-")))
            .filter(|stem| !matches!(stem.as_str(), "mod" | "fixture"))
            .collect();
        files.sort();
        let ids: Vec<&str> = registry().iter().map(|c| c.id).collect();
        assert_eq!(
            files, ids,
            "each check file must be in the registry under its id"
        );
    }

    #[test]
    fn every_check_is_documented() {
        for check in registry() {
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Fix",
                "## Fix safety",
            ] {
                assert!(
                    check.docs.contains(section),
                    "{}: docs lack `{section}`",
                    check.id
                );
            }
            assert!(!check.summary.is_empty(), "{}: no summary", check.id);
            assert!(
                check.render_docs().contains(check.bad_example),
                "{}: examples are rendered",
                check.id
            );
        }
    }

    #[test]
    fn every_check_flags_its_bad_example_and_not_its_good_one() {
        for check in registry() {
            let count = |text: &str| {
                crate::analyze(
                    Sources::single("example.yaml", text),
                    MeshSettings::default(),
                )
                .diagnostics
                .iter()
                .filter(|d| d.check == check.id)
                .count()
            };
            assert!(
                count(check.bad_example) > 0,
                "{}: its bad example is not flagged",
                check.id
            );
            assert_eq!(
                count(check.good_example),
                0,
                "{}: its good example is flagged",
                check.id
            );
        }
    }
}
