//! `mtls-disabled-by-destination-rule`: a DestinationRule sends plaintext (or TLS without the
//! Istio client certificate) to workloads that require STRICT mutual TLS.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity, apply_edits};
use crate::edits::{column_of, indent_before, insert_entry, insert_lines_after, replace_scalar};
use crate::load::load_document;
use crate::model::{ClientTlsMode, DestinationRule, Field, MtlsMode, Resource, Spec};
use crate::resolve::{EffectiveMtls, Mesh, TlsSetting, all_tls_settings, fqdn};
use crate::source::Span;
use crate::yaml::split_documents;

pub static CHECK: Check = Check {
    id: "mtls-disabled-by-destination-rule",
    summary: "A DestinationRule sets TLS mode DISABLE or SIMPLE for in-mesh workloads that require STRICT mTLS.",
    istio_code: None,
    docs: r#"
## What it does
For every DestinationRule whose host is a workload in the mesh (a Kubernetes service name, or a
`MESH_INTERNAL` ServiceEntry host), finds the mTLS mode the workloads of the host's namespace
require (a namespace-wide PeerAuthentication, else a mesh-wide one in the root namespace, else
the mesh setting). When that is STRICT, it reports each TLS setting of the rule (top level,
port level, subset, subset port level) that is not mutual TLS:

- `mode: DISABLE`, or a `tls` block without `mode` (which means DISABLE as written);
- `mode: SIMPLE`, which originates TLS without the Istio client certificate;
- with auto mTLS turned off, a rule with no top-level `tls` at all: its traffic is plaintext.

Hosts outside the mesh (external ServiceEntry hosts such as `httpbin.org`) are not affected,
and PERMISSIVE workloads accept both. PeerAuthentications with a `selector` and port-level
mTLS are not taken into account; a Kubernetes `ExternalName` service looks like a mesh
workload and may be reported wrongly.

## Why is this bad?
The client's sidecar uses the DestinationRule's TLS settings as written instead of Istio's
automatic mutual TLS, while the server's sidecar only accepts mutual TLS with an Istio
certificate. Every request fails with `503` (`upstream connect error or disconnect/reset before
headers`) until the DestinationRule is removed or corrected.

## Fix
Set the mode to `ISTIO_MUTUAL`, as Istio's troubleshooting guide prescribes:

```yaml
trafficPolicy:
  tls:
    mode: ISTIO_MUTUAL
```

## Fix safety
Replacing `DISABLE` with `ISTIO_MUTUAL`, adding the missing `mode`, and adding the missing
`tls` (or `trafficPolicy`) block are safe: they are the documented edit and need no value from
the user. Inserted blocks take the indentation of the rule's own entries; when the layout does
not allow a clean insertion (a flow-style `spec`, a key already present without a value) no fix
is offered. Replacing `SIMPLE` is unsafe: the author chose TLS origination deliberately, and
certificate fields written for it (`caCertificates`, `subjectAltNames`, `sni`) may have to go.
"#,
    bad_example: r#"apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    tls:
      mode: DISABLE
"#,
    good_example: r#"apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    tls:
      mode: ISTIO_MUTUAL
"#,
    run: Run::OnMesh(run),
};

const ISTIO_MUTUAL: &str = "ISTIO_MUTUAL";

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, rule) in mesh.destination_rules() {
        let Some(host) = &rule.host else {
            continue;
        };
        if !mesh.is_in_mesh(&host.value, &resource.namespace) {
            continue;
        }
        let full_host = fqdn(&host.value, &resource.namespace);
        let namespace = Mesh::host_namespace(&full_host, &resource.namespace);
        let required = mesh.effective_mtls(namespace);
        if required.mode != MtlsMode::Strict {
            continue;
        }
        let conflict = Conflict {
            mesh,
            resource,
            rule,
            host: &full_host,
            namespace,
            required: &required,
        };
        for setting in all_tls_settings(rule) {
            if let Some(diagnostic) = conflict.setting(setting) {
                out.push(diagnostic);
            }
        }
        let top_level_tls = rule
            .traffic_policy
            .as_ref()
            .and_then(|policy| policy.value.tls.as_ref());
        if !mesh.settings.auto_mtls && top_level_tls.is_none() {
            out.push(conflict.no_tls());
        }
    }
}

