//! `--format sarif`: a SARIF 2.1.0 log (OASIS), which code scanning reads (GitHub shows each
//! result inline in pull requests). One rule per check, with its docs as help; each result with
//! its region, the other side of the conflict as related locations, and its fixes as
//! replacements. Regions are 1-based; columns count Unicode code points, as the text and JSON
//! reports do (`columnKind`).

use routescope_core::checks;
use routescope_core::diagnostic::{Diagnostic, Fix, Severity};
use routescope_core::source::Span;
use serde_json::{Value, json};

use crate::render::Positions;

/// The schema the log names; the test validates against the copy in `tests/schemas/`.
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

pub fn report(positions: &Positions, diagnostics: &[Diagnostic]) -> String {
    let registry = checks::registry();
    let rules: Vec<Value> = registry.iter().map(|check| rule(check)).collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let index = registry.iter().position(|check| check.id == d.check);
            result(positions, d, index)
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "routescope",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("JSON values serialise") + "\n"
}

/// A check as a SARIF rule. No `helpUri`: the project has no published docs site; the help
/// carries the whole documentation instead (`routescope explain` prints the same).
fn rule(check: &checks::Check) -> Value {
    let docs = check.render_docs();
    let mut rule = json!({
        "id": check.id,
        "shortDescription": { "text": check.summary },
        "help": { "text": docs, "markdown": docs },
    });
    if let Some(code) = check.istio_code {
        rule["properties"] = json!({ "istioCode": code });
    }
    rule
}

fn result(positions: &Positions, d: &Diagnostic, rule_index: Option<usize>) -> Value {
    let mut result = json!({
        "ruleId": d.check,
        "level": match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        },
        "message": { "text": d.message },
        "locations": [{ "physicalLocation": physical_location(positions, d.span) }],
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if !d.related.is_empty() {
        result["relatedLocations"] = d
            .related
            .iter()
            .enumerate()
            .map(|(id, related)| {
                json!({
                    "id": id,
                    "message": { "text": related.message },
                    "physicalLocation": physical_location(positions, related.span),
                })
            })
            .collect();
    }
    if !d.fixes.is_empty() {
        result["fixes"] = d.fixes.iter().map(|fix| fix_json(positions, fix)).collect();
    }
    if let Some(code) = d.istio_code {
        result["properties"] = json!({ "istioCode": code });
    }
    result
}

fn physical_location(positions: &Positions, span: Span) -> Value {
    json!({
        "artifactLocation": artifact(positions, span),
        "region": region(positions, span),
    })
}

fn artifact(positions: &Positions, span: Span) -> Value {
    json!({ "uri": uri_reference(positions.name(span)) })
}

/// The region of `span`; an empty one (an insertion point) has its end at its start.
fn region(positions: &Positions, span: Span) -> Value {
    let start = positions.line_col(span, span.start);
    let end = positions.line_col(span, span.end);
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

/// A fix: its edits grouped by file, in order (edits of a fix are sorted by file and offset).
fn fix_json(positions: &Positions, fix: &Fix) -> Value {
    let mut changes: Vec<Value> = Vec::new();
    let mut current_file = None;
    for edit in &fix.edits {
        let replacement = json!({
            "deletedRegion": region(positions, edit.span),
            "insertedContent": { "text": edit.replacement },
        });
        if current_file == Some(edit.span.file) {
            let last = changes.last_mut().expect("a change for the current file");
            last["replacements"]
                .as_array_mut()
                .expect("replacements are a list")
                .push(replacement);
        } else {
            current_file = Some(edit.span.file);
            changes.push(json!({
                "artifactLocation": artifact(positions, edit.span),
                "replacements": [replacement],
            }));
        }
    }
    json!({
        "description": { "text": format!("{} ({})", fix.label, fix.applicability.as_str()) },
        "artifactChanges": changes,
        "properties": { "applicability": fix.applicability.as_str() },
    })
}

/// A file name as a relative (or absolute-path) URI reference: bytes outside the characters a
/// path may hold are percent-encoded, and so is `:`, which would otherwise read as a scheme.
fn uri_reference(name: &str) -> String {
    let mut uri = String::with_capacity(name.len());
    for byte in name.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte);
        if keep {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::uri_reference;

    #[test]
    fn file_names_become_uri_references() {
        assert_eq!(uri_reference("k8s/gateway.yaml"), "k8s/gateway.yaml");
        assert_eq!(uri_reference("my dir/c:é.yaml"), "my%20dir/c%3A%C3%A9.yaml");
        assert_eq!(uri_reference("/tmp/100%#1.yml"), "/tmp/100%25%231.yml");
    }
}
