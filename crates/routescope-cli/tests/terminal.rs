//! The CLI as people run it in a shell: closed pipes, colour, --quiet, completions, the manual
//! page, --version.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::{
    GATEWAY_AND_VS, binary, examples_dir, path_with_binary, routescope, routescope_with_env,
    stderr, stdout, write,
};

/// Runs `args` with standard output a pipe whose reading end is already closed, so the first
/// write fails with EPIPE whatever the timing.
fn into_closed_pipe(args: &[&str], stdin: &str) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = binary()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let _ = pipe.write_all(stdin.as_bytes());
    drop(pipe);
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_every_subcommand_quietly_with_status_0() {
    let trace_from = "gateway:istio-system/public";
    let cases: &[&[&str]] = &[
        &["check", "-"],
        &["check", "--format", "json", "-"],
        &["check", "--format", "sarif", "-"],
        &["check", "--format", "github", "-"],
        &["check", "--format", "gitlab", "-"],
        &["check", "--fix", "-"],
        &["checks"],
        &["explain", "double-tls"],
        &["graph", "-"],
        &["graph", "--format", "svg", "-"],
        &[
            "trace",
            "-",
            "http://shop.example.com/",
            "--from",
            trace_from,
        ],
        &["explain-log", "--line", "UF", "-"],
        &["status", "-"],
        &["completions", "bash"],
        &["man"],
        &["--help"],
    ];
    for args in cases {
        let output = into_closed_pipe(args, GATEWAY_AND_VS);
        // `check` found a warning, `trace` a 404: status 0 shows the program stopped at the
        // closed pipe instead of going on to its usual exit code.
        assert_eq!(
            (output.status.code(), stderr(&output).as_str()),
            (Some(0), ""),
            "routescope {}",
            args.join(" ")
        );
    }
}

#[test]
fn piping_into_head_prints_the_first_line_and_nothing_else() {
    // The SARIF of the examples is far larger than a pipe's buffer.
    let script = format!(
        "set -o pipefail; routescope check --format sarif '{}' | head -1",
        examples_dir()
    );
    let output = Command::new("bash")
        .args(["-c", &script])
        .env("PATH", path_with_binary())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "{\n");
    assert_eq!(stderr(&output), "");
}

/// The text without its ANSI escape sequences (CSI … m).
fn without_styles(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('\x1b') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('m').expect("an escape ends with m");
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

const YELLOW_BOLD_WARNING: &str = "\x1b[1m\x1b[93mwarning[unknown-gateway]\x1b[0m";

#[test]
fn color_always_styles_the_text_report_as_rustc_does_and_never_or_a_pipe_does_not() {
    let plain = stdout(&routescope(&["check", "-"], Some(GATEWAY_AND_VS)));
    assert!(!plain.contains('\x1b'), "a pipe gets no colour by default");
    let never = stdout(&routescope(
        &["--color", "never", "check", "-"],
        Some(GATEWAY_AND_VS),
    ));
    assert_eq!(never, plain);
    // The flag is global: after the subcommand too.
    let coloured = stdout(&routescope(
        &["check", "--color", "always", "-"],
        Some(GATEWAY_AND_VS),
    ));
    assert!(coloured.starts_with(YELLOW_BOLD_WARNING), "{coloured:?}");
    // The carets in the severity's colour, the gutter bright blue.
    assert!(
        coloured.contains("\x1b[1m\x1b[93m^^^^^^\x1b[0m"),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\x1b[1m\x1b[94m-->\x1b[0m"),
        "{coloured:?}"
    );
    assert_eq!(without_styles(&coloured), plain);
    // Machine formats carry no styles even when colour is forced.
    let json = stdout(&routescope(
        &["--color", "always", "check", "--format", "json", "-"],
        Some(GATEWAY_AND_VS),
    ));
    assert!(!json.contains('\x1b'));
}

#[test]
fn no_color_and_clicolor_force_are_respected_and_the_flag_wins_over_both() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = args.to_vec();
        all.extend(["check", "-"]);
        stdout(&routescope_with_env(&all, Some(GATEWAY_AND_VS), env))
    };
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]).starts_with(YELLOW_BOLD_WARNING));
    let both = [("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")];
    assert!(!run(&[], &both).contains('\x1b'), "NO_COLOR wins");
    assert!(run(&["--color", "always"], &both).starts_with(YELLOW_BOLD_WARNING));
    assert!(!run(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]).contains('\x1b'));
}

