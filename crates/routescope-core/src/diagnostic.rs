//! What a check reports: [`Diagnostic`]s carrying [`Fix`]es, which are plain text [`Edit`]s.

use std::fmt;

use crate::source::{FileId, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a fix can be trusted. Each check documents its choice under `## Fix safety`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Does what the check's docs prescribe and needs no value from the user: apply at once.
    Safe,
    /// Changes behaviour in a way the user must review, or inserts a marked placeholder.
    Unsafe,
    /// Advice shown as a diff; never applied automatically.
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// Replace the bytes of `span` with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

impl Edit {
    pub fn replace(span: Span, replacement: impl Into<String>) -> Edit {
        Edit {
            span,
            replacement: replacement.into(),
        }
    }

    pub fn insert(file: FileId, at: usize, text: impl Into<String>) -> Edit {
        Edit::replace(Span::new(file, at..at), text)
    }

    pub fn delete(span: Span) -> Edit {
        Edit::replace(span, "")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub label: String,
    pub applicability: Applicability,
    /// Sorted by position, non-overlapping (see [`Fix::new`]).
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix from edits in any order. Panics on overlapping edits: that is a bug in the check,
    /// and the meta-tests run every fix.
    pub fn new(
        label: impl Into<String>,
        applicability: Applicability,
        mut edits: Vec<Edit>,
    ) -> Fix {
        crate::order::sort(&mut edits);
        edits.dedup();
        for pair in edits.windows(2) {
            let (a, b) = (&pair[0].span, &pair[1].span);
            assert!(
                a.file != b.file || a.end <= b.start,
                "overlapping edits in one fix: bytes {}..{} and {}..{}",
                a.start,
                a.end,
                b.start,
                b.end
            );
        }
        Fix {
            label: label.into(),
            applicability,
            edits,
        }
    }

    pub fn safe(label: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(label, Applicability::Safe, edits)
    }

    pub fn unsafe_(label: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(label, Applicability::Unsafe, edits)
    }

    pub fn display_only(label: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(label, Applicability::DisplayOnly, edits)
    }
}

/// The resource a diagnostic is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The id of the check that reported it (`double-tls`).
    pub check: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub related: Vec<Related>,
    /// Istio's analyzer code for the same problem, where one exists (`IST0101`).
    pub istio_code: Option<&'static str>,
    pub resource: Option<ResourceRef>,
    /// The status condition a Gateway API controller would set for this problem, as
    /// (`type`, `reason`): (`Accepted`, `NotAllowedByListeners`).
    pub condition: Option<(&'static str, &'static str)>,
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    pub fn new(
        check: &'static str,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            check,
            severity,
            message: message.into(),
            span,
            related: Vec::new(),
            istio_code: None,
            resource: None,
            condition: None,
            fixes: Vec::new(),
        }
    }

    pub fn condition(mut self, type_: &'static str, reason: &'static str) -> Diagnostic {
        self.condition = Some((type_, reason));
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }

    pub fn istio_code(mut self, code: &'static str) -> Diagnostic {
        self.istio_code = Some(code);
        self
    }

    pub fn resource(mut self, resource: ResourceRef) -> Diagnostic {
        self.resource = Some(resource);
        self
    }

    pub fn fix(mut self, fix: Fix) -> Diagnostic {
        self.fixes.push(fix);
        self
    }
}

/// How many diagnostics of each severity there are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of<'d>(diagnostics: impl IntoIterator<Item = &'d Diagnostic>) -> Counts {
        let mut counts = Counts::default();
        for diagnostic in diagnostics {
            match diagnostic.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info => counts.infos += 1,
            }
        }
        counts
    }
}

impl fmt::Display for Counts {
    /// `0 errors, 1 warning, 2 infos`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {}",
            counted(self.errors, "error"),
            counted(self.warnings, "warning"),
            counted(self.infos, "info")
        )
    }
}

/// `1 error`, `2 errors`.
pub fn counted(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// Applies sorted, non-overlapping edits of one file to its text. Every byte outside the
/// edits is kept as it was.
pub fn apply_edits<'e>(text: &str, edits: impl IntoIterator<Item = &'e Edit>) -> String {
    let mut output = String::with_capacity(text.len());
    let mut cursor = 0;
    for edit in edits {
        let range = edit.span.range();
        output.push_str(&text[cursor..range.start]);
        output.push_str(&edit.replacement);
        cursor = range.end;
    }
    output.push_str(&text[cursor..]);
    output
}

