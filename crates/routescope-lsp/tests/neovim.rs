//! End to end with a real client: Debian's Neovim, headless, with its built-in LSP client set
//! up by the repository's `editors/neovim` config, opens a workspace of two files (a Gateway in
//! one, a VirtualService bound to it by the wrong namespace in the other), receives the
//! diagnostic, applies the preferred quick fix and writes the file; the file on disk is fixed.
//!
//! No libtest harness: Neovim starts this same executable as the language server (with
//! `ROUTESCOPE_LSP_SERVE` set, it serves on stdio, as `routescope lsp` does), and the server
//! must own standard output.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SERVE: &str = "ROUTESCOPE_LSP_SERVE";

const GATEWAY: &str = include_str!("fixtures/gateway.yaml");

/// Bound to `public` in its own namespace, and to a gateway named with non-ASCII characters
/// before it on the line: the fix's range crosses Neovim's UTF-16 ⇄ byte conversions.
const ROUTE: &str = include_str!("fixtures/route.yaml");

fn main() {
    if std::env::var_os(SERVE).is_some() {
        routescope_lsp::run_stdio().expect("the language server ends cleanly");
        return;
    }
    neovim_applies_the_quick_fix_and_the_file_on_disk_is_fixed();
    println!("test neovim_applies_the_quick_fix_and_the_file_on_disk_is_fixed ... ok");
    println!("1 passed, 0 failed");
}

fn neovim_applies_the_quick_fix_and_the_file_on_disk_is_fixed() {
    let nvim = Path::new("/usr/bin/nvim");
    assert!(
        nvim.exists(),
        "Neovim is missing: run scripts/setup.sh (it installs Debian's neovim)"
    );
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir(&workspace).unwrap();
    std::fs::write(workspace.join("gateway.yaml"), GATEWAY).unwrap();
    let route = workspace.join("route.yaml");
    std::fs::write(&route, ROUTE).unwrap();
    let editors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../editors/neovim");
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/neovim/driver.lua");
    let server = std::env::current_exe().unwrap();

    let mut child = Command::new(nvim)
        .args(["--headless", "--clean", "-i", "NONE", "--cmd"])
        .arg(format!("set runtimepath^={}", editors.display()))
        .arg("-c")
        .arg(format!("luafile {}", driver.display()))
        .current_dir(&workspace)
        .env(SERVE, "1")
        .env("ROUTESCOPE_LSP_SERVER", &server)
        .env("ROUTESCOPE_FILE", &route)
        // Neovim's state, cache and LSP log stay in the test's directory.
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Neovim starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("Neovim did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "Neovim failed ({status}):\n{stderr}");
    assert!(
        stderr.contains("applying Refer to `istio-system/public`"),
        "the safe fix was chosen:\n{stderr}"
    );
    let fixed = std::fs::read_to_string(&route).unwrap();
    assert_eq!(
        fixed,
        ROUTE.replace("public]", "istio-system/public]"),
        "the file on disk"
    );
}
