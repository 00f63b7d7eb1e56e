//! `route-backend-not-found`: a Gateway API route's backendRef names a Service (or host) that is
//! not there, or names it in a form Istio refuses (no port, a hostname for a name).

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{insert_one_line_entry, replace_scalar};
use crate::model::gateway_api::ObjectRef;
use crate::model::{Field, Resource, Spec};
use crate::names::is_dns1123_label;
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{BackendProblem, UNATTACHED, is_unattached, istio_routes};

pub static CHECK: Check = Check {
    id: "route-backend-not-found",
    summary: "A route's backendRef names a Service that is not there, or names it without a port or by its hostname.",
    istio_code: None,
    docs: r#"
## What it does
Resolves each backendRef of an HTTPRoute, GRPCRoute, TLSRoute or TCPRoute the way Istio's
Gateway API controller does, and reports what its `ResolvedRefs` condition would say:

- `BackendNotFound`: the Service (kind `Service`, or `ServiceImport`, which Istio resolves to
  the Service of that name) or the host (kind `Hostname` of `networking.istio.io`, a
  ServiceEntry host) is not in the input. When the input has a Service of that name in
  another namespace, or one whose name is a letter or two away, the message names it.
- `InvalidDestination`: no `port` (`port is required in backendRef`); a Service name with dots
  (`service name invalid; the name of the Service must be used, not the hostname.`); a
  `Hostname` backend with a `namespace`.

A Service that is nowhere in the input is reported as info, since the input may be partial;
with "input is complete" it is a warning. A likely typo (a namesake in the input) is always a
warning; the `InvalidDestination` cases are errors.

## Why is this bad?
For a missing backend Istio keeps the rule but sends to a host without endpoints: the data
plane answers 500 (TCP and TLS connections are reset). For `InvalidDestination` Istio drops all
of the route's rules — no VirtualService is generated — so every request for the route's
hostnames gets 404.

## Fix
Name the Service by its name and namespace (`name: reviews`, `namespace: bookinfo`), not by its
hostname, and give the port of the Service (`port: 9080`).

## Fix safety
Safe fixes, offered only when the corrected reference resolves in the input: set the
`namespace` or the name of the one Service of the input that the reference most likely meant;
insert the `port` of a Service that has exactly one; replace a hostname
(`reviews.bookinfo.svc.cluster.local`) by the Service's name, with its namespace when that is
not the route's.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bookinfo
spec:
  parentRefs:
  - name: bookinfo-gateway
  rules:
  - backendRefs:
    - name: productpage
---
apiVersion: v1
kind: Service
metadata:
  name: productpage
spec:
  ports:
  - name: http
    port: 9080
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bookinfo
spec:
  parentRefs:
  - name: bookinfo-gateway
  rules:
  - backendRefs:
    - name: productpage
      port: 9080
---
apiVersion: v1
kind: Service
metadata:
  name: productpage
spec:
  ports:
  - name: http
    port: 9080
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (_, route, spec) in istio_routes(mesh) {
        for backend in spec.backend_refs() {
            let problem = match mesh.gateway_api_backend(route, backend) {
                Err(
                    problem @ (BackendProblem::NotInInput { .. }
                    | BackendProblem::PortRequired
                    | BackendProblem::HostnameAsName
                    | BackendProblem::HostnameWithNamespace),
                ) => problem,
                _ => continue,
            };
            out.push(diagnose(mesh, route, backend, &problem));
        }
    }
}