/// A DestinationRule for a host whose workloads require STRICT mTLS.
struct Conflict<'m> {
    mesh: &'m Mesh,
    resource: &'m Resource,
    rule: &'m DestinationRule,
    host: &'m str,
    namespace: &'m str,
    required: &'m EffectiveMtls<'m>,
}

impl Conflict<'_> {
    /// A written TLS setting that is not mutual TLS.
    fn setting(&self, setting: TlsSetting) -> Option<Diagnostic> {
        let tls = setting.tls;
        let place = setting.place();
        let (what, span, fix) = match &tls.value.mode {
            Some(mode) if mode.value == ClientTlsMode::Disable => (
                format!("sets TLS mode DISABLE{place}"),
                mode.span,
                Some(Fix::safe(
                    "Set the mode to ISTIO_MUTUAL",
                    vec![replace_scalar(&self.mesh.sources, mode.span, ISTIO_MUTUAL)],
                )),
            ),
            Some(mode) if mode.value == ClientTlsMode::Simple => (
                format!(
                    "sets TLS mode SIMPLE{place}, which originates TLS without the Istio client \
                     certificate,"
                ),
                mode.span,
                Some(Fix::unsafe_(
                    "Set the mode to ISTIO_MUTUAL",
                    vec![replace_scalar(&self.mesh.sources, mode.span, ISTIO_MUTUAL)],
                )),
            ),
            Some(_) => return None,
            None => (
                format!("has a `tls` block without `mode`{place}, which means DISABLE,"),
                tls.key,
                self.insert_first_entry(tls, &[(0, "mode: ISTIO_MUTUAL")], "mode: ISTIO_MUTUAL")
                    .and_then(|edit| self.verified(edit))
                    .map(|edit| Fix::safe("Add `mode: ISTIO_MUTUAL`", vec![edit])),
            ),
        };
        Some(self.diagnostic(span, what, fix))
    }

    /// No top-level `tls` while auto mTLS is off: the rule's traffic is plaintext.
    fn no_tls(&self) -> Diagnostic {
        let what = "sets no TLS mode, which with auto mTLS turned off means DISABLE,".to_string();
        match &self.rule.traffic_policy {
            Some(policy) => {
                let edit = self
                    .insert_first_entry(
                        policy,
                        &[(0, "tls:"), (1, "mode: ISTIO_MUTUAL")],
                        "tls: {mode: ISTIO_MUTUAL}",
                    )
                    .and_then(|edit| self.verified(edit));
                let fix = edit.map(|edit| Fix::safe("Add `tls: mode: ISTIO_MUTUAL`", vec![edit]));
                self.diagnostic(policy.key, what, fix)
            }
            None => {
                let host = self
                    .rule
                    .host
                    .as_ref()
                    .expect("only rules with a host conflict");
                let fix = self
                    .traffic_policy_after_host(host)
                    .and_then(|edit| self.verified(edit))
                    .map(|edit| Fix::safe("Add a trafficPolicy with ISTIO_MUTUAL", vec![edit]));
                self.diagnostic(host.span, what, fix)
            }
        }
    }

    fn diagnostic(&self, span: Span, what: String, fix: Option<Fix>) -> Diagnostic {
        let requirement = match &self.required.source {
            Some((policy, _)) => format!("{} requires", policy.label()),
            None => "the mesh setting (no PeerAuthentication in the input) requires".to_string(),
        };
        let mut diagnostic = Diagnostic::new(
            CHECK.id,
            Severity::Error,
            span,
            format!(
                "{} {what} for {}, but {requirement} STRICT mTLS for namespace {}: the server's \
                 sidecar rejects the connection and requests fail with 503",
                self.resource.label(),
                self.host,
                self.namespace
            ),
        )
        .resource(self.resource.reference());
        if let Some((policy, mode)) = &self.required.source {
            diagnostic = diagnostic.related(
                mode.span,
                format!(
                    "{} requires STRICT mTLS for namespace {}",
                    policy.label(),
                    self.namespace
                ),
            );
        }
        if let Some(fix) = fix {
            diagnostic = diagnostic.fix(fix);
        }
        diagnostic
    }

    /// `trafficPolicy: tls: mode: ISTIO_MUTUAL` on the lines after `host`, indented like it.
    fn traffic_policy_after_host(&self, host: &Field<String>) -> Option<Edit> {
        let text = self.mesh.sources.text(host.key.file);
        let indent = indent_before(text, host.key.start as usize)?;
        let root = column_of(text, self.resource.span.start as usize);
        let step = indent.len().checked_sub(root).filter(|&step| step > 0)?;
        let lines = nested_lines(
            &[
                (0, "trafficPolicy:"),
                (1, "tls:"),
                (2, "mode: ISTIO_MUTUAL"),
            ],
            step,
        );
        Some(insert_lines_after(
            &self.mesh.sources,
            host.span,
            indent,
            &lines,
        ))
    }

    /// Inserts an entry as the first of the mapping `parent` holds: `block` lines (depth,
    /// text) nested by the mapping's own indentation step in block style, `flow` in flow
    /// style.
    fn insert_first_entry<T>(
        &self,
        parent: &Field<T>,
        block: &[(usize, &str)],
        flow: &str,
    ) -> Option<Edit> {
        let sources = &self.mesh.sources;
        let text = sources.text(parent.span.file);
        let step = column_of(text, parent.span.start as usize)
            .checked_sub(column_of(text, parent.key.start as usize))
            .filter(|&step| step > 0)?;
        let mapping = self.mesh.node_at(parent.span)?;
        insert_entry(sources, mapping, None, &nested_lines(block, step), flow)
    }

    /// Keeps an inserting edit only when the edited document loads with no more errors than
    /// before, has no duplicate key, and this rule gains an ISTIO_MUTUAL setting: a block
    /// inserted into a flow collection, or beside a key already present without a value,
    /// fails that test.
    fn verified(&self, edit: Edit) -> Option<Edit> {
        let file = edit.span.file;
        let at = edit.span.start as usize;
        let load = |text: &str| {
            // The document holding the edit, the one it ends when it inserts at a boundary.
            let range = split_documents(text)
                .into_iter()
                .find(|range| range.start < at && at <= range.end)?;
            let loaded = load_document(text, range, file, &self.mesh.settings.default_namespace);
            let errors = loaded
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let mutual = loaded
                .resources
                .iter()
                .find_map(|resource| match &resource.spec {
                    Spec::DestinationRule(rule)
                        if resource.name.value == self.resource.name.value
                            && resource.namespace == self.resource.namespace =>
                    {
                        Some(istio_mutual_settings(rule))
                    }
                    _ => None,
                })?;
            let duplicates = loaded
                .resources
                .iter()
                .any(|resource| resource.node.has_duplicate_keys());
            Some((duplicates, errors, mutual))
        };
        let original = self.mesh.sources.text(file);
        let (_, errors_before, mutual_before) = load(original)?;
        let (duplicates, errors_after, mutual_after) = load(&apply_edits(original, [&edit]))?;
        (!duplicates && errors_after <= errors_before && mutual_after == mutual_before + 1)
            .then_some(edit)
    }
}

