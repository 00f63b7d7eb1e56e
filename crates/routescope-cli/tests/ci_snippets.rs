//! The README's CI snippets and the pre-commit hook, run as written: their `routescope` command
//! lines against fixtures, with the built binary first on PATH, so the docs cannot drift.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use routescope_core::source::FileId;
use routescope_core::yaml::{Node, parse_documents};
use support::{GATEWAY_AND_VS, assert_valid_sarif, path_with_binary, stderr, stdout, write};

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The first fenced block after the README line that names `caption`.
fn readme_snippet(caption: &str) -> String {
    let readme = repo_file("README.md");
    let after = readme
        .lines()
        .skip_while(|line| !line.contains(caption))
        .skip_while(|line| !line.starts_with("```"))
        .skip(1)
        .take_while(|line| !line.starts_with("```"));
    let snippet: Vec<&str> = after.collect();
    assert!(
        !snippet.is_empty(),
        "no snippet after `{caption}` in README.md"
    );
    snippet.join("\n") + "\n"
}

fn parse(yaml: &str) -> Node {
    parse_documents(yaml, FileId(0), 0)
        .expect("the snippet is YAML")
        .remove(0)
}

fn text<'n>(node: &'n Node, path: &[&str]) -> &'n str {
    let mut current = node;
    for key in path {
        current = current
            .get(key)
            .unwrap_or_else(|| panic!("no `{key}` in {path:?}"));
    }
    current
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} is no string"))
}

/// A workspace as the snippets expect it: `k8s/` with a VirtualService that warns, its Gateway,
/// and a CI workflow (not Kubernetes: skipped).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "k8s/shop.yaml", GATEWAY_AND_VS);
    write(dir.path(), "k8s/ci.yml", "name: CI\non: [push]\njobs: {}\n");
    dir
}

fn shell(command: &str, dir: &Path) -> Output {
    Command::new("bash")
        .args(["-euo", "pipefail", "-c", command])
        .current_dir(dir)
        .env("PATH", path_with_binary())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

#[test]
fn the_github_actions_snippet_annotates_and_uploads_valid_sarif() {
    let workflow = parse(&readme_snippet(".github/workflows/routescope.yml"));
    let job = workflow
        .get("jobs")
        .and_then(|jobs| jobs.get("routescope"))
        .unwrap();
    assert_eq!(
        text(job, &["permissions", "security-events"]),
        "write",
        "upload-sarif needs it"
    );
    let steps = job.get("steps").and_then(Node::as_sequence).unwrap();
    let dir = workspace();
    let mut ran = Vec::new();
    let mut uploaded = None;
    for step in steps {
        if let Some(uses) = step.get("uses").and_then(Node::as_str)
            && uses.starts_with("github/codeql-action/upload-sarif@")
        {
            assert_eq!(text(step, &["if"]), "always()");
            uploaded = Some(text(step, &["with", "sarif_file"]).to_string());
        }
        let Some(run) = step.get("run").and_then(Node::as_str) else {
            continue;
        };
        if !run.starts_with("routescope ") {
            continue;
        }
        let output = shell(run, dir.path());
        ran.push((run.to_string(), output));
    }
    let [(annotate, annotations), (sarif_command, sarif_run)] = &ran[..] else {
        panic!(
            "two routescope steps: {:?}",
            ran.iter().map(|(r, _)| r).collect::<Vec<_>>()
        );
    };
    assert!(annotate.contains("--format github"));
    assert_eq!(
        annotations.status.code(),
        Some(1),
        "the warning fails the step"
    );
    let log = stdout(annotations);
    assert!(
        log.starts_with("::warning file=k8s/shop.yaml,line=7,col=14,"),
        "{log}"
    );
    assert_eq!(
        log.lines().count(),
        1,
        "the CI workflow in k8s/ is skipped: {log}"
    );

    assert!(sarif_command.contains("--format sarif"));
    assert_eq!(sarif_run.status.code(), Some(0), "{}", stderr(sarif_run));
    let uploaded = uploaded.expect("an upload-sarif step");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(&uploaded)).unwrap())
            .unwrap();
    assert_valid_sarif(&sarif);
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "unknown-gateway");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "k8s/shop.yaml",
        "a path relative to the checkout, as code scanning wants"
    );
}

