//! `listener-hostname-hijack`: a listener without `hostname` that admits routes from many
//! namespaces lets any of them claim any hostname (Gateway API security model, "Avoiding
//! hostname/domain hijacking").

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::{insert_one_line_entry, replace_scalar};
use crate::model::gateway_api::{
    FromNamespaces, GROUP, LabelSelector, Listener, NamespaceSelection, ObjectRef,
};
use crate::model::{Field, Resource, Spec};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{group_kind, listeners_of};

pub static CHECK: Check = Check {
    id: "listener-hostname-hijack",
    summary: "A listener without `hostname` admits routes from many namespaces: any of them can claim any hostname.",
    istio_code: None,
    docs: r#"
## What it does
Finds HTTP, HTTPS and TLS listeners of a Gateway or ListenerSet that have no `hostname` and
whose `allowedRoutes.namespaces` admits more than one namespace: `from: All`, or `from:
Selector` with a selector that does not pin `kubernetes.io/metadata.name` to one namespace.
It is a warning when the input shows routes of several namespaces attached to the listener
(the Gateway is evidently shared), and an info otherwise (the input does not say who else
uses it).

## Why is this bad?
A route's `hostnames` are a claim, and the listener checks none of them: a route in any
admitted namespace can serve `login.example.com` or any other hostname, including one
another team serves, and take its traffic. The Gateway API security model ("Avoiding
hostname/domain hijacking") recommends a hostname on every listener that admits routes from
other namespaces, each listener admitting only the namespaces that own its hostname.

## Fix
Give the listener the hostname (or wildcard domain) its routes may serve, one listener per
team, or admit only the Gateway's own namespace (`from: Same`).

## Fix safety
Both fixes are unsafe. `from: Same` detaches the routes of other namespaces, so it is offered
only when every route the input attaches to the listener is in the listener's namespace. The
hostname fix inserts a placeholder the user must replace, and is offered only when no route
attached to the listener names hostnames (they would stop matching the placeholder).
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: shared
  namespace: infra
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: All
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: shared
  namespace: infra
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    hostname: "shop.example.com"
    allowedRoutes:
      namespaces:
        from: Selector
        selector:
          matchLabels:
            kubernetes.io/metadata.name: shop
"#,
    run: Run::OnMesh(run),
};

const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The placeholder the hostname fix inserts.
const HOSTNAME_PLACEHOLDER: &str = "hostname: <hostname>";

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for holder in &mesh.resources {
        if !matches!(
            holder.spec,
            Spec::KubernetesGateway(_) | Spec::ListenerSet(_)
        ) {
            continue;
        }
        for listener in listeners_of(holder) {
            let hostless = listener.hostname_value().is_none_or(str::is_empty);
            let carries_hostnames = listener
                .protocol
                .as_ref()
                .is_some_and(|p| matches!(p.value.as_str(), "HTTP" | "HTTPS" | "TLS"));
            if !hostless || !carries_hostnames {
                continue;
            }
            let Some((selection, from)) = broad_admission(listener) else {
                continue;
            };
            out.push(diagnostic(mesh, holder, listener, selection, from));
        }
    }
}

/// The listener's namespace selection and its `from`, when it admits more than one namespace.
fn broad_admission(listener: &Listener) -> Option<(&NamespaceSelection, &Field<FromNamespaces>)> {
    let namespaces = listener
        .allowed_routes
        .as_ref()?
        .value
        .namespaces
        .as_ref()?;
    let from = namespaces.value.from.as_ref()?;
    let broad = match from.value {
        FromNamespaces::All => true,
        FromNamespaces::Selector => namespaces
            .value
            .selector
            .as_ref()
            .is_some_and(|selector| !pins_one_namespace(&selector.value)),
        FromNamespaces::Same | FromNamespaces::None => false,
    };
    broad.then_some((&namespaces.value, from))
}

/// Whether the selector can only match one namespace: it fixes its name label.
fn pins_one_namespace(selector: &LabelSelector) -> bool {
    selector
        .match_labels
        .iter()
        .any(|(key, _)| key == NAME_LABEL)
        || selector.match_expressions.iter().any(|expression| {
            expression.key == NAME_LABEL
                && expression.operator == "In"
                && expression.values.len() <= 1
        })
}

/// What the selection admits, for the message.
fn admitted_text(selection: &NamespaceSelection, from: FromNamespaces) -> String {
    let selector = selection.selector.as_ref().map(|s| &s.value);
    match (from, selector) {
        (FromNamespaces::Selector, Some(selector)) => {
            let mut parts: Vec<String> = selector
                .match_labels
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            parts.extend(selector.match_expressions.iter().map(|expression| {
                format!(
                    "{} {} ({})",
                    expression.key,
                    expression.operator,
                    expression.values.join(", ")
                )
            }));
            if parts.is_empty() {
                "every namespace (an empty selector)".to_string()
            } else {
                format!("every namespace labelled `{}`", parts.join(", "))
            }
        }
        _ => "every namespace".to_string(),
    }
}

