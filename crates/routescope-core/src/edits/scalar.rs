//! Edits of single scalar values, and scalars written for insertion.

use crate::diagnostic::Edit;
use crate::source::{Sources, Span};
use crate::yaml::Node;

/// Replaces a scalar's value, keeping the quotes it was written with.
pub fn replace_scalar(sources: &Sources, span: Span, value: &str) -> Edit {
    let written = sources.slice(span);
    let quote = written
        .chars()
        .next()
        .filter(|&c| (c == '"' || c == '\'') && written.len() >= 2 && written.ends_with(c));
    match quote {
        Some(quote) => Edit::replace(span, format!("{quote}{value}{quote}")),
        None => Edit::replace(span, value),
    }
}

/// A host or other string as a double-quoted YAML scalar (`*` would start an alias).
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `text` as a scalar written like `sibling`: double-quoted if the sibling is or YAML needs
/// it (a leading `*` would start an alias), plain otherwise.
pub fn scalar_like(sources: &Sources, sibling: &Node, text: &str) -> String {
    let sibling_quoted = sources.slice(sibling.span).starts_with(['"', '\'']);
    let plain_safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
    if sibling_quoted || !plain_safe {
        quoted(text)
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edits::tests::span_of;
    use crate::source::FileId;
    use crate::yaml::parse_documents;

    #[test]
    fn replacing_keeps_the_quotes_written() {
        let text = "a: \"SIMPLE\" # é\r\nb: 'x'\r\nc: café\r\nd: \"\"\r\n";
        let sources = Sources::single("t", text);
        let replaced =
            |needle: &str| replace_scalar(&sources, span_of(text, needle), "☕").replacement;
        assert_eq!(replaced("\"SIMPLE\""), "\"☕\"");
        assert_eq!(replaced("'x'"), "'☕'");
        assert_eq!(replaced("café"), "☕");
        assert_eq!(replaced("\"\""), "\"☕\"");
    }

    #[test]
    fn quoting_escapes_and_follows_the_siblings_style() {
        assert_eq!(quoted("*.example.com"), "\"*.example.com\"");
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
        let text = "- \"a.com\"\n- b.com\n";
        let sources = Sources::single("t", text);
        let list = parse_documents(text, FileId(0), 0).unwrap().remove(0);
        let [quoted_sibling, plain_sibling] = list.as_sequence().unwrap() else {
            panic!("two items");
        };
        assert_eq!(scalar_like(&sources, quoted_sibling, "c.com"), "\"c.com\"");
        assert_eq!(scalar_like(&sources, plain_sibling, "ns/c.com"), "ns/c.com");
        assert_eq!(
            scalar_like(&sources, plain_sibling, "*.c.com"),
            "\"*.c.com\""
        );
        assert_eq!(
            scalar_like(&sources, plain_sibling, "café.com"),
            "\"café.com\""
        );
    }
}
