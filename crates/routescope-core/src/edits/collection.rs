//! Edits of the entries of a mapping and the items of a list, in block style (a key after a
//! `- ` list marker included) or flow style, keeping every other byte: comments, quotes,
//! blank lines, the user's indentation and line breaks.

use std::ops::Range;

use super::{after_lines_of, delete_lines, indent_before, insert_lines_after, item_indent};
use super::{line_break, line_start};
use crate::diagnostic::Edit;
use crate::source::{Sources, Span};
use crate::yaml::{Node, Value};

/// `{…}` or `[…]` rather than block style.
pub fn is_flow(sources: &Sources, node: &Node) -> bool {
    let text = sources.text(node.span.file);
    // A block collection starts where its first child does, which may be a bracket too.
    let first_child = match &node.value {
        Value::Mapping(entries) => entries.first().map(|entry| &entry.key),
        Value::Sequence(items) => items.first(),
        Value::Scalar(_) => None,
    };
    matches!(
        text.as_bytes().get(node.span.start as usize),
        Some(b'{' | b'[')
    ) && first_child.is_none_or(|child| child.span.start != node.span.start)
}

/// Deletes the entries at `remove` (ascending positions) from a mapping that keeps at least
/// one entry: their whole lines in block style; from a key that follows `- ` up to the next
/// kept key, which moves up behind the marker; with their separating commas in flow style.
/// `None` when the mapping would be left empty, a comment the entries do not own would go
/// with them (a comment line before the key moving up, a comment between flow entries), or
/// the layout cannot be edited cleanly.
pub fn delete_entries(sources: &Sources, mapping: &Node, remove: &[usize]) -> Option<Vec<Edit>> {
    let children: Vec<Range<usize>> = mapping
        .as_mapping()?
        .iter()
        .map(|entry| entry.span().range())
        .collect();
    delete_children(sources, mapping, &children, remove)
}

/// Deletes the items at `remove` (ascending positions) from a list that keeps at least one
/// item, the way [`delete_entries`] deletes entries: a block item from its `-` on.
pub fn delete_items(sources: &Sources, list: &Node, remove: &[usize]) -> Option<Vec<Edit>> {
    let text = sources.text(list.span.file);
    let flow = is_flow(sources, list);
    let children = list
        .as_sequence()?
        .iter()
        .map(|item| {
            let start = item.span.start as usize;
            let start = if flow {
                start
            } else {
                dash_before(text, start)?
            };
            Some(start..item.span.end as usize)
        })
        .collect::<Option<Vec<_>>>()?;
    delete_children(sources, list, &children, remove)
}

/// The `-` marker of the block list item starting at `offset`.
fn dash_before(text: &str, offset: usize) -> Option<usize> {
    let before = text[..offset].trim_end_matches([' ', '\t']);
    before.strip_suffix('-').map(str::len)
}

/// Deletes the `children` (ranges from a key or `-` to the end of the value) of `collection`
/// at `remove`; see [`delete_entries`].
fn delete_children(
    sources: &Sources,
    collection: &Node,
    children: &[Range<usize>],
    remove: &[usize],
) -> Option<Vec<Edit>> {
    let removed = |index: usize| remove.contains(&index);
    if (0..children.len()).all(removed) {
        return None;
    }
    let file = collection.span.file;
    let text = sources.text(file);
    let flow = is_flow(sources, collection);
    let mut edits = Vec::new();
    let mut index = 0;
    while index < children.len() {
        if !removed(index) {
            index += 1;
            continue;
        }
        let run_end = (index..children.len())
            .find(|&i| !removed(i))
            .unwrap_or(children.len());
        let run = &children[index..run_end];
        let (first, last) = (&run[0], &run[run.len() - 1]);
        if flow {
            // With the separator after the run, or before it for a run at the end.
            let (range, separators) = match children.get(run_end) {
                Some(next) => (first.start..next.start, &children[index..=run_end]),
                None => (
                    children[index - 1].end..last.end,
                    &children[index - 1..run_end],
                ),
            };
            let comment_between = separators
                .windows(2)
                .any(|pair| text[pair[0].end..pair[1].start].contains('#'));
            if comment_between {
                return None;
            }
            edits.push(Edit::delete(Span::new(file, range)));
        } else if indent_before(text, first.start).is_none() {
            // The first key after `- `: the next kept one moves up behind the marker, so it
            // must start the line after the run (whose own trailing comment goes with it).
            let next = children.get(run_end)?;
            let line_end = after_lines_of(text, Span::new(file, last.clone()));
            let rest = text[last.end..line_end].trim();
            let next_line_is_next =
                line_end <= next.start && text[line_end..next.start].chars().all(|c| c == ' ');
            if !(rest.is_empty() || rest.starts_with('#')) || !next_line_is_next {
                return None;
            }
            edits.push(Edit::delete(Span::new(file, first.start..next.start)));
        } else {
            for child in run {
                edits.push(delete_lines(sources, Span::new(file, child.clone()))?);
            }
        }
        index = run_end;
    }
    Some(edits)
}