/// The routes of the input whose parentRefs can reach `listener` of `holder`: they name the
/// holder and, where they narrow it, the listener's name and port, from a namespace the
/// selection admits (assumed where the input has no labels of it).
fn routes_reaching<'m>(
    mesh: &'m Mesh,
    holder: &Resource,
    listener: &Listener,
    selection: &NamespaceSelection,
) -> Vec<&'m Resource> {
    let view = mesh.gateway_api();
    let admitted = |namespace: &str| match (&selection.selector, view.namespace_labels(namespace)) {
        (Some(selector), Some(labels)) => selector.value.matches(labels),
        _ => true,
    };
    let holder_kind = match holder.spec {
        Spec::ListenerSet(_) => "ListenerSet",
        _ => "Gateway",
    };
    let reaches = |route: &Resource, reference: &ObjectRef| {
        let kind = group_kind(reference, GROUP, "Gateway");
        kind == (GROUP, holder_kind)
            && reference.name_value() == holder.name.value
            && reference.namespace_or(&route.namespace) == holder.namespace
            && reference
                .section_name
                .as_ref()
                .is_none_or(|s| s.value == listener.name_value())
            && reference
                .port
                .as_ref()
                .is_none_or(|p| Some(p.value) == listener.port_number())
    };
    mesh.resources
        .iter()
        .filter(|route| match &route.spec {
            Spec::Route(spec) => {
                admitted(&route.namespace) && spec.parent_refs().iter().any(|r| reaches(route, r))
            }
            _ => false,
        })
        .collect()
}

fn diagnostic(
    mesh: &Mesh,
    holder: &Resource,
    listener: &Listener,
    selection: &NamespaceSelection,
    from: &Field<FromNamespaces>,
) -> Diagnostic {
    let routes = routes_reaching(mesh, holder, listener, selection);
    let mut namespaces: Vec<&str> = routes.iter().map(|r| r.namespace.as_str()).collect();
    crate::order::sort(&mut namespaces);
    namespaces.dedup();
    let mut message = format!(
        "listener `{}` of {} has no `hostname` and admits routes from {}: a route in any of \
         them can claim any hostname, another team's included, and take its traffic \
         (hostname hijacking)",
        listener.name_value(),
        holder.label(),
        admitted_text(selection, from.value)
    );
    let severity = if namespaces.len() > 1 {
        message.push_str(&format!(
            "; routes of namespaces {} already share it",
            namespaces.join(", ")
        ));
        Severity::Warning
    } else {
        Severity::Info
    };
    let mut diagnostic = Diagnostic::new(CHECK.id, severity, from.span, message)
        .resource(holder.reference())
        .related(listener.name_span(), "the listener without hostname");
    if namespaces
        .iter()
        .all(|namespace| *namespace == holder.namespace)
    {
        diagnostic = diagnostic.fix(Fix::unsafe_(
            "Admit only routes of the listener's namespace (`from: Same`)",
            vec![replace_scalar(&mesh.sources, from.span, "Same")],
        ));
    }
    let routes_name_hostnames = routes.iter().any(|route| match &route.spec {
        Spec::Route(spec) => spec.hostname_values().next().is_some(),
        _ => false,
    });
    if !routes_name_hostnames
        && let Some(node) = mesh.node_at(listener.span)
        && let Some(edit) = insert_one_line_entry(
            &mesh.sources,
            node,
            node.entry_index("name"),
            HOSTNAME_PLACEHOLDER,
        )
    {
        diagnostic = diagnostic.fix(Fix::unsafe_(
            "Give the listener the hostname its routes may serve (a placeholder)",
            vec![edit],
        ));
    }
    diagnostic
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "listener-hostname-hijack";

    #[test]
    fn broad_listeners_without_hostname() {
        check(
            ID,
            r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: All
#             ^^^ warning: listener `http` of Gateway infra/shared has no `hostname` and admits routes from every namespace: a route in any of them can claim any hostname, another team's included, and take its traffic (hostname hijacking); routes of namespaces blog, shop already share it
  - name: labelled
    port: 8080
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
#             ^^^^^^^^ info: listener `labelled` of Gateway infra/shared has no `hostname` and admits routes from every namespace labelled `expose=true`
        selector: {matchLabels: {expose: "true"}}
  - name: one-namespace
    port: 8081
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector: {matchLabels: {kubernetes.io/metadata.name: shop}}
  - name: named
    port: 8082
    protocol: HTTP
    hostname: shop.example.com
    allowedRoutes: {namespaces: {from: All}}
  - name: same
    port: 8083
    protocol: HTTP
  - name: tcp
    port: 5432
    protocol: TCP
    allowedRoutes: {namespaces: {from: All}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: shared, namespace: infra, sectionName: http}]
  hostnames: [shop.example.com]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: blog, namespace: blog}
spec:
  parentRefs: [{name: shared, namespace: infra}]
  hostnames: [shop.example.com]
"#,
        );
    }

    #[test]
    fn the_docs_good_configuration_is_not_flagged() {
        check(
            ID,
            r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gateway}
spec:
  gatewayClassName: some-class
  listeners:
  - hostname: "something.tld"
    name: listener1
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector:
          matchExpressions:
          - {key: kubernetes.io/metadata.name, operator: In, values: [ns1]}
"#,
        );
    }

    #[test]
    fn fixes_admit_the_own_namespace_or_name_a_hostname() {
        let before = super::CHECK.bad_example;
        assert_fix(ID, 0, before, &before.replace("from: All", "from: Same"));
        let after = before.replace(
            "  - name: http\n",
            "  - name: http\n    hostname: <hostname>\n",
        );
        assert_fix(ID, 1, before, &after);
    }
}