/// Runs the binary on a pseudo-terminal (util-linux's `script`, in Debian's essential
/// bsdutils) and returns what the terminal showed.
fn on_a_terminal(args: &str, env: &[(&str, &str)]) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_routescope"));
    let output = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("script(1) runs");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn a_terminal_gets_colour_unless_no_color_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "vs.yaml", GATEWAY_AND_VS);
    let check = format!("check '{file}'");
    assert!(on_a_terminal(&check, &[]).starts_with(YELLOW_BOLD_WARNING));
    let no_color = on_a_terminal(&check, &[("NO_COLOR", "1")]);
    assert!(
        no_color.starts_with("warning[unknown-gateway]"),
        "{no_color:?}"
    );
    assert!(!no_color.contains('\x1b'));
    let never = on_a_terminal(&format!("--color never {check}"), &[]);
    assert!(!never.contains('\x1b'));
}

#[test]
fn quiet_prints_only_the_diagnostics_and_nothing_when_clean() {
    let full = stdout(&routescope(&["check", "-"], Some(GATEWAY_AND_VS)));
    let quiet = routescope(&["check", "--quiet", "-"], Some(GATEWAY_AND_VS));
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!(
        format!("{}0 errors, 1 warning, 0 infos\n", stdout(&quiet)),
        full
    );
    let fixed = GATEWAY_AND_VS.replace("[public]", "[istio-system/public]");
    let clean = routescope(&["check", "-q", "-"], Some(&fixed));
    assert_eq!(
        (clean.status.code(), stdout(&clean)),
        (Some(0), String::new())
    );
    // Machine formats keep their whole contract.
    let json = routescope(&["check", "-q", "--format", "json", "-"], Some(&fixed));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["summary"]["warnings"], 0);
}

fn parses(shell: &str, flag: &str, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "completion", script);
    let output = Command::new(shell)
        .args([flag, &file])
        .output()
        .unwrap_or_else(|error| panic!("{shell} runs (scripts/setup.sh installs it): {error}"));
    assert!(
        output.status.success(),
        "{shell} {flag}: {}",
        stderr(&output)
    );
}

#[test]
fn completions_for_bash_zsh_and_fish_parse_and_know_the_subcommands_and_values() {
    for (shell, flag) in [("bash", "-n"), ("zsh", "-n"), ("fish", "--no-execute")] {
        let output = routescope(&["completions", shell], None);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout(&output);
        for word in ["explain-log", "fail-on", "sarif", "github", "color"] {
            assert!(
                script.contains(word),
                "{word} not in the {shell} completions"
            );
        }
        parses(shell, flag, &script);
    }
    let unknown = routescope(&["completions", "tcsh"], None);
    assert_eq!(unknown.status.code(), Some(2));
}

fn man_renders(page: &Path) -> String {
    let output = Command::new("man")
        .arg("-l")
        .arg(page)
        .env("MANWIDTH", "100")
        .output()
        .expect("man runs (scripts/setup.sh installs man-db)");
    assert!(output.status.success(), "{}", stderr(&output));
    // Bold and underline are overstrikes (`N\bN`): keep the last character of each.
    let mut text = String::new();
    for c in stdout(&output).chars() {
        if c == '\x08' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    text
}

#[test]
fn the_man_page_renders_with_every_subcommand_and_per_subcommand_pages_with_their_flags() {
    let output = routescope(&["man"], None);
    assert_eq!(output.status.code(), Some(0));
    let roff = stdout(&output);
    assert!(roff.contains(".TH routescope 1"), "{roff}");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("routescope.1");
    std::fs::write(&page, &roff).unwrap();
    let text = man_renders(&page);
    for word in [
        "NAME",
        "SYNOPSIS",
        "SUBCOMMANDS",
        "explain-log",
        "completions",
        "--color",
    ] {
        assert!(text.contains(word), "{word} not in routescope(1):\n{text}");
    }

    let pages = dir.path().join("pages");
    std::fs::create_dir(&pages).unwrap();
    let output = routescope(&["man", "--out-dir", &pages.display().to_string()], None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let check = man_renders(&pages.join("routescope-check.1"));
    for word in ["--format", "sarif", "--quiet", "--fail-on", "--complete"] {
        assert!(
            check.contains(word),
            "{word} not in routescope-check(1):\n{check}"
        );
    }
    assert!(pages.join("routescope-status.1").is_file());
    assert_eq!(
        std::fs::read_to_string(pages.join("routescope.1")).unwrap(),
        roff
    );
}

#[test]
fn version_names_the_istio_and_gateway_api_versions_the_checks_follow() {
    let output = routescope(&["--version"], None);
    assert_eq!(
        stdout(&output),
        format!(
            "routescope {} (checks follow Istio {} and Gateway API {})\n",
            env!("CARGO_PKG_VERSION"),
            routescope_core::ISTIO_VERSION,
            routescope_core::GATEWAY_API_VERSION
        )
    );
    // The Gateway API version is the one of the CRDs the checks were written from.
    let crds = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../../shared/schemas/gateway-api-{}",
        routescope_core::GATEWAY_API_VERSION
    ));
    assert!(crds.is_dir(), "{} is missing", crds.display());
}
