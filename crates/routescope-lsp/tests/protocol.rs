//! The language server over JSON-RPC, as a client drives it: initialize and shutdown, position
//! encodings with non-ASCII text, incremental edits, diagnostics across files appearing and
//! clearing, code actions, hover, definition, symbols and settings.

mod support;

use serde_json::{Value, json};
use support::{Client, apply, character, position_of, url};

/// The Gateway `istio-system/public`, one HTTP server for every host.
const GATEWAY: &str = include_str!("fixtures/gateway.yaml");

/// Bound to `public` in its own namespace, where there is none: unknown-gateway, with the safe
/// fix `istio-system/public`. The comment puts non-ASCII text (a surrogate pair in UTF-16)
/// before the mistake on its line.
const ROUTE: &str = include_str!("fixtures/route.yaml");

fn workspace() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gateway.yaml"), GATEWAY).unwrap();
    std::fs::write(dir.path().join("route.yaml"), ROUTE).unwrap();
    let gateway = url(&dir.path().join("gateway.yaml"));
    let route = url(&dir.path().join("route.yaml"));
    (dir, gateway, route)
}

fn encodings(offered: &[&str]) -> Value {
    json!({"general": {"positionEncodings": offered}})
}

fn unknown_gateway(diagnostics: &[Value]) -> Value {
    diagnostics
        .iter()
        .find(|d| {
            d["code"] == "unknown-gateway" && d["message"].as_str().unwrap().contains("public")
        })
        .cloned()
        .unwrap_or_else(|| panic!("no unknown-gateway for `public` in {diagnostics:#?}"))
}

#[test]
fn initialize_names_the_capabilities_and_shutdown_ends_the_server() {
    let client = Client::start(json!({}), None, Value::Null);
    let capabilities = &client.initialize_result["capabilities"];
    assert_eq!(
        capabilities["positionEncoding"], "utf-16",
        "the default when none is offered"
    );
    assert_eq!(capabilities["textDocumentSync"], 2, "incremental");
    assert_eq!(capabilities["hoverProvider"], true);
    assert_eq!(capabilities["definitionProvider"], true);
    assert_eq!(capabilities["documentSymbolProvider"], true);
    assert_eq!(
        capabilities["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "source.fixAll.routescope"])
    );
    assert_eq!(client.initialize_result["serverInfo"]["name"], "routescope");
    client.shutdown();
}

#[test]
fn workspace_files_get_diagnostics_at_once_with_code_docs_and_related_spans() {
    let (dir, gateway, route) = workspace();
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    let diagnostic = unknown_gateway(&client.diagnostics_for(&route));
    assert_eq!(diagnostic["source"], "routescope");
    assert_eq!(
        diagnostic["severity"], 2,
        "a warning: a Gateway of that name is elsewhere"
    );
    assert_eq!(
        diagnostic["codeDescription"]["href"],
        "https://github.com/routescope/routescope/blob/main/CHECKS.md#unknown-gateway"
    );
    assert!(
        diagnostic.get("relatedInformation").is_none(),
        "none to show"
    );
    // Bound to the Gateway, whose servers take other hosts: host-not-in-gateway, whose
    // related span is the Gateway's server in the other file.
    let bound = ROUTE
        .replace("public]", "istio-system/public]")
        .replace("\"*\"", "x");
    let strict_gateway = GATEWAY.replace("[\"*\"]", "[other.example.com]");
    client.open(&gateway, &strict_gateway);
    client.open(&route, &bound);
    let diagnostics = client.settled_diagnostics_for(&route);
    let diagnostic = diagnostics
        .iter()
        .find(|d| d["code"] == "host-not-in-gateway")
        .unwrap_or_else(|| panic!("no host-not-in-gateway in {diagnostics:#?}"));
    let related = diagnostic["relatedInformation"]
        .as_array()
        .expect("related spans");
    assert!(
        related
            .iter()
            .any(|r| r["location"]["uri"] == gateway.as_str()),
        "the Gateway in the other file: {related:#?}"
    );
    client.shutdown();
}

fn range_of_public(encoding: &str) -> Value {
    let (dir, _, route) = workspace();
    let mut client = Client::start(
        encodings(&["utf-16", encoding]),
        Some(dir.path()),
        Value::Null,
    );
    assert_eq!(
        client.initialize_result["capabilities"]["positionEncoding"],
        if encoding == "utf-8" {
            "utf-8"
        } else {
            "utf-16"
        }
    );
    let range = unknown_gateway(&client.diagnostics_for(&route))["range"].clone();
    client.shutdown();
    range
}

#[test]
fn ranges_count_utf16_units_by_default_and_bytes_when_utf8_is_offered() {
    let at = ROUTE.find("public]").unwrap();
    for encoding in ["utf-16", "utf-8"] {
        let range = range_of_public(encoding);
        let start = character(ROUTE, at, encoding);
        assert_eq!(
            range["start"],
            json!({"line": 6, "character": start}),
            "{encoding}"
        );
        assert_eq!(
            range["end"],
            json!({"line": 6, "character": start + 6}),
            "{encoding}"
        );
    }
    assert_ne!(
        character(ROUTE, at, "utf-8"),
        character(ROUTE, at, "utf-16")
    );
}

#[test]
fn incremental_edits_after_non_ascii_text_are_applied_where_the_client_means() {
    let (dir, _, route) = workspace();
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    client.diagnostics_for(&route);
    client.open(&route, ROUTE);
    // Insert `istio-system/` before `public`, counting UTF-16 units past the emoji.
    let at = position_of(ROUTE, "public]", "utf-16");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": route, "version": 2},
               "contentChanges": [{"range": {"start": at, "end": at}, "text": "istio-system/"}]}),
    );
    let after = client.diagnostics_for(&route);
    assert!(
        after
            .iter()
            .all(|d| !d["message"].as_str().unwrap().contains("default/public")),
        "the reference now resolves: {after:#?}"
    );
    // Undo it with a second, ranged change: the diagnostic comes back.
    let fixed = ROUTE.replace("public]", "istio-system/public]");
    let start = position_of(&fixed, "istio-system/public", "utf-16");
    let end = position_of(&fixed, "public]", "utf-16");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": route, "version": 3},
               "contentChanges": [{"range": {"start": start, "end": end}, "text": ""}]}),
    );
    unknown_gateway(&client.diagnostics_for(&route));
    client.shutdown();
}

