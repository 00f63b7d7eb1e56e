//! End-to-end tests of the built playground (`dist/`, from `trunk build --release`) in headless
//! Chromium through chromedriver. A missing browser fails the run: these tests are never
//! skipped.

mod support;

use fantoccini::Locator;
use routescope_core::settings::MeshSettings;
use routescope_core::share;
use serde_json::{Value, json};
use support::browser;

fn link(text: &str) -> String {
    format!("#{}", share::encode(text, &MeshSettings::default()))
}

const GATEWAY_THEN_VS: &str = "# café ☕ naïve 🚀 — non-ASCII before the mistake\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: istio-system}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [shop.example.com]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: shop}\nspec:\n  hosts: [shop.example.com]\n";

#[tokio::test(flavor = "multi_thread")]
async fn the_default_example_shows_its_mistake_and_fix_all_safe_repairs_it() {
    let browser = browser().await;
    browser.open("").await;
    let problems = browser.problems().await;
    assert!(
        problems.contains("tls-route-behind-terminating-gateway"),
        "{problems}"
    );
    let counts = browser
        .js("return document.querySelector('.counts').innerText")
        .await;
    assert!(counts.as_str().unwrap().contains("1 error"), "{counts}");
    let underlined = browser
        .js("return [...document.querySelectorAll('.cm-lintRange-error')].map(e => e.textContent).join('|')")
        .await;
    assert_eq!(underlined, "tls");
    browser.click_button("Fix all safe").await;
    browser
        .wait(
            "no problem is left",
            "return document.querySelector('.problems .empty') !== null",
        )
        .await;
    assert!(browser.editor_text().await.contains("http:"));
}

#[tokio::test(flavor = "multi_thread")]
async fn typing_a_mistake_underlines_it_and_a_fix_and_undo_round_trip() {
    let browser = browser().await;
    browser.open(&link(GATEWAY_THEN_VS)).await;
    browser.type_at_end("  gateways: [public]").await;
    browser
        .wait(
            "the new mistake is underlined",
            "return document.querySelector('.cm-lintRange-warning') !== null",
        )
        .await;
    let underlined = browser
        .js("return document.querySelector('.cm-lintRange-warning').textContent")
        .await;
    assert_eq!(
        underlined, "public",
        "the exact characters, after non-ASCII text"
    );
    browser.click(".problem .small").await;
    browser
        .wait(
            "the fix cleared the warning",
            "return document.querySelector('.cm-lintRange-warning') === null",
        )
        .await;
    assert!(
        browser
            .editor_text()
            .await
            .contains("gateways: [istio-system/public]")
    );
    browser.undo().await;
    browser
        .wait(
            "Ctrl+Z brought the mistake back",
            "return document.querySelector('.cm-lintRange-warning') !== null",
        )
        .await;
    assert!(browser.editor_text().await.contains("gateways: [public]"));
}

#[tokio::test(flavor = "multi_thread")]
async fn text_and_settings_survive_a_reload() {
    let browser = browser().await;
    browser.open(&link(GATEWAY_THEN_VS)).await;
    browser.type_at_end("  gateways: [public]").await;
    browser.click_button("Settings").await;
    let namespace = browser
        .client
        .find(Locator::Css(".settings input"))
        .await
        .unwrap();
    namespace.clear().await.unwrap();
    namespace.send_keys("istio-system\u{E007}").await.unwrap();
    browser
        .wait(
            "the bare gateway name resolves in the new namespace",
            "return document.querySelector('.cm-lintRange-warning') === null",
        )
        .await;
    browser.open("").await;
    assert!(browser.editor_text().await.contains("gateways: [public]"));
    let namespace = browser
        .js("return document.querySelector('.settings input')?.value ?? 'closed'")
        .await;
    assert_eq!(namespace, "closed", "the problems panel opens first");
    browser.click_button("Settings").await;
    let namespace = browser
        .js("return document.querySelector('.settings input').value")
        .await;
    assert_eq!(namespace, "istio-system");
}

