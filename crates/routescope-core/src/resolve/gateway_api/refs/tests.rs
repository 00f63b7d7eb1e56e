//! ReferenceGrants for backendRefs and certificateRefs, and Istio's order of checks.

use super::{BackendProblem, CertificateProblem};
use crate::model::Spec;
use crate::resolve::Mesh;
use crate::settings::MeshSettings;
use crate::source::Sources;

fn mesh(text: &str) -> Mesh {
    let sources = Sources::single("t.yaml", text);
    let resources = crate::load::load(&sources, "default").resources;
    Mesh::new(sources, MeshSettings::default(), resources)
}

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: backend}\nspec:\n  ports: [{name: http, port: 8080}]\n---\n";
const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: certs}\ntype: kubernetes.io/tls\ndata: {tls.crt: eA==, tls.key: eA==}\n---\n";

fn grant(from_kind: &str, from_namespace: &str, to_kind: &str, to_name: &str) -> String {
    let name = if to_name.is_empty() {
        String::new()
    } else {
        format!(", name: {to_name}")
    };
    let namespace = if to_kind == "Secret" {
        "certs"
    } else {
        "backend"
    };
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {{name: g, namespace: {namespace}}}\nspec:\n  from: [{{group: gateway.networking.k8s.io, kind: {from_kind}, namespace: {from_namespace}}}]\n  to: [{{group: \"\", kind: {to_kind}{name}}}]\n---\n"
    )
}

/// The resolution of the one backendRef of the one HTTPRoute (in `frontend`, parent a
/// Gateway) of `text`, sent to `api` in `namespace`.
fn backend(text: &str, namespace: &str) -> Result<String, BackendProblem> {
    let text = format!(
        "{text}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web, namespace: frontend}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs: [{{name: api, namespace: {namespace}, port: 8080}}]\n"
    );
    let mesh = mesh(&text);
    let route = mesh.resources.last().unwrap();
    let Spec::Route(spec) = &route.spec else {
        panic!("a route")
    };
    mesh.gateway_api_backend(route, spec.backend_refs().next().unwrap())
}

/// The check of the one certificateRef of the one Gateway (in `infra`) of `text`.
fn certificate(text: &str, namespace: &str) -> Result<(), CertificateProblem> {
    let text = format!(
        "{text}apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: infra}}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: https\n    port: 443\n    protocol: HTTPS\n    tls: {{certificateRefs: [{{name: cert, namespace: {namespace}}}]}}\n"
    );
    let mesh = mesh(&text);
    let gateway = mesh.resources.last().unwrap();
    let Spec::KubernetesGateway(spec) = &gateway.spec else {
        panic!("a gateway")
    };
    let tls = spec.listeners[0].tls.as_ref().unwrap();
    mesh.gateway_api_certificate(gateway, &tls.value.certificate_refs()[0])
}

fn reason<T>(result: Result<T, impl Into<Reasoned>>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(problem) => problem.into().0,
    }
}

struct Reasoned(&'static str);

impl From<BackendProblem> for Reasoned {
    fn from(problem: BackendProblem) -> Reasoned {
        Reasoned(problem.reason())
    }
}

impl From<CertificateProblem> for Reasoned {
    fn from(problem: CertificateProblem) -> Reasoned {
        Reasoned(problem.reason())
    }
}

#[test]
fn backend_grants_allow_deny_and_restrict_by_name() {
    let allowed = grant("HTTPRoute", "frontend", "Service", "");
    let named = grant("HTTPRoute", "frontend", "Service", "api");
    let other_name = grant("HTTPRoute", "frontend", "Service", "cart");
    let wrong_kind = grant("GRPCRoute", "frontend", "Service", "");
    let wrong_to_kind = grant("HTTPRoute", "frontend", "Secret", "");
    let wrong_namespace = grant("HTTPRoute", "staging", "Service", "");
    assert_eq!(
        backend(&format!("{SERVICE}{allowed}"), "backend"),
        Ok("api.backend.svc.cluster.local".into())
    );
    assert_eq!(
        reason(backend(&format!("{SERVICE}{named}"), "backend")),
        "ok"
    );
    for denied in [
        String::new(),
        other_name,
        wrong_kind,
        wrong_to_kind,
        wrong_namespace,
    ] {
        assert_eq!(
            reason(backend(&format!("{SERVICE}{denied}"), "backend")),
            "RefNotPermitted",
            "{denied}"
        );
    }
    // The same namespace needs no grant.
    assert_eq!(reason(backend("", "frontend")), "BackendNotFound");
}

#[test]
fn a_backend_message_names_the_reference_then_its_namespace() {
    let problem = backend(SERVICE, "backend").unwrap_err();
    let BackendProblem::NotPermitted(need) = &problem else {
        panic!("{problem:?}")
    };
    assert_eq!(
        (need.to_namespace.as_str(), need.from_kind),
        ("backend", "HTTPRoute")
    );
    let mesh = mesh(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: frontend}\nspec: {}\n",
    );
    let backend = crate::model::gateway_api::ObjectRef {
        name: Some(crate::model::Field {
            value: "api".into(),
            key: Default::default(),
            span: Default::default(),
        }),
        ..Default::default()
    };
    assert_eq!(
        problem.message(&mesh.resources[0], &backend),
        "backendRef api/backend not accessible to a HTTPRoute in namespace \"frontend\" (missing a ReferenceGrant?)"
    );
}

#[test]
fn certificate_grants_allow_deny_and_restrict_by_name() {
    let allowed = grant("Gateway", "infra", "Secret", "");
    let named = grant("Gateway", "infra", "Secret", "cert");
    let other_name = grant("Gateway", "infra", "Secret", "other");
    let wrong_kind = grant("HTTPRoute", "infra", "Secret", "");
    let wrong_to_kind = grant("Gateway", "infra", "Service", "");
    let wrong_namespace = grant("Gateway", "edge", "Secret", "");
    assert_eq!(certificate(&format!("{SECRET}{allowed}"), "certs"), Ok(()));
    assert_eq!(certificate(&format!("{SECRET}{named}"), "certs"), Ok(()));
    for denied in [
        String::new(),
        other_name,
        wrong_kind,
        wrong_to_kind,
        wrong_namespace,
    ] {
        assert_eq!(
            reason(certificate(&format!("{SECRET}{denied}"), "certs")),
            "RefNotPermitted",
            "{denied}"
        );
    }
    // The same namespace needs no grant.
    let local = SECRET.replace("namespace: certs", "namespace: infra");
    assert_eq!(certificate(&local, "infra"), Ok(()));
}

#[test]
fn certificate_checks_follow_istios_order() {
    // Kind first, then the keys of a Secret in the input, then the grant.
    let not_tls = "apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: certs}\ndata: {password: eA==}\n---\n";
    assert!(matches!(
        certificate(not_tls, "certs"),
        Err(CertificateProblem::MissingKeys { .. })
    ));
    // A Secret that is not in a partial input may exist: its grant still counts.
    assert_eq!(reason(certificate("", "certs")), "RefNotPermitted");
    let allowed = grant("Gateway", "infra", "Secret", "");
    assert_eq!(
        certificate(&allowed, "certs"),
        Err(CertificateProblem::NotInInput)
    );
}

#[test]
fn backend_kinds_and_their_rules() {
    let route = |backend: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs: [{backend}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: api}}\nspec: {{ports: [{{port: 80}}]}}\n"
        )
    };
    let resolve = |backend: &str| {
        let mesh = mesh(&route(backend));
        let Spec::Route(spec) = &mesh.resources[0].spec else {
            panic!()
        };
        mesh.gateway_api_backend(&mesh.resources[0], spec.backend_refs().next().unwrap())
            .map_err(|problem| {
                problem.message(&mesh.resources[0], spec.backend_refs().next().unwrap())
            })
    };
    assert_eq!(
        resolve("{name: api, port: 80}"),
        Ok("api.default.svc.cluster.local".into())
    );
    assert_eq!(
        resolve("{group: multicluster.x-k8s.io, kind: ServiceImport, name: api, port: 80}"),
        Ok("api.default.svc.cluster.local".into())
    );
    assert_eq!(
        resolve("{group: core, kind: Service, name: api, port: 80}"),
        Err("referencing unsupported backendRef: group \"core\" kind \"Service\"".into())
    );
    assert_eq!(
        resolve("{kind: Bucket, name: api}"),
        Err("referencing unsupported backendRef: group \"\" kind \"Bucket\"".into())
    );
    assert_eq!(
        resolve(
            "{group: networking.istio.io, kind: Hostname, name: a.com, namespace: default, port: 80}"
        ),
        Err("namespace may not be set with Hostname type".into())
    );
    // The dotted name fails before the port, the port before the missing Service.
    assert_eq!(
        resolve("{name: api.default.svc.cluster.local}"),
        Err("service name invalid; the name of the Service must be used, not the hostname.".into())
    );
    assert_eq!(
        resolve("{name: nothing}"),
        Err("port is required in backendRef".into())
    );
    // The grant comes first of all, and only an explicit namespace crosses one.
    assert_eq!(
        resolve("{kind: Bucket, name: api, namespace: other}"),
        Err("backendRef api/other not accessible to a HTTPRoute in namespace \"default\" (missing a ReferenceGrant?)".into())
    );
    assert_eq!(
        resolve("{name: api, namespace: default, port: 80}"),
        Ok("api.default.svc.cluster.local".into())
    );
}