#[test]
fn an_edit_in_one_file_clears_and_restores_the_diagnostics_of_another() {
    let (dir, gateway, route) = workspace();
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    unknown_gateway(&client.diagnostics_for(&route));
    // Move the Gateway into the route's namespace: the route's reference resolves.
    client.open(&gateway, GATEWAY);
    let moved = GATEWAY.replace("namespace: istio-system", "namespace: default");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": gateway, "version": 2}, "contentChanges": [{"text": moved}]}),
    );
    let now = client.diagnostics_for(&route);
    assert!(
        now.iter().all(|d| d["code"] != "unknown-gateway"
            || !d["message"].as_str().unwrap().contains("public")),
        "cleared: {now:#?}"
    );
    // Closing the unsaved Gateway brings the file on disk back, and the diagnostic with it.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": gateway}}),
    );
    unknown_gateway(&client.diagnostics_for(&route));
    client.shutdown();
}

#[test]
fn a_file_whose_diagnostics_all_go_away_is_published_empty() {
    let dir = tempfile::tempdir().unwrap();
    let only = url(&dir.path().join("only.yaml"));
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    client.open(&only, ROUTE);
    assert!(!client.diagnostics_for(&only).is_empty());
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": only, "version": 2}, "contentChanges": [{"text": "# nothing yet\n"}]}),
    );
    assert_eq!(client.diagnostics_for(&only), Vec::<Value>::new());
    client.shutdown();
}