/// Inserts one entry into a mapping: before its first entry (`after` = `None`) or after entry
/// `after`. `block` is the entry's lines in block style (the first at the key's column, the
/// others relative to it); `flow` the same entry in flow style. Before the first key of a
/// list item (`- key`), the new entry takes its place behind the marker and the old key moves
/// to a line of its own. `None` when the mapping's keys are not lined up by spaces alone.
pub fn insert_entry(
    sources: &Sources,
    mapping: &Node,
    after: Option<usize>,
    block: &[String],
    flow: &str,
) -> Option<Edit> {
    let entries = mapping.as_mapping()?;
    let file = mapping.span.file;
    let text = sources.text(file);
    let after = match after {
        Some(index) => Some(entries.get(index)?.span()),
        None => None,
    };
    if is_flow(sources, mapping) {
        return Some(match after {
            Some(entry) => Edit::insert(file, entry.end as usize, format!(", {flow}")),
            None => {
                let opening = mapping.span.start as usize + 1;
                let inside = &text[opening..];
                let at = opening + inside.len() - inside.trim_start_matches([' ', '\t']).len();
                let separator = match text[at..].chars().next() {
                    Some('}') => "",
                    Some('\r' | '\n') => ",",
                    _ => ", ",
                };
                Edit::insert(file, at, format!("{flow}{separator}"))
            }
        });
    }
    let first = entries.first()?.key.span.start as usize;
    let indent = item_indent(text, first)?;
    if let Some(entry) = after {
        return Some(insert_lines_after(sources, entry, &indent, block));
    }
    let newline = line_break(text);
    if indent_before(text, first).is_some() {
        let lines: String = block
            .iter()
            .map(|line| format!("{indent}{line}{newline}"))
            .collect();
        Some(Edit::insert(file, line_start(text, first), lines))
    } else {
        let separator = format!("{newline}{indent}");
        Some(Edit::insert(
            file,
            first,
            format!("{}{separator}", block.join(&separator)),
        ))
    }
}

/// [`insert_entry`] for an entry written the same in block and flow style: one line,
/// `key: value` with a scalar or flow value.
pub fn insert_one_line_entry(
    sources: &Sources,
    mapping: &Node,
    after: Option<usize>,
    entry: &str,
) -> Option<Edit> {
    insert_entry(sources, mapping, after, &[entry.to_string()], entry)
}

