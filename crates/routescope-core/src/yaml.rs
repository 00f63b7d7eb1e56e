//! YAML text → a tree of [`Node`]s whose every key and value carries its byte [`Span`].
//!
//! Built directly on saphyr-parser's events (not saphyr's `MarkedYaml`) for three reasons: the
//! tree can be built with an explicit stack, so nesting depth is checked before anything
//! recurses; alias expansion is charged against a node budget, so alias bombs stop early; and
//! parsing each `---` document on its own lets one broken document leave the others intact
//! (and lets the playground re-parse only the documents that changed).

use std::collections::HashMap;

use compact_str::CompactString;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::limits::{MAX_ALIAS_NODES, MAX_DEPTH};
use crate::source::{FileId, Span};

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Mapping(Vec<Entry>),
    Sequence(Vec<Node>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// Inline up to 24 bytes, exactly as long as the text beyond: a large input has hundreds of
    /// thousands of scalars.
    pub text: CompactString,
    /// Plain (unquoted, not a block scalar): only plain scalars can be null, numbers or booleans.
    pub plain: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|scalar| &*scalar.text)
    }

    pub fn as_mapping(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Sequence(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        self.as_scalar().is_some_and(Scalar::is_null)
    }

    /// The entry whose key is the scalar `key`, if this is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_mapping()?
            .iter()
            .find(|entry| entry.key.as_str() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The position of the entry whose key is the scalar `key`, if this is a mapping.
    pub fn entry_index(&self, key: &str) -> Option<usize> {
        self.as_mapping()?
            .iter()
            .position(|entry| entry.key.as_str() == Some(key))
    }

    /// The node under this one (a value or a list item, not a key) whose span is exactly
    /// `span`: the look-up from a model field back to its YAML, so a fix can see every key,
    /// not only the modelled ones. Descends through the child containing `span`, so it takes
    /// time in the depth of the tree, not its size.
    pub fn descendant(&self, span: Span) -> Option<&Node> {
        let mut node = self;
        while node.span != span {
            if !node.span.contains(span) {
                return None;
            }
            node = node.child_containing(span)?;
        }
        Some(node)
    }

    fn child_containing(&self, span: Span) -> Option<&Node> {
        match &self.value {
            Value::Scalar(_) => None,
            Value::Mapping(entries) => containing(entries, |entry| &entry.value, span),
            Value::Sequence(items) => containing(items, |item| item, span),
        }
    }

    /// Whether a mapping anywhere in this node has a key twice (YAML forbids it; Kubernetes
    /// rejects it).
    pub fn has_duplicate_keys(&self) -> bool {
        match &self.value {
            Value::Scalar(_) => false,
            Value::Sequence(items) => items.iter().any(Node::has_duplicate_keys),
            Value::Mapping(entries) => {
                let keys: Vec<Option<&str>> = entries.iter().map(|e| e.key.as_str()).collect();
                keys.iter()
                    .enumerate()
                    .any(|(i, key)| key.is_some() && keys[..i].contains(key))
                    || entries.iter().any(|entry| entry.value.has_duplicate_keys())
            }
        }
    }

    /// What kind of node this is, for messages ("expected a list, found a string").
    pub fn describe(&self) -> &'static str {
        match &self.value {
            Value::Scalar(scalar) if scalar.is_null() => "an empty value",
            Value::Scalar(scalar) if scalar.plain && looks_numeric(&scalar.text) => "a number",
            Value::Scalar(_) => "a string",
            Value::Mapping(_) => "a mapping",
            Value::Sequence(_) => "a list",
        }
    }

    /// A copy whose spans are moved by `delta` bytes into `file` (a cached document that now
    /// starts elsewhere).
    pub fn rebased(&self, file: FileId, delta: u32) -> Node {
        let value = match &self.value {
            Value::Scalar(scalar) => Value::Scalar(scalar.clone()),
            Value::Mapping(entries) => Value::Mapping(
                entries
                    .iter()
                    .map(|entry| Entry {
                        key: entry.key.rebased(file, delta),
                        value: entry.value.rebased(file, delta),
                    })
                    .collect(),
            ),
            Value::Sequence(items) => {
                Value::Sequence(items.iter().map(|item| item.rebased(file, delta)).collect())
            }
        };
        Node {
            span: rebase(self.span, file, delta),
            value,
        }
    }

    fn count(&self) -> usize {
        1 + match &self.value {
            Value::Scalar(_) => 0,
            Value::Mapping(entries) => entries
                .iter()
                .map(|entry| entry.key.count() + entry.value.count())
                .sum(),
            Value::Sequence(items) => items.iter().map(Node::count).sum(),
        }
    }
}

