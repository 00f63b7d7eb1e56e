//! `invalid-name`: a `metadata.name`, `metadata.namespace` or VirtualService `gateways` entry
//! that is no valid Kubernetes name, so the API server rejects the object or the reference
//! never resolves.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Resource, ResourceKind};
use crate::names::{is_dns1035_label, is_dns1123_label, is_dns1123_subdomain};
use crate::resolve::Mesh;
use crate::source::Span;

pub static CHECK: Check = Check {
    id: "invalid-name",
    summary: "A `metadata.name`, `metadata.namespace` or VirtualService `gateways` entry is not a valid Kubernetes name (RFC 1123), so it is rejected or never resolves.",
    istio_code: Some("IST0106"),
    docs: r#"
## What it does
Reports names the API server and Istio's validation webhook refuse:

- `metadata.namespace`, and the name of a Namespace, must be an RFC 1123 label: at most 63
  lowercase letters, digits and `-`, beginning and ending with a letter or digit;
- a Service's name must be an RFC 1035 label (the same, beginning with a letter);
- the names of the other kinds must be RFC 1123 subdomains: such labels joined by `.`, at
  most 253 characters;
- a VirtualService `gateways` entry must be `mesh`, a gateway name, or `namespace/name` with
  a valid namespace and name (Istio's `validateGatewayNames`).

## Why is this bad?
`kubectl apply` fails (`metadata.name: Invalid value: "Reviews": a lowercase RFC 1123
subdomain must consist of lower case alphanumeric characters, '-' or '.'`), or the webhook
rejects the VirtualService. A reference such as `./gw/web` can never name an object, so
every check that looks it up reports it missing.

## Fix
Write the name in lowercase letters, digits and `-` (and `.` where a subdomain is allowed),
and refer to gateways as `namespace/name`.

## Fix safety
No automatic fix: the intended name cannot be known, and renaming an object would break
what refers to it. Fixes of other checks never propose a reference with an invalid name.
"#,
    bad_example: "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: Web_Gateway\n  namespace: ./gw\nspec:\n  servers: []\n",
    good_example: "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: web-gateway\n  namespace: gw\nspec:\n  servers: []\n",
    run: Run::OnMesh(run),
};

const LABEL: &str = "an RFC 1123 label (at most 63 lowercase letters, digits and `-`, beginning and ending with a letter or digit)";
const SUBDOMAIN: &str = "an RFC 1123 subdomain (lowercase letters, digits, `-` and `.`, each part beginning and ending with a letter or digit, at most 253 characters)";
const RFC1035: &str = "an RFC 1035 label (at most 63 lowercase letters, digits and `-`, beginning with a letter and ending with a letter or digit)";

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for resource in &mesh.resources {
        let name = &resource.name;
        let (valid, rule): (fn(&str) -> bool, &str) = match resource.kind {
            ResourceKind::Namespace => (is_dns1123_label, LABEL),
            ResourceKind::Service => (is_dns1035_label, RFC1035),
            _ => (is_dns1123_subdomain, SUBDOMAIN),
        };
        if !name.value.is_empty() && !valid(&name.value) {
            let message = format!(
                "{} name `{}` is invalid: it must be {rule}",
                resource.kind.name(),
                name.value
            );
            out.push(error(name.span, message, resource));
        }
        if let Some(namespace) = &resource.namespace_field
            && !is_dns1123_label(&namespace.value)
        {
            let message = format!(
                "namespace `{}` is invalid: it must be {LABEL}",
                namespace.value
            );
            out.push(error(namespace.span, message, resource));
        }
    }
    for (resource, service) in mesh.virtual_services() {
        for entry in mesh
            .gateway_refs(resource, service)
            .into_iter()
            .filter_map(|reference| reference.entry)
        {
            if let Some(problem) = gateway_name_problem(&entry.value) {
                out.push(error(entry.span, problem, resource));
            }
        }
    }
}

/// Why a `gateways` entry can name no gateway, as Istio's webhook words it.
fn gateway_name_problem(entry: &str) -> Option<String> {
    if entry == "mesh" {
        return None;
    }
    match entry.split_once('/') {
        None if is_dns1123_subdomain(entry) => None,
        None => Some(format!(
            "invalid gateway name `{entry}`: it must be `mesh`, a gateway's name or `namespace/name`"
        )),
        Some((namespace, name)) if namespace.is_empty() || name.is_empty() => {
            Some("config namespace and gateway name cannot be empty".to_string())
        }
        Some((namespace, _)) if !is_dns1123_label(namespace) => Some(format!(
            "invalid value for namespace: `{namespace}`: it must be {LABEL}"
        )),
        Some((_, name)) if !is_dns1123_subdomain(name) => Some(format!(
            "invalid value for gateway name: `{name}`: it must be {SUBDOMAIN}"
        )),
        Some(_) => None,
    }
}

fn error(span: Span, message: String, resource: &Resource) -> Diagnostic {
    Diagnostic::new(CHECK.id, Severity::Error, span, message)
        .istio_code("IST0106")
        .resource(resource.reference())
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    #[test]
    fn flags_invalid_names_namespaces_and_gateway_entries() {
        check(
            "invalid-name",
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: Web_Gateway
#       ^^^^^^^^^^^ error: Gateway name `Web_Gateway` is invalid: it must be an RFC 1123 subdomain
  namespace: ./gw
#            ^^^^ error: namespace `./gw` is invalid
spec:
  servers: []
---
apiVersion: v1
kind: Service
metadata:
  name: 1reviews
#       ^^^^^^^^ error: Service name `1reviews` is invalid: it must be an RFC 1035 label
spec:
  ports: [{port: 80, name: http}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  gateways:
  - ./gw/web
#   ^^^^^^^^ error: invalid value for namespace: `.`
  - gw/
#   ^^^ error: config namespace and gateway name cannot be empty
  - gw/Web
#   ^^^^^^ error: invalid value for gateway name: `Web`
  - web gateway
#   ^^^^^^^^^^^ error: invalid gateway name `web gateway`
  http:
  - route:
    - destination: {host: reviews}
"#,
        );
    }

    #[test]
    fn valid_names_and_references_are_not_flagged() {
        check(
            "invalid-name",
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: web.gateway-1
  namespace: istio-system
spec:
  servers: []
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  gateways: [mesh, web.gateway-1, istio-system/web.gateway-1, web.istio-system.svc.cluster.local]
  http:
  - route:
    - destination: {host: reviews}
"#,
        );
    }
}
