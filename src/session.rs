//! The playground's state as plain Rust: the text, the settings, the analysis, and every
//! answer the page shows (editor diagnostics, problems, fixes, diffs), in the editor's UTF-16
//! positions. The Leptos components only display these answers and pass edits back.

use routescope_core::access_log::{self, Explanation, ParseError};
use routescope_core::diagnostic::{Applicability, Counts, Diagnostic, Fix, Severity};
use routescope_core::load::DocumentCache;
use routescope_core::resolve::Inventory;
use routescope_core::settings::MeshSettings;
use routescope_core::source::{FileId, LineIndex, Sources, Utf16Map};
use routescope_core::topology::{self, TrafficGraph};
use routescope_core::{Analysis, analyze_cached, diff, fix_all, reanalyze_cached};
use std::sync::OnceLock;

/// The editor's text is one file of this name.
pub const FILE_NAME: &str = "playground.yaml";

pub struct Session {
    analysis: Analysis,
    cache: DocumentCache,
    utf16: Utf16Map,
    lines: LineIndex,
    /// Built when the traffic view first asks for it after each analysis.
    graph: OnceLock<TrafficGraph>,
}

/// One row of the problems panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Index into the analysis' diagnostics: the id the editor reports back.
    pub id: usize,
    pub severity: Severity,
    pub check: &'static str,
    pub message: String,
    pub istio_code: Option<&'static str>,
    pub line: u32,
    pub column: u32,
    /// What the problem's button does: apply its first fix (safe), or show it for review
    /// (unsafe) or as advice (display-only); `None` without a fix.
    pub first_fix: Option<Applicability>,
}

/// A fix as the page offers it: what it does and the diff it makes.
#[derive(Clone, Debug, PartialEq)]
pub struct FixPreview {
    pub diagnostic: usize,
    pub index: usize,
    pub label: String,
    pub applicability: Applicability,
    /// `applyEdits` payload for the editor (UTF-16 positions).
    pub edits_json: String,
    pub diff: String,
}

/// An access log line explained against the current text, for the "Access log" panel.
#[derive(Clone, Debug, PartialEq)]
pub struct LogExplanation {
    pub explanation: Explanation,
    /// Each related diagnostic as a problem row, with why it is listed; most telling first.
    pub related: Vec<(Problem, String)>,
}

/// The text with fixes applied, for the "Corrected YAML" view.
#[derive(Clone, Debug, PartialEq)]
pub struct Corrected {
    pub text: String,
    pub diff: String,
}

impl Session {
    pub fn new(text: String, settings: MeshSettings) -> Session {
        let mut cache = DocumentCache::new();
        let analysis = analyze_cached(Sources::single(FILE_NAME, text), settings, &mut cache);
        let (utf16, lines) = positions(&analysis);
        Session {
            analysis,
            cache,
            utf16,
            lines,
            graph: OnceLock::new(),
        }
    }

    /// Analyses a new text or new settings; unchanged documents are not parsed again, and
    /// those that did not move keep their resources.
    pub fn update(&mut self, text: String, settings: MeshSettings) {
        reanalyze_cached(
            &mut self.analysis,
            Sources::single(FILE_NAME, text),
            settings,
            &mut self.cache,
        );
        (self.utf16, self.lines) = positions(&self.analysis);
        self.graph = OnceLock::new();
    }

    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// The traffic graph of the current analysis.
    pub fn graph(&self) -> &TrafficGraph {
        self.graph
            .get_or_init(|| topology::build(&self.analysis.mesh, &self.analysis.diagnostics))
    }

    pub fn text(&self) -> &str {
        self.analysis.mesh.sources.text(FileId(0))
    }

    pub fn settings(&self) -> &MeshSettings {
        &self.analysis.mesh.settings
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.analysis.diagnostics
    }

    pub fn counts(&self) -> Counts {
        Counts::of(self.diagnostics())
    }

    /// What the input held: the kinds read and those not read.
    pub fn inventory(&self) -> Inventory {
        self.analysis.mesh.inventory()
    }

