//! Building blocks for fixes: text edits that keep the user's formatting.
//!
//! Deleting or inserting whole lines is the robust way to change block YAML: saphyr's spans
//! of block collections stop at their last child, comments are not nodes, and the user's
//! indentation must be reused rather than guessed. This module holds the line-level pieces;
//! [`scalar`] rewrites single values, [`collection`] the entries of mappings and the items of
//! lists (block or flow style), [`document`] whole documents, and [`fields`] the edits of
//! Istio fields that several checks make.

mod collection;
mod document;
mod fields;
mod scalar;

pub use collection::{
    append_items, delete_entries, delete_items, insert_entry, insert_one_line_entry, is_flow,
};
pub use document::{append_document, delete_document};
pub use fields::{CREDENTIAL_PLACEHOLDER, respell_group_kind, retype_port};
pub use scalar::{quoted, replace_scalar, scalar_like};

use crate::diagnostic::Edit;
use crate::source::{Sources, Span};

/// Offset of the start of the line holding `offset`.
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |at| at + 1)
}

/// Offset just past the line break ending the line that holds `offset` (or the text's end).
pub fn next_line_start(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at + 1)
}

/// The line break the text uses (`\r\n` or `\n`), so inserted lines match.
pub fn line_break(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// The white space between the start of the line and `offset`, when only white space is
/// there (a block key that starts its line); `None` otherwise (`- key:` or flow style).
pub fn indent_before(text: &str, offset: usize) -> Option<&str> {
    let before = &text[line_start(text, offset)..offset];
    before
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then_some(before)
}

/// The column (in bytes of white space and `- ` markers) at which `offset` stands, for
/// indenting new lines to line up with it.
pub fn column_of(text: &str, offset: usize) -> usize {
    offset - line_start(text, offset)
}

/// The spaces that line up a new line with `offset`, when only indentation and `- ` list
/// markers stand before it on its line (a block key, the first key of a list item, a block
/// list item); `None` otherwise (flow style, tabs).
pub(super) fn item_indent(text: &str, offset: usize) -> Option<String> {
    let before = &text[line_start(text, offset)..offset];
    before
        .chars()
        .all(|c| c == ' ' || c == '-')
        .then(|| " ".repeat(before.len()))
}

/// Just past the line break ending the line that holds the last byte of `span` (for an empty
/// span, the line holding it). Works on offsets only, which are character boundaries: the
/// last byte itself may be inside a multi-byte character.
pub(super) fn after_lines_of(text: &str, span: Span) -> usize {
    let end = span.end as usize;
    if end > span.start as usize && text[..end].ends_with('\n') {
        end
    } else {
        next_line_start(text, end)
    }
}

/// Deletes the whole lines from the one holding `span.start` through the one holding the
/// span's last byte, when nothing else shares those lines. `None` when the entry is not
/// alone on its lines (flow style, or the first key after a `- `).
pub fn delete_lines(sources: &Sources, span: Span) -> Option<Edit> {
    let text = sources.text(span.file);
    indent_before(text, span.start as usize)?;
    let end = after_lines_of(text, span);
    let rest_of_line = &text[span.end as usize..end];
    if !rest_of_line.trim().is_empty() && !rest_of_line.trim_start().starts_with('#') {
        return None;
    }
    let start = line_start(text, span.start as usize);
    Some(Edit::delete(Span::new(span.file, start..end)))
}

/// Inserts lines after the line holding `after`, each prefixed by `indent`. `lines` are
/// given without line breaks; the text's own line break is used.
pub fn insert_lines_after(sources: &Sources, after: Span, indent: &str, lines: &[String]) -> Edit {
    let text = sources.text(after.file);
    let at = after_lines_of(text, after);
    let newline = line_break(text);
    let mut inserted = String::new();
    if at == text.len() && !text.ends_with('\n') {
        inserted.push_str(newline);
    }
    for line in lines {
        inserted.push_str(indent);
        inserted.push_str(line);
        inserted.push_str(newline);
    }
    Edit::insert(after.file, at, inserted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::apply_edits;
    use crate::source::FileId;

    pub(super) fn span_of(text: &str, needle: &str) -> Span {
        let start = text.find(needle).unwrap();
        Span::new(FileId(0), start..start + needle.len())
    }

    #[test]
    fn item_indent_lines_up_with_keys_and_items() {
        let text = "a:\n  b: 1\n- c: 2\n  - - d\n\te: 3\nf: {g: 4}\n";
        let at = |needle: &str| text.find(needle).unwrap();
        assert_eq!(item_indent(text, at("b: 1")).as_deref(), Some("  "));
        assert_eq!(item_indent(text, at("c: 2")).as_deref(), Some("  "));
        assert_eq!(item_indent(text, at("d\n")).as_deref(), Some("      "));
        assert_eq!(item_indent(text, at("e: 3")), None, "tabs");
        assert_eq!(item_indent(text, at("g: 4")), None, "flow");
        assert_eq!(column_of(text, at("d\n")), 6);
    }

    #[test]
    fn deletes_whole_lines_of_a_block_entry() {
        let text = "a:\n  b: 1 # note\n  c: 2\n";
        let sources = Sources::single("t", text);
        let edit = delete_lines(&sources, span_of(text, "b: 1")).unwrap();
        assert_eq!(apply_edits(text, [&edit]), "a:\n  c: 2\n");
    }

    #[test]
    fn refuses_entries_that_share_a_line() {
        let text = "a: {b: 1, c: 2}\n- d: 1\n  e: 2\n";
        let sources = Sources::single("t", text);
        assert!(delete_lines(&sources, span_of(text, "b: 1")).is_none());
        assert!(delete_lines(&sources, span_of(text, "d: 1")).is_none());
    }

    #[test]
    fn spans_ending_in_a_multi_byte_character() {
        let text = "a: café\nb: 1\n";
        let sources = Sources::single("t", text);
        let span = span_of(text, "a: café");
        let edit = delete_lines(&sources, span).unwrap();
        assert_eq!(apply_edits(text, [&edit]), "b: 1\n");
        let insert = insert_lines_after(&sources, span, "", &["z: ☕".into()]);
        assert_eq!(apply_edits(text, [&insert]), "a: café\nz: ☕\nb: 1\n");
        let at_end = span_of(text, "b: 1\n");
        let insert = insert_lines_after(&sources, at_end, "", &["z: 2".into()]);
        assert_eq!(apply_edits(text, [&insert]), "a: café\nb: 1\nz: 2\n");
    }

    #[test]
    fn inserts_with_the_texts_line_breaks() {
        let text = "mode: \"SIMPLE\"\r\nx: 1";
        let sources = Sources::single("t", text);
        let insert = insert_lines_after(&sources, span_of(text, "x: 1"), "", &["y: 2".into()]);
        assert_eq!(
            apply_edits(text, [&insert]),
            "mode: \"SIMPLE\"\r\nx: 1\r\ny: 2\r\n"
        );
    }
}