fn diagnose(
    mesh: &Mesh,
    route: &Resource,
    backend: &ObjectRef,
    problem: &BackendProblem,
) -> Diagnostic {
    let namespace = backend.namespace_or(&route.namespace);
    let name = backend.name_value();
    let target = match problem {
        BackendProblem::NotInInput { host } if !host.ends_with(".svc.cluster.local") => {
            format!("host `{host}`")
        }
        _ => format!("Service {namespace}/{name}"),
    };
    // On a partial input the Service may well be in the cluster: say what follows if not.
    let unless = if matches!(problem, BackendProblem::NotInInput { .. }) {
        "unless the cluster has it, "
    } else {
        ""
    };
    let condition = format!(
        "{unless}Istio sets `ResolvedRefs` to False (`{}`: \"{}\")",
        problem.reason(),
        problem.message(route, backend)
    );
    let (severity, what, fix) = match problem {
        BackendProblem::NotInInput { .. } => {
            let candidates = namesakes(mesh, backend, namespace, name);
            match candidates.as_slice() {
                [] => (
                    mesh.missing_reference_severity(),
                    "which is not in the input".to_string(),
                    None,
                ),
                [(other_namespace, other_name)] => (
                    Severity::Warning,
                    format!(
                        "which is not in the input; did you mean Service \
                         {other_namespace}/{other_name}?"
                    ),
                    retarget(mesh, route, backend, other_namespace, other_name),
                ),
                several => (
                    Severity::Warning,
                    format!(
                        "which is not in the input; the input has Services {}",
                        several
                            .iter()
                            .map(|(ns, n)| format!("{ns}/{n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None,
                ),
            }
        }
        BackendProblem::PortRequired => (
            Severity::Error,
            "without a `port`".to_string(),
            insert_port(mesh, route, backend, namespace, name),
        ),
        BackendProblem::HostnameAsName => (
            Severity::Error,
            "by a hostname where the Service's name belongs".to_string(),
            dotted_name_fix(mesh, route, backend),
        ),
        _ => (
            Severity::Error,
            "with a `namespace`, which a `Hostname` backend may not have".to_string(),
            None,
        ),
    };
    // Istio converts a route without parentRefs for no parent: the problem is latent.
    let (severity, latent) = if is_unattached(route) {
        (Severity::Info, UNATTACHED)
    } else {
        (severity, "")
    };
    let mut diagnostic = Diagnostic::new(
        CHECK.id,
        severity,
        backend.name_span(),
        format!(
            "{} sends to {target} {what}: {condition}, and {}{latent}",
            route.label(),
            problem.outcome(route)
        ),
    )
    .condition("ResolvedRefs", problem.reason())
    .resource(route.reference());
    if let Some((label, edits)) = fix {
        diagnostic = diagnostic.fix(Fix::safe(label, edits));
    }
    diagnostic
}

/// The Services of the input the reference likely meant: the same name in another namespace,
/// or a name a letter or two away in the same namespace.
fn namesakes<'m>(
    mesh: &'m Mesh,
    backend: &ObjectRef,
    namespace: &str,
    name: &str,
) -> Vec<(&'m str, &'m str)> {
    if !matches!(backend.kind_or("Service"), "Service" | "ServiceImport") {
        return Vec::new();
    }
    mesh.resources
        .iter()
        .filter(|r| matches!(r.spec, Spec::Service(_)))
        .map(|r| (r.namespace.as_str(), r.name.value.as_str()))
        .filter(|&(ns, n)| (ns != namespace && n == name) || (ns == namespace && close(n, name)))
        .collect()
}

/// Whether two names differ by one or two letters and are long enough for that to look like
/// a typo rather than another service.
fn close(a: &str, b: &str) -> bool {
    a.chars().count().min(b.chars().count()) >= 4
        && (1..=2).contains(&crate::suggest::edit_distance(a, b))
}

type LabeledEdits = (String, Vec<Edit>);

/// Points the reference at Service `namespace/name`: the edits of its name and namespace,
/// when the result resolves (a cross-namespace reference needs its ReferenceGrant first).
fn retarget(
    mesh: &Mesh,
    route: &Resource,
    backend: &ObjectRef,
    namespace: &str,
    name: &str,
) -> Option<LabeledEdits> {
    let mut patched = backend.clone();
    let mut edits = Vec::new();
    if let Some(written) = &backend.name
        && written.value != name
    {
        edits.push(replace_scalar(&mesh.sources, written.span, name));
        patched.name = Some(with_value(written, name));
    }
    if namespace != backend.namespace_or(&route.namespace) {
        // A Service in an invalid namespace cannot exist in a cluster: never refer to it.
        if !is_dns1123_label(namespace) {
            return None;
        }
        match &backend.namespace {
            Some(written) => {
                edits.push(replace_scalar(&mesh.sources, written.span, namespace));
                patched.namespace = Some(with_value(written, namespace));
            }
            None => {
                let node = mesh.node_at(backend.span)?;
                let after = node.entry_index("name");
                edits.push(insert_one_line_entry(
                    &mesh.sources,
                    node,
                    after,
                    &format!("namespace: {namespace}"),
                )?);
                patched.namespace = Some(with_value(backend.name.as_ref()?, namespace));
            }
        }
    }
    mesh.gateway_api_backend(route, &patched).ok()?;
    Some((format!("Refer to Service {namespace}/{name}"), edits))
}

fn with_value(field: &Field<String>, value: &str) -> Field<String> {
    Field {
        value: value.to_string(),
        key: field.key,
        span: field.span,
    }
}

/// Inserts the port of the Service when it has exactly one.
fn insert_port(
    mesh: &Mesh,
    route: &Resource,
    backend: &ObjectRef,
    namespace: &str,
    name: &str,
) -> Option<LabeledEdits> {
    let service = mesh.resources.iter().find_map(|r| match &r.spec {
        Spec::Service(service) if r.namespace == namespace && r.name.value == name => Some(service),
        _ => None,
    })?;
    let [port] = service.ports.as_slice() else {
        return None;
    };
    let number = port.value.number.as_ref()?;
    let mut patched = backend.clone();
    patched.port = Some(Field {
        value: number.value,
        key: number.key,
        span: number.span,
    });
    mesh.gateway_api_backend(route, &patched).ok()?;
    let node = mesh.node_at(backend.span)?;
    let edit = insert_one_line_entry(
        &mesh.sources,
        node,
        node.entry_index("name"),
        &format!("port: {}", number.value),
    )?;
    Some((
        format!("Send to port {} of the Service", number.value),
        vec![edit],
    ))
}

/// Replaces `name.ns[.svc[.cluster.local]]` by `name` (and `namespace: ns` when that is not
/// where the reference already points).
fn dotted_name_fix(mesh: &Mesh, route: &Resource, backend: &ObjectRef) -> Option<LabeledEdits> {
    let (short, rest) = backend.name_value().split_once('.')?;
    let namespace = rest
        .strip_suffix(".svc.cluster.local")
        .or_else(|| rest.strip_suffix(".svc"))
        .unwrap_or(rest);
    if namespace.is_empty() || namespace.contains('.') {
        return None;
    }
    retarget(mesh, route, backend, namespace, short)
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check, check_with};
    use crate::settings::MeshSettings;

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: http, port: 80, protocol: HTTP}\n---\n";
    const SERVICES: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: bookinfo}\nspec:\n  ports:\n  - {name: http, port: 9080}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: ratings}\nspec:\n  ports:\n  - {name: http, port: 9080}\n  - {name: grpc, port: 9090}\n---\n";

    #[test]
    fn flags_missing_backends_by_how_sure_it_is() {
        check(
            "route-backend-not-found",
            &format!(
                r#"{GATEWAY}{SERVICES}apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: web}}
spec:
  parentRefs: [{{name: gw}}]
  rules:
  - backendRefs:
    - name: details
#           ^^^^^^^ info: HTTPRoute default/web sends to Service default/details which is not in the input: unless the cluster has it, Istio sets `ResolvedRefs` to False (`BackendNotFound`: "backend(details.default.svc.cluster.local) not found"), and the data plane answers 500
      port: 9080
    - name: ratngs
#           ^^^^^^ warning: did you mean Service default/ratings? [fix]
      port: 9080
    - name: ratings
      port: 9080
    - group: networking.istio.io
      kind: Hostname
      name: httpbin.org
#           ^^^^^^^^^^^ info: sends to host `httpbin.org` which is not in the input
      port: 443
"#
            ),
        );
    }

    #[test]
    fn a_namesake_in_another_namespace_needs_its_grant_before_a_fix() {
        // Without a ReferenceGrant in `bookinfo`, pointing there would trade this warning for
        // a RefNotPermitted error: no fix.
        check(
            "route-backend-not-found",
            &format!(
                "{GATEWAY}{SERVICES}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs:\n    - name: reviews\n#           ^^^^^^^ warning: did you mean Service bookinfo/reviews?\n      port: 9080\n"
            ),
        );
    }

    #[test]
    fn a_mesh_route_gets_the_namespace_set() {
        // Istio enforces no ReferenceGrant for Service parents (GAMMA).
        let before = format!(
            "{SERVICES}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web}}\nspec:\n  parentRefs: [{{group: \"\", kind: Service, name: ratings}}]\n  rules:\n  - backendRefs:\n    - name: reviews\n      port: 9080\n"
        );
        let after = before.replace(
            "    - name: reviews\n",
            "    - name: reviews\n      namespace: bookinfo\n",
        );
        assert_fix("route-backend-not-found", 0, &before, &after);
    }

    #[test]
    fn complete_input_makes_missing_backends_warnings() {
        let settings = MeshSettings {
            input_complete: true,
            ..MeshSettings::default()
        };
        check_with(
            settings,
            "route-backend-not-found",
            &format!(
                "{GATEWAY}apiVersion: gateway.networking.k8s.io/v1\nkind: TCPRoute\nmetadata: {{name: db}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs:\n    - {{name: mysql, port: 3306}}\n#            ^^^^^ warning: the connections routed to it are reset\n"
            ),
        );
    }

    #[test]
    fn invalid_destinations_are_errors_that_drop_the_rules() {
        check(
            "route-backend-not-found",
            &format!(
                r#"{GATEWAY}{SERVICES}apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: web}}
spec:
  parentRefs: [{{name: gw}}]
  rules:
  - backendRefs:
    - name: ratings
#           ^^^^^^^ error: without a `port`: Istio sets `ResolvedRefs` to False (`InvalidDestination`: "port is required in backendRef"), and Istio drops the route's rules (no VirtualService is generated), so requests for its hostnames get 404
    - name: ratings.default.svc.cluster.local
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error: "service name invalid; the name of the Service must be used, not the hostname." [fix]
      port: 9080
    - name: reviews.bookinfo.svc.cluster.local
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error: by a hostname where the Service's name belongs
      port: 9080
    - group: networking.istio.io
      kind: Hostname
      name: httpbin.org
#           ^^^^^^^^^^^ error: "namespace may not be set with Hostname type"
      namespace: default
      port: 443
"#
            ),
        );
    }

    #[test]
    fn fixes_insert_the_only_port_and_shorten_hostnames() {
        let route = "apiVersion: gateway.networking.k8s.io/v1\r\nkind: HTTPRoute\r\nmetadata: {name: web, namespace: bookinfo}\r\nspec:\r\n  parentRefs: [{name: gw}]\r\n  rules:\r\n  - backendRefs:\r\n    - name: reviews\r\n      weight: 1\r\n";
        let before = format!("{}{route}", SERVICES.replace('\n', "\r\n"));
        let after = before.replace("name: reviews\r\n", "name: reviews\r\n      port: 9080\r\n");
        assert_fix("route-backend-not-found", 0, &before, &after);

        let before = format!(
            "{SERVICES}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web}}\nspec:\n  rules:\n  - backendRefs:\n    - {{name: \"ratings.default.svc.cluster.local\", port: 9080}}\n"
        );
        let after = before.replace("\"ratings.default.svc.cluster.local\"", "\"ratings\"");
        assert_fix("route-backend-not-found", 0, &before, &after);
    }

    #[test]
    fn resolved_backends_and_foreign_routes_are_not_flagged() {
        check(
            "route-backend-not-found",
            &format!(
                "{SERVICES}apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {{name: other}}\nspec: {{controllerName: example.com/gateway}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: theirs}}\nspec:\n  gatewayClassName: other\n  listeners: [{{name: http, port: 80, protocol: HTTP}}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: theirs}}\nspec:\n  parentRefs: [{{name: theirs}}]\n  rules:\n  - backendRefs: [{{name: nothing}}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: ours}}\nspec:\n  rules:\n  - backendRefs: [{{name: ratings, port: 9080}}, {{group: multicluster.x-k8s.io, kind: ServiceImport, name: ratings, port: 9080}}]\n"
            ),
        );
    }
}
