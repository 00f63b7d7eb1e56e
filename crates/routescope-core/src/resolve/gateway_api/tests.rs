//! Attachment and status, table-driven: each case is YAML and what Istio's controller writes.

use super::ParentTarget;
use super::status::{Status, statuses};
use crate::model::Spec;
use crate::resolve::Mesh;
use crate::settings::MeshSettings;
use crate::source::Sources;

fn mesh(text: &str) -> Mesh {
    let sources = Sources::single("t.yaml", text);
    let resources = crate::load::load(&sources, "default").resources;
    Mesh::new(sources, MeshSettings::default(), resources)
}

const BOOKINFO: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Same
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bookinfo
spec:
  parentRefs:
  - name: bookinfo-gateway
  rules:
  - matches:
    - path:
        type: Exact
        value: /productpage
    backendRefs:
    - name: productpage
      port: 9080
"#;

#[test]
fn bookinfo_is_accepted_with_one_attached_route() {
    let mesh = mesh(BOOKINFO);
    let all = statuses(&mesh);
    let Status::Listeners {
        listeners,
        conditions,
    } = &all[0].status
    else {
        panic!("{:?}", all[0].status)
    };
    assert_eq!(listeners[0].attached_routes, 1);
    assert!(conditions.iter().all(|c| c.status));
    assert_eq!(
        conditions[1].message,
        "Resource programmed, assigned to service(s) bookinfo-gateway-istio.default.svc.cluster.local:80"
    );
    let Status::Parents(parents) = &all[1].status else {
        panic!()
    };
    assert_eq!(parents.len(), 1);
    assert_eq!(parents[0].controller_name, "istio.io/gateway-controller");
    assert_eq!(
        parents[0]
            .conditions
            .iter()
            .map(|c| (c.type_, c.status, c.reason.as_str()))
            .collect::<Vec<_>>(),
        [
            ("Accepted", true, "Accepted"),
            ("ResolvedRefs", true, "ResolvedRefs")
        ]
    );
}

/// A Gateway `gw` of class `istio` in namespace `infra` with `listeners` (YAML list items,
/// indented by two spaces).
fn gateway(listeners: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: infra}}\nspec:\n  gatewayClassName: istio\n  listeners:\n{listeners}---\n"
    )
}

/// An HTTPRoute `r` in `namespace` with `spec` (YAML lines indented by two spaces).
fn http_route(namespace: &str, spec: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: {namespace}}}\nspec:\n{spec}---\n"
    )
}

const HTTP: &str = "  - {name: http, port: 80, protocol: HTTP}\n";

/// What Istio writes for each parentRef of the route named `r`: `Accepted`, `<reason>:
/// <message>` when refused, `mesh` for a Service parent, `no status` where it writes none.
fn outcomes(text: &str) -> Vec<String> {
    let mesh = mesh(text);
    let index = mesh
        .resources
        .iter()
        .position(|r| r.name.value == "r" && matches!(r.spec, Spec::Route(_)))
        .expect("a route named r");
    mesh.gateway_api()
        .attachments(index)
        .iter()
        .map(|attachment| match &attachment.target {
            ParentTarget::Listeners { .. } => attachment.denial().map_or_else(
                || "Accepted".to_string(),
                |d| format!("{}: {}", d.reason(), d.message),
            ),
            ParentTarget::Service { .. } => "mesh".to_string(),
            _ => "no status".to_string(),
        })
        .collect()
}