#[test]
fn yaml_without_istio_or_gateway_api_resources_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let workflow = url(&dir.path().join("ci.yaml"));
    let service = url(&dir.path().join("service.yaml"));
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    client.open(&workflow, "on: [push\njobs: {build: }}\n");
    client.open(
        &service,
        "apiVersion: v1\nkind: Service\nmetadata: {name: [broken\n",
    );
    assert_eq!(client.drain_published(), Vec::<(String, Vec<Value>)>::new());
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": workflow}, "position": {"line": 0, "character": 1}}),
    );
    assert_eq!(hover, Value::Null);
    client.shutdown();
}

fn code_actions(client: &mut Client, uri: &str, only: Option<&[&str]>) -> Vec<Value> {
    let at = position_of(ROUTE, "public]", "utf-16");
    let mut context = json!({"diagnostics": []});
    if let Some(only) = only {
        context["only"] = json!(only);
    }
    client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": at, "end": at}, "context": context}),
        )
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_safe_fix_is_a_preferred_quickfix_whose_edit_fixes_the_file() {
    let (dir, _, route) = workspace();
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    client.diagnostics_for(&route);
    let actions = code_actions(&mut client, &route, Some(&["quickfix"]));
    let fix = actions
        .iter()
        .find(|a| a["title"] == "Refer to `istio-system/public`")
        .unwrap_or_else(|| panic!("no fix in {actions:#?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], "unknown-gateway");
    let edits = fix["edit"]["changes"][route.as_str()].as_array().unwrap();
    let fixed = apply(ROUTE, edits);
    assert!(
        fixed.contains("gateways: [\"😀é\", istio-system/public]"),
        "{fixed}"
    );
    assert!(
        actions.iter().all(|a| a["kind"] == "quickfix"),
        "only quickfixes were asked for"
    );
    client.shutdown();
}

#[test]
fn fix_all_applies_every_safe_fix_of_the_file() {
    let (dir, _, route) = workspace();
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    client.diagnostics_for(&route);
    let actions = code_actions(&mut client, &route, Some(&["source.fixAll"]));
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.routescope");
    let edits = actions[0]["edit"]["changes"][route.as_str()]
        .as_array()
        .unwrap();
    let fixed = apply(ROUTE, edits);
    assert!(fixed.contains("istio-system/public]"), "{fixed}");
    // The fixed text, opened, has nothing left to fix.
    client.open(&route, &fixed);
    client.diagnostics_for(&route);
    assert!(code_actions(&mut client, &route, Some(&["source.fixAll"])).is_empty());
    client.shutdown();
}

#[test]
fn hover_shows_the_check_docs_and_what_the_reference_resolves_to() {
    let (dir, _, route) = workspace();
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    client.diagnostics_for(&route);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": route}, "position": position_of(ROUTE, "ublic]", "utf-16")}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(text.contains("**unknown-gateway**"), "{text}");
    assert!(text.contains("## What it does"), "the check's docs: {text}");
    assert!(
        text.contains("**Resolves to** Gateway default/public, which is not in the input"),
        "{text}"
    );
    client.shutdown();
}

#[test]
fn definition_goes_to_the_gateway_in_the_other_file() {
    let (dir, gateway, route) = workspace();
    let fixed = ROUTE.replace("public]", "istio-system/public]");
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    client.open(&route, &fixed);
    let locations = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": route}, "position": position_of(&fixed, "system/public", "utf-16")}),
    );
    let name = position_of(GATEWAY, "public", "utf-16");
    assert_eq!(
        locations,
        json!([{"uri": gateway, "range": {"start": name,
               "end": {"line": name["line"], "character": name["character"].as_u64().unwrap() + 6}}}])
    );
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": route}, "position": position_of(&fixed, "system/public", "utf-16")}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("Istio Gateway istio-system/public")
    );
    let nothing = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": route}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(nothing, Value::Null);
    client.shutdown();
}

#[test]
fn document_symbols_name_each_resource() {
    let (dir, _, route) = workspace();
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    let both = format!("{ROUTE}---\n{GATEWAY}");
    client.open(&route, &both);
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": route}}),
    );
    let names: Vec<(&str, &str)> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("default/shop", "VirtualService (networking.istio.io/v1)"),
            ("istio-system/public", "Gateway (networking.istio.io/v1)")
        ]
    );
    client.shutdown();
}

