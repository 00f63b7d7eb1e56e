//! Edits of whole documents of a stream.

use super::line_break;
use crate::diagnostic::Edit;
use crate::source::{FileId, Sources, Span};
use crate::yaml;

/// Appends `document` (YAML with `\n` line breaks) as a new document at the end of `file`,
/// after a `---` line, with the file's own line breaks.
pub fn append_document(sources: &Sources, file: FileId, document: &str) -> Edit {
    let text = sources.text(file);
    let newline = line_break(text);
    let mut appended = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        appended.push_str(newline);
    }
    appended.push_str("---");
    appended.push_str(newline);
    for line in document.lines() {
        appended.push_str(line);
        appended.push_str(newline);
    }
    Edit::insert(file, text.len(), appended)
}

/// Deletes the document that the resource spanning `span` is, from its `---` line to the next
/// one. `None` when the resource is not a document of its own (an item of a `kind: List`).
pub fn delete_document(sources: &Sources, span: Span) -> Option<Edit> {
    let text = sources.text(span.file);
    let start = span.start as usize;
    let chunk = yaml::split_documents(text)
        .into_iter()
        .find(|range| range.contains(&start))?;
    let only_markup = |part: &str| {
        part.lines().all(|line| {
            let line = line.trim();
            line.is_empty() || line.starts_with('#') || line.starts_with("---") || line == "..."
        })
    };
    let head = &text[chunk.start..start];
    let tail = &text[span.end as usize..chunk.end];
    (only_markup(head) && only_markup(tail)).then(|| Edit::delete(Span::new(span.file, chunk)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::apply_edits;
    use crate::edits::tests::span_of;
    use crate::source::FileId;

    #[test]
    fn deletes_a_document_with_its_marker_and_comments() {
        let text = "a: 1\r\n---\r\n# the second, café\r\nb: ☕\r\n---\r\nc: 3\r\n";
        let sources = Sources::single("t", text);
        let edit = delete_document(&sources, span_of(text, "b: ☕")).unwrap();
        assert_eq!(apply_edits(text, [&edit]), "a: 1\r\n---\r\nc: 3\r\n");
        let edit = delete_document(&sources, span_of(text, "a: 1")).unwrap();
        assert_eq!(apply_edits(text, [&edit]), &text["a: 1\r\n".len()..]);
    }

    #[test]
    fn appends_a_document_with_the_files_line_breaks() {
        let text = "a: 1\r\nb: é";
        let sources = Sources::single("t", text);
        let edit = append_document(&sources, FileId(0), "c: 3\nd: 4\n");
        assert_eq!(
            apply_edits(text, [&edit]),
            "a: 1\r\nb: é\r\n---\r\nc: 3\r\nd: 4\r\n"
        );
        let text = "a: 1\n";
        let sources = Sources::single("t", text);
        let edit = append_document(&sources, FileId(0), "c: 3\n");
        assert_eq!(apply_edits(text, [&edit]), "a: 1\n---\nc: 3\n");
    }

    #[test]
    fn an_item_of_a_list_is_not_a_document() {
        let text = "kind: List\nitems:\n- b: 2\n";
        let sources = Sources::single("t", text);
        assert!(delete_document(&sources, span_of(text, "b: 2")).is_none());
        let whole = Span::new(FileId(0), 0..text.len() - 1);
        assert!(delete_document(&sources, whole).is_some());
    }
}