    /// The editor (UTF-16) range of a byte range.
    pub fn editor_range(&self, start: u32, end: u32) -> (usize, usize) {
        (
            self.utf16.to_utf16(start as usize),
            self.utf16.to_utf16(end as usize),
        )
    }

    /// The `setDiagnostics` payload: every diagnostic with UTF-16 positions.
    pub fn editor_diagnostics_json(&self) -> String {
        let items: Vec<String> = self
            .diagnostics()
            .iter()
            .enumerate()
            .map(|(id, d)| {
                let (from, to) = self.editor_range(d.span.start, d.span.end);
                let related: Vec<String> = d
                    .related
                    .iter()
                    .map(|r| {
                        let (from, to) = self.editor_range(r.span.start, r.span.end);
                        format!(r#"{{"from":{from},"to":{to},"message":{}}}"#, json_string(&r.message))
                    })
                    .collect();
                let fixes: Vec<String> = d
                    .fixes
                    .iter()
                    .map(|f| {
                        format!(
                            r#"{{"label":{},"applicability":"{}"}}"#,
                            json_string(&f.label),
                            f.applicability.as_str()
                        )
                    })
                    .collect();
                format!(
                    r#"{{"id":{id},"from":{from},"to":{to},"severity":"{}","message":{},"check":"{}","istioCode":{},"related":[{}],"fixes":[{}]}}"#,
                    d.severity.as_str(),
                    json_string(&d.message),
                    d.check,
                    d.istio_code.map_or("null".to_string(), |code| format!("\"{code}\"")),
                    related.join(","),
                    fixes.join(",")
                )
            })
            .collect();
        format!("[{}]", items.join(","))
    }

    /// The problems panel: most severe first, then in text order.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems: Vec<Problem> = (0..self.diagnostics().len())
            .map(|id| self.problem(id))
            .collect();
        routescope_core::order::sort_by_key(&mut problems, |p| {
            (std::cmp::Reverse(p.severity), p.id)
        });
        problems
    }

    /// The row of diagnostic `id` (an index into the diagnostics).
    fn problem(&self, id: usize) -> Problem {
        let d = &self.diagnostics()[id];
        let at = self.lines.line_col(self.text(), d.span.start as usize);
        Problem {
            id,
            severity: d.severity,
            check: d.check,
            message: d.message.clone(),
            istio_code: d.istio_code,
            line: at.line,
            column: at.column,
            first_fix: d.fixes.first().map(|f| f.applicability),
        }
    }

    /// A pasted access log line (or response flags) explained, with the problems of the text
    /// that can produce it (see `routescope_core::access_log`). Never inlined: the view
    /// calls it from both its build and rebuild paths, which would each get a copy.
    #[inline(never)]
    pub fn explain_log(&self, pasted: &str) -> Result<LogExplanation, ParseError> {
        let explanation = access_log::explain(&access_log::parse(pasted)?, &self.analysis);
        let related = explanation
            .related
            .iter()
            .map(|r| (self.problem(r.diagnostic), r.why.clone()))
            .collect();
        Ok(LogExplanation {
            explanation,
            related,
        })
    }

    /// The editor range of a diagnostic, to reveal it.
    pub fn diagnostic_range(&self, id: usize) -> Option<(usize, usize)> {
        let d = self.diagnostics().get(id)?;
        Some(self.editor_range(d.span.start, d.span.end))
    }

    /// Fix `index` of diagnostic `id`, with its editor edits and the diff it makes.
    pub fn fix(&self, id: usize, index: usize) -> Option<FixPreview> {
        let fix = self.diagnostics().get(id)?.fixes.get(index)?;
        Some(FixPreview {
            diagnostic: id,
            index,
            label: fix.label.clone(),
            applicability: fix.applicability,
            edits_json: self.edits_json(fix),
            diff: diff::unified(
                FILE_NAME,
                self.text(),
                &routescope_core::diagnostic::apply_edits(self.text(), &fix.edits),
            ),
        })
    }

