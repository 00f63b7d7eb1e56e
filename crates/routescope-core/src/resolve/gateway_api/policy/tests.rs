//! BackendTLSPolicy status, conflicts and port selection.

use super::*;
use crate::settings::MeshSettings;
use crate::source::Sources;

fn mesh_with(complete: bool, text: &str) -> Mesh {
    let sources = Sources::single("t.yaml", text);
    let resources = crate::load::load(&sources, "default").resources;
    let settings = MeshSettings {
        input_complete: complete,
        ..MeshSettings::default()
    };
    Mesh::new(sources, settings, resources)
}

fn index_of(mesh: &Mesh, name: &str) -> usize {
    mesh.resources
        .iter()
        .position(|r| r.kind == ResourceKind::BackendTlsPolicy && r.name.value == name)
        .unwrap()
}

/// Each ancestor as `controller kind/name[:section]` and its conditions
/// `Type=status/reason: message`.
fn described(mesh: &Mesh, name: &str) -> Vec<String> {
    ancestors(mesh, index_of(mesh, name))
        .iter()
        .map(|a| {
            let section = a
                .parent_ref
                .section_name
                .as_deref()
                .map_or(String::new(), |s| format!(":{s}"));
            let conditions: Vec<String> = a
                .conditions
                .iter()
                .map(|c| format!("{}={}/{}: {}", c.type_, c.status, c.reason, c.message))
                .collect();
            assert_eq!(a.parent_ref.namespace, None, "ancestors carry no namespace");
            format!(
                "{} {}/{}{section} {}",
                a.controller_name,
                a.parent_ref.kind,
                a.parent_ref.name,
                conditions.join(" | ")
            )
        })
        .collect()
}

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: auth, namespace: apps}\nspec:\n  ports:\n  - {name: https, port: 443}\n  - {name: http, port: 80}\n---\n";

const ROUTES: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r1, namespace: apps}\nspec:\n  parentRefs: [{name: web, namespace: infra}, {name: edge}, {kind: Service, group: '', name: auth}]\n  rules: [{backendRefs: [{name: auth, port: 443}]}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: r2, namespace: infra}\nspec:\n  parentRefs: [{name: api}]\n  rules: [{backendRefs: [{name: auth, namespace: apps, port: 443}]}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: TLSRoute\nmetadata: {name: r3, namespace: apps}\nspec:\n  parentRefs: [{name: passthrough}]\n  rules: [{backendRefs: [{name: auth, port: 443}]}]\n---\n";

fn policy(name: &str, created: &str, targets: &str, validation: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {{name: {name}, namespace: apps{created}}}\nspec:\n  targetRefs: {targets}\n  validation: {validation}\n---\n"
    )
}

const SYSTEM: &str = "{hostname: auth.example.com, wellKnownCACertificates: System}";

#[test]
fn ancestors_are_the_targets_then_the_gateways_of_their_routes() {
    let text = format!(
        "{SERVICE}{ROUTES}{}",
        policy(
            "p",
            "",
            "[{group: '', kind: Service, name: auth}, {group: '', kind: Service, name: auth, sectionName: http}]",
            SYSTEM
        )
    );
    let mesh = mesh_with(false, &text);
    let ok = "Accepted=true/Accepted: Configuration is valid | ResolvedRefs=true/ResolvedRefs: Configuration is valid";
    assert_eq!(
        described(&mesh, "p"),
        [
            format!("istio.io/mesh-controller Service/auth {ok}"),
            format!("istio.io/mesh-controller Service/auth:http {ok}"),
            // Sorted by namespace/name; the TLSRoute's Gateway is not an ancestor.
            format!("istio.io/gateway-controller Gateway/edge {ok}"),
            format!("istio.io/gateway-controller Gateway/api {ok}"),
            format!("istio.io/gateway-controller Gateway/web {ok}"),
        ]
    );
}

#[test]
fn ancestors_stop_at_sixteen() {
    let targets: Vec<String> = (0..20)
        .map(|i| format!("{{group: '', kind: Service, name: s{i}}}"))
        .collect();
    let text = policy("p", "", &format!("[{}]", targets.join(", ")), SYSTEM);
    let mesh = mesh_with(false, &text);
    assert_eq!(ancestors(&mesh, index_of(&mesh, "p")).len(), 16);
}

#[test]
fn target_problems_and_their_messages() {
    let text = format!(
        "{SERVICE}{}",
        policy(
            "p",
            "",
            "[{group: '', kind: Service, name: auth, sectionName: grpc}, {group: '', kind: Service, name: gone}, {group: '', kind: Service, name: auth}, {group: networking.istio.io, kind: ServiceEntry, name: auth}, {group: '', kind: ConfigMap, name: auth}]",
            SYSTEM
        )
    );
    // A Service that is not in the input is assumed to exist, unless the input is complete.
    let partial = mesh_with(false, &text);
    let complete = mesh_with(true, &text);
    let accepted = |mesh: &Mesh| -> Vec<String> {
        ancestors(mesh, index_of(mesh, "p"))
            .iter()
            .map(|a| format!("{}: {}", a.conditions[0].reason, a.conditions[0].message))
            .collect()
    };
    let no_port = "TargetNotFound: targetRefs invalid: sectionName \"grpc\" does not exist in Service apps/auth";
    let not_found =
        "TargetNotFound: targetRefs invalid: reference apps/gone (of kind Service) not found";
    let unknown = "TargetNotFound: targetRefs invalid: unsupported kind ServiceEntry";
    let known = "TargetNotFound: targetRefs invalid: unsupported reference kind: ConfigMap";
    // Istio's conditions are shared: an error stays for the targets after it.
    assert_eq!(
        accepted(&partial),
        [no_port, no_port, no_port, unknown, known]
    );
    assert_eq!(
        accepted(&complete),
        [no_port, not_found, not_found, unknown, known]
    );
}

