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
    routescope_with_env(args, stdin, &[])
}

/// The binary with `env` set on top of an environment without the colour variables, so a
/// developer's `CLICOLOR_FORCE` does not colour the output the tests compare.
pub fn routescope_with_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut child = binary()
        .args(args)
        .envs(env.iter().copied())
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

/// The built `routescope`, its environment cleared of the colour variables.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_routescope"));
    for variable in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"] {
        command.env_remove(variable);
    }
    command
}

/// The directory of the built `routescope`, for command lines that name it bare.
pub fn binary_dir() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_routescope"))
        .parent()
        .expect("the binary is in a directory")
}

/// `PATH` with the built `routescope` first.
pub fn path_with_binary() -> std::ffi::OsString {
    let mut paths = vec![binary_dir().to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("PATH entries join")
}

/// The OASIS SARIF 2.1.0 schema (vendored in tests/schemas/), formats checked too.
pub fn sarif_schema_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

pub fn assert_valid_sarif(log: &serde_json::Value) {
    let validator = sarif_schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
}

/// The seed examples (`examples/`): each seed mistake broken, and fixed.
pub fn examples_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .display()
        .to_string()
}