    fn edits_json(&self, fix: &Fix) -> String {
        let edits: Vec<String> = fix
            .edits
            .iter()
            .map(|edit| {
                let (from, to) = self.editor_range(edit.span.start, edit.span.end);
                edit_json(from, to, &edit.replacement)
            })
            .collect();
        format!("[{}]", edits.join(","))
    }

    /// The text with every fix up to `max` applied (rounds until none is left).
    pub fn corrected(&self, max: Applicability) -> Corrected {
        let fixed = fix_all(self.analysis.mesh.sources.clone(), self.settings(), max);
        let text = fixed.text(FileId(0)).to_string();
        Corrected {
            diff: diff::unified(FILE_NAME, self.text(), &text),
            text,
        }
    }

    /// "Fix all safe" as one editor edit (one undo step), or `None` when nothing changes.
    pub fn fix_all_safe_json(&self) -> Option<String> {
        let corrected = self.corrected(Applicability::Safe);
        if corrected.text == self.text() {
            return None;
        }
        let (range, insert) = diff::smallest_edit(self.text(), &corrected.text);
        let (from, to) = self.editor_range(range.start as u32, range.end as u32);
        Some(format!("[{}]", edit_json(from, to, &insert)))
    }
}

fn edit_json(from: usize, to: usize, insert: &str) -> String {
    format!(
        r#"{{"from":{from},"to":{to},"insert":{}}}"#,
        json_string(insert)
    )
}

/// A JSON string literal. Written by hand: the few payloads for the editor do not justify a
/// JSON library's weight in the browser bundle.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn positions(analysis: &Analysis) -> (Utf16Map, LineIndex) {
    let text = analysis.mesh.sources.text(FileId(0));
    (Utf16Map::new(text), LineIndex::new(text))
}

/// Applies one editor change to `text`: `from..to` in UTF-16 units (the editor's positions)
/// replaced by `insert`. Positions past the end or inside a character are clamped.
pub fn apply_editor_change(text: &mut String, from: usize, to: usize, insert: &str) {
    let (start, end) = if text.is_ascii() {
        (from.min(text.len()), to.min(text.len()))
    } else {
        let map = Utf16Map::new(text);
        (map.to_byte(from), map.to_byte(to))
    };
    text.replace_range(start..end.max(start), insert);
}

