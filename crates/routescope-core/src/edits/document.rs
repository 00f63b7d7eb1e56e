//! Edits of whole documents of a stream.

use crate::diagnostic::Edit;
use crate::source::{Sources, Span};
use crate::yaml;

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
    fn an_item_of_a_list_is_not_a_document() {
        let text = "kind: List\nitems:\n- b: 2\n";
        let sources = Sources::single("t", text);
        assert!(delete_document(&sources, span_of(text, "b: 2")).is_none());
        let whole = Span::new(FileId(0), 0..text.len() - 1);
        assert!(delete_document(&sources, whole).is_some());
    }
}
