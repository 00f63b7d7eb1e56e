//! The language server's start-up on a large workspace, for BENCHMARKS.md:
//!
//! - `first_diagnostics generate DIR N` writes `routescope_core::synthetic::generate(N)` to
//!   DIR as files of ten resources each, plus one file with a VirtualService bound to a
//!   Gateway that does not exist (a clean mesh would publish nothing to wait for);
//! - `first_diagnostics run ROUTESCOPE DIR` starts `ROUTESCOPE lsp` with DIR as the workspace
//!   folder, sends `initialize`, waits for the first `publishDiagnostics`, shuts the server
//!   down, and prints the milliseconds from `initialize` to those diagnostics.
//!
//! Time `run` against `routescope check DIR --fail-on never`: both read and analyse the same
//! files.

use std::io::{BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::json;

const MISTAKE: &str = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: stray
spec:
  hosts: [stray.example.com]
  gateways: [nowhere]
  http:
  - route:
    - destination: {host: stray.example.com}
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["generate", dir, count] => generate(Path::new(dir), count.parse().expect("a count")),
        ["run", routescope, dir] => run(routescope, Path::new(dir)),
        _ => {
            eprintln!("usage: first_diagnostics generate DIR N | run ROUTESCOPE DIR");
            std::process::exit(2);
        }
    }
}

fn generate(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let text = routescope_core::synthetic::generate(count);
    let documents: Vec<&str> = text.split_inclusive("---\n").collect();
    for (index, chunk) in documents.chunks(10).enumerate() {
        std::fs::write(dir.join(format!("unit{index:04}.yaml")), chunk.concat()).unwrap();
    }
    std::fs::write(dir.join("stray.yaml"), MISTAKE).unwrap();
}

fn run(routescope: &str, dir: &Path) {
    let folder = lsp_types::Url::from_directory_path(std::fs::canonicalize(dir).unwrap()).unwrap();
    let mut server = Command::new(routescope)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut input = server.stdin.take().unwrap();
    let mut output = BufReader::new(server.stdout.take().unwrap());
    let started = Instant::now();
    let initialize = Request::new(
        RequestId::from(1),
        "initialize".to_string(),
        json!({"processId": null, "rootUri": folder, "capabilities": {},
               "workspaceFolders": [{"uri": folder, "name": "bench"}]}),
    );
    Message::from(initialize).write(&mut input).unwrap();
    let initialized = Notification::new("initialized".to_string(), json!({}));
    Message::from(initialized).write(&mut input).unwrap();
    input.flush().unwrap();
    loop {
        match Message::read(&mut output).unwrap() {
            Some(Message::Notification(n)) if n.method == "textDocument/publishDiagnostics" => {
                break;
            }
            Some(_) => {}
            None => panic!("the server closed before publishing diagnostics"),
        }
    }
    let elapsed = started.elapsed();
    let shutdown = Request::new(RequestId::from(2), "shutdown".to_string(), json!(null));
    Message::from(shutdown).write(&mut input).unwrap();
    let exit = Notification::new("exit".to_string(), json!(null));
    Message::from(exit).write(&mut input).unwrap();
    drop(input);
    while let Ok(Some(_)) = Message::read(&mut output) {}
    assert!(server.wait().unwrap().success(), "the server exits cleanly");
    println!(
        "{:.1} ms from initialize to the first diagnostics",
        elapsed.as_secs_f64() * 1000.0
    );
}
