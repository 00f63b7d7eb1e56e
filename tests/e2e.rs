//! End-to-end tests of the built playground (`dist/`, from `trunk build --release`) in headless
//! Chromium through chromedriver. A missing browser fails the run: these tests are never
//! skipped.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use routescope_core::settings::MeshSettings;
use routescope_core::share;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn dist() -> PathBuf {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist");
    assert!(
        dist.join("index.html").is_file(),
        "no built playground in {}: run `trunk build --release` first (scripts/test.sh does)",
        dist.display()
    );
    dist
}

/// Serves `dist/` on 127.0.0.1 (a free port) from a background thread.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || respond(stream, &root));
        }
    });
    format!("http://{address}")
}

fn respond(mut stream: TcpStream, root: &Path) {
    let mut request_line = String::new();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let relative = if path == "/" { "index.html" } else { path.trim_start_matches('/') };
    let file = root.join(relative);
    let (status, body, kind) = match std::fs::read(&file) {
        Ok(body) if !relative.contains("..") => {
            let kind = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("js") => "text/javascript",
                Some("css") => "text/css",
                Some("wasm") => "application/wasm",
                _ => "application/octet-stream",
            };
            ("200 OK", body, kind)
        }
        _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Browser {
    client: Client,
    driver: Child,
    base: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Starts chromedriver and a fresh headless Chromium profile against a server of `dist/`.
async fn browser() -> Browser {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install Debian's chromium and chromium-driver (scripts/test.sh does)"
        );
    }
    let base = serve(dist());
    let port = free_port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not listen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = tempfile::tempdir().unwrap();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,800",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a browser session");
    Browser {
        client,
        driver,
        base,
        _profile: profile,
    }
}