#[test]
fn ca_problems_set_resolved_refs_and_accepted() {
    let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca, namespace: apps}\ndata: {a: '1', b: '2', c: '3', d: '4'}\n---\n";
    let cases = [
        (
            "{hostname: h, wellKnownCACertificates: example.com/roots}",
            "ResolvedRefs=true/ResolvedRefs: Configuration is valid",
            "Accepted=false/Invalid: Unknown wellKnownCACertificates: example.com/roots",
        ),
        (
            "{hostname: h, caCertificateRefs: [{group: '', kind: Secret, name: ca}]}",
            "ResolvedRefs=false/InvalidKind: Certificate reference invalid: unsupported reference kind: Secret",
            "Accepted=false/NoValidCACertificate: Certificate reference invalid: unsupported reference kind: Secret",
        ),
        (
            "{hostname: h, caCertificateRefs: [{group: example.com, kind: Bundle, name: ca}]}",
            "ResolvedRefs=false/InvalidKind: Certificate reference not supported: unsupported kind Bundle",
            "Accepted=false/NoValidCACertificate: Certificate reference invalid: unsupported kind Bundle",
        ),
        (
            "{hostname: h, caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}]}",
            "ResolvedRefs=false/InvalidCACertificateRef: Certificate invalid: found secret, but didn't have expected keys cacert or ca.crt; found: a, b, c, and 1 more...",
            "Accepted=false/NoValidCACertificate: Certificate reference invalid: found secret",
        ),
        (
            "{hostname: h, caCertificateRefs: [{group: '', kind: ConfigMap, name: absent}]}",
            "ResolvedRefs=false/InvalidCACertificateRef: Certificate reference not found: reference apps/absent (of kind ConfigMap) not found",
            "Accepted=false/NoValidCACertificate: Certificate reference invalid: reference apps/absent",
        ),
    ];
    for (validation, resolved, accepted) in cases {
        let text = format!(
            "{SERVICE}{config_map}{}",
            policy(
                "p",
                "",
                "[{group: '', kind: Service, name: auth}]",
                validation
            )
        );
        let mesh = mesh_with(true, &text);
        let described = described(&mesh, "p");
        assert!(
            described[0].contains(resolved) && described[0].contains(accepted),
            "{validation}: {described:?}"
        );
    }
}

#[test]
fn only_the_first_ca_reference_counts() {
    let text = format!(
        "{SERVICE}apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ca, namespace: apps}}\ndata: {{ca.crt: x}}\n---\n{}",
        policy(
            "p",
            "",
            "[{group: '', kind: Service, name: auth}]",
            "{hostname: h, caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}, {group: '', kind: Secret, name: other}]}"
        )
    );
    let mesh = mesh_with(true, &text);
    assert_eq!(
        described(&mesh, "p"),
        [
            "istio.io/mesh-controller Service/auth Accepted=true/Accepted: Configuration is valid; warning: only the first caCertificateRefs will be used | ResolvedRefs=true/ResolvedRefs: Configuration is valid"
        ]
    );
}

#[test]
fn the_oldest_policy_wins_a_shared_target() {
    let whole = "[{group: '', kind: Service, name: auth}]";
    let port = "[{group: '', kind: Service, name: auth, sectionName: https}]";
    let text = format!(
        "{SERVICE}{}{}{}{}",
        policy(
            "young",
            ", creationTimestamp: '2024-05-01T00:00:00Z'",
            whole,
            SYSTEM
        ),
        policy(
            "old",
            ", creationTimestamp: '2024-01-01T00:00:00Z'",
            whole,
            SYSTEM
        ),
        policy("b-port", "", port, SYSTEM),
        policy("a-port", "", port, SYSTEM),
    );
    let mesh = mesh_with(false, &text);
    let accepted = |name: &str| {
        let a = ancestors(&mesh, index_of(&mesh, name));
        format!(
            "{}: {}",
            a[0].conditions[0].reason, a[0].conditions[0].message
        )
    };
    assert_eq!(
        accepted("young"),
        "Conflicted: policy old matches the same target but with higher priority"
    );
    assert_eq!(accepted("old"), "Accepted: Configuration is valid");
    // Without timestamps the name decides.
    assert_eq!(
        accepted("b-port"),
        "Conflicted: policy a-port matches the same target but with higher priority"
    );
    assert_eq!(accepted("a-port"), "Accepted: Configuration is valid");
    // A port-level target is not the same target as the whole Service, and beats it.
    let applied =
        |port| backend_tls_for(&mesh, "apps", "auth", port).map(|b| b.resource.name.value.as_str());
    assert_eq!(applied(443), Some("a-port"));
    assert_eq!(applied(80), Some("old"));
    assert!(backend_tls_for(&mesh, "apps", "other", 443).is_none());
    assert!(backend_tls_for(&mesh, "default", "auth", 443).is_none());
}

#[test]
fn a_section_needs_the_service_to_name_its_port() {
    let text = policy(
        "p",
        "",
        "[{group: '', kind: Service, name: auth, sectionName: https}]",
        SYSTEM,
    );
    let mesh = mesh_with(false, &text);
    assert!(backend_tls_for(&mesh, "apps", "auth", 443).is_none());
    let mesh = mesh_with(false, &format!("{SERVICE}{text}"));
    let found = backend_tls_for(&mesh, "apps", "auth", 443).unwrap();
    assert_eq!(found.hostname.unwrap().value, "auth.example.com");
}
