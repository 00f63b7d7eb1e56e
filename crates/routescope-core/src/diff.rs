//! What a fix changes, for people to review: a unified line diff, and the single smallest edit
//! turning one text into another (so "fix all" is one editor transaction, undone with one
//! Ctrl+Z, that keeps the cursor where nothing changed).

use similar::TextDiff;

/// A unified diff (`---`/`+++` headers, `@@` hunks, 3 lines of context); empty when equal.
pub fn unified(name: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(name, &format!("{name} (fixed)"))
        .to_string()
}

/// One line of a side-by-side or inline view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// Every line of both texts, marked kept, removed or added (for an inline view).
pub fn lines(before: &str, after: &str) -> Vec<DiffLine> {
    TextDiff::from_lines(before, after)
        .iter_all_changes()
        .map(|change| {
            let text = change.value().trim_end_matches(['\n', '\r']).to_string();
            match change.tag() {
                similar::ChangeTag::Equal => DiffLine::Same(text),
                similar::ChangeTag::Delete => DiffLine::Removed(text),
                similar::ChangeTag::Insert => DiffLine::Added(text),
            }
        })
        .collect()
}

/// The byte range of `before` to replace, and its replacement, that turn `before` into
/// `after`: everything outside the common prefix and suffix.
pub fn smallest_edit(before: &str, after: &str) -> (std::ops::Range<usize>, String) {
    let prefix = before
        .char_indices()
        .zip(after.chars())
        .find(|((_, a), b)| a != b)
        .map_or(before.len().min(after.len()), |((index, _), _)| index);
    let prefix = floor_boundary(after, prefix.min(after.len()));
    let max_suffix = (before.len() - prefix).min(after.len() - prefix);
    let suffix = before
        .bytes()
        .rev()
        .zip(after.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let mut before_end = before.len() - suffix;
    let mut after_end = after.len() - suffix;
    while !before.is_char_boundary(before_end) || !after.is_char_boundary(after_end) {
        before_end += 1;
        after_end += 1;
    }
    (prefix..before_end, after[prefix..after_end].to_string())
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_names_the_change() {
        let diff = unified("a.yaml", "x: 1\ny: 2\n", "x: 1\ny: 3\n");
        assert!(diff.contains("-y: 2\n+y: 3\n"), "{diff}");
        assert!(
            diff.starts_with("--- a.yaml\n+++ a.yaml (fixed)\n"),
            "{diff}"
        );
        assert_eq!(unified("a", "same", "same"), "");
    }

    #[test]
    fn smallest_edit_replaces_only_the_middle() {
        let cases = [
            ("mode: SIMPLE\n", "mode: PASSTHROUGH\n"),
            ("a: é1\n", "a: é2\n"),
            ("aaa", "aa"),
            ("", "new"),
            ("😀x😀", "😀y😀"),
            ("abab", "ab"),
        ];
        for (before, after) in cases {
            let (range, replacement) = smallest_edit(before, after);
            let mut rebuilt = before.to_string();
            rebuilt.replace_range(range.clone(), &replacement);
            assert_eq!(rebuilt, after, "{before:?} → {after:?}");
        }
        assert_eq!(
            smallest_edit("mode: SIMPLE\n", "mode: PASSTHROUGH\n").0,
            6..12
        );
    }

    #[test]
    fn inline_lines_mark_changes() {
        assert_eq!(
            lines("a\nb\n", "a\nc\n"),
            vec![
                DiffLine::Same("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Added("c".into())
            ]
        );
    }
}
