//! Every fix on every input we have (check examples, `examples/`, the whole corpus) is sound
//! as [`verify_fix`] judges it: applied alone it removes its diagnostic without a new error,
//! touches only its own bytes and keeps CRLF text CRLF; and fixing everything reaches a fixed
//! point.

use std::path::PathBuf;

use routescope_core::diagnostic::Applicability;
use routescope_core::settings::MeshSettings;
use routescope_core::source::Sources;
use routescope_core::{analyze, checks, fix_all, verify_fix};

fn inputs() -> Vec<(String, String)> {
    let mut inputs: Vec<(String, String)> = checks::registry()
        .iter()
        .map(|check| {
            (
                format!("{} example", check.id),
                check.bad_example.to_string(),
            )
        })
        .collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = root.join("../shared/corpus");
    assert!(corpus.is_dir(), "the corpus must be beside the checkout");
    let mut dirs = vec![root.join("examples"), corpus];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read_to_string(&path).unwrap();
                inputs.push((path.display().to_string(), text));
            }
        }
    }
    inputs.sort();
    inputs
}

/// The same input with CRLF line endings: fixes must keep working.
fn with_crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

#[test]
fn every_fix_is_sound_alone() {
    let mut applied = 0;
    let mut problems = Vec::new();
    for (name, text) in inputs() {
        for variant in [text.clone(), with_crlf(&text)] {
            let analysis = analyze(
                Sources::single(name.as_str(), variant.as_str()),
                MeshSettings::default(),
            );
            for diagnostic in &analysis.diagnostics {
                for fix in &diagnostic.fixes {
                    applied += 1;
                    if let Err(problem) = verify_fix(&analysis, diagnostic.check, fix) {
                        problems.push(format!("{name}: [{}] {problem}", diagnostic.check));
                    }
                }
            }
        }
    }
    println!("applied {applied} fixes one by one");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn fixing_everything_twice_changes_nothing_more() {
    let settings = MeshSettings::default();
    let mut changed = 0;
    for (name, text) in inputs() {
        for max in [Applicability::Safe, Applicability::Unsafe] {
            let once = fix_all(
                Sources::single(name.as_str(), text.as_str()),
                &settings,
                max,
            );
            let once_text = once.text(routescope_core::source::FileId(0)).to_string();
            let twice = fix_all(once, &settings, max);
            assert_eq!(
                twice.text(routescope_core::source::FileId(0)),
                once_text,
                "{name}: fixing again changed the text ({max:?})"
            );
            if once_text != text {
                changed += 1;
            }
        }
    }
    println!("{changed} inputs changed by fixing");
}

/// Found by fuzzing: YAML (and the editor) take a lone CR for a line break, the line-based
/// edits of fixes do not, so a fix inserted its lines past a `---` that followed a lone CR.
#[test]
fn a_file_with_lone_cr_line_breaks_gets_diagnostics_but_no_fixes() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let text = std::fs::read_to_string(examples.join("https-to-http-port.yaml")).unwrap();
    let lone_cr = text.replacen("  ports:\n", "  ports:\r", 1);
    for (variant, fixes_expected) in [(&text, true), (&lone_cr, false)] {
        let analysis = analyze(
            Sources::single("cr.yaml", variant.as_str()),
            MeshSettings::default(),
        );
        let diagnostic = analysis
            .diagnostics
            .iter()
            .find(|d| d.check == "https-to-http-port")
            .expect("the mistake is reported either way");
        assert_eq!(!diagnostic.fixes.is_empty(), fixes_expected, "{variant:?}");
    }
}
