//! Test helpers for checks: annotated fixtures and exact fix outputs.
//!
//! An annotation is a YAML comment line under the offending text whose carets mark the
//! span's columns on the nearest line above that is not an annotation:
//!
//! ```yaml
//!   tls:
//! # ^^^ error: routes only with `tls` [fix]
//! ```
//!
//! The message after the severity must be contained in the diagnostic's message; `[fix]` at
//! the end says the diagnostic offers a fix, and its absence that it offers none. A span that
//! continues past the line is marked to the end of the line. A `#` directly followed by `^`
//! counts as a caret itself, so column 0 can be marked too.

use crate::diagnostic::{Fix, Severity};
use crate::settings::MeshSettings;
use crate::source::{FileId, LineIndex, Sources};
use crate::{Analysis, analyze};

#[derive(Clone, Debug, PartialEq)]
struct Mark {
    line: usize,
    start: usize,
    end: usize,
    severity: Severity,
    message: String,
    has_fix: bool,
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} columns {}..{}: {}: {}{}",
            self.line + 1,
            self.start,
            self.end,
            self.severity,
            self.message,
            if self.has_fix { " [fix]" } else { "" }
        )
    }
}

fn parse_annotation(line: &str) -> Option<(usize, usize, Severity, String, bool)> {
    let hash = line.find('#')?;
    if !line[..hash].trim().is_empty() {
        return None;
    }
    let after_hash = &line[hash + 1..];
    let carets_at = after_hash.find('^')?;
    if !after_hash[..carets_at].trim().is_empty() {
        return None;
    }
    let caret_count = after_hash[carets_at..]
        .chars()
        .take_while(|&c| c == '^')
        .count();
    // `#^^` shifts its carets one column left, so column 0 can be marked.
    let start = if carets_at == 0 {
        hash
    } else {
        hash + 1 + carets_at
    };
    let end = start + caret_count;
    let rest = after_hash[carets_at + caret_count..].trim();
    let (severity, message) = rest.split_once(": ")?;
    let severity = match severity {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        "info" => Severity::Info,
        _ => return None,
    };
    let (message, has_fix) = match message.strip_suffix(" [fix]") {
        Some(message) => (message, true),
        None => (message, false),
    };
    Some((start, end, severity, message.trim().to_string(), has_fix))
}

fn expected_marks(text: &str) -> Vec<Mark> {
    let mut marks = Vec::new();
    let mut target = None;
    for (number, line) in text.lines().enumerate() {
        match parse_annotation(line) {
            Some((start, end, severity, message, has_fix)) => marks.push(Mark {
                line: target.expect("an annotation needs a line above it"),
                start,
                end,
                severity,
                message,
                has_fix,
            }),
            None => target = Some(number),
        }
    }
    marks
}

fn actual_marks(analysis: &Analysis, check: &str) -> Vec<Mark> {
    let text = analysis.mesh.sources.text(FileId(0));
    let index = LineIndex::new(text);
    analysis
        .diagnostics
        .iter()
        .filter(|d| d.check == check)
        .map(|d| {
            let start = index.line_col(text, d.span.start as usize);
            let end = index.line_col(text, d.span.end as usize);
            let line = start.line as usize - 1;
            let end_column = if end.line == start.line {
                end.column as usize - 1
            } else {
                index.line_text(text, line).chars().count()
            };
            Mark {
                line,
                start: start.column as usize - 1,
                end: end_column,
                severity: d.severity,
                message: d.message.clone(),
                has_fix: !d.fixes.is_empty(),
            }
        })
        .collect()
}

/// Checks the diagnostics of `check` on an annotated fixture, with default mesh settings.
#[track_caller]
pub fn check(check: &str, fixture: &str) {
    check_with(MeshSettings::default(), check, fixture);
}

