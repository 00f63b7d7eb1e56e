//! The browser harness shared by the end-to-end tests and the browser benchmark: a static
//! server of `dist/`, chromedriver, and a headless Chromium session with small helpers.
//! A missing browser fails loudly: nothing here is ever skipped.

#![allow(dead_code)] // Each user (tests, bench) uses part of it.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
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
    let relative = if path == "/" {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
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
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    pub base: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Ends chromedriver and every browser process it started (they share its process
    /// group), also when a test panics before closing its session.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

/// Starts chromedriver and a fresh headless Chromium profile against a server of `dist/`.
pub async fn browser() -> Browser {
    browser_serving(dist()).await
}

/// A copy of `dist/` in a temporary directory, for a test that damages it.
pub fn dist_copy() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let copied = Command::new("cp")
        .arg("-R")
        .arg(dist().join("."))
        .arg(copy.path())
        .status()
        .expect("cp runs");
    assert!(copied.success(), "dist/ could not be copied");
    copy
}

/// Like [`browser`], against a server of `root`.
pub async fn browser_serving(root: PathBuf) -> Browser {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install Debian's chromium and chromium-driver (scripts/test.sh does)"
        );
    }
    let base = serve(root);
    let port = free_port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen"
        );
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
    // chromedriver listens before it is ready, and on a loaded machine it can reset the first
    // session request: the session is asked for again, three times at most.
    let mut attempts = 0;
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => break client,
            Err(error) if attempts < 2 => {
                attempts += 1;
                eprintln!("chromedriver refused a session ({error}); asking again");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => panic!("a browser session: {error:?}"),
        }
    };
    Browser {
        client,
        driver,
        base,
        _profile: profile,
    }
}

impl Browser {
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}/{path}", self.base))
            .await
            .unwrap();
        self.wait(
            "the app analysed its text",
            "return Number(document.body.dataset.analyses || 0) > 0",
        )
        .await;
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Polls `script` (which returns a boolean) until it is true, for up to 10 s.
    pub async fn wait(&self, what: &str, script: &str) {
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

    pub async fn editor_text(&self) -> String {
        self.js("return document.querySelector('.cm-content').innerText")
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn problems(&self) -> String {
        self.js("return document.querySelector('.problems')?.innerText ?? ''")
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    pub async fn click_button(&self, label: &str) {
        let xpath = format!("//button[normalize-space(.)='{label}']");
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Types into the editor at the end of the text.
    pub async fn type_at_end(&self, text: &str) {
        self.editor_at_end().await.send_keys(text).await.unwrap();
    }

    /// The editor, focused, with the cursor at the end of the text.
    pub async fn editor_at_end(&self) -> fantoccini::elements::Element {
        let editor = self.client.find(Locator::Css(".cm-content")).await.unwrap();
        editor.click().await.unwrap();
        // Ctrl+End, then release Ctrl.
        editor.send_keys("\u{E009}\u{E010}\u{E000}").await.unwrap();
        editor
    }

    pub async fn undo(&self) {
        let editor = self.client.find(Locator::Css(".cm-content")).await.unwrap();
        editor.send_keys("\u{E009}z\u{E000}").await.unwrap();
    }
}