/// Several opened or dropped files as one stream: each file's documents, `---` between files,
/// and a comment naming the file so people can tell them apart.
pub fn join_files(files: &[(String, String)]) -> String {
    let mut joined = String::new();
    for (name, text) in files {
        if !joined.is_empty() {
            if !joined.ends_with('\n') {
                joined.push('\n');
            }
            joined.push_str("---\n");
        }
        joined.push_str(&format!("# file: {name}\n"));
        joined.push_str(text);
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROKEN: &str = "# café ☕\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: shop}\nspec:\n  hosts: [shop.example.com]\n  gateways: [public]\n---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: istio-system}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [shop.example.com]\n";

    fn session() -> Session {
        Session::new(BROKEN.to_string(), MeshSettings::default())
    }

    #[test]
    fn editor_positions_count_utf16_units() {
        let session = session();
        let json: serde_json::Value =
            serde_json::from_str(&session.editor_diagnostics_json()).unwrap();
        let first = &json[0];
        assert_eq!(first["check"], "unknown-gateway");
        let from = first["from"].as_u64().unwrap() as usize;
        let utf16: Vec<u16> = BROKEN.encode_utf16().collect();
        let marked =
            String::from_utf16(&utf16[from..first["to"].as_u64().unwrap() as usize]).unwrap();
        assert_eq!(marked, "public");
        assert_eq!(first["fixes"][0]["applicability"], "safe");
    }

    #[test]
    fn problems_are_most_severe_first_with_positions() {
        let problems = session().problems();
        assert_eq!(problems[0].check, "unknown-gateway");
        assert_eq!((problems[0].line, problems[0].column), (7, 14));
        assert_eq!(problems[0].first_fix, Some(Applicability::Safe));
        let warning_only = Counts {
            errors: 0,
            warnings: 1,
            infos: 0,
        };
        assert_eq!(session().counts(), warning_only);
    }

    #[test]
    fn a_fix_gives_editor_edits_and_a_diff() {
        let preview = session().fix(0, 0).unwrap();
        assert_eq!(preview.applicability, Applicability::Safe);
        assert!(
            preview.diff.contains("+  gateways: [istio-system/public]"),
            "{}",
            preview.diff
        );
        let edits: serde_json::Value = serde_json::from_str(&preview.edits_json).unwrap();
        assert_eq!(edits[0]["insert"], "istio-system/public");
        assert!(session().fix(0, 9).is_none());
        assert!(session().fix(99, 0).is_none());
    }

    #[test]
    fn fix_all_safe_is_one_small_edit() {
        let mut session = session();
        let edits: serde_json::Value =
            serde_json::from_str(&session.fix_all_safe_json().unwrap()).unwrap();
        assert_eq!(edits.as_array().unwrap().len(), 1);
        let corrected = session.corrected(Applicability::Safe).text;
        session.update(corrected, MeshSettings::default());
        assert_eq!(session.counts(), Counts::default());
        assert_eq!(session.fix_all_safe_json(), None);
    }

    #[test]
    fn updates_follow_text_and_settings() {
        let mut session = session();
        let settings = MeshSettings {
            default_namespace: "istio-system".into(),
            ..MeshSettings::default()
        };
        session.update(BROKEN.to_string(), settings.clone());
        assert_eq!(
            session.counts(),
            Counts::default(),
            "the bare name now resolves"
        );
        assert_eq!(session.settings(), &settings);
    }

    #[test]
    fn an_access_log_line_is_explained_with_the_problems_it_points_to() {
        let mut session = session();
        session.update(
            crate::examples::EXAMPLES[0].broken.to_string(),
            MeshSettings::default(),
        );
        let line = r#"[2024-05-01T10:00:01.000Z] "GET /get HTTP/2" 404 NR route_not_found - "-" 0 0 0 - "203.0.113.7" "curl/8.5.0" "5d2c0c0e" "httpbin.example.com" "-" - - 10.244.0.5:8443 203.0.113.7:52316 httpbin.example.com -"#;
        let explained = session.explain_log(line).unwrap();
        assert_eq!(explained.explanation.flags[0].short, "NR");
        let (problem, why) = &explained.related[0];
        assert_eq!(problem.check, "tls-route-behind-terminating-gateway");
        assert_eq!((problem.line, problem.column), (31, 3));
        assert_eq!(why, "Can produce NR; about httpbin.example.com.");
        let error = session.explain_log("NR,XYZ").unwrap_err();
        assert_eq!(
            error.to_string(),
            "column 4: `XYZ` is not a response flag Envoy documents"
        );
    }

    #[test]
    fn json_strings_escape_what_json_requires() {
        let text = "a\"b\\c\nd\te\u{1}f\u{2028}<img src=x>é";
        let parsed: serde_json::Value = serde_json::from_str(&json_string(text)).unwrap();
        assert_eq!(parsed, text);
    }

    #[test]
    fn editor_changes_apply_in_utf16_positions() {
        let mut text = "a: é😀\nb: 1\n".to_string();
        // "b" is at UTF-16 offset 7 (a: é = 4, 😀 = 2, \n = 1).
        apply_editor_change(&mut text, 7, 8, "c");
        assert_eq!(text, "a: é😀\nc: 1\n");
        apply_editor_change(&mut text, 3, 6, "x");
        assert_eq!(text, "a: x\nc: 1\n");
        apply_editor_change(&mut text, 99, 99, "end");
        assert_eq!(text, "a: x\nc: 1\nend");
        let mut ascii = "key: value".to_string();
        apply_editor_change(&mut ascii, 5, 10, "other");
        assert_eq!(ascii, "key: other");
    }

    #[test]
    fn joined_files_are_one_stream() {
        let joined = join_files(&[
            ("a.yaml".into(), "a: 1".into()),
            ("b.yaml".into(), "b: 2\n".into()),
        ]);
        assert_eq!(joined, "# file: a.yaml\na: 1\n---\n# file: b.yaml\nb: 2\n");
    }
}