/// Appends scalar items (already quoted as needed) to a list, in its own style.
pub fn append_items(sources: &Sources, list: &Node, items: &[String]) -> Option<Edit> {
    let existing = list.as_sequence()?;
    let file = list.span.file;
    if is_flow(sources, list) {
        return Some(match existing.last() {
            Some(last) => Edit::insert(
                file,
                last.span.end as usize,
                items
                    .iter()
                    .map(|item| format!(", {item}"))
                    .collect::<String>(),
            ),
            None => Edit::insert(file, list.span.start as usize + 1, items.join(", ")),
        });
    }
    let text = sources.text(file);
    let last = existing.last()?;
    let indent = item_indent(text, dash_before(text, last.span.start as usize)?)?;
    let lines: Vec<String> = items.iter().map(|item| format!("- {item}")).collect();
    Some(insert_lines_after(sources, last.span, &indent, &lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::apply_edits;
    use crate::source::FileId;
    use crate::yaml::parse_documents;

    fn root(text: &str) -> Node {
        parse_documents(text, FileId(0), 0).unwrap().remove(0)
    }

    /// The text after the edits, or `None` when none were offered.
    fn applied(text: &str, edits: Option<Vec<Edit>>) -> Option<String> {
        edits.map(|edits| apply_edits(text, &edits))
    }

    /// The node at `path` (keys, and positions in lists) under `document`.
    fn at<'n>(document: &'n Node, path: &[&str]) -> &'n Node {
        path.iter()
            .fold(document, |node, key| match key.parse::<usize>() {
                Ok(index) => &node.as_sequence().unwrap()[index],
                Err(_) => node.get(key).unwrap(),
            })
    }

    fn delete(text: &str, path: &[&str], remove: &[usize]) -> Option<String> {
        let document = root(text);
        let node = at(&document, path);
        let edits = match node.as_mapping() {
            Some(_) => delete_entries(&Sources::single("t", text), node, remove),
            None => delete_items(&Sources::single("t", text), node, remove),
        };
        applied(text, edits)
    }

    fn insert(
        text: &str,
        path: &[&str],
        after: Option<usize>,
        block: &[&str],
        flow: &str,
    ) -> Option<String> {
        let document = root(text);
        let node = at(&document, path);
        let block: Vec<String> = block.iter().map(|line| line.to_string()).collect();
        let edit = insert_entry(&Sources::single("t", text), node, after, &block, flow);
        applied(text, edit.map(|edit| vec![edit]))
    }

    #[test]
    fn deletes_block_entries_with_their_lines_and_comments() {
        let text = "a:\n  b: 1 # b's\n  # about c\n  c:\n    d: é\n  e: ☕\n";
        assert_eq!(
            delete(text, &["a"], &[1]).as_deref(),
            Some("a:\n  b: 1 # b's\n  # about c\n  e: ☕\n")
        );
        assert_eq!(
            delete(text, &["a"], &[0, 1]).as_deref(),
            Some("a:\n  # about c\n  e: ☕\n")
        );
        assert_eq!(delete(text, &["a"], &[0, 1, 2]), None, "left empty");
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(
            delete(&crlf, &["a"], &[2]),
            Some("a:\r\n  b: 1 # b's\r\n  # about c\r\n  c:\r\n    d: é\r\n".into())
        );
    }

    #[test]
    fn deletes_the_first_key_of_a_list_item() {
        let text = "- a: 1 # one\n  b: [x]\n  c: 3\n";
        assert_eq!(delete(text, &["0"], &[0, 1]).as_deref(), Some("- c: 3\n"));
        assert_eq!(
            delete(text, &["0"], &[0]).as_deref(),
            Some("- b: [x]\n  c: 3\n")
        );
        assert_eq!(
            delete(text, &["0"], &[1]).as_deref(),
            Some("- a: 1 # one\n  c: 3\n")
        );
        let crlf = "- é: {x: 1}\r\n  b: ☕\r\n";
        assert_eq!(delete(crlf, &["0"], &[0]).as_deref(), Some("- b: ☕\r\n"));
        // The next key cannot move up over a comment line or a blank line.
        assert_eq!(delete("- a: 1\n  # about b\n  b: 2\n", &["0"], &[0]), None);
        assert_eq!(delete("- a: 1\n\n  b: 2\n", &["0"], &[0]), None);
    }

    #[test]
    fn deletes_flow_entries_with_their_commas() {
        let text = "{a: 1, b: 'é', c: ☕}\n";
        assert_eq!(delete(text, &[], &[1, 2]).as_deref(), Some("{a: 1}\n"));
        assert_eq!(delete(text, &[], &[0, 2]).as_deref(), Some("{b: 'é'}\n"));
        assert_eq!(delete(text, &[], &[1]).as_deref(), Some("{a: 1, c: ☕}\n"));
        let multi_line = "{\n  a: 1, # keep\n  b: 2\n}\n";
        assert_eq!(
            delete(multi_line, &[], &[0]),
            None,
            "a comment between entries"
        );
        assert_eq!(
            delete("- {a: 1, b: 2}\r\n", &["0"], &[1]).as_deref(),
            Some("- {a: 1}\r\n")
        );
    }

    #[test]
    fn deletes_list_items_in_both_styles() {
        let text = "hosts:\n- a # é\n- \"b\"\n- ☕\nflow: [a, \"b\", ☕]\n";
        assert_eq!(
            delete(text, &["hosts"], &[1]).as_deref(),
            Some("hosts:\n- a # é\n- ☕\nflow: [a, \"b\", ☕]\n")
        );
        assert_eq!(
            delete(text, &["flow"], &[0]).as_deref(),
            Some("hosts:\n- a # é\n- \"b\"\n- ☕\nflow: [\"b\", ☕]\n")
        );
        assert_eq!(
            delete(text, &["flow"], &[1, 2]).as_deref(),
            Some("hosts:\n- a # é\n- \"b\"\n- ☕\nflow: [a]\n")
        );
        assert_eq!(delete(text, &["flow"], &[0, 1, 2]), None, "left empty");
        let items = "- name: a\r\n  x: 1\r\n- name: é\r\n";
        assert_eq!(delete(items, &[], &[0]).as_deref(), Some("- name: é\r\n"));
        let nested = "- - a\n  - b\n";
        assert_eq!(delete(nested, &["0"], &[0]).as_deref(), Some("- - b\n"));
    }

    #[test]
    fn inserts_entries_in_block_style() {
        let text = "a:\r\n  b: 1 # é\r\n  c:\r\n    d: ☕\r\n";
        assert_eq!(
            insert(text, &["a"], None, &["z: 0"], "z: 0").as_deref(),
            Some("a:\r\n  z: 0\r\n  b: 1 # é\r\n  c:\r\n    d: ☕\r\n")
        );
        assert_eq!(
            insert(text, &["a"], Some(1), &["z:", "  y: é"], "z: {y: é}").as_deref(),
            Some("a:\r\n  b: 1 # é\r\n  c:\r\n    d: ☕\r\n  z:\r\n    y: é\r\n")
        );
        assert_eq!(
            insert("a:\n  b: café", &["a"], Some(0), &["z: 0"], "z: 0").as_deref(),
            Some("a:\n  b: café\n  z: 0\n"),
            "at the end of a text without a final line break"
        );
    }

    #[test]
    fn inserts_before_the_first_key_of_a_list_item() {
        let text = "- a: 1\r\n  b: é\r\n";
        assert_eq!(
            insert(text, &["0"], None, &["z: 0", "y: ☕"], "").as_deref(),
            Some("- z: 0\r\n  y: ☕\r\n  a: 1\r\n  b: é\r\n")
        );
        assert_eq!(
            insert(text, &["0"], Some(0), &["z: 0"], "").as_deref(),
            Some("- a: 1\r\n  z: 0\r\n  b: é\r\n")
        );
        let bare = "-\n  a: 1\n";
        assert_eq!(
            insert(bare, &["0"], None, &["z: 0"], "").as_deref(),
            Some("-\n  z: 0\n  a: 1\n")
        );
    }

    #[test]
    fn inserts_entries_in_flow_style() {
        let text = "tls: {}\nport: { n: 'é' }\nx: {\n  a: 1}\n";
        assert_eq!(
            insert(text, &["tls"], None, &[], "mode: SIMPLE").as_deref(),
            Some("tls: {mode: SIMPLE}\nport: { n: 'é' }\nx: {\n  a: 1}\n")
        );
        assert_eq!(
            insert(text, &["port"], None, &[], "z: ☕").as_deref(),
            Some("tls: {}\nport: { z: ☕, n: 'é' }\nx: {\n  a: 1}\n")
        );
        assert_eq!(
            insert(text, &["port"], Some(0), &[], "z: ☕").as_deref(),
            Some("tls: {}\nport: { n: 'é', z: ☕ }\nx: {\n  a: 1}\n")
        );
        assert_eq!(
            insert(text, &["x"], None, &[], "z: 0").as_deref(),
            Some("tls: {}\nport: { n: 'é' }\nx: {z: 0,\n  a: 1}\n")
        );
    }

    #[test]
    fn edits_next_to_non_ascii_text_and_comments() {
        let text = "hosts:\n- 'it''s' # café ☕\n- \"a\\\"b\" # ☕\nkey: \"v\" # ☕\nz: é\n";
        let sources = Sources::single("t", text);
        let document = root(text);
        let hosts = document.get("hosts").unwrap();
        let edit = append_items(&sources, hosts, &["c".into()]).unwrap();
        assert_eq!(
            apply_edits(text, [&edit]),
            text.replace("# ☕\nkey", "# ☕\n- c\nkey")
        );
        let edits = delete_entries(&sources, &document, &[1, 2]).unwrap();
        assert_eq!(
            apply_edits(text, &edits),
            text.replace("key: \"v\" # ☕\nz: é\n", "")
        );
        let edit = insert_one_line_entry(&sources, &document, Some(2), "y: 1").unwrap();
        assert_eq!(apply_edits(text, [&edit]), format!("{text}y: 1\n"));
    }

    #[test]
    fn appends_items_in_the_lists_style() {
        let text = "hosts:\r\n  - \"a\" # é\r\n  - 'it''s' # ☕\r\nx: [b]\r\ny: []\r\n";
        let document = root(text);
        let sources = Sources::single("t", text);
        let append = |key: &str| {
            let edit = append_items(&sources, document.get(key).unwrap(), &["\"c\"".into()]);
            applied(text, edit.map(|edit| vec![edit])).unwrap()
        };
        assert_eq!(
            append("hosts"),
            text.replace("# ☕\r\n", "# ☕\r\n  - \"c\"\r\n")
        );
        assert_eq!(append("x"), text.replace("[b]", "[b, \"c\"]"));
        assert_eq!(append("y"), text.replace("[]", "[\"c\"]"));
    }
}
