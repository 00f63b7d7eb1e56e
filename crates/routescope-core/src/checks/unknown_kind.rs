//! `unknown-kind`: an object whose `kind` or `apiVersion` names nothing of the Istio, Gateway
//! API or core groups it claims: a misspelling the API server refuses and Routescope would
//! otherwise pass over in silence.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{indent_before, line_break, line_start, replace_scalar};
use crate::model::SkippedObject;
use crate::resolve::Mesh;
use crate::suggest::{edit_distance, is_close};

pub static CHECK: Check = Check {
    id: "unknown-kind",
    summary: "An object's `kind` or `apiVersion` names nothing of the Istio, Gateway API or core group it claims (a misspelling), or it has no `apiVersion`.",
    istio_code: None,
    docs: r#"
## What it does
Reports objects that Routescope would skip because their `kind` or `apiVersion` is not one it
reads, when they look meant for Istio, the Gateway API or the core group:

- a kind that no CRD of the named group defines (`kind: VirtualServce` in
  `networking.istio.io`), with the nearest kind of that group;
- a kind that lives in another of these groups (`kind: PeerAuthentication` in
  `networking.istio.io/v1`);
- an Istio API version the kind is not served at (`networking.istio.io/v2`);
- an API group one or two letters away from a known one (`networking.isito.io/v1`);
- an Istio or Gateway API kind without `apiVersion` (often a misspelled key, `xapiVersion:`).

Objects of other groups (Deployments, cert-manager's Certificates, …) are not analysed and
not reported: they are not mistakes. The kinds and versions come from the CRDs of Istio 1.31
and the Gateway API v1.6.1 (standard and experimental channels); the Gateway API's versions
of the kinds Routescope reads are `gateway-api-version`'s.

## Why is this bad?
`kubectl apply` fails (`no matches for kind "VirtualServce" in version
"networking.istio.io/v1"`), or, in a pipeline that only renders YAML, the object never takes
effect — while every checker that reads only known kinds, Routescope included, says nothing.

## Fix
Spell the kind or group as the CRD does (kinds are case-sensitive), use a served version,
name the group the kind belongs to, or add the missing `apiVersion`.

## Fix safety
Safe when exactly one kind, group or key is near what was written, or the kind belongs to
exactly one group; a missing `apiVersion` is inserted as a suggestion to review (unsafe). No
fix when several candidates are equally near. Once respelled, the object is analysed for the
first time, so its own mistakes come to light: those are its, not the fix's.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualServce
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
"#,
    run: Run::OnMesh(run),
};

/// The kinds of each group and the versions served, from the CRDs (Istio 1.31's
/// `customresourcedefinitions.gen.yaml`, Gateway API v1.6.1 standard and experimental). The
/// core group lists its kinds; its only version is `v1`.
const GROUPS: &[(&str, &[KindVersions])] = &[
    (
        "networking.istio.io",
        &[
            ("DestinationRule", ISTIO_STABLE),
            ("EnvoyFilter", &["v1alpha3"]),
            ("Gateway", ISTIO_STABLE),
            ("ProxyConfig", &["v1beta1"]),
            ("ServiceEntry", ISTIO_STABLE),
            ("Sidecar", ISTIO_STABLE),
            ("VirtualService", ISTIO_STABLE),
            ("WorkloadEntry", ISTIO_STABLE),
            ("WorkloadGroup", ISTIO_STABLE),
        ],
    ),
    (
        "security.istio.io",
        &[
            ("AuthorizationPolicy", &["v1", "v1beta1"]),
            ("PeerAuthentication", &["v1", "v1beta1"]),
            ("RequestAuthentication", &["v1", "v1beta1"]),
        ],
    ),
    ("telemetry.istio.io", &[("Telemetry", &["v1", "v1alpha1"])]),
    (
        "extensions.istio.io",
        &[
            ("TrafficExtension", &["v1alpha1"]),
            ("WasmPlugin", &["v1alpha1"]),
        ],
    ),
    (
        crate::model::gateway_api::GROUP,
        &[
            ("BackendTLSPolicy", GATEWAY_API_ANY),
            ("GRPCRoute", GATEWAY_API_ANY),
            ("Gateway", GATEWAY_API_ANY),
            ("GatewayClass", GATEWAY_API_ANY),
            ("HTTPRoute", GATEWAY_API_ANY),
            ("ListenerSet", GATEWAY_API_ANY),
            ("ReferenceGrant", GATEWAY_API_ANY),
            ("TCPRoute", GATEWAY_API_ANY),
            ("TLSRoute", GATEWAY_API_ANY),
            ("UDPRoute", &["v1", "v1alpha2"]),
        ],
    ),
    (
        "",
        &[
            ("Binding", CORE),
            ("ComponentStatus", CORE),
            ("ConfigMap", CORE),
            ("Endpoints", CORE),
            ("Event", CORE),
            ("LimitRange", CORE),
            ("List", CORE),
            ("Namespace", CORE),
            ("Node", CORE),
            ("PersistentVolume", CORE),
            ("PersistentVolumeClaim", CORE),
            ("Pod", CORE),
            ("PodTemplate", CORE),
            ("ReplicationController", CORE),
            ("ResourceQuota", CORE),
            ("Secret", CORE),
            ("Service", CORE),
            ("ServiceAccount", CORE),
        ],
    ),
];

/// A kind and the versions its group serves it at.
type KindVersions = (&'static str, &'static [&'static str]);

const ISTIO_STABLE: &[&str] = &["v1", "v1beta1", "v1alpha3"];
const CORE: &[&str] = &["v1"];
/// The loader reads the Gateway API kinds it analyses at every version; `gateway-api-version`
/// judges those.
const GATEWAY_API_ANY: &[&str] = &[];

fn kinds_of(group: &str) -> Option<&'static [KindVersions]> {
    GROUPS
        .iter()
        .find(|(name, _)| *name == group)
        .map(|(_, kinds)| *kinds)
}

/// The groups (other than core) that define `kind`.
fn groups_defining(kind: &str) -> Vec<&'static str> {
    GROUPS
        .iter()
        .filter(|(group, kinds)| !group.is_empty() && kinds.iter().any(|(k, _)| *k == kind))
        .map(|(group, _)| *group)
        .collect()
}

/// The versions `group` serves `kind` at (empty: any, see [`GATEWAY_API_ANY`]); `None` when
/// the group has no such kind.
fn served(group: &str, kind: &str) -> Option<&'static [&'static str]> {
    kinds_of(group)?
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, versions)| *versions)
}