fn istio_mutual_settings(rule: &DestinationRule) -> usize {
    all_tls_settings(rule)
        .iter()
        .filter(|setting| {
            (setting.tls.value.mode).is_some_and(|mode| mode.value == ClientTlsMode::IstioMutual)
        })
        .count()
}

/// Lines nested `depth` steps of `step` spaces each.
fn nested_lines(lines: &[(usize, &str)], step: usize) -> Vec<String> {
    lines
        .iter()
        .map(|(depth, line)| format!("{}{line}", " ".repeat(depth * step)))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, assert_fix_with, check, check_with};
    use crate::settings::MeshSettings;

    const STRICT: &str = "apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls:
    mode: STRICT
---
";

    fn auto_mtls_off() -> MeshSettings {
        MeshSettings {
            auto_mtls: false,
            ..MeshSettings::default()
        }
    }

    #[test]
    fn flags_disable_and_simple_at_every_level() {
        check(
            "mtls-disabled-by-destination-rule",
            &format!(
                r#"{STRICT}apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: reviews, namespace: bookinfo}}
spec:
  host: reviews
  trafficPolicy:
    tls:
      mode: DISABLE
#           ^^^^^^^ error: DestinationRule bookinfo/reviews sets TLS mode DISABLE for reviews.bookinfo.svc.cluster.local, but PeerAuthentication istio-system/default requires STRICT mTLS for namespace bookinfo [fix]
    portLevelSettings:
    - port: {{number: 9080}}
      tls: {{mode: SIMPLE}}
#                 ^^^^^^ error: sets TLS mode SIMPLE for port 9080, which originates TLS without the Istio client certificate, [fix]
    - port: {{number: 9081}}
      tls: {{mode: ISTIO_MUTUAL}}
  subsets:
  - name: v1
    trafficPolicy:
      tls: {{sni: reviews}}
#     ^^^ error: has a `tls` block without `mode` in subset `v1`, which means DISABLE, [fix]
  - name: v2
    trafficPolicy:
      portLevelSettings:
      - port: {{number: 9080}}
        tls:
          mode: "DISABLE"
#               ^^^^^^^^^ error: DISABLE in subset `v2` for port 9080 [fix]
"#
            ),
        );
    }

    #[test]
    fn namespace_policy_and_fqdn_hosts_decide() {
        check(
            "mtls-disabled-by-destination-rule",
            r#"apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: prod}
spec:
  mtls: {mode: STRICT}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: dev}
spec:
  mtls: {mode: PERMISSIVE}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: dev}
