//! The playground measured in headless Chromium (`cargo bench --bench browser`, after
//! `trunk build --release`): transfer size of the release bundle (gzip), time from navigation
//! to the first diagnostics of the default example, and keystroke-to-diagnostics time for
//! inputs of 10, 100 and 1,000 resources. Prints Markdown for BENCHMARKS.md.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::time::Duration;

use routescope_core::settings::MeshSettings;
use routescope_core::{share, synthetic};

const KEYSTROKES: usize = 20;

fn gzip_size(bytes: &[u8]) -> usize {
    let mut child = std::process::Command::new("gzip")
        .arg("-9c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    child.wait_with_output().unwrap().stdout.len()
}

fn transfer_sizes() -> Vec<(String, usize, usize)> {
    let dist = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist");
    let mut files = Vec::new();
    let mut dirs = vec![dist.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let name = path.strip_prefix(&dist).unwrap().display().to_string();
                files.push((name, bytes.len(), gzip_size(&bytes)));
            }
        }
    }
    files.sort();
    files
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn number(value: serde_json::Value) -> f64 {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() {
    let files = transfer_sizes();
    let total: usize = files.iter().map(|(_, _, gz)| gz).sum();
    println!("### Release bundle (dist/), gzip -9\n\n| file | bytes | gzip |\n|---|---:|---:|");
    for (name, raw, gz) in &files {
        println!("| {name} | {raw} | {gz} |");
    }
    println!("| **total** | | **{total}** |\n");

    // First diagnostics of the default example, fresh profile each time.
    let mut first = Vec::new();
    for _ in 0..5 {
        let browser = support::browser().await;
        browser.open("").await;
        first.push(number(
            browser.js("return document.body.dataset.analysisEnd").await,
        ));
    }
    println!(
        "### Navigation to first diagnostics (default example)\n\nmedian of 5 fresh loads: {:.0} ms\n",
        median(first)
    );

    println!(
        "### Keystroke to diagnostics\n\nmedian of {KEYSTROKES} keystrokes typed at the end of the last document (the other documents come from the parse cache); the time runs from the key event to the end of the analysis that updates the editor's diagnostics.\n\n| resources | input bytes | keystroke → diagnostics (median) | worst | of which analysis (median) |\n|---:|---:|---:|---:|---:|"
    );
    for resources in [10, 100, 1_000] {
        let text = synthetic::generate(resources);
        let browser = support::browser().await;
        browser
            .open(&format!(
                "#{}",
                share::encode(&text, &MeshSettings::default())
            ))
            .await;
        browser
            .js("document.querySelector('.cm-content').addEventListener('keydown', () => { window.keyAt = performance.now(); }, true)")
            .await;
        let editor = browser.editor_at_end().await;
        let mut times = Vec::new();
        let mut analysis = Vec::new();
        for _ in 0..KEYSTROKES {
            let before = number(browser.js("return document.body.dataset.analyses").await);
            editor.send_keys("#").await.unwrap();
            browser
                .wait(
                    "the keystroke is analysed",
                    &format!("return Number(document.body.dataset.analyses) > {before}"),
                )
                .await;
            let end = number(browser.js("return document.body.dataset.analysisEnd").await);
            let key = number(browser.js("return window.keyAt").await);
            times.push(end - key);
            analysis.push(number(
                browser.js("return document.body.dataset.analysisMs").await,
            ));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let worst = times.iter().cloned().fold(0.0, f64::max);
        println!(
            "| {resources} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
            text.len(),
            median(times),
            worst,
            median(analysis)
        );
    }
}