#[track_caller]
fn assert_cases(cases: &[(&str, String, &[&str])]) {
    let mut failures = Vec::new();
    for (name, text, expected) in cases {
        let actual = outcomes(text);
        if actual != *expected {
            failures.push(format!(
                "{name}:\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_reason_of_a_refused_parent_ref() {
    let https = "  - name: https\n    port: 443\n    protocol: HTTPS\n    tls: {certificateRefs: [{name: cert}]}\n";
    let passthrough = "  - name: tls\n    port: 443\n    protocol: TLS\n    hostname: a.example.com\n    tls: {mode: Passthrough}\n";
    let tls_route = "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata: {name: r, namespace: infra}\nspec:\n  parentRefs: [{name: gw}]\n  hostnames: [a.example.com]\n---\n";
    assert_cases(&[
        (
            "accepted",
            gateway(HTTP) + &http_route("infra", "  parentRefs: [{name: gw}]\n"),
            &["Accepted"],
        ),
        (
            "port",
            gateway(HTTP) + &http_route("infra", "  parentRefs: [{name: gw, port: 8080}]\n"),
            &["NoMatchingParent: port 8080 not found"],
        ),
        (
            "sectionName",
            gateway(HTTP) + &http_route("infra", "  parentRefs: [{name: gw, sectionName: htp}]\n"),
            &["NoMatchingParent: sectionName \"htp\" not found"],
        ),
        (
            "hostname",
            gateway("  - {name: http, port: 80, protocol: HTTP, hostname: a.example.com}\n")
                + &http_route(
                    "infra",
                    "  parentRefs: [{name: gw}]\n  hostnames: [b.example.com]\n",
                ),
            &["NoMatchingListenerHostname: no hostnames matched parent hostname \"a.example.com\""],
        ),
        (
            "namespace (from: Same by default)",
            gateway(HTTP) + &http_route("apps", "  parentRefs: [{name: gw, namespace: infra}]\n"),
            &[
                "NotAllowedByListeners: hostnames matched parent hostname \"\", but namespace \"apps\" is not allowed by the parent",
            ],
        ),
        (
            "neither hostname nor namespace: the hostname is reported",
            gateway("  - {name: http, port: 80, protocol: HTTP, hostname: a.example.com}\n")
                + &http_route(
                    "apps",
                    "  parentRefs: [{name: gw, namespace: infra}]\n  hostnames: [b.example.com]\n",
                ),
            &["NoMatchingListenerHostname: no hostnames matched parent hostname \"a.example.com\""],
        ),
        (
            "kind: a TLSRoute on an HTTPS listener",
            gateway(https) + tls_route,
            &[
                "NotAllowedByListeners: kind gateway.networking.k8s.io/v1alpha2/TLSRoute is not allowed",
            ],
        ),
        (
            "kind: an HTTPRoute on a TLS Passthrough listener",
            gateway(passthrough)
                + &http_route(
                    "infra",
                    "  parentRefs: [{name: gw}]\n  hostnames: [a.example.com]\n",
                ),
            &["NotAllowedByListeners: kind gateway.networking.k8s.io/v1/HTTPRoute is not allowed"],
        ),
        (
            "kind: a TLSRoute on a TLS Passthrough listener is accepted",
            gateway(passthrough) + tls_route,
            &["Accepted"],
        ),
        (
            "kind: excluded by allowedRoutes.kinds",
            gateway(
                "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: GRPCRoute}]}}\n",
            ) + &http_route("infra", "  parentRefs: [{name: gw}]\n"),
            &["NotAllowedByListeners: kind gateway.networking.k8s.io/v1/HTTPRoute is not allowed"],
        ),
    ]);
}

#[test]
fn wildcard_hostnames_intersect_by_suffix_both_ways() {
    let listener = |hostname: &str| {
        gateway(&format!(
            "  - {{name: http, port: 80, protocol: HTTP, hostname: \"{hostname}\"}}\n"
        ))
    };
    let route = |hostname: &str| {
        http_route(
            "infra",
            &format!("  parentRefs: [{{name: gw}}]\n  hostnames: [\"{hostname}\"]\n"),
        )
    };
    let refused = |hostname: &str| {
        format!("NoMatchingListenerHostname: no hostnames matched parent hostname \"{hostname}\"")
    };
    assert_cases(&[
        (
            "a wildcard takes every depth",
            listener("*.example.com") + &route("a.b.example.com"),
            &["Accepted"],
        ),
        (
            "a wildcard does not take its own suffix",
            listener("*.example.com") + &route("example.com"),
            &[&refused("*.example.com")],
        ),
        (
            "a narrower wildcard route",
            listener("*.example.com") + &route("*.a.example.com"),
            &["Accepted"],
        ),
        (
            "a broader wildcard route (Istio's suffix match; the spec would refuse)",
            listener("*.a.example.com") + &route("*.example.com"),
            &["Accepted"],
        ),
        (
            "an exact route under a narrower wildcard",
            listener("*.a.example.com") + &route("b.example.com"),
            &[&refused("*.a.example.com")],
        ),
        (
            "a wildcard route under an exact listener",
            listener("a.example.com") + &route("*.example.com"),
            &["Accepted"],
        ),
    ]);
}

/// A Gateway whose listener admits routes from namespaces matching `selector` (flow YAML),
/// an HTTPRoute in `apps`, and `namespace` (a Namespace object, or nothing).
fn selected(selector: &str, namespace: &str) -> String {
    gateway(&format!(
        "  - {{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: Selector, selector: {selector}}}}}}}\n"
    )) + namespace
        + &http_route("apps", "  parentRefs: [{name: gw, namespace: infra}]\n")
}

const APPS_PROD: &str =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps, labels: {env: prod}}\n---\n";
const APPS_BARE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n---\n";
const REFUSED_APPS: &str = "NotAllowedByListeners: hostnames matched parent hostname \"\", but namespace \"apps\" is not allowed by the parent";

#[test]
fn namespace_selectors_read_the_namespace_labels() {
    assert_cases(&[
        (
            "matchLabels, matching",
            selected("{matchLabels: {env: prod}}", APPS_PROD),
            &["Accepted"],
        ),
        (
            "matchLabels, other value",
            selected("{matchLabels: {env: dev}}", APPS_PROD),
            &[REFUSED_APPS],
        ),
        (
            "matchLabels, no such label",
            selected("{matchLabels: {env: prod}}", APPS_BARE),
            &[REFUSED_APPS],
        ),
        (
            "In",
            selected(
                "{matchExpressions: [{key: env, operator: In, values: [dev, prod]}]}",
                APPS_PROD,
            ),
            &["Accepted"],
        ),
        (
            "In, other values",
            selected(
                "{matchExpressions: [{key: env, operator: In, values: [dev]}]}",
                APPS_PROD,
            ),
            &[REFUSED_APPS],
        ),
        (
            "NotIn",
            selected(
                "{matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}",
                APPS_PROD,
            ),
            &[REFUSED_APPS],
        ),
        (
            "NotIn, label absent",
            selected(
                "{matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}",
                APPS_BARE,
            ),
            &["Accepted"],
        ),
        (
            "Exists",
            selected(
                "{matchExpressions: [{key: env, operator: Exists}]}",
                APPS_PROD,
            ),
            &["Accepted"],
        ),
        (
            "Exists, label absent",
            selected(
                "{matchExpressions: [{key: env, operator: Exists}]}",
                APPS_BARE,
            ),
            &[REFUSED_APPS],
        ),
        (
            "DoesNotExist",
            selected(
                "{matchExpressions: [{key: env, operator: DoesNotExist}]}",
                APPS_PROD,
            ),
            &[REFUSED_APPS],
        ),
        (
            "DoesNotExist, label absent",
            selected(
                "{matchExpressions: [{key: env, operator: DoesNotExist}]}",
                APPS_BARE,
            ),
            &["Accepted"],
        ),
        (
            "the automatic name label",
            selected(
                "{matchLabels: {kubernetes.io/metadata.name: apps}}",
                APPS_BARE,
            ),
            &["Accepted"],
        ),
    ]);
}

#[test]
fn without_the_namespace_object_only_the_name_label_is_known() {
    let assumed = |text: String| {
        let mesh = mesh(&text);
        let index = mesh.resources.len() - 1;
        match &mesh.gateway_api().attachments(index)[0].target {
            ParentTarget::Listeners { results, .. } => results[0].namespace_assumed,
            other => panic!("{other:?}"),
        }
    };
    for selector in [
        "{matchLabels: {env: prod}}",
        "{matchExpressions: [{key: env, operator: In, values: [prod]}]}",
        "{matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}",
        "{matchExpressions: [{key: env, operator: Exists}]}",
        "{matchExpressions: [{key: env, operator: DoesNotExist}]}",
    ] {
        assert_eq!(
            outcomes(&selected(selector, "")),
            ["Accepted"],
            "{selector}"
        );
        assert!(assumed(selected(selector, "")), "{selector}: assumed");
        assert!(!assumed(selected(selector, APPS_PROD)), "{selector}: known");
    }
    assert_cases(&[
        (
            "the name label decides without the object",
            selected(
                "{matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [apps]}]}",
                "",
            ),
            &["Accepted"],
        ),
        (
            "the name label refuses without the object",
            selected("{matchLabels: {kubernetes.io/metadata.name: other}}", ""),
            &[REFUSED_APPS],
        ),
    ]);
    assert!(!assumed(selected(
        "{matchLabels: {kubernetes.io/metadata.name: apps}}",
        ""
    )));
}

#[test]
fn namespace_selection_follows_istio_where_it_departs_from_the_spec() {
    let listener = |namespaces: &str| {
        gateway(&format!(
            "  - {{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {namespaces}}}}}\n"
        )) + &http_route("apps", "  parentRefs: [{name: gw, namespace: infra}]\n")
    };
    assert_cases(&[
        ("All", listener("{from: All}"), &["Accepted"]),
        ("Same", listener("{from: Same}"), &[REFUSED_APPS]),
        (
            // Istio's namespacesFromSelector has no case for None: it falls through to the
            // selector, and a missing selector admits every namespace.
            "None, as Istio reads it",
            listener("{from: None}"),
            &["Accepted"],
        ),
        (
            "None with a selector runs the selector",
            listener("{from: None, selector: {matchLabels: {kubernetes.io/metadata.name: other}}}"),
            &[REFUSED_APPS],
        ),
        (
            "Selector without a selector admits every namespace",
            listener("{from: Selector}"),
            &["Accepted"],
        ),
    ]);
}

#[test]
fn section_name_and_port_together() {
    let listeners =
        "  - {name: http, port: 80, protocol: HTTP}\n  - {name: alt, port: 8080, protocol: HTTP}\n";
    let with = |reference: &str| {
        gateway(listeners) + &http_route("infra", &format!("  parentRefs: [{reference}]\n"))
    };
    assert_cases(&[
        (
            "both match",
            with("{name: gw, sectionName: alt, port: 8080}"),
            &["Accepted"],
        ),
        (
            // The port is checked first: `alt` refuses by port, `http` by port too.
            "the section's port differs",
            with("{name: gw, sectionName: alt, port: 80}"),
            &["NoMatchingParent: sectionName \"alt\" not found; port 80 not found"],
        ),
        (
            "neither",
            with("{name: gw, sectionName: nope, port: 9090}"),
            &["NoMatchingParent: port 9090 not found; port 9090 not found"],
        ),
    ]);
}

#[test]
fn several_listeners_rank_their_refusals() {
    let with = |listeners: &str, spec: &str| gateway(listeners) + &http_route("infra", spec);
    assert_cases(&[
        (
            "NotAllowedByListeners beats NoMatchingListenerHostname",
            with(
                "  - {name: a, port: 80, protocol: HTTP, hostname: a.example.com}\n  - {name: tcp, port: 9000, protocol: TCP}\n",
                "  parentRefs: [{name: gw}]\n  hostnames: [b.example.com]\n",
            ),
            &["NotAllowedByListeners: kind gateway.networking.k8s.io/v1/HTTPRoute is not allowed"],
        ),
        (
            "NoMatchingListenerHostname beats NoMatchingParent",
            with(
                "  - {name: a, port: 80, protocol: HTTP, hostname: a.example.com}\n  - {name: b, port: 8080, protocol: HTTP}\n",
                "  parentRefs: [{name: gw, port: 80}]\n  hostnames: [b.example.com]\n",
            ),
            &["NoMatchingListenerHostname: no hostnames matched parent hostname \"a.example.com\""],
        ),
        (
            "equal ranks join their messages in listener order",
            with(
                "  - {name: a, port: 80, protocol: HTTP, hostname: a.example.com}\n  - {name: b, port: 80, protocol: HTTP, hostname: b.example.com}\n",
                "  parentRefs: [{name: gw}]\n  hostnames: [c.example.com]\n",
            ),
            &[
                "NoMatchingListenerHostname: no hostnames matched parent hostname \"a.example.com\"; no hostnames matched parent hostname \"b.example.com\"",
            ],
        ),
        (
            "any listener accepting accepts",
            with(
                "  - {name: a, port: 80, protocol: HTTP, hostname: a.example.com}\n  - {name: tcp, port: 9000, protocol: TCP}\n  - {name: b, port: 8080, protocol: HTTP, hostname: b.example.com}\n",
                "  parentRefs: [{name: gw}]\n  hostnames: [b.example.com]\n",
            ),
            &["Accepted"],
        ),
        (
            "each parentRef on its own",
            with(
                HTTP,
                "  parentRefs: [{name: gw, sectionName: http}, {name: gw, port: 81}]\n",
            ),
            &["Accepted", "NoMatchingParent: port 81 not found"],
        ),
    ]);
}

/// The `attachedRoutes` of each listener of Gateway `gw`, and the Accepted message of each
/// parentRef of route `r`.
fn attached(text: &str) -> (Vec<(String, usize)>, Vec<String>) {
    let mesh = mesh(text);
    let all = statuses(&mesh);
    let mut listeners = Vec::new();
    let mut messages = Vec::new();
    for object in &all {
        match &object.status {
            Status::Listeners { listeners: l, .. } if object.resource.name.value == "gw" => {
                listeners = l
                    .iter()
                    .map(|l| (l.name.clone(), l.attached_routes))
                    .collect();
            }
            Status::Parents(parents) if object.resource.name.value == "r" => {
                messages = parents
                    .iter()
                    .map(|p| p.conditions[0].message.clone())
                    .collect();
            }
            _ => {}
        }
    }
    (listeners, messages)
}

#[test]
fn attached_routes_count_each_route_once_per_listener() {
    let listeners = "  - {name: http, port: 80, protocol: HTTP}\n  - {name: alt, port: 8080, protocol: HTTP}\n  - {name: tcp, port: 9000, protocol: TCP}\n";
    let route = |name: &str, spec: &str| {
        http_route("infra", spec).replacen("name: r,", &format!("name: {name},"), 1)
    };
    let text = gateway(listeners)
        + &route("r", "  parentRefs: [{name: gw}]\n")
        + &route(
            "only-http",
            "  parentRefs: [{name: gw, sectionName: http}]\n",
        )
        + &route(
            "twice",
            "  parentRefs: [{name: gw, sectionName: alt}, {name: gw, port: 8080}]\n",
        )
        + &route("refused", "  parentRefs: [{name: gw, port: 1}]\n");
    let (listeners, messages) = attached(&text);
    assert_eq!(
        listeners,
        [
            ("http".to_string(), 2),
            ("alt".to_string(), 2),
            ("tcp".to_string(), 0)
        ]
    );
    assert_eq!(messages, ["Route was valid, bound to 2 parents"]);
}

#[test]
fn listener_sets_attach_when_their_gateway_allows_them() {
    let set = |namespace: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {{name: ls, namespace: {namespace}}}\nspec:\n  parentRef: {{name: gw, namespace: infra}}\n  listeners:\n  - {{name: extra, port: 8080, protocol: HTTP}}\n---\n"
        )
    };
    let gateway_allowing = |allowed: &str| {
        gateway(HTTP).replace(
            "  listeners:\n",
            &format!("  allowedListeners: {allowed}\n  listeners:\n"),
        )
    };
    let route = |namespace: &str, section: &str| {
        http_route(
            namespace,
            &format!(
                "  parentRefs: [{{kind: ListenerSet, name: ls, namespace: {namespace}{section}}}]\n"
            ),
        )
    };
    assert_cases(&[
        (
            "same namespace, from: Same",
            gateway_allowing("{namespaces: {from: Same}}") + &set("infra") + &route("infra", ""),
            &["Accepted"],
        ),
        (
            "sectionName names a ListenerSet listener",
            gateway_allowing("{namespaces: {from: Same}}")
                + &set("infra")
                + &route("infra", ", sectionName: extra"),
            &["Accepted"],
        ),
        (
            "the Gateway's own listener is not the ListenerSet's",
            gateway_allowing("{namespaces: {from: Same}}")
                + &set("infra")
                + &route("infra", ", sectionName: http"),
            &["NoMatchingParent: sectionName \"http\" not found"],
        ),
        (
            "no allowedListeners: none allowed",
            gateway(HTTP) + &set("infra") + &route("infra", ""),
            &["no status"],
        ),
        (
            "another namespace, from: Same",
            gateway_allowing("{namespaces: {from: Same}}") + &set("apps") + &route("apps", ""),
            &["no status"],
        ),
        (
            "another namespace, from: All",
            gateway_allowing("{namespaces: {from: All}}") + &set("apps") + &route("apps", ""),
            &["Accepted"],
        ),
        (
            "from: None",
            gateway_allowing("{namespaces: {from: None}}") + &set("infra") + &route("infra", ""),
            &["no status"],
        ),
        (
            "from: Selector, matching labels",
            gateway_allowing(
                "{namespaces: {from: Selector, selector: {matchLabels: {env: prod}}}}",
            ) + APPS_PROD
                + &set("apps")
                + &route("apps", ""),
            &["Accepted"],
        ),
        (
            "from: Selector, other labels",
            gateway_allowing("{namespaces: {from: Selector, selector: {matchLabels: {env: dev}}}}")
                + APPS_PROD
                + &set("apps")
                + &route("apps", ""),
            &["no status"],
        ),
        (
            "a ListenerSet's `Same` is its own namespace",
            gateway_allowing("{namespaces: {from: All}}")
                + &set("apps")
                + &route("other", "").replace("namespace: other}]", "namespace: apps}]"),
            &[
                "NotAllowedByListeners: hostnames matched parent hostname \"\", but namespace \"other\" is not allowed by the parent",
            ],
        ),
    ]);
}

#[test]
fn service_and_unresolved_parents() {
    let route = |references: &str| http_route("infra", &format!("  parentRefs: {references}\n"));
    let class = |controller: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {{name: istio}}\nspec: {{controllerName: {controller}}}\n---\n"
        )
    };
    assert_cases(&[
        (
            "a Service parent configures the mesh",
            route("[{group: \"\", kind: Service, name: reviews, port: 9080}]"),
            &["mesh"],
        ),
        (
            "a ServiceEntry parent too",
            route("[{group: networking.istio.io, kind: ServiceEntry, name: ext}]"),
            &["mesh"],
        ),
        (
            "a Service without `group: \"\"` is a Gateway API kind Istio ignores",
            route("[{kind: Service, name: reviews}]"),
            &["no status"],
        ),
        (
            "a Gateway that is not in the input",
            route("[{name: nowhere}]"),
            &["no status"],
        ),
        (
            "a Gateway of another controller",
            class("example.com/gateway-controller") + &gateway(HTTP) + &route("[{name: gw}]"),
            &["no status"],
        ),
        (
            "a Gateway of an unknown class",
            gateway(HTTP).replace("gatewayClassName: istio", "gatewayClassName: acme-lb")
                + &route("[{name: gw}]"),
            &["no status"],
        ),
        (
            "a GatewayClass in the input naming Istio",
            class("istio.io/gateway-controller") + &gateway(HTTP) + &route("[{name: gw}]"),
            &["Accepted"],
        ),
    ]);
}