spec:
  host: ratings.prod.svc.cluster.local
  trafficPolicy: {tls: {mode: DISABLE}}
#                             ^^^^^^^ error: DestinationRule dev/ratings sets TLS mode DISABLE for ratings.prod.svc.cluster.local, but PeerAuthentication prod/default requires STRICT mTLS for namespace prod [fix]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings-local, namespace: dev}
spec:
  host: ratings
  trafficPolicy: {tls: {mode: DISABLE}}
"#,
        );
    }

    #[test]
    fn external_permissive_and_mutual_rules_are_not_flagged() {
        check(
            "mtls-disabled-by-destination-rule",
            &format!(
                r#"{STRICT}apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: httpbin}}
spec:
  hosts: [httpbin.org]
  ports: [{{number: 443, name: https, protocol: HTTPS}}]
  location: MESH_EXTERNAL
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: httpbin}}
spec:
  host: httpbin.org
  trafficPolicy: {{tls: {{mode: DISABLE}}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: reviews}}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {{simple: ROUND_ROBIN}}
    tls: {{mode: ISTIO_MUTUAL}}
    portLevelSettings:
    - port: {{number: 9080}}
      tls: {{mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: details}}
spec:
  host: details
"#
            ),
        );
        // Without a STRICT policy nothing is required.
        check(
            "mtls-disabled-by-destination-rule",
            "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  trafficPolicy: {tls: {mode: DISABLE}}\n",
        );
    }

    #[test]
    fn mesh_setting_strict_is_named_in_the_message() {
        let settings = MeshSettings {
            default_mtls: crate::model::MtlsMode::Strict,
            ..MeshSettings::default()
        };
        check_with(
            settings,
            "mtls-disabled-by-destination-rule",
            "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  trafficPolicy: {tls: {mode: DISABLE}}\n#                             ^^^^^^^ error: but the mesh setting (no PeerAuthentication in the input) requires STRICT mTLS for namespace default [fix]\n",
        );
    }

    #[test]
    fn without_auto_mtls_a_rule_without_tls_is_disable() {
        check_with(
            auto_mtls_off(),
            "mtls-disabled-by-destination-rule",
            &format!(
                r#"{STRICT}apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: reviews}}
spec:
  host: reviews
#       ^^^^^^^ error: DestinationRule default/reviews sets no TLS mode, which with auto mTLS turned off means DISABLE, for reviews.default.svc.cluster.local [fix]
  subsets:
  - name: v1
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: ratings}}
spec:
  host: ratings
  trafficPolicy: {{loadBalancer: {{simple: RANDOM}}}}
# ^^^^^^^^^^^^^ error: sets no TLS mode [fix]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: details}}
spec: {{host: details}}
#            ^^^^^^^ error: sets no TLS mode
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: productpage}}
spec:
  host: productpage
  trafficPolicy:
    tls: {{mode: ISTIO_MUTUAL}}