impl Browser {
    async fn open(&self, path: &str) {
        self.client.goto(&format!("{}/{path}", self.base)).await.unwrap();
        self.wait("the app analysed its text", "return Number(document.body.dataset.analyses || 0) > 0")
            .await;
    }

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Polls `script` (which returns a boolean) until it is true, for up to 10 s.
    async fn wait(&self, what: &str, script: &str) {
        let started = Instant::now();
        loop {
            if self.js(script).await == Value::Bool(true) {
                return;
            }
            if started.elapsed() > Duration::from_secs(10) {
                let state = self.js("return document.body.innerText").await;
                panic!("timed out waiting until {what}; the page shows:\n{state}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn editor_text(&self) -> String {
        self.js("return document.querySelector('.cm-content').innerText")
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn problems(&self) -> String {
        self.js("return document.querySelector('.problems')?.innerText ?? ''")
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
    }

    async fn click_button(&self, label: &str) {
        let xpath = format!("//button[normalize-space(.)='{label}']");
        self.client.find(Locator::XPath(&xpath)).await.unwrap().click().await.unwrap();
    }

    /// Types into the editor at the end of the text.
    async fn type_at_end(&self, text: &str) {
        let editor = self.client.find(Locator::Css(".cm-content")).await.unwrap();
        editor.click().await.unwrap();
        // Ctrl+End, release Ctrl, then the text.
        editor.send_keys(&format!("\u{E009}\u{E010}\u{E000}{text}")).await.unwrap();
    }

    async fn undo(&self) {
        let editor = self.client.find(Locator::Css(".cm-content")).await.unwrap();
        editor.send_keys("\u{E009}z\u{E000}").await.unwrap();
    }
}

fn link(text: &str) -> String {
    format!("#{}", share::encode(text, &MeshSettings::default()))
}

const GATEWAY_THEN_VS: &str = "# café ☕ naïve 🚀 — non-ASCII before the mistake\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: istio-system}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [shop.example.com]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: shop}\nspec:\n  hosts: [shop.example.com]\n";

#[tokio::test(flavor = "multi_thread")]
async fn the_default_example_shows_its_mistake_and_fix_all_safe_repairs_it() {
    let browser = browser().await;
    browser.open("").await;
    let problems = browser.problems().await;
    assert!(problems.contains("tls-route-behind-terminating-gateway"), "{problems}");
    let counts = browser.js("return document.querySelector('.counts').innerText").await;
    assert!(counts.as_str().unwrap().contains("1 error"), "{counts}");
    let underlined = browser
        .js("return [...document.querySelectorAll('.cm-lintRange-error')].map(e => e.textContent).join('|')")
        .await;
    assert_eq!(underlined, "tls");
    browser.click_button("Fix all safe").await;
    browser
        .wait("no problem is left", "return document.querySelector('.problems .empty') !== null")
        .await;
    assert!(browser.editor_text().await.contains("http:"));
}

#[tokio::test(flavor = "multi_thread")]
async fn typing_a_mistake_underlines_it_and_a_fix_and_undo_round_trip() {
    let browser = browser().await;
    browser.open(&link(GATEWAY_THEN_VS)).await;
    browser.type_at_end("  gateways: [public]").await;
    browser
        .wait("the new mistake is underlined", "return document.querySelector('.cm-lintRange-warning') !== null")
        .await;
    let underlined = browser
        .js("return document.querySelector('.cm-lintRange-warning').textContent")
        .await;
    assert_eq!(underlined, "public", "the exact characters, after non-ASCII text");
    browser.click(".problem .small").await;
    browser
        .wait("the fix cleared the warning", "return document.querySelector('.cm-lintRange-warning') === null")
        .await;
    assert!(browser.editor_text().await.contains("gateways: [istio-system/public]"));
    browser.undo().await;
    browser
        .wait("Ctrl+Z brought the mistake back", "return document.querySelector('.cm-lintRange-warning') !== null")
        .await;
    assert!(browser.editor_text().await.contains("gateways: [public]"));
}

#[tokio::test(flavor = "multi_thread")]
async fn text_and_settings_survive_a_reload() {
    let browser = browser().await;
    browser.open(&link(GATEWAY_THEN_VS)).await;
    browser.type_at_end("  gateways: [public]").await;
    browser.click_button("Settings").await;
    let namespace = browser.client.find(Locator::Css(".settings input")).await.unwrap();
    namespace.clear().await.unwrap();
    namespace.send_keys("istio-system\u{E007}").await.unwrap();
    browser
        .wait("the bare gateway name resolves in the new namespace", "return document.querySelector('.cm-lintRange-warning') === null")
        .await;
    browser.open("").await;
    assert!(browser.editor_text().await.contains("gateways: [public]"));
    let namespace = browser.js("return document.querySelector('.settings input')?.value ?? 'closed'").await;
    assert_eq!(namespace, "closed", "the problems panel opens first");
    browser.click_button("Settings").await;
    let namespace = browser.js("return document.querySelector('.settings input').value").await;
    assert_eq!(namespace, "istio-system");
}

#[tokio::test(flavor = "multi_thread")]
async fn share_links_round_trip_and_corrupt_links_load_nothing() {
    let browser = browser().await;
    browser.open(&link(GATEWAY_THEN_VS)).await;
    browser.type_at_end("  gateways: [mesh]").await;
    browser
        .wait("the typed text is analysed", "return document.querySelector('.cm-content').innerText.includes('gateways: [mesh]')")
        .await;
    browser.click_button("Copy link").await;
    let url = browser.js("return document.querySelector('input.link').value").await;
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
    other.client.goto(&format!("{}/?again#{cut}", other.base)).await.unwrap();
    other
        .wait("the damaged link is reported", "return document.body.innerText.includes('damaged')")
        .await;
    assert!(other.editor_text().await.contains("gateways: [mesh]"), "the saved text stays");
}

#[tokio::test(flavor = "multi_thread")]
async fn embed_mode_shows_editor_and_problems_only() {
    let browser = browser().await;
    browser.open(&format!("?embed{}", link(GATEWAY_THEN_VS))).await;
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
    let input = browser.client.find(Locator::Css("input[type=file]")).await.unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    browser
        .wait("the file is loaded", "return document.querySelector('.cm-content').innerText.includes('# file: opened.yaml')")
        .await;
    // The replaced text stays restorable.
    assert!(browser.js("return document.body.innerText.includes('Restore previous text')").await == Value::Bool(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn user_text_is_never_html_and_nothing_leaves_the_origin() {
    let browser = browser().await;
    let hostile = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: \"<img src=x onerror=alert(1)>\"}\nspec:\n  hosts: [a.example.com]\n  gateways: [\"<img src=y onerror=alert(2)>\"]\n";
    browser.open(&link(hostile)).await;
    let problems = browser.problems().await;
    assert!(problems.contains("<img src=x onerror=alert(1)>"), "shown as text: {problems}");
    let images = browser.js("return document.querySelectorAll('img').length").await;
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