#[tokio::test(flavor = "multi_thread")]
async fn share_links_round_trip_and_corrupt_links_load_nothing() {
    let browser = browser().await;
    browser.open(&link(GATEWAY_THEN_VS)).await;
    browser.type_at_end("  gateways: [mesh]").await;
    browser
        .wait(
            "the typed text is analysed",
            "return document.querySelector('.cm-content').innerText.includes('gateways: [mesh]')",
        )
        .await;
    browser.click_button("Copy link").await;
    let url = browser
        .js("return document.querySelector('input.link').value")
        .await;
    let url = url.as_str().unwrap().to_string();
    assert!(url.contains("#v1="), "{url}");
    // A fresh profile opens the link.
    let other = self::browser().await;
    let fragment = url.split_once('#').unwrap().1;
    other.open(&format!("#{fragment}")).await;
    let opened = other.editor_text().await;
    assert!(opened.contains("gateways: [mesh]"), "{opened}");
    // A link cut short loads nothing and says so.
    let cut = &fragment[..fragment.len() - 10];
    other
        .client
        .goto(&format!("{}/?again#{cut}", other.base))
        .await
        .unwrap();
    other
        .wait(
            "the damaged link is reported",
            "return document.body.innerText.includes('damaged')",
        )
        .await;
    assert!(
        other.editor_text().await.contains("gateways: [mesh]"),
        "the saved text stays"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn embed_mode_shows_editor_and_problems_only() {
    let browser = browser().await;
    browser
        .open(&format!("?embed{}", link(GATEWAY_THEN_VS)))
        .await;
    let layout = browser
        .js("return [!!document.querySelector('.app.embed'), !!document.querySelector('.tabs'), !!document.querySelector('.problems')]")
        .await;
    assert_eq!(layout, json!([true, false, true]));
    assert!(browser.editor_text().await.contains("kind: VirtualService"));
}

#[tokio::test(flavor = "multi_thread")]
async fn opened_files_become_one_stream() {
    let browser = browser().await;
    browser.open(&link(GATEWAY_THEN_VS)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("opened.yaml");
    std::fs::write(&file, "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: opened}\nspec:\n  hosts: [a.example.com]\n  gateways: [nowhere]\n").unwrap();
    let input = browser
        .client
        .find(Locator::Css("input[type=file]"))
        .await
        .unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    browser
        .wait("the file is loaded", "return document.querySelector('.cm-content').innerText.includes('# file: opened.yaml')")
        .await;
    // The replaced text stays restorable.
    assert!(
        browser
            .js("return document.body.innerText.includes('Restore previous text')")
            .await
            == Value::Bool(true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_text_is_never_html_and_nothing_leaves_the_origin() {
    let browser = browser().await;
    let hostile = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: \"<img src=x onerror=alert(1)>\"}\nspec:\n  hosts: [a.example.com]\n  gateways: [\"<img src=y onerror=alert(2)>\"]\n";
    browser.open(&link(hostile)).await;
    let problems = browser.problems().await;
    assert!(
        problems.contains("<img src=x onerror=alert(1)>"),
        "shown as text: {problems}"
    );
    let images = browser
        .js("return document.querySelectorAll('img').length")
        .await;
    assert_eq!(images, 0);
    let origin = browser.js("return location.origin").await;
    let foreign = browser
        .js("return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin))")
        .await;
    assert_eq!(foreign, json!([]), "requests left {origin}");
    let policy = browser
        .js("return document.querySelector('meta[http-equiv=Content-Security-Policy]').content")
        .await;
    assert!(policy.as_str().unwrap().contains("connect-src 'none'"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_traffic_view_marks_the_broken_hop_and_a_node_click_selects_its_yaml() {
    let browser = browser().await;
    browser.open("").await;
    browser.click_button("Traffic").await;
    browser
        .wait(
            "the graph is drawn",
            "return document.querySelector('.graph-picture svg [data-key]') !== null",
        )
        .await;
    let marked = browser
        .js("return [...document.querySelectorAll('.graph-picture .rs-g-dead, .graph-picture .rs-g-error')].map(e => e.closest('[data-key],[data-edge]')?.dataset.key ?? 'edge').join(' ')")
        .await;
    let marked = marked.as_str().unwrap();
    for key in [
        "listener:istio-system/gateway:0",
        "rule:default/httpbin:tls:0",
        "edge",
    ] {
        assert!(marked.contains(key), "{key} is not marked broken: {marked}");
    }
    browser
        .click("[data-key='listener:istio-system/gateway:0']")
        .await;
    browser
        .wait(
            "the editor selects the Gateway server",
            "return window.getSelection().toString().startsWith('port:') && window.getSelection().toString().includes('mode: SIMPLE')",
        )
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trace_of_the_default_example_fails_with_404_and_succeeds_after_fix_all_safe() {
    let browser = browser().await;
    browser.open("").await;
    browser.click_button("Traffic").await;
    browser.click_button("Trace").await;
    browser
        .wait(
            "the trace ends in 404 NR",
            "return document.querySelector('.outcome.failure')?.innerText.includes('404 NR') === true",
        )
        .await;
    browser
        .wait(
            "the traced path is lit on the graph",
            "return document.querySelectorAll('.graph-picture [data-key].rs-g-on').length >= 2",
        )
        .await;
    browser.click_button("Fix all safe").await;
    browser
        .wait(
            "the same request now succeeds",
            "return document.querySelector('.outcome.success')?.innerText.includes('200') === true",
        )
        .await;
    let lit = browser
        .js("return document.querySelectorAll('.graph-picture [data-key].rs-g-on').length")
        .await;
    assert_eq!(lit, 7, "client to upstream, one node per stage");
}

/// What a sidecar logs when TLS is originated for a port that already carries TLS.
const UF_LINE: &str = r#"[2024-05-01T10:00:02.000Z] "GET /get HTTP/1.1" 503 UF,URX upstream_reset_before_response_started{connection_failure,TLS_error:_268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER} - "TLS_error:_268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER" 0 190 12 - "-" "curl/8.5.0" "e3a4b1f2-9c8d-4e7f-a6b5-c4d3e2f1a0b9" "httpbin.org" "3.223.37.81:443" outbound|443||httpbin.org 10.244.0.7:40100 3.223.37.81:443 10.244.0.7:51824 httpbin.org default"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_pasted_access_log_line_is_explained_with_the_problems_behind_it() {
    let browser = browser().await;
    browser.open("").await;
    browser.click_button("Access log").await;
    let line = browser
        .client
        .find(Locator::Css(".access-log textarea"))
        .await
        .unwrap();
    line.send_keys(UF_LINE).await.unwrap();
    browser
        .wait(
            "the flags are explained",
            "return (document.querySelector('.log-explanation')?.innerText ?? '').includes('UpstreamRetryLimitExceeded')",
        )
        .await;
    let shown = browser
        .js("return document.querySelector('.log-explanation').innerText")
        .await;
    let shown = shown.as_str().unwrap();
    assert!(
        shown.contains("UF UpstreamConnectionFailure") && shown.contains("WRONG_VERSION_NUMBER"),
        "{shown}"
    );
    // The default example's mistake (tls rules behind a terminating gateway) gives 404 NR, not
    // UF: it is listed as being about the line's host, and picking it selects it in the editor.
    let related = browser
        .js("return document.querySelector('.log-explanation .related').textContent")
        .await;
    let related = related.as_str().unwrap();
    assert!(
        related.contains("tls-route-behind-terminating-gateway")
            && related.contains("About httpbin.org, the line's host."),
        "{related}"
    );
    browser.click(".log-explanation .related .problem").await;
    browser
        .wait(
            "the problem is selected in the editor",
            "return document.getSelection().toString() === 'tls'",
        )
        .await;
    // With the double-TLS example loaded, the mistake that produces the line comes first.
    browser.click_button("Examples").await;
    browser
        .js("document.querySelectorAll('.example-list li')[2].querySelector('button').click()")
        .await;
    browser.click_button("Access log").await;
    browser
        .wait(
            "the double-TLS mistake is named first",
            "return (document.querySelector('.log-explanation .related')?.textContent ?? '').startsWith('Can produce WRONG_VERSION_NUMBER, UF, URX; about httpbin.org.')",
        )
        .await;
    let first = browser
        .js("return document.querySelector('.log-explanation .related .problem').innerText")
        .await;
    assert!(first.as_str().unwrap().contains("double-tls"), "{first}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_build_says_it_could_not_start() {
    let damaged = support::dist_copy();
    let packed = std::fs::read_dir(damaged.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().ends_with("_bg.wasm.js"))
        .expect("the packed wasm module");
    // Valid base64, but not an xz stream: as if the file had been cut short or replaced.
    std::fs::write(&packed, "export default \"AAAA\";\n").unwrap();
    let browser = support::browser_serving(damaged.path().to_path_buf()).await;
    browser.client.goto(&browser.base).await.unwrap();
    browser
        .wait(
            "the page says it could not start",
            "return (document.querySelector('.boot-error')?.textContent ?? '').startsWith('Routescope could not start in this browser: ')",
        )
        .await;
}

/// A Gateway of Istio's class, a route it accepts and one its listener refuses.
const GATEWAY_API_REFUSED: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: web}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: shop, port: 80, protocol: HTTP, hostname: shop.example.com}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: shop}\nspec:\n  parentRefs: [{name: web}]\n  hostnames: [shop.example.com]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: blog}\nspec:\n  parentRefs: [{name: web}]\n  hostnames: [blog.example.com]\n";

#[tokio::test(flavor = "multi_thread")]
async fn the_status_tab_shows_the_predicted_gateway_api_status_and_problems_give_no_all_clear() {
    let browser = browser().await;
    browser.open(&link(GATEWAY_API_REFUSED)).await;
    let problems = browser.problems().await;
    assert!(
        !problems.contains("No problems found"),
        "a refused route is no all-clear: {problems}"
    );
    let fits = browser
        .js("const t = document.querySelector('.tabs'); return t.scrollWidth <= t.clientWidth")
        .await;
    assert_eq!(fits, Value::Bool(true), "every tab fits at 1280 px");
    browser.click_button("Status").await;
    browser
        .wait(
            "the refused route shows its reason",
            "return document.querySelector('.gateway-status')?.innerText.includes('NoMatchingListenerHostname') === true",
        )
        .await;
    let status = browser
        .js("return document.querySelector('.gateway-status').innerText")
        .await;
    let status = status.as_str().unwrap();
    for expected in [
        "Gateway default/web",
        "Listener shop",
        "attachedRoutes: 1 · supportedKinds: HTTPRoute, GRPCRoute",
        "Route was valid",
        r#"no hostnames matched parent hostname "shop.example.com""#,
    ] {
        assert!(
            status.contains(expected),
            "{expected} missing from:\n{status}"
        );
    }
    let unhealthy = browser
        .js("return [...document.querySelectorAll('.status-object.unhealthy .status-name')].map(e => e.innerText).join('|')")
        .await;
    assert_eq!(unhealthy, "HTTPRoute default/blog");
    browser.click(".status-object.unhealthy .status-name").await;
    browser
        .wait(
            "the editor selects the route's name",
            "return window.getSelection().toString() === 'blog'",
        )
        .await;
}