/// `apiVersion` as written for `version` of `group` (the core group has no prefix).
fn api_version_text(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// `apiVersion` for `kind` of `group`: v1 where served, else its newest served version.
fn api_version_for(group: &str, kind: &str) -> String {
    let version = served(group, kind)
        .and_then(|versions| versions.first().copied())
        .unwrap_or("v1");
    api_version_text(group, version)
}

/// `group/version` when `group` serves `kind` at `version`, else `kind`'s default version
/// there (see [`api_version_for`]).
fn api_version_keeping(group: &str, kind: &str, version: &str) -> String {
    let served = served(group, kind).unwrap_or_default();
    if !version.is_empty() && (served.is_empty() || served.contains(&version)) {
        api_version_text(group, version)
    } else {
        api_version_for(group, kind)
    }
}

/// A group as messages name it.
fn group_name(group: &str) -> &str {
    if group.is_empty() {
        "the core group"
    } else {
        group
    }
}

/// The fix that writes `wanted` as the `apiVersion` at `span`.
fn use_api_version(mesh: &Mesh, span: crate::source::Span, wanted: &str) -> Fix {
    Fix::safe(
        format!("Use `{wanted}`"),
        vec![replace_scalar(&mesh.sources, span, wanted)],
    )
}

/// The candidates near `written` (case aside, or within `is_close`), when exactly one is
/// nearest.
fn only_nearest<'c>(written: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let near: Vec<&str> = candidates
        .filter(|c| c.eq_ignore_ascii_case(written) || is_close(written, c))
        .collect();
    let best = near.iter().map(|c| edit_distance(written, c)).min()?;
    let mut nearest = near
        .into_iter()
        .filter(|c| edit_distance(written, c) == best);
    let first = nearest.next()?;
    nearest.next().is_none().then_some(first)
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for object in &mesh.skipped {
        if let Some(mut diagnostic) = diagnose(mesh, object) {
            // The fixes rewrite `kind` and `apiVersion` as one-line scalars; a block scalar
            // (`kind: >`) or a value split over lines is the user's to rewrite.
            let one_line = |span| {
                let written = mesh.sources.slice(span);
                !written.is_empty() && !written.contains('\n') && !written.starts_with(['>', '|'])
            };
            let spans = std::iter::once(object.kind.span)
                .chain(object.api_version.as_ref().map(|v| v.span));
            if !spans.into_iter().all(one_line) {
                diagnostic.fixes.clear();
            }
            out.push(diagnostic);
        }
    }
}