impl Entry {
    /// From the key to the end of the value (the key alone when the value is empty).
    pub fn span(&self) -> Span {
        if self.value.is_null() {
            self.key.span
        } else {
            self.key.span.cover(self.value.span)
        }
    }
}

impl Scalar {
    pub fn is_null(&self) -> bool {
        self.plain && matches!(&*self.text, "" | "~" | "null" | "Null" | "NULL")
    }
}

/// The child (as `node` reads it) whose span contains `span`. Children stand in text order, so
/// the last one starting at or before `span` is the one; an alias (a copy of a node from
/// elsewhere) can break that order, hence the scan when it is not.
fn containing<T>(children: &[T], node: impl Fn(&T) -> &Node, span: Span) -> Option<&Node> {
    let contains = |child: &&T| node(child).span.contains(span);
    let last_before = children.partition_point(|child| node(child).span.start <= span.start);
    last_before
        .checked_sub(1)
        .map(|index| &children[index])
        .filter(contains)
        .or_else(|| children.iter().find(contains))
        .map(node)
}

/// `12`, `-3`, `1.5`, `.5`: what YAML reads as a number, for messages.
/// A YAML number as people write them (`8080`, `-1`, `0.5`, `100.0`).
pub(crate) fn looks_numeric(text: &str) -> bool {
    let digits = text.trim_start_matches(['-', '+']);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn rebase(span: Span, file: FileId, delta: u32) -> Span {
    Span {
        file,
        start: span.start + delta,
        end: span.end + delta,
    }
}

/// A YAML document that could not be read, with where and why.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub span: Span,
    pub message: String,
}

impl YamlError {
    pub fn rebased(&self, file: FileId, delta: u32) -> YamlError {
        YamlError {
            span: rebase(self.span, file, delta),
            message: self.message.clone(),
        }
    }
}

/// The byte ranges of the documents of a stream, split at `---` / `...` lines.
///
/// YAML forbids a line starting with `---` or `...` (followed by white space or the end of the
/// line) inside any scalar, so such lines always separate documents and the split is exact.
pub fn split_documents(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        if is_marker(line, "---") && line_start > start {
            ranges.push(start..line_start);
            start = line_start;
        } else if is_marker(line, "...") {
            ranges.push(start..line_end);
            start = line_end;
        }
        line_start = line_end;
    }
    if start < text.len() || ranges.is_empty() {
        ranges.push(start..text.len());
    }
    ranges
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Parses one document chunk (`text` is the chunk, found at byte `base` of file `file`).
///
/// Returns the document roots found in it (none for a chunk of comments, usually one).
pub fn parse_documents(text: &str, file: FileId, base: usize) -> Result<Vec<Node>, YamlError> {
    let mut builder = TreeBuilder {
        text,
        file,
        base,
        offsets: CharOffsets::new(text),
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        documents: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => builder.event(event, span)?,
            Err(error) => return Err(builder.scan_error(&error)),
        }
    }
    Ok(builder.documents)
}

/// Char index → byte offset within a chunk (saphyr counts characters).
enum CharOffsets {
    Ascii,
    Table(Vec<u32>),
}

impl CharOffsets {
    fn new(text: &str) -> CharOffsets {
        if text.is_ascii() {
            return CharOffsets::Ascii;
        }
        let mut table: Vec<u32> = text.char_indices().map(|(byte, _)| byte as u32).collect();
        table.push(text.len() as u32);
        CharOffsets::Table(table)
    }

    fn byte(&self, char_index: usize) -> usize {
        match self {
            CharOffsets::Ascii => char_index,
            CharOffsets::Table(table) => *table
                .get(char_index)
                .unwrap_or_else(|| table.last().expect("table has an end"))
                as usize,
        }
    }
}

enum Frame {
    Sequence {
        start: usize,
        flow: bool,
        anchor: usize,
        items: Vec<Node>,
    },
    Mapping {
        start: usize,
        flow: bool,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<Node>,
    },
}

