//! The seed scenarios in `examples/`, in Istio's API and in the Kubernetes Gateway API: each
//! broken file produces exactly the checks its header names, on the spans it names; each
//! `.fixed.yaml` is what the first fix of the first check named gives, and is clean.
//!
//! Header format (first lines of each example):
//! ```yaml
//! # One sentence: the mistake and its symptom.
//! # expect: <check-id> at <line>:<column> `<text of the primary span>`
//! ```
//! or `# expect: nothing` for a corrected file, and for a correct configuration shown as it is
//! (which has no `.fixed.yaml`). A file is named after the check it demonstrates, with a
//! qualifier when two examples demonstrate one check (`route-kind-not-allowed-passthrough`).

use std::path::PathBuf;

use routescope_core::diagnostic::{Applicability, Severity};
use routescope_core::settings::MeshSettings;
use routescope_core::source::{LineIndex, Sources};
use routescope_core::{analyze, fix_all, verify_fix};

fn examples() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[derive(Debug, PartialEq)]
struct Expectation {
    check: String,
    line: u32,
    column: u32,
    text: String,
}

fn expectations(text: &str) -> Option<Vec<Expectation>> {
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# expect: "))
        .collect();
    if lines == ["nothing"] {
        return Some(Vec::new());
    }
    if lines.is_empty() {
        return None;
    }
    Some(
        lines
            .iter()
            .map(|line| {
                let (check, rest) = line.split_once(" at ").expect("`<check> at <line>:<col>`");
                let (position, quoted) = rest.split_once(' ').expect("then the span's text");
                let (line, column) = position.split_once(':').unwrap();
                Expectation {
                    check: check.to_string(),
                    line: line.parse().unwrap(),
                    column: column.parse().unwrap(),
                    text: quoted.trim_matches('`').to_string(),
                }
            })
            .collect(),
    )
}

fn without_expect_lines(text: &str) -> String {
    text.lines()
        .filter(|line| !line.starts_with("# expect: "))
        .map(|line| format!("{line}\n"))
        .collect()
}

#[test]
fn every_example_produces_exactly_what_its_header_says() {
    let examples = examples();
    assert!(
        examples.len() >= 25,
        "seven seed scenarios in Istio's API and five in the Gateway API, broken and fixed, and a correct Gateway API configuration"
    );
    let mut problems = Vec::new();
    for (name, text) in &examples {
        let Some(expected) = expectations(text) else {
            problems.push(format!("{name}: no `# expect:` header"));
            continue;
        };
        let analysis = analyze(
            Sources::single(name.as_str(), text.as_str()),
            MeshSettings::default(),
        );
        let index = LineIndex::new(text);
        let mut actual: Vec<Expectation> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
            .map(|d| {
                let at = index.line_col(text, d.span.start as usize);
                Expectation {
                    check: d.check.to_string(),
                    line: at.line,
                    column: at.column,
                    text: text[d.span.range()].to_string(),
                }
            })
            .collect();
        for expectation in &expected {
            match actual.iter().position(|a| a == expectation) {
                Some(found) => {
                    actual.remove(found);
                }
                None => problems.push(format!("{name}: missing {expectation:?}")),
            }
        }
        for unexpected in actual {
            problems.push(format!("{name}: unexpected {unexpected:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_fixed_example_is_what_the_first_fix_gives() {
    for (name, text) in examples() {
        let Some(stem) = name
            .strip_suffix(".yaml")
            .filter(|s| !s.ends_with(".fixed"))
        else {
            continue;
        };
        let expected = expectations(&text).unwrap_or_default();
        let Some(check) = expected.first().map(|e| e.check.as_str()) else {
            // A correct configuration: nothing to fix.
            continue;
        };
        assert!(
            stem.starts_with(check),
            "{name} is named after the check it demonstrates, `{check}`"
        );
        let fixed_name = format!("{stem}.fixed.yaml");
        let fixed = examples()
            .into_iter()
            .find(|(n, _)| *n == fixed_name)
            .unwrap_or_else(|| panic!("{name} has no {fixed_name}"))
            .1;
        let analysis = analyze(
            Sources::single(name.as_str(), text.as_str()),
            MeshSettings::default(),
        );
        let diagnostic = analysis
            .diagnostics
            .iter()
            .find(|d| d.check == check)
            .unwrap_or_else(|| panic!("{name}: `{check}` is not reported"));
        let Some(fix) = diagnostic
            .fixes
            .iter()
            .find(|fix| fix.applicability != Applicability::DisplayOnly)
        else {
            println!("{name}: no applicable fix; {fixed_name} is the documented manual correction");
            continue;
        };
        let after = verify_fix(&analysis, check, fix).unwrap_or_else(|e| panic!("{name}: {e}"));
        let output = after.mesh.sources.text(routescope_core::source::FileId(0));
        assert_eq!(
            without_expect_lines(output),
            without_expect_lines(&fixed),
            "{name}: the first fix does not give {fixed_name}"
        );
    }
}

#[test]
fn fixing_all_safe_fixes_leaves_no_seed_mistake() {
    for (name, text) in examples() {
        let settings = MeshSettings::default();
        let fixed = fix_all(
            Sources::single(name.as_str(), text.as_str()),
            &settings,
            Applicability::Safe,
        );
        let analysis = analyze(fixed, settings);
        let has_safe_fix_left = analysis.diagnostics.iter().any(|d| {
            d.fixes
                .iter()
                .any(|f| f.applicability == Applicability::Safe)
        });
        assert!(
            !has_safe_fix_left,
            "{name}: a safe fix is still offered after fixing all"
        );
        let fixable = analyze(
            Sources::single(name.as_str(), text.as_str()),
            MeshSettings::default(),
        )
        .diagnostics
        .iter()
        .filter(|d| {
            d.fixes
                .iter()
                .any(|f| f.applicability == Applicability::Safe)
        })
        .map(|d| d.check)
        .collect::<Vec<_>>();
        for check in fixable {
            assert!(
                !analysis.diagnostics.iter().any(|d| d.check == check),
                "{name}: `{check}` remains after fixing all safe fixes"
            );
        }
    }
}