fn diagnose(mesh: &Mesh, object: &SkippedObject) -> Option<Diagnostic> {
    let kind = object.kind.value.as_str();
    let Some(api_version) = object
        .api_version
        .as_ref()
        .filter(|v| !v.value.trim().is_empty())
    else {
        return missing_api_version(mesh, object);
    };
    let (group, version) = match api_version.value.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version.value.as_str()),
    };
    let Some(kinds) = kinds_of(group) else {
        return unknown_group(mesh, object, group, version);
    };
    let group_name = group_name(group);
    if let Some(versions) = served(group, kind) {
        if versions.is_empty() || versions.contains(&version) {
            // A kind of the group Routescope does not analyse (Sidecar, AuthorizationPolicy, Pod).
            return None;
        }
        let wanted = api_version_for(group, kind);
        return Some(
            Diagnostic::new(
                CHECK.id,
                Severity::Error,
                api_version.span,
                format!(
                    "{group_name} does not serve {kind} at `{version}` (it serves {}): `kubectl \
                     apply` fails, and Routescope does not analyse it",
                    versions.join(", ")
                ),
            )
            .fix(use_api_version(mesh, api_version.span, &wanted)),
        );
    }
    let elsewhere = groups_defining(kind);
    if let [home] = elsewhere[..] {
        let wanted = api_version_for(home, kind);
        return Some(
            Diagnostic::new(
                CHECK.id,
                Severity::Error,
                api_version.span,
                format!(
                    "{kind} is a kind of {home}, not of {group_name}: `kubectl apply` fails (no \
                     matches for kind \"{kind}\" in version \"{}\"), and Routescope does not \
                     analyse it",
                    api_version.value
                ),
            )
            .fix(use_api_version(mesh, api_version.span, &wanted)),
        );
    }
    let nearest = only_nearest(kind, kinds.iter().map(|(k, _)| *k));
    if group.is_empty() && nearest.is_none() {
        // Core `v1` is where many tools' objects are mis-filed; only a near miss of a core
        // kind is reported.
        return None;
    }
    let message = format!(
        "{group_name} has no kind `{kind}`{}: `kubectl apply` fails (no matches for kind \
         \"{kind}\" in version \"{}\"), and Routescope does not analyse it",
        nearest.map_or(String::new(), |k| format!(" (did you mean `{k}`?)")),
        api_version.value
    );
    let diagnostic = Diagnostic::new(CHECK.id, Severity::Error, object.kind.span, message);
    let Some(wanted) = nearest else {
        return Some(diagnostic);
    };
    let mut edits = vec![replace_scalar(&mesh.sources, object.kind.span, wanted)];
    // The kind meant may be served at other versions than the one written.
    let version_wanted = api_version_keeping(group, wanted, version);
    if version_wanted != api_version.value {
        edits.push(replace_scalar(
            &mesh.sources,
            api_version.span,
            &version_wanted,
        ));
    }
    Some(diagnostic.fix(Fix::safe(format!("Write `{wanted}`"), edits)))
}

