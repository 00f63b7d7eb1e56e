//! `route-namespace-not-allowed`: the listener a route names matches its hostnames but does
//! not admit routes from its namespace (`allowedRoutes.namespaces`), so Istio refuses it with
//! NotAllowedByListeners. Also an info where a namespace selector was assumed to match.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{insert_entry, replace_scalar};
use crate::model::gateway_api::{FromNamespaces, Listener};
use crate::model::{Named, Resource};
use crate::resolve::Mesh;
use crate::resolve::gateway_api::{DenialCause, ParentTarget, listeners_of};
use crate::resolve::gateway_api::{listener_label, lost_traffic, routes};

pub static CHECK: Check = Check {
    id: "route-namespace-not-allowed",
    summary: "A route's namespace is not admitted by `allowedRoutes.namespaces` of the listener it names.",
    istio_code: None,
    docs: r#"
## What it does
Reports a parentRef whose listeners match the route's hostnames but refuse its namespace:
`allowedRoutes.namespaces.from` is `Same` (the default: only the listener's own namespace, the
Gateway's or the ListenerSet's), or a `Selector` the route's Namespace does not match (its
labels, plus the automatic `kubernetes.io/metadata.name`).

Without the Namespace object in the input only the `kubernetes.io/metadata.name` label is
known; a selector reading other labels is then assumed to match, and an info says so.

## Why is this bad?
Istio attaches the route to no listener and writes `Accepted: False` with reason
`NotAllowedByListeners` (`hostnames matched parent hostname "…", but namespace "…" is not
allowed by the parent`). The gateway serves nothing of the route: requests for its hostnames
get 404. This is the usual result of putting the Gateway in one namespace and the routes in
the applications' namespaces without opening the listener to them.

## Fix
Admit the route's namespace on the listener: `from: Selector` with a selector on
`kubernetes.io/metadata.name` listing the namespaces admitted so far and the route's, or
`from: All`.

## Fix safety
Unsafe: admitting a namespace lets every route of that namespace attach to the listener, and
`from: All` lets every namespace's routes attach; the Gateway's owner must agree.
"#,
    bad_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-ingress
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: shop
spec:
  parentRefs:
  - name: gateway
    namespace: istio-ingress
  rules:
  - backendRefs:
    - name: shop
      port: 8080
"#,
    good_example: r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-ingress
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: All
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: shop
spec:
  parentRefs:
  - name: gateway
    namespace: istio-ingress
  rules:
  - backendRefs:
    - name: shop
      port: 8080
"#,
    run: Run::OnMesh(run),
};

const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// How the listener's namespace selection reads, for messages.
fn selection_text(listener: &Listener, holder: &Resource) -> String {
    let from = listener.allowed_routes.as_ref().map(|a| a.value.from());
    match from {
        None => format!(
            "admits only routes of its own namespace, {} (`from: Same` is the default)",
            holder.namespace
        ),
        Some(FromNamespaces::Same) => format!(
            "admits only routes of its own namespace, {} (`from: Same`)",
            holder.namespace
        ),
        Some(_) => "admits only namespaces its selector matches".to_string(),
    }
}

/// The `namespaces` entries (block lines, flow text) admitting `admitted` or every namespace.
fn namespaces_entry(admitted: Option<&[&str]>) -> (Vec<String>, String) {
    match admitted {
        None => (
            vec!["namespaces:".into(), "  from: All".into()],
            "namespaces: {from: All}".into(),
        ),
        Some(names) => {
            let values = names.join(", ");
            (
                vec![
                    "namespaces:".into(),
                    "  from: Selector".into(),
                    "  selector:".into(),
                    "    matchExpressions:".into(),
                    format!("    - key: {NAME_LABEL}"),
                    "      operator: In".into(),
                    format!("      values: [{values}]"),
                ],
                format!(
                    "namespaces: {{from: Selector, selector: {{matchExpressions: [{{key: {NAME_LABEL}, operator: In, values: [{values}]}}]}}}}"
                ),
            )
        }
    }
}