struct TreeBuilder<'t> {
    text: &'t str,
    file: FileId,
    base: usize,
    offsets: CharOffsets,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    documents: Vec<Node>,
}

impl TreeBuilder<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start..self.base + end)
    }

    fn error(&self, start: usize, end: usize, message: String) -> YamlError {
        YamlError {
            span: self.span(start, end),
            message,
        }
    }

    /// The error spans the character at the parser's position, or at a line's end or the end
    /// of input the last character before it, so an editor has something to underline.
    fn scan_error(&self, error: &ScanError) -> YamlError {
        let at = self
            .offsets
            .byte(error.marker().index())
            .min(self.text.len());
        let (at, ch) = match self.text[at..]
            .chars()
            .next()
            .filter(|c| !c.is_whitespace())
        {
            Some(ch) => (at, Some(ch)),
            None => {
                let before = self.text[..at].trim_end();
                let ch = before.chars().next_back();
                (before.len() - ch.map_or(0, char::len_utf8), ch)
            }
        };
        let width = ch.map_or(0, char::len_utf8);
        self.error(at, at + width, error.info().to_string())
    }

    fn event(&mut self, event: Event<'_>, span: saphyr_parser::Span) -> Result<(), YamlError> {
        let start = self.offsets.byte(span.start.index());
        let end = self.offsets.byte(span.end.index());
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let end = match style {
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        self.closing_quote(start).unwrap_or(end)
                    }
                    _ => end,
                };
                let node = Node {
                    span: self.span(start, end),
                    value: Value::Scalar(Scalar {
                        text: text.into(),
                        plain: style == ScalarStyle::Plain,
                    }),
                };
                self.complete(node, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.open(start)?;
                let flow = self.text.as_bytes().get(start) == Some(&b'[');
                let start = if flow { start } else { self.dash_before(start) };
                self.stack.push(Frame::Sequence {
                    start,
                    flow,
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.open(start)?;
                let flow = self.text.as_bytes().get(start) == Some(&b'{');
                self.stack.push(Frame::Mapping {
                    start,
                    flow,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.stack.pop().expect("parser balances start and end");
                let (node, anchor) = self.close(frame, start);
                self.complete(node, anchor)
            }
            Event::Alias(anchor) => {
                let Some(target) = self.anchors.get(&anchor) else {
                    return Err(self.error(start, end, "alias to an unknown anchor".into()));
                };
                self.alias_nodes += target.count();
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(self.error(
                        start,
                        end,
                        format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?); \
                             refusing to expand them"
                        ),
                    ));
                }
                let node = target.clone();
                self.complete(node, 0)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }

    /// The end of the quoted scalar starting at `start` (just after its closing quote): in
    /// block context saphyr's span runs on to the end of the line, comments included.
    fn closing_quote(&self, start: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let quote = *bytes.get(start)?;
        let mut at = start + 1;
        while at < bytes.len() {
            match bytes[at] {
                b'\\' if quote == b'"' => at += 2,
                b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') => at += 2,
                byte if byte == quote => return Some(at + 1),
                _ => at += 1,
            }
        }
        None
    }

    /// saphyr starts a block sequence at its first item's content; people expect the `-`.
    fn dash_before(&self, start: usize) -> usize {
        let before = self.text[..start].trim_end_matches([' ', '\t']);
        if before.ends_with('-') {
            before.len() - 1
        } else {
            start
        }
    }

    fn open(&self, start: usize) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(
                start,
                start,
                format!("nesting deeper than {MAX_DEPTH} levels; refusing to read further"),
            ));
        }
        Ok(())
    }

    /// Builds the finished collection. A block collection ends where its last child ends
    /// (saphyr's end marker points at the next token); a flow one after its closing bracket.
    fn close(&self, frame: Frame, end_event: usize) -> (Node, usize) {
        // A bracket at the start may be the first child's own: a block collection starts
        // where its first child does, so only a bracket before the first child opens a flow one.
        let first_child_here = |child: Option<&Node>, start: usize| {
            child.is_some_and(|child| child.span.start as usize - self.base == start)
        };
        let (start, flow, anchor, last_end, value) = match frame {
            Frame::Sequence {
                start,
                flow,
                anchor,
                mut items,
            } => {
                let last_end = items.last().map(|node| node.span.end as usize - self.base);
                let (start, flow) = if flow && first_child_here(items.first(), start) {
                    (self.dash_before(start), false)
                } else {
                    (start, flow)
                };
                items.shrink_to_fit();
                (start, flow, anchor, last_end, Value::Sequence(items))
            }
            Frame::Mapping {
                start,
                flow,
                anchor,
                mut entries,
                ..
            } => {
                let last_end = entries
                    .last()
                    .map(|entry| entry.value.span.end.max(entry.key.span.end) as usize - self.base);
                let flow = flow && !first_child_here(entries.first().map(|e| &e.key), start);
                entries.shrink_to_fit();
                (start, flow, anchor, last_end, Value::Mapping(entries))
            }
        };
        let end = if flow {
            let closing = if matches!(value, Value::Sequence(_)) {
                ']'
            } else {
                '}'
            };
            let from = last_end.unwrap_or(start + 1).max(start + 1);
            self.text[from..]
                .find(closing)
                .map_or(end_event, |at| from + at + 1)
        } else {
            last_end.unwrap_or(start).max(start)
        };
        (
            Node {
                span: self.span(start, end),
                value,
            },
            anchor,
        )
    }

    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(key) => entries.push(Entry { key, value: node }),
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        let mut documents = parse_documents(text, FileId(0), 0).expect("valid YAML");
        assert_eq!(documents.len(), 1);
        documents.remove(0)
    }

    fn slice<'t>(text: &'t str, node: &Node) -> &'t str {
        &text[node.span.range()]
    }

    #[test]
    fn spans_are_bytes_after_non_ascii_text() {
        let text = "# café ☕\nname: \"ü\"\nhosts: [a, b]\n";
        let root = parse(text);
        let name = root.entry("name").unwrap();
        assert_eq!(slice(text, &name.key), "name");
        assert_eq!(slice(text, &name.value), "\"ü\"");
        assert_eq!(name.value.as_str(), Some("ü"));
        let hosts = root.get("hosts").unwrap();
        assert_eq!(slice(text, hosts), "[a, b]");
        assert_eq!(slice(text, &hosts.as_sequence().unwrap()[1]), "b");
    }

    #[test]
    fn quoted_scalars_end_at_their_closing_quote() {
        let text = "a:\n  name: \"x-y\" # c\n  b: 'it''s'   # d\n  c: \"esc \\\" q\"  \n  d: [\"in\", 'flow']\n";
        let root = parse(text);
        let a = root.get("a").unwrap();
        assert_eq!(slice(text, a.get("name").unwrap()), "\"x-y\"");
        assert_eq!(slice(text, a.get("b").unwrap()), "'it''s'");
        assert_eq!(a.get("b").unwrap().as_str(), Some("it's"));
        assert_eq!(slice(text, a.get("c").unwrap()), "\"esc \\\" q\"");
        let d = a.get("d").unwrap().as_sequence().unwrap();
        assert_eq!(slice(text, &d[0]), "\"in\"");
        assert_eq!(slice(text, &d[1]), "'flow'");
    }

    #[test]
    fn block_collections_end_at_their_last_child() {
        let text = "a:\n  b: 1\n  c:\n  - x\n\nd: 2\n";
        let root = parse(text);
        assert_eq!(slice(text, root.get("a").unwrap()), "b: 1\n  c:\n  - x");
        assert_eq!(slice(text, root.get("a").unwrap().get("c").unwrap()), "- x");
    }

    #[test]
    fn flow_mapping_includes_its_braces() {
        let text = "port: {number: 443, name: https}\n";
        let root = parse(text);
        assert_eq!(
            slice(text, root.get("port").unwrap()),
            "{number: 443, name: https}"
        );
    }

    #[test]
    fn a_block_collection_whose_first_child_is_a_flow_one_stays_block() {
        // Found by fuzzing: the outer collection starts at its first child's bracket.
        let text = "tls:\n  {a: 1}: SIMPLE\n  credentialName: cert\nhosts:\n- [x, y]\n- z\n";
        let root = parse(text);
        let tls = root.get("tls").unwrap();
        assert_eq!(slice(text, tls), "{a: 1}: SIMPLE\n  credentialName: cert");
        assert_eq!(slice(text, root.get("hosts").unwrap()), "- [x, y]\n- z");
        let listed = parse("- [x]\n- y\n");
        assert_eq!(listed.span.range(), 0..9);
        assert_eq!(listed.as_sequence().unwrap()[0].span.range(), 2..5);
    }

    #[test]
    fn documents_split_at_markers_only() {
        let text = "a: 1\n---\nb: |\n  text\n--- # c\nc: 3\n...\n---x: no\n";
        let ranges = split_documents(text);
        let parts: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(
            parts,
            [
                "a: 1\n",
                "---\nb: |\n  text\n",
                "--- # c\nc: 3\n...\n",
                "---x: no\n"
            ]
        );
    }

    #[test]
    fn syntax_error_has_a_position() {
        let error = parse_documents("a: [1, 2\nb: 3\n", FileId(0), 10).unwrap_err();
        assert!(error.span.start >= 10, "offset is global: {error:?}");
        assert!(!error.message.is_empty());
        let text = "a: [1, 2\n\n";
        let error = parse_documents(text, FileId(0), 0).unwrap_err();
        assert_eq!(
            &text[error.span.range()],
            "2",
            "at the end, the last character"
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(MAX_DEPTH + 5) + &"]".repeat(MAX_DEPTH + 5);
        let error = parse_documents(&text, FileId(0), 0).unwrap_err();
        assert!(error.message.contains("nesting deeper"), "{error:?}");
        let shallow = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse_documents(&shallow, FileId(0), 0).is_ok());
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            let items = [previous.as_str(); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        let error = parse_documents(&text, FileId(0), 0).unwrap_err();
        assert!(error.message.contains("alias bomb"), "{error:?}");
    }

    #[test]
    fn descendants_are_found_by_their_exact_span() {
        let text = "# café\na:\n  b: [x, {c: ☕}]\n  d:\n  - e: 1\n    f: é\nkey: v\n";
        let root = parse(text);
        let d = root.get("a").unwrap().get("d").unwrap();
        let item = &d.as_sequence().unwrap()[0];
        let flow = &root
            .get("a")
            .unwrap()
            .get("b")
            .unwrap()
            .as_sequence()
            .unwrap()[1];
        for node in [
            d,
            item,
            flow,
            flow.get("c").unwrap(),
            item.get("f").unwrap(),
        ] {
            assert_eq!(root.descendant(node.span), Some(node));
        }
        assert_eq!(root.descendant(root.span), Some(&root));
        let key = &root.entry("key").unwrap().key;
        assert_eq!(root.descendant(key.span), None, "keys are not looked up");
        let inside = Span::new(
            FileId(0),
            item.span.start as usize + 1..item.span.end as usize,
        );
        assert_eq!(root.descendant(inside), None, "no node has that span");
    }

    #[test]
    fn descendants_after_an_alias_out_of_text_order() {
        let text = "base: &b {x: 1}\nlist:\n- {y: 2}\n- *b\n- {z: 3}\n";
        let root = parse(text);
        let items = root.get("list").unwrap().as_sequence().unwrap();
        let base = root.get("base").unwrap();
        assert_eq!(items[1].span, base.span, "an alias keeps its anchor's span");
        assert_eq!(root.descendant(items[2].span), Some(&items[2]));
        assert_eq!(root.descendant(base.span), Some(base));
    }

    #[test]
    fn entries_their_spans_and_positions() {
        let text = "a: 1\nb:\nc: \"x\" # note\n";
        let root = parse(text);
        let spans: Vec<&str> = root
            .as_mapping()
            .unwrap()
            .iter()
            .map(|entry| &text[entry.span().range()])
            .collect();
        assert_eq!(spans, ["a: 1", "b", "c: \"x\""]);
        assert_eq!(root.entry_index("c"), Some(2));
        assert_eq!(root.entry_index("z"), None);
    }

    #[test]
    fn duplicate_keys_are_found_at_any_depth() {
        assert!(!parse("a: {b: 1, c: 2}\nd: [{b: 1}, {b: 2}]\n").has_duplicate_keys());
        assert!(parse("a: 1\na: 2\n").has_duplicate_keys());
        assert!(parse("d:\n- {b: 1, b: 2}\n").has_duplicate_keys());
    }

    #[test]
    fn small_aliases_expand() {
        let text = "base: &b {x: 1}\nuse: *b\n";
        let root = parse(text);
        assert_eq!(
            root.get("use").unwrap().get("x").unwrap().as_str(),
            Some("1")
        );
    }
}
