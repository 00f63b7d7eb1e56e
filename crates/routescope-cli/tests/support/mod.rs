//! What the CLI tests share: running the built binary and writing input files.
// Each test crate uses a part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A VirtualService bound to `public` by a bare name while the Gateway lives in istio-system:
/// one warning (`unknown-gateway`) with a safe fix; a non-ASCII comment before it.
pub const GATEWAY_AND_VS: &str = r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop # café ☕
spec:
  hosts: ["shop.example.com"]
  gateways: [public]
  http:
  - route:
    - destination: {host: shop}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["shop.example.com"]
"#;

pub fn routescope(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_routescope"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut pipe = child.stdin.take().unwrap();
    // A program that refuses its arguments may exit before reading its input: a broken pipe
    // here is not a failure, its exit code and output say what happened.
    let _ = pipe.write_all(stdin.unwrap_or("").as_bytes());
    drop(pipe);
    child.wait_with_output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}