/// Whether `after` equals `before` everywhere outside `edits` (sorted, non-overlapping, of one
/// file): between and around the edits the text is the same, and each edit's place holds its
/// replacement. [`apply_edits`] promises this; fixes are judged by it (see
/// [`crate::verify_fix`]).
pub fn kept_outside_edits<'e>(
    before: &str,
    edits: impl IntoIterator<Item = &'e Edit>,
    after: &str,
) -> bool {
    let (before, after) = (before.as_bytes(), after.as_bytes());
    let (mut cursor, mut out_cursor) = (0, 0);
    for edit in edits {
        let range = edit.span.range();
        let Some(kept) = before.get(cursor..range.start) else {
            return false;
        };
        let replacement = edit.replacement.as_bytes();
        let place = out_cursor + kept.len();
        if after.get(out_cursor..place) != Some(kept)
            || after.get(place..place + replacement.len()) != Some(replacement)
        {
            return false;
        }
        out_cursor = place + replacement.len();
        cursor = range.end;
    }
    before.get(cursor..) == after.get(out_cursor..)
}

/// Merges the edits of several fixes for one file, dropping any fix whose edits overlap an
/// already accepted one (it will apply on the next round, against the new text).
pub fn merge_fixes<'f>(file: FileId, fixes: impl IntoIterator<Item = &'f Fix>) -> Vec<Edit> {
    let mut accepted: Vec<Edit> = Vec::new();
    for fix in fixes {
        let edits: Vec<&Edit> = fix.edits.iter().filter(|e| e.span.file == file).collect();
        let overlaps = edits.iter().any(|edit| {
            accepted.iter().any(|other| {
                let (a, b) = (edit.span, other.span);
                a.start < b.end && b.start < a.end || (a.start == b.start && a.is_empty())
            })
        });
        if !overlaps {
            accepted.extend(edits.into_iter().cloned());
        }
    }
    crate::order::sort(&mut accepted);
    accepted
}

/// Where `span` of a text lies after `edits` are applied to it: edits before it move it, edits
/// inside it grow or shrink it (an edit that overlaps one of its ends moves that end to the
/// edit's end).
pub fn shifted_by(span: Span, edits: &[Edit]) -> Span {
    let moved = |offset: u32, at_end: bool| -> u32 {
        let mut delta: i64 = 0;
        for edit in edits.iter().filter(|edit| edit.span.file == span.file) {
            let replaced = (edit.span.end - edit.span.start) as i64;
            let before = edit.span.end < offset || (edit.span.end == offset && at_end);
            if before {
                delta += edit.replacement.len() as i64 - replaced;
            }
        }
        (offset as i64 + delta).max(0) as u32
    };
    Span {
        file: span.file,
        start: moved(span.start, false),
        end: moved(span.end, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_say_each_severity_in_words() {
        let at = Span::new(FileId(0), 0..0);
        let diagnostics = [
            Diagnostic::new("a", Severity::Error, at, "x"),
            Diagnostic::new("a", Severity::Info, at, "y"),
            Diagnostic::new("a", Severity::Info, at, "z"),
        ];
        let counts = Counts::of(&diagnostics);
        assert_eq!((counts.errors, counts.warnings, counts.infos), (1, 0, 2));
        assert_eq!(counts.to_string(), "1 error, 0 warnings, 2 infos");
    }

    #[test]
    fn edits_keep_every_other_byte() {
        let text = "a: 1 # keep\nb: 'x'\n";
        let file = FileId(0);
        let edits = [
            Edit::replace(Span::new(file, 3..4), "2"),
            Edit::insert(file, text.len(), "c: 3\n"),
        ];
        assert_eq!(apply_edits(text, &edits), "a: 2 # keep\nb: 'x'\nc: 3\n");
    }

    #[test]
    fn kept_outside_edits_notices_any_other_change() {
        let text = "a: 1 # keep\nb: 'x'\n";
        let file = FileId(0);
        let edits = [
            Edit::replace(Span::new(file, 3..4), "2"),
            Edit::insert(file, text.len(), "c: 3\n"),
        ];
        let output = apply_edits(text, &edits);
        assert!(kept_outside_edits(text, &edits, &output));
        assert!(!kept_outside_edits(
            text,
            &edits,
            &output.replace("keep", "kept")
        ));
        assert!(!kept_outside_edits(
            text,
            &edits,
            &output.replace("c: 3", "c: 4")
        ));
        assert!(!kept_outside_edits(text, &edits, &format!("{output}\n")));
        assert!(!kept_outside_edits(text, &edits[..1], &output));
    }

    #[test]
    fn merging_skips_overlapping_fixes() {
        let file = FileId(0);
        let first = Fix::safe("one", vec![Edit::replace(Span::new(file, 0..2), "x")]);
        let second = Fix::safe("two", vec![Edit::replace(Span::new(file, 1..3), "y")]);
        let third = Fix::safe("three", vec![Edit::replace(Span::new(file, 5..6), "z")]);
        let merged = merge_fixes(file, [&first, &second, &third]);
        assert_eq!(merged.len(), 2);
        assert_eq!(apply_edits("abcdefg", &merged), "xcdezg");
    }

    #[test]
    #[should_panic(expected = "overlapping edits")]
    fn overlapping_edits_in_one_fix_are_a_bug() {
        let file = FileId(0);
        Fix::safe(
            "bad",
            vec![
                Edit::replace(Span::new(file, 0..3), "x"),
                Edit::replace(Span::new(file, 2..4), "y"),
            ],
        );
    }
}
