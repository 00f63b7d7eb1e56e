//! Source files, spans and positions.
//!
//! Internally every position is a **byte offset** into one source file's text, so spans slice
//! `&str` directly and edits apply without conversion. Lines/columns (for people) and UTF-16
//! offsets (for the browser editor) are computed at the border by [`LineIndex`].

use std::ops::Range;

/// Which input file a span points into: an index into [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Whether `other` lies within this span (same file).
    pub fn contains(self, other: Span) -> bool {
        self.file == other.file && self.start <= other.start && other.end <= self.end
    }

    /// The smallest span covering both (same file).
    pub fn cover(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// The first line of `span` in `text`, without a trailing comment or white space: a short
/// span to point at for a construct (a resource, a rule, a list item) that runs over many
/// lines.
pub fn first_line(text: &str, span: Span) -> Span {
    let start = span.start as usize;
    let line = &text[start..span.end as usize];
    let line = &line[..line.find(['\r', '\n']).unwrap_or(line.len())];
    let comment = line
        .char_indices()
        .find(|&(at, c)| c == '#' && line[..at].ends_with([' ', '\t']))
        .map_or(line.len(), |(at, _)| at);
    let end = start + line[..comment].trim_end().len();
    Span::new(span.file, start..end)
}

/// One input: a file name (or `-` for stdin) and its full text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// All inputs of one analysis, addressed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    pub fn single(name: impl Into<String>, text: impl Into<String>) -> Sources {
        let mut sources = Sources::new();
        sources.add(name, text);
        sources
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, file: FileId) -> &SourceFile {
        &self.files[file.0 as usize]
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.get(file).text
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        &self.text(span.file)[span.range()]
    }

    /// [`first_line`] of `span` in its file.
    pub fn first_line(&self, span: Span) -> Span {
        first_line(self.text(span.file), span)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(index, file)| (FileId(index as u32), file))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// A position for people: 1-based line, 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// Converts byte offsets of one text to lines, columns and UTF-16 offsets.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset where each line starts.
    line_starts: Vec<u32>,
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, byte)| byte == b'\n')
                .map(|(index, _)| index as u32 + 1),
        );
        LineIndex {
            line_starts,
            ascii: text.is_ascii(),
        }
    }

    /// Index (0-based) of the line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start as usize <= offset)
            .saturating_sub(1)
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts[line] as usize
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of 0-based `line` without its line break.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let start = self.line_start(line);
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(text.len(), |&next| next as usize);
        text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let column = if self.ascii {
            offset - start
        } else {
            text[start..offset].chars().count()
        };
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }
}

/// Byte offset ⇄ UTF-16 offset for one text, in O(log n) per conversion: the browser editor
/// counts UTF-16 code units, the engine bytes. Only non-ASCII characters are recorded; between
/// them both counts advance together.
#[derive(Clone, Debug)]
pub struct Utf16Map {
    wide: Vec<WideChar>,
    len_bytes: usize,
}

#[derive(Clone, Copy, Debug)]
struct WideChar {
    byte: usize,
    utf16: usize,
    byte_len: usize,
    utf16_len: usize,
}

impl Utf16Map {
    pub fn new(text: &str) -> Utf16Map {
        let mut wide = Vec::new();
        let mut utf16 = 0;
        for (byte, ch) in text.char_indices() {
            if !ch.is_ascii() {
                wide.push(WideChar {
                    byte,
                    utf16,
                    byte_len: ch.len_utf8(),
                    utf16_len: ch.len_utf16(),
                });
            }
            utf16 += ch.len_utf16();
        }
        Utf16Map {
            wide,
            len_bytes: text.len(),
        }
    }

    /// UTF-16 offset of a byte offset (inside a character: its start).
    pub fn to_utf16(&self, byte: usize) -> usize {
        let index = self.wide.partition_point(|c| c.byte < byte);
        let Some(before) = index.checked_sub(1).map(|i| self.wide[i]) else {
            return byte;
        };
        let end = before.byte + before.byte_len;
        if byte < end {
            before.utf16
        } else {
            before.utf16 + before.utf16_len + (byte - end)
        }
    }

    /// Byte offset of a UTF-16 offset (inside a surrogate pair: the character's start; past the
    /// end: the end).
    pub fn to_byte(&self, utf16: usize) -> usize {
        let index = self.wide.partition_point(|c| c.utf16 < utf16);
        let byte = match index.checked_sub(1).map(|i| self.wide[i]) {
            None => utf16,
            Some(before) if utf16 < before.utf16 + before.utf16_len => before.byte,
            Some(before) => {
                before.byte + before.byte_len + (utf16 - before.utf16 - before.utf16_len)
            }
        };
        byte.min(self.len_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_stops_before_the_line_break_and_a_comment() {
        let text = "- match: # café\r\n    - a: b#c\n- {x: ☕} # ☕\n";
        let span = |from: &str| {
            let start = text.find(from).unwrap();
            Span::new(FileId(0), start..text.len())
        };
        let first = |from: &str| &text[first_line(text, span(from)).range()];
        assert_eq!(first("match"), "match:");
        assert_eq!(
            first("a: b#c"),
            "a: b#c",
            "`#` after a non-blank is no comment"
        );
        assert_eq!(first("{x"), "{x: ☕}");
        let short = Span::new(FileId(0), 2..7);
        assert_eq!(
            first_line(text, short),
            short,
            "a span within one line stays"
        );
    }

    #[test]
    fn utf16_map_round_trips_every_boundary() {
        let text = "a é😀\nb: ü x";
        let map = Utf16Map::new(text);
        let mut utf16 = 0;
        for (byte, ch) in text.char_indices() {
            assert_eq!(map.to_utf16(byte), utf16, "at byte {byte}");
            assert_eq!(map.to_byte(utf16), byte, "at utf16 {utf16}");
            utf16 += ch.len_utf16();
        }
        assert_eq!(map.to_utf16(text.len()), utf16);
        assert_eq!(map.to_byte(utf16), text.len());
        assert_eq!(map.to_byte(utf16 + 5), text.len());
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "a: é\nbé: 😀x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.line_col(text, x), LineCol { line: 2, column: 6 });
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_text(text, 1), "bé: 😀x");
    }
}