#[test]
fn every_status_lists_its_conditions_in_istios_order() {
    // Istio's `setConditions` walks its condition types sorted: the CLI and the page print
    // the core's order as it is.
    // A TCP listener on the HTTP listener's port conflicts with it (ProtocolConflict).
    let conflict = BOOKINFO.replacen(
        "        from: Same\n",
        "        from: Same\n  - name: tcp\n    port: 80\n    protocol: TCP\n",
        1,
    );
    let conflicted = mesh(&conflict);
    assert!(statuses(&conflicted).iter().any(|o| matches!(&o.status,
        Status::Listeners { listeners, .. } if listeners.iter().any(|l| l.conditions.iter()
            .any(|c| c.type_ == "Conflicted" && c.status)))));
    for object in statuses(&mesh(BOOKINFO))
        .into_iter()
        .chain(statuses(&conflicted))
    {
        let lists: Vec<Vec<&str>> = match &object.status {
            Status::Listeners {
                conditions,
                listeners,
            } => std::iter::once(conditions)
                .chain(listeners.iter().map(|l| &l.conditions))
                .map(|c| c.iter().map(|c| c.type_).collect())
                .collect(),
            Status::Parents(parents) | Status::Ancestors(parents) => parents
                .iter()
                .map(|p| p.conditions.iter().map(|c| c.type_).collect())
                .collect(),
            Status::Conditions(conditions) => vec![conditions.iter().map(|c| c.type_).collect()],
            Status::Empty => Vec::new(),
        };
        for types in lists {
            assert!(types.is_sorted(), "{types:?}");
        }
    }
}
