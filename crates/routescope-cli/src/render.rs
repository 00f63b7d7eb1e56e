//! Output: rustc-like text for people (styled; `output` drops the styles where colour is off),
//! the stable JSON contract for CI.

use std::fmt::Write;

use anstyle::Style;
use routescope_core::diagnostic::{Counts, Diagnostic};
use routescope_core::source::{LineCol, LineIndex, Sources, Span};
use serde_json::{Value, json};

use crate::output::style;

/// Line indexes of every file, built once per output.
pub struct Positions<'s> {
    sources: &'s Sources,
    indexes: Vec<LineIndex>,
}

impl<'s> Positions<'s> {
    pub fn new(sources: &'s Sources) -> Positions<'s> {
        Positions {
            sources,
            indexes: sources
                .iter()
                .map(|(_, f)| LineIndex::new(&f.text))
                .collect(),
        }
    }

    fn index(&self, span: Span) -> &LineIndex {
        &self.indexes[span.file.0 as usize]
    }

    pub fn name(&self, span: Span) -> &str {
        &self.sources.get(span.file).name
    }

    /// Line and column (1-based, in characters) of `offset` in the file of `span`.
    pub fn line_col(&self, span: Span, offset: u32) -> LineCol {
        let text = self.sources.text(span.file);
        self.index(span).line_col(text, offset as usize)
    }

    fn position(&self, span: Span, offset: u32) -> Value {
        let at = self.line_col(span, offset);
        json!({ "line": at.line, "column": at.column, "offset": offset })
    }

    /// `file:line:column` of a span's start.
    pub fn location(&self, span: Span) -> String {
        let at = self.line_col(span, span.start);
        format!("{}:{}:{}", self.name(span), at.line, at.column)
    }

    pub fn span_json(&self, span: Span) -> Value {
        json!({ "start": self.position(span, span.start), "end": self.position(span, span.end) })
    }
}

pub fn json_report(positions: &Positions, diagnostics: &[Diagnostic]) -> String {
    let items: Vec<Value> = diagnostics
        .iter()
        .map(|d| diagnostic_json(positions, d))
        .collect();
    let counts = Counts::of(diagnostics);
    let report = json!({
        "version": 1,
        "diagnostics": items,
        "summary": { "errors": counts.errors, "warnings": counts.warnings, "infos": counts.infos },
    });
    serde_json::to_string_pretty(&report).expect("JSON values serialise") + "\n"
}

/// One diagnostic as the JSON contract writes it.
pub fn diagnostic_json(positions: &Positions, d: &Diagnostic) -> Value {
    json!({
        "check": d.check,
        "severity": d.severity.as_str(),
        "message": d.message,
        "istio_code": d.istio_code,
        "condition": d.condition.map(|(type_, reason)| json!({"type": type_, "reason": reason})),
        "file": positions.name(d.span),
        "resource": d.resource.as_ref().map(|r| json!({
            "kind": r.kind, "namespace": r.namespace, "name": r.name,
        })),
        "span": positions.span_json(d.span),
        "related": d.related.iter().map(|r| json!({
            "message": r.message,
            "file": positions.name(r.span),
            "span": positions.span_json(r.span),
        })).collect::<Vec<_>>(),
        "fixes": d.fixes.iter().map(|f| json!({
            "label": f.label,
            "applicability": f.applicability.as_str(),
            "edits": f.edits.iter().map(|e| json!({
                "file": positions.name(e.span),
                "start": e.span.start,
                "end": e.span.end,
                "replacement": e.replacement,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// rustc-style text: each diagnostic (see [`write_diagnostic`]), then the counts.
pub fn text_report(positions: &Positions, diagnostics: &[Diagnostic]) -> String {
    let mut out = text_diagnostics(positions, diagnostics);
    let _ = writeln!(out, "{}", Counts::of(diagnostics));
    out
}

/// The diagnostics of the text report without its counts (`--quiet`): nothing when clean.
pub fn text_diagnostics(positions: &Positions, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        write_diagnostic(&mut out, positions, diagnostic);
    }
    out
}

/// One diagnostic in rustc's style: header, location, the source line with carets, related
/// spans, fixes, and a blank line.
pub fn write_diagnostic(out: &mut String, positions: &Positions, diagnostic: &Diagnostic) {
    let code = diagnostic
        .istio_code
        .map(|code| format!(" ({code})"))
        .unwrap_or_default();
    let level = style::of(diagnostic.severity);
    let emphasis = style::EMPHASIS;
    let _ = writeln!(
        out,
        "{level}{}[{}]{level:#}{emphasis}: {}{code}{emphasis:#}",
        diagnostic.severity, diagnostic.check, diagnostic.message
    );
    let gutter = gutter_width(positions, diagnostic);
    snippet(
        out,
        positions,
        diagnostic.span,
        ('^', level),
        "",
        gutter,
        "-->",
    );
    for related in &diagnostic.related {
        snippet(
            out,
            positions,
            related.span,
            ('-', style::GUTTER),
            &related.message,
            gutter,
            ":::",
        );
    }
    let blue = style::GUTTER;
    for fix in &diagnostic.fixes {
        let _ = writeln!(
            out,
            "{:gutter$} {blue}={blue:#} {emphasis}fix{emphasis:#} ({}): {}",
            "",
            fix.applicability.as_str(),
            fix.label
        );
    }
    out.push('\n');
}

fn gutter_width(positions: &Positions, diagnostic: &Diagnostic) -> usize {
    std::iter::once(diagnostic.span)
        .chain(diagnostic.related.iter().map(|r| r.span))
        .map(|span| positions.line_col(span, span.start).line)
        .max()
        .unwrap_or(1)
        .to_string()
        .len()
}

/// The source line of `span` with `marker`s under it, in the marker's style.
fn snippet(
    out: &mut String,
    positions: &Positions,
    span: Span,
    (marker, marker_style): (char, Style),
    label: &str,
    gutter: usize,
    arrow: &str,
) {
    let blue = style::GUTTER;
    let text = positions.sources.text(span.file);
    let index = positions.index(span);
    let start = index.line_col(text, span.start as usize);
    let line_number = start.line as usize;
    let line = index.line_text(text, line_number - 1);
    let _ = writeln!(
        out,
        "{:gutter$}{blue}{arrow}{blue:#} {}:{}:{}",
        "",
        positions.name(span),
        start.line,
        start.column
    );
    let _ = writeln!(out, "{:gutter$} {blue}|{blue:#}", "");
    let _ = writeln!(out, "{blue}{line_number:>gutter$} |{blue:#} {line}");
    let end = index.line_col(text, span.end as usize);
    let line_chars = line.chars().count() as u32;
    let end_column = if end.line == start.line {
        end.column
    } else {
        line_chars + 1
    };
    let width = end_column.saturating_sub(start.column).max(1) as usize;
    // Tabs before the span keep their width in the caret line.
    let padding: String = line
        .chars()
        .take(start.column as usize - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let markers: String = std::iter::repeat_n(marker, width).collect();
    let label = if label.is_empty() {
        String::new()
    } else {
        format!(" {label}")
    };
    let _ = writeln!(
        out,
        "{:gutter$} {blue}|{blue:#} {padding}{marker_style}{markers}{label}{marker_style:#}",
        ""
    );
}