/// The edits giving `listener` the namespace selection of `admitted` (`None`: all).
fn admit_edits(mesh: &Mesh, listener: &Listener, admitted: Option<&[&str]>) -> Option<Vec<Edit>> {
    let sources = &mesh.sources;
    let (block, flow) = namespaces_entry(admitted);
    let Some(allowed) = &listener.allowed_routes else {
        let node = mesh.node_at(listener.span)?;
        let last = node.as_mapping()?.len().checked_sub(1);
        let block: Vec<String> = std::iter::once("allowedRoutes:".to_string())
            .chain(block.iter().map(|line| format!("  {line}")))
            .collect();
        let flow = format!("allowedRoutes: {{{flow}}}");
        return Some(vec![insert_entry(sources, node, last, &block, &flow)?]);
    };
    let Some(namespaces) = &allowed.value.namespaces else {
        let node = mesh.node_at(allowed.span)?;
        let last = node.as_mapping()?.len().checked_sub(1);
        return Some(vec![insert_entry(sources, node, last, &block, &flow)?]);
    };
    let selection = mesh.node_at(namespaces.span)?;
    let from = &namespaces.value.from;
    match (admitted, from) {
        (None, Some(from)) => Some(vec![replace_scalar(sources, from.span, "All")]),
        (None, None) => Some(vec![insert_entry(
            sources,
            selection,
            None,
            &["from: All".to_string()],
            "from: All",
        )?]),
        // An existing selector is the user's: only `from: All` replaces it.
        (Some(_), _) if namespaces.value.selector.is_some() => None,
        (Some(_), from) => {
            // `block` less its `namespaces:` line, one level up.
            let inner: Vec<String> = block[1..]
                .iter()
                .map(|line| line[2..].to_string())
                .collect();
            let inner_flow = flow.strip_prefix("namespaces: {")?.strip_suffix('}')?;
            Some(match from {
                Some(from) => vec![
                    replace_scalar(sources, from.span, "Selector"),
                    insert_entry(
                        sources,
                        selection,
                        Some(selection.entry_index("from")?),
                        &inner[1..],
                        inner_flow.strip_prefix("from: Selector, ")?,
                    )?,
                ],
                None => vec![insert_entry(sources, selection, None, &inner, inner_flow)?],
            })
        }
    }
}

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let view = mesh.gateway_api();
    for (_, route, spec, attachments) in routes(mesh) {
        for attachment in attachments {
            let ParentTarget::Listeners {
                parent, results, ..
            } = &attachment.target
            else {
                continue;
            };
            let reference = &spec.parent_refs()[attachment.parent_ref];
            let holder: &Resource = view.resource(*parent);
            let listeners = listeners_of(holder);
            let assumed: Vec<usize> = results
                .iter()
                .filter(|r| r.denial.is_none() && r.namespace_assumed)
                .map(|r| r.listener)
                .collect();
            if !assumed.is_empty() && attachment.accepted_listeners().count() == assumed.len() {
                let mut diagnostic = Diagnostic::new(
                    CHECK.id,
                    Severity::Info,
                    reference.name_span(),
                    format!(
                        "{} attaches only if namespace {} has the labels the namespace selector \
                         of {} asks for; the input has no Namespace `{}`, so they were assumed \
                         to match",
                        route.label(),
                        route.namespace,
                        listener_label(holder, &listeners[assumed[0]]),
                        route.namespace
                    ),
                )
                .condition("Accepted", "Accepted")
                .resource(route.reference());
                for &at in &assumed {
                    diagnostic = diagnostic.related(
                        listeners[at].name_span(),
                        format!(
                            "{} selects namespaces by label",
                            listener_label(holder, &listeners[at])
                        ),
                    );
                }
                out.push(diagnostic);
            }
            let refusing: Vec<usize> = attachment
                .denying_listeners()
                .into_iter()
                .filter(|(_, denial)| denial.cause == DenialCause::Namespace)
                .map(|(at, _)| at)
                .collect();
            let Some(&first) = refusing.first() else {
                continue;
            };
            let theirs: Vec<String> = refusing
                .iter()
                .map(|&at| {
                    format!(
                        "{}, which {}",
                        listener_label(holder, &listeners[at]),
                        selection_text(&listeners[at], holder)
                    )
                })
                .collect();
            let message = format!(
                "{} is in namespace {}, which is not admitted by {}: Istio refuses the route \
                 (Accepted: False, NotAllowedByListeners) and {}",
                route.label(),
                route.namespace,
                theirs.join("; "),
                lost_traffic(route)
            );
            let mut diagnostic =
                Diagnostic::new(CHECK.id, Severity::Error, reference.name_span(), message)
                    .condition("Accepted", "NotAllowedByListeners")
                    .resource(route.reference());
            for &at in &refusing {
                let listener = &listeners[at];
                let span = listener
                    .allowed_routes
                    .as_ref()
                    .map_or(listener.name_span(), |a| a.key);
                diagnostic = diagnostic.related(
                    span,
                    format!(
                        "{} {}",
                        listener_label(holder, listener),
                        selection_text(listener, holder)
                    ),
                );
            }
            // One listener admitting the namespace is enough: the first refusing one.
            let listener = &listeners[first];
            let same = listener
                .allowed_routes
                .as_ref()
                .is_none_or(|a| a.value.from() == FromNamespaces::Same);
            let admitted: Vec<&str> = if same {
                vec![holder.namespace.as_str(), route.namespace.as_str()]
            } else {
                vec![route.namespace.as_str()]
            };
            let name = listener.name_value();
            if let Some(edits) = admit_edits(mesh, listener, Some(&admitted)) {
                diagnostic = diagnostic.fix(Fix::unsafe_(
                    format!(
                        "Admit routes of namespaces {} on listener `{name}`",
                        admitted.join(", ")
                    ),
                    edits,
                ));
            }
            if let Some(edits) = admit_edits(mesh, listener, None) {
                diagnostic = diagnostic.fix(Fix::unsafe_(
                    format!(
                        "Admit routes of every namespace on listener `{name}` (`from: {}`)",
                        FromNamespaces::All.name()
                    ),
                    edits,
                ));
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    fn fixture(listener: &str, namespace: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: infra}}\nspec:\n  gatewayClassName: istio\n  listeners:\n{listener}---\n{namespace}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: apps}}\nspec:\n  parentRefs:\n  - name: gw\n#         ^^ MARK\n    namespace: infra\n"
        )
    }

    const BLOCK: &str = "  - name: http\n    port: 80\n    protocol: HTTP\n";

    #[test]
    fn flags_namespaces_the_listener_does_not_admit() {
        check(
            "route-namespace-not-allowed",
            &fixture(BLOCK, "").replace("MARK", "error: HTTPRoute apps/r is in namespace apps, which is not admitted by listener `http` of Gateway infra/gw, which admits only routes of its own namespace, infra (`from: Same` is the default) [fix]"),
        );
        check(
            "route-namespace-not-allowed",
            &fixture(
                "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {shared: \"true\"}}}}}\n",
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n---\n",
            )
            .replace("MARK", "error: which admits only namespaces its selector matches [fix]"),
        );
    }

    #[test]
    fn selectors_without_the_namespace_object_are_assumed_to_match() {
        check(
            "route-namespace-not-allowed",
            &fixture(
                "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {shared: \"true\"}}}}}\n",
                "",
            )
            .replace("MARK", "info: the input has no Namespace `apps`, so they were assumed to match"),
        );
    }

    #[test]
    fn does_not_flag_admitted_namespaces() {
        let listener = "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {kubernetes.io/metadata.name: apps}}}}}\n";
        check(
            "route-namespace-not-allowed",
            &fixture(listener, "").replace("#         ^^ MARK\n", ""),
        );
        check(
            "route-namespace-not-allowed",
            &fixture(
                "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n",
                "",
            )
            .replace("#         ^^ MARK\n", ""),
        );
    }

    #[test]
    fn fixes_open_the_listener() {
        let before = fixture(BLOCK, "").replace("#         ^^ MARK\n", "");
        assert_fix(
            "route-namespace-not-allowed",
            0,
            &before,
            &before.replace(
                "    protocol: HTTP\n",
                "    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: Selector\n        selector:\n          matchExpressions:\n          - key: kubernetes.io/metadata.name\n            operator: In\n            values: [infra, apps]\n",
            ),
        );
        let before = fixture(
            "  - name: http\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: Same # for now\n",
            "",
        )
        .replace("#         ^^ MARK\n", "");
        assert_fix(
            "route-namespace-not-allowed",
            1,
            &before,
            &before.replace("from: Same # for now", "from: All # for now"),
        );
        assert_fix(
            "route-namespace-not-allowed",
            0,
            &before,
            &before.replace(
                "from: Same # for now\n",
                "from: Selector # for now\n        selector:\n          matchExpressions:\n          - key: kubernetes.io/metadata.name\n            operator: In\n            values: [infra, apps]\n",
            ),
        );
    }
}