"#
            ),
        );
    }

    #[test]
    fn fix_sets_istio_mutual() {
        let before = format!(
            "{STRICT}apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: reviews\nspec:\n  host: reviews\n  trafficPolicy:\n    tls:\n      mode: DISABLE # was SIMPLE\n"
        );
        let after = before.replace("mode: DISABLE #", "mode: ISTIO_MUTUAL #");
        assert_fix("mtls-disabled-by-destination-rule", 0, &before, &after);
    }

    #[test]
    fn fix_adds_the_missing_mode_in_block_and_flow_style() {
        let before = format!(
            "{STRICT}# café ☕\r\napiVersion: networking.istio.io/v1\r\nkind: DestinationRule\r\nmetadata:\r\n  name: reviews\r\nspec:\r\n  host: reviews\r\n  trafficPolicy:\r\n    tls:\r\n      # keep\r\n      sni: reviews\r\n"
        );
        let after = before.replace(
            "      # keep\r\n",
            "      # keep\r\n      mode: ISTIO_MUTUAL\r\n",
        );
        assert_fix("mtls-disabled-by-destination-rule", 0, &before, &after);
        let before = format!(
            "{STRICT}apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: reviews}}\nspec:\n  host: reviews\n  trafficPolicy: {{tls: {{ }}}}\n"
        );
        let after = before.replace("{tls: { }}", "{tls: { mode: ISTIO_MUTUAL}}");
        assert_fix("mtls-disabled-by-destination-rule", 0, &before, &after);
    }

    #[test]
    fn fix_adds_tls_or_a_traffic_policy_when_auto_mtls_is_off() {
        let before = format!(
            "{STRICT}apiVersion: networking.istio.io/v1\r\nkind: DestinationRule\r\nmetadata:\r\n    name: reviews # é\r\nspec:\r\n    host: reviews\r\n    subsets:\r\n    - name: v1\r\n"
        );
        let after = before.replace(
            "    host: reviews\r\n",
            "    host: reviews\r\n    trafficPolicy:\r\n        tls:\r\n            mode: ISTIO_MUTUAL\r\n",
        );
        assert_fix_with(
            auto_mtls_off(),
            "mtls-disabled-by-destination-rule",
            0,
            &before,
            &after,
        );
        let before = format!(
            "{STRICT}apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: reviews}}\nspec:\n  host: reviews\n  trafficPolicy:\n     loadBalancer:\n        simple: RANDOM\n"
        );
        let after = before.replace(
            "  trafficPolicy:\n",
            "  trafficPolicy:\n     tls:\n        mode: ISTIO_MUTUAL\n",
        );
        assert_fix_with(
            auto_mtls_off(),
            "mtls-disabled-by-destination-rule",
            0,
            &before,
            &after,
        );
        let before = format!(
            "{STRICT}apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: reviews}}\nspec:\n  host: reviews\n  trafficPolicy: {{loadBalancer: {{simple: RANDOM}}}}\n"
        );
        let after = before.replace(
            "{loadBalancer:",
            "{tls: {mode: ISTIO_MUTUAL}, loadBalancer:",
        );
        assert_fix_with(
            auto_mtls_off(),
            "mtls-disabled-by-destination-rule",
            0,
            &before,
            &after,
        );
    }

    #[test]
    fn fix_adds_a_traffic_policy_at_the_end_of_a_document() {
        let before = format!(
            "{STRICT}apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: reviews}}\nspec:\n  host: reviews\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: ratings}}\nspec:\n  host: ratings"
        );
        let after = before.replacen(
            "  host: reviews\n",
            "  host: reviews\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n",
            1,
        );
        assert_fix_with(
            auto_mtls_off(),
            "mtls-disabled-by-destination-rule",
            0,
            &before,
            &after,
        );
        let before = after;
        let after = format!("{before}\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n");
        assert_fix_with(
            auto_mtls_off(),
            "mtls-disabled-by-destination-rule",
            0,
            &before,
            &after,
        );
    }

    #[test]
    fn no_fix_where_insertion_would_break_the_layout() {
        check_with(
            auto_mtls_off(),
            "mtls-disabled-by-destination-rule",
            &format!(
                r#"{STRICT}apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: reviews}}
spec: {{
  host: reviews
#       ^^^^^^^ error: sets no TLS mode
}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: ratings}}
spec:
  host: ratings
#       ^^^^^^^ error: sets no TLS mode
  trafficPolicy:
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: details}}
spec:
  host: details
  trafficPolicy:
# ^^^^^^^^^^^^^ error: sets no TLS mode
    tls:
    loadBalancer: {{simple: RANDOM}}
"#
            ),
        );
    }
}