fn severity_of_missing_emoji_gateway(diagnostics: &[Value]) -> Value {
    let missing = diagnostics
        .iter()
        // `invalid-name` reports the same entry too (an emoji is no Kubernetes name).
        .find(|d| d["code"] == "unknown-gateway" && d["message"].as_str().unwrap().contains("😀é"))
        .unwrap_or_else(|| panic!("no diagnostic for the gateway 😀é in {diagnostics:#?}"));
    missing["severity"].clone()
}

#[test]
fn settings_come_from_initialization_options_and_configuration_changes() {
    let (dir, _, route) = workspace();
    // With istio-system as the default namespace, `public` resolves.
    let options = json!({"namespace": "istio-system"});
    let mut client = Client::start(json!({}), Some(dir.path()), options);
    let published = client.drain_published();
    let (_, diagnostics) = published.iter().find(|(uri, _)| *uri == route).unwrap();
    assert!(
        diagnostics
            .iter()
            .all(|d| !d["message"].as_str().unwrap().contains("/public")),
        "{diagnostics:#?}"
    );
    assert_eq!(
        severity_of_missing_emoji_gateway(diagnostics),
        2,
        "a warning: the workspace has Gateways, not this one"
    );
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"routescope": {"namespace": "default", "complete": true}}}),
    );
    let diagnostics = client.diagnostics_for(&route);
    unknown_gateway(&diagnostics);
    assert_eq!(
        severity_of_missing_emoji_gateway(&diagnostics),
        2,
        "still a warning on complete input"
    );
    client.shutdown();
}

#[test]
fn workspace_folders_added_and_removed_join_and_leave_the_mesh() {
    let (dir, _, route) = workspace();
    let gateways = tempfile::tempdir().unwrap();
    std::fs::remove_file(dir.path().join("gateway.yaml")).unwrap();
    let moved = GATEWAY.replace("namespace: istio-system", "namespace: default");
    std::fs::write(gateways.path().join("gateway.yaml"), moved).unwrap();
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    unknown_gateway(&client.diagnostics_for(&route));
    let folder = json!([{"uri": url(gateways.path()), "name": "gateways"}]);
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": folder, "removed": []}}),
    );
    let now = client.diagnostics_for(&route);
    assert!(
        now.iter()
            .all(|d| !d["message"].as_str().unwrap().contains("default/public")),
        "the Gateway of the added folder resolves it: {now:#?}"
    );
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": folder}}),
    );
    unknown_gateway(&client.diagnostics_for(&route));
    client.shutdown();
}

#[test]
fn gateway_api_references_resolve_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: wéb
    port: 80
    protocol: HTTP
";
    let route = "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: store # ☕
spec:
  parentRefs:
  - name: edge
  rules:
  - backendRefs:
    - name: missing
      port: 80
";
    std::fs::write(dir.path().join("gateway.yaml"), gateway).unwrap();
    std::fs::write(dir.path().join("route.yaml"), route).unwrap();
    let route_uri = url(&dir.path().join("route.yaml"));
    let gateway_uri = url(&dir.path().join("gateway.yaml"));
    let mut client = Client::start(json!({}), Some(dir.path()), Value::Null);
    let at = |needle: &str| json!({"textDocument": {"uri": route_uri}, "position": position_of(route, needle, "utf-16")});
    let listener = position_of(gateway, "wéb", "utf-16");
    assert_eq!(
        client.request("textDocument/definition", at("edge")),
        json!([{"uri": gateway_uri, "range": {"start": listener,
               "end": {"line": listener["line"], "character": listener["character"].as_u64().unwrap() + 3}}}])
    );
    let hover = client.request("textDocument/hover", at("edge"));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("Gateway default/edge, listeners wéb accept the route"),
        "{hover:#?}"
    );
    let backend = client.request("textDocument/hover", at("missing"));
    assert!(
        backend["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("backend(missing.default.svc.cluster.local) not found"),
        "{backend:#?}"
    );
    client.shutdown();
}