/// Checks the diagnostics of `check` on an annotated fixture; reports false negatives (marked
/// but not reported) and false positives (reported but not marked) separately. Every fix
/// offered is then applied and checked with [`assert_sound`].
#[track_caller]
pub fn check_with(settings: MeshSettings, check: &str, fixture: &str) {
    let analysis = analyze(Sources::single("fixture.yaml", fixture), settings);
    let expected = expected_marks(fixture);
    let mut actual = actual_marks(&analysis, check);
    let mut missing = Vec::new();
    for mark in &expected {
        let found = actual.iter().position(|a| {
            (a.line, a.start, a.end, a.severity, a.has_fix)
                == (mark.line, mark.start, mark.end, mark.severity, mark.has_fix)
                && a.message.contains(&mark.message)
        });
        match found {
            Some(index) => {
                actual.remove(index);
            }
            None => missing.push(mark),
        }
    }
    if !missing.is_empty() || !actual.is_empty() {
        let list = |marks: Vec<String>| {
            if marks.is_empty() {
                "  (none)".to_string()
            } else {
                marks.join("\n")
            }
        };
        panic!(
            "check `{check}` on the fixture:\nfalse negatives (marked, not reported):\n{}\nfalse positives (reported, not marked):\n{}",
            list(missing.iter().map(|m| format!("  {m}")).collect()),
            list(actual.iter().map(|m| format!("  {m}")).collect()),
        );
    }
    for diagnostic in analysis.diagnostics.iter().filter(|d| d.check == check) {
        for fix in &diagnostic.fixes {
            assert_sound(&analysis, check, fix);
        }
    }
}

/// Applies fix number `fix` of the first diagnostic of `check` and compares the output text
/// exactly (the fix's soundness is checked too, see [`assert_sound`]).
#[track_caller]
pub fn assert_fix(check: &str, fix: usize, before: &str, after: &str) {
    assert_fix_with(MeshSettings::default(), check, fix, before, after);
}

#[track_caller]
pub fn assert_fix_with(settings: MeshSettings, check: &str, fix: usize, before: &str, after: &str) {
    let analysis = analyze(Sources::single("before.yaml", before), settings);
    let diagnostic = analysis
        .diagnostics
        .iter()
        .find(|d| d.check == check)
        .unwrap_or_else(|| panic!("`{check}` reports nothing on the input"));
    let chosen = diagnostic.fixes.get(fix).unwrap_or_else(|| {
        panic!(
            "`{check}` offers {} fixes, not {}",
            diagnostic.fixes.len(),
            fix + 1
        )
    });
    let output = assert_sound(&analysis, check, chosen);
    pretty_assert_eq(&output, after);
}

/// Applies `fix` (of a diagnostic of `check` in `analysis`) and asserts it is sound (see
/// [`crate::verify_fix`]). Returns the output text.
#[track_caller]
pub fn assert_sound(analysis: &Analysis, check: &str, fix: &Fix) -> String {
    match crate::verify_fix(analysis, check, fix) {
        Ok(again) => again.mesh.sources.text(FileId(0)).to_string(),
        Err(problem) => panic!("{problem}"),
    }
}

#[track_caller]
fn pretty_assert_eq(actual: &str, expected: &str) {
    if actual != expected {
        panic!("fix output differs.\n--- expected\n{expected}\n--- actual\n{actual}\n---");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_mark_columns_of_the_line_above() {
        let text = "a:\n  tls:\n# ^^^ error: bad [fix]\n#^ info: first\n";
        assert_eq!(
            expected_marks(text),
            vec![
                Mark {
                    line: 1,
                    start: 2,
                    end: 5,
                    severity: Severity::Error,
                    message: "bad".into(),
                    has_fix: true
                },
                Mark {
                    line: 1,
                    start: 0,
                    end: 1,
                    severity: Severity::Info,
                    message: "first".into(),
                    has_fix: false
                },
            ]
        );
    }

    #[test]
    fn ordinary_comments_are_not_annotations() {
        assert_eq!(expected_marks("a: 1 # ^^ error: no\n# note\n"), vec![]);
    }
}