/// An API group Routescope does not know: reported when it is a near miss of one it knows.
fn unknown_group(
    mesh: &Mesh,
    object: &SkippedObject,
    group: &str,
    version: &str,
) -> Option<Diagnostic> {
    let api_version = object.api_version.as_ref()?;
    let known = GROUPS.iter().map(|(g, _)| *g).filter(|g| !g.is_empty());
    let wanted = only_nearest(group, known)?;
    let kind = object.kind.value.as_str();
    let replacement = api_version_keeping(wanted, kind, version);
    let diagnostic = Diagnostic::new(
        CHECK.id,
        Severity::Error,
        api_version.span,
        format!(
            "no API group `{group}` (did you mean `{wanted}`?): `kubectl apply` fails (no matches \
             for kind \"{kind}\" in version \"{}\"), and Routescope does not analyse it",
            api_version.value
        ),
    );
    let defines_kind = served(wanted, kind).is_some();
    Some(if defines_kind {
        diagnostic.fix(use_api_version(mesh, api_version.span, &replacement))
    } else {
        diagnostic
    })
}

/// An Istio or Gateway API kind without `apiVersion`: a misspelled key is renamed; otherwise
/// the version of the kind's only group is suggested.
fn missing_api_version(mesh: &Mesh, object: &SkippedObject) -> Option<Diagnostic> {
    let kind = object.kind.value.as_str();
    let mut homes = groups_defining(kind);
    if served("", kind).is_some() {
        homes.push("");
    }
    if homes.is_empty() {
        return None;
    }
    let names: Vec<&str> = homes.iter().map(|group| group_name(group)).collect();
    let diagnostic = Diagnostic::new(
        CHECK.id,
        Severity::Error,
        object.kind.span,
        format!(
            "{kind} has no `apiVersion`: the API server refuses it, and Routescope does not \
             analyse it (it is a kind of {})",
            names.join(" and of ")
        ),
    );
    // `apiVersion:` with no value: what to write there is the user's call.
    if object.keys.iter().any(|(key, _)| key.value == "apiVersion") {
        return Some(diagnostic);
    }
    // A misspelled key holding a version of the kind's own group: renaming it is the fix.
    let misspelled: Vec<_> = object
        .keys
        .iter()
        .filter(|(key, _)| key.value != "kind" && is_close(&key.value, "apiVersion"))
        .collect();
    if let [(key, value)] = misspelled[..] {
        let group = value
            .as_deref()
            .map(|value| value.rsplit_once('/').map_or("", |(group, _)| group));
        if group.is_some_and(|group| homes.contains(&group)) {
            return Some(diagnostic.fix(Fix::safe(
                format!("Rename `{}` to `apiVersion`", key.value),
                vec![Edit::replace(key.span, "apiVersion")],
            )));
        }
    }
    let [home] = homes[..] else {
        return Some(diagnostic);
    };
    let key = object.kind.key;
    let text = mesh.sources.text(key.file);
    let indent = indent_before(text, key.start as usize).unwrap_or("");
    let line = format!("apiVersion: {}", api_version_for(home, kind));
    // The new line goes above `kind:`, where people write it.
    Some(diagnostic.fix(Fix::unsafe_(
        format!("Add `{line}`"),
        vec![Edit::insert(
            key.file,
            line_start(text, key.start as usize),
            format!("{indent}{line}{}", line_break(text)),
        )],
    )))
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "unknown-kind";

    #[test]
    fn flags_misspelled_kinds_groups_versions_and_missing_api_versions() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: VirtualServce
#     ^^^^^^^^^^^^^ error: networking.istio.io has no kind `VirtualServce` (did you mean `VirtualService`?) [fix]
metadata: {name: a}
---
apiVersion: networking.istio.io/v1
#           ^^^^^^^^^^^^^^^^^^^^^^ error: PeerAuthentication is a kind of security.istio.io, not of networking.istio.io [fix]
kind: PeerAuthentication
metadata: {name: b}
---
apiVersion: networking.istio.io/v2
#           ^^^^^^^^^^^^^^^^^^^^^^ error: networking.istio.io does not serve DestinationRule at `v2` (it serves v1, v1beta1, v1alpha3) [fix]
kind: DestinationRule
metadata: {name: c}
---
apiVersion: networking.isito.io/v1
#           ^^^^^^^^^^^^^^^^^^^^^^ error: no API group `networking.isito.io` (did you mean `networking.istio.io`?) [fix]
kind: Gateway
metadata: {name: d}
---
xapiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
#     ^^^^^^^^^ error: HTTPRoute has no `apiVersion` [fix]
metadata: {name: e}
---
apiVersion: v1
kind: service
#     ^^^^^^^ error: the core group has no kind `service` (did you mean `Service`?) [fix]
metadata: {name: f}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HttpRoute
#     ^^^^^^^^^ error: gateway.networking.k8s.io has no kind `HttpRoute` (did you mean `HTTPRoute`?) [fix]
metadata: {name: g}
---
kind: Gateway
#     ^^^^^^^ error: Gateway has no `apiVersion`: the API server refuses it, and Routescope does not analyse it (it is a kind of networking.istio.io and of gateway.networking.k8s.io)
metadata: {name: h}
---
apiVersion: ~
kind: VirtualService
#     ^^^^^^^^^^^^^^ error: VirtualService has no `apiVersion`
metadata: {name: i}
---
apiVersion: >
kind: Service
#     ^^^^^^^ error: Service has no `apiVersion`
metadata: {name: j}
---
apiVersion: networking.istio.io/v1
kind: >
  VirtualServce
# ^^^^^^^^^^^^^ error: networking.istio.io has no kind
metadata: {name: k}
---
xapiVersion: v1
kind: Service
#     ^^^^^^^ error: Service has no `apiVersion`: the API server refuses it, and Routescope does not analyse it (it is a kind of the core group) [fix]
metadata: {name: s}
"#,
        );
    }

    #[test]
    fn other_tools_objects_and_unanalysed_istio_kinds_are_not_flagged() {
        check(
            ID,
            r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: tls}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
---
apiVersion: v1
kind: Deployment
metadata: {name: misfiled-elsewhere}
---
kind: Deployment
metadata: {name: no-version-not-ours}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: dns}
"#,
        );
    }

    #[test]
    fn fixes_respell_the_kind_the_group_and_the_key() {
        assert_fix(
            ID,
            0,
            "apiVersion: networking.istio.io/v1\nkind: VirtualServce\nmetadata: {name: a}\nspec: {hosts: [a]}\n",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {hosts: [a]}\n",
        );
        assert_fix(
            ID,
            0,
            "apiVersion: networking.isito.io/v1beta1\nkind: Gateway\nmetadata: {name: gw}\n",
            "apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata: {name: gw}\n",
        );
        assert_fix(
            ID,
            0,
            "xapiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web}\n",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web}\n",
        );
        assert_fix(
            ID,
            0,
            "kind: DestinationRule\nmetadata: {name: r}\nspec: {host: r}\n",
            "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r}\n",
        );
        assert_fix(
            ID,
            0,
            "apiVersion: networking.istio.io/v1alpha3\nkind: ProxyConfg\nmetadata: {name: p}\n",
            "apiVersion: networking.istio.io/v1beta1\nkind: ProxyConfig\nmetadata: {name: p}\n",
        );
        assert_fix(
            ID,
            0,
            "apiVersion: networking.isito.io/\nkind: Gateway\nmetadata: {name: gw}\n",
            "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\n",
        );
        assert_fix(
            ID,
            0,
            "apiVersion: networking.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n",
            "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n",
        );
    }
}