#[test]
fn the_gitlab_snippet_writes_the_code_quality_report_and_fails_on_the_warning() {
    let pipeline = parse(&readme_snippet(".gitlab-ci.yml"));
    let job = pipeline.get("routescope").unwrap();
    let script = job.get("script").and_then(Node::as_sequence).unwrap();
    let report = text(job, &["artifacts", "reports", "codequality"]);
    assert_eq!(text(job, &["artifacts", "when"]), "always");
    let dir = workspace();
    let commands: Vec<&str> = script.iter().filter_map(Node::as_str).collect();
    let [write_report, check] = commands[..] else {
        panic!("two script lines: {commands:?}");
    };
    let written = shell(write_report, dir.path());
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let issues: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(report)).unwrap()).unwrap();
    assert_eq!(issues[0]["check_name"], "unknown-gateway");
    assert_eq!(issues[0]["location"]["path"], "k8s/shop.yaml");
    let checked = shell(check, dir.path());
    assert_eq!(
        checked.status.code(),
        Some(1),
        "the job fails on the warning"
    );
    assert!(stdout(&checked).starts_with("warning[unknown-gateway]"));
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=routescope",
            "-c",
            "user.email=tests@routescope",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", stderr(&output));
}

/// A git repository holding the real `.pre-commit-hooks.yaml`, and its commit.
fn hook_repository(root: &Path) -> (PathBuf, String) {
    let dir = root.join("hooks");
    write(
        &dir,
        ".pre-commit-hooks.yaml",
        &repo_file(".pre-commit-hooks.yaml"),
    );
    git(&dir, &["init", "--quiet"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "--quiet", "-m", "hooks"]);
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(&dir)
        .output()
        .unwrap();
    (dir, stdout(&head).trim().to_string())
}

fn pre_commit(args: &[&str], dir: &Path, home: &Path) -> Output {
    Command::new("pre-commit")
        .args(args)
        .current_dir(dir)
        .env("PATH", path_with_binary())
        .env("PRE_COMMIT_HOME", home)
        .env_remove("NO_COLOR")
        .output()
        .expect("pre-commit runs (scripts/setup.sh installs pre-commit 4.7.0)")
}

#[test]
fn the_pre_commit_snippet_runs_the_hook_on_the_yaml_files_of_a_repository() {
    let snippet = readme_snippet("`.pre-commit-config.yaml`");
    assert_eq!(snippet.lines().count(), 3, "three lines: {snippet}");
    let hooks = parse(&repo_file(".pre-commit-hooks.yaml"));
    let hook = &hooks.as_sequence().unwrap()[0];
    let config = parse(&format!("repos:\n{snippet}"));
    let entry = &config.get("repos").and_then(Node::as_sequence).unwrap()[0];
    let named = &entry.get("hooks").and_then(Node::as_sequence).unwrap()[0];
    assert_eq!(text(named, &["id"]), text(hook, &["id"]));

    // The snippet with its placeholders filled in: a clone of the hook file at a commit.
    let root = tempfile::tempdir().unwrap();
    let (hooks_dir, commit) = hook_repository(root.path());
    let filled: Vec<String> = snippet
        .lines()
        .map(|line| {
            if let Some((indent, _)) = line.split_once("- repo:") {
                format!("{indent}- repo: {}", hooks_dir.display())
            } else if let Some((indent, _)) = line.split_once("rev:") {
                format!("{indent}rev: {commit}")
            } else {
                line.to_string()
            }
        })
        .collect();
    let project = root.path().join("project");
    let config = format!("repos:\n{}\n", filled.join("\n"));
    write(&project, ".pre-commit-config.yaml", &config);
    write(&project, "k8s/shop.yaml", GATEWAY_AND_VS);
    write(
        &project,
        ".github/workflows/ci.yml",
        "name: CI\non: [push]\njobs: {}\n",
    );
    // Not YAML by name: the hook's `types` keeps it away (routescope would call it broken).
    write(&project, "notes.txt", "a: [\n");
    git(&project, &["init", "--quiet"]);
    git(&project, &["add", "."]);
    let home = root.path().join("pre-commit-home");

    let run = pre_commit(&["run", "--all-files"], &project, &home);
    let log = stdout(&run);
    assert_eq!(run.status.code(), Some(1), "{log}{}", stderr(&run));
    assert!(log.contains("warning[unknown-gateway]"), "{log}");
    assert!(log.contains(" --> k8s/shop.yaml:7:14"), "{log}");
    assert!(
        !log.contains("notes.txt") && !log.contains("ci.yml"),
        "{log}"
    );

    let fixed = GATEWAY_AND_VS.replace("[public]", "[istio-system/public]");
    write(&project, "k8s/shop.yaml", &fixed);
    git(&project, &["add", "."]);
    let run = pre_commit(&["run", "--all-files"], &project, &home);
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
    assert!(stdout(&run).contains("Passed"), "{}", stdout(&run));

    // As the hook's own authors try it, from the hook repository.
    let hooks_path = hooks_dir.display().to_string();
    let tried = pre_commit(
        &["try-repo", &hooks_path, "routescope", "--all-files"],
        &project,
        &home,
    );
    assert_eq!(tried.status.code(), Some(0), "{}", stdout(&tried));
}
