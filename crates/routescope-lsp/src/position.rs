//! Byte offsets (the engine's unit) ⇄ LSP positions (line and character, the character counted
//! in the negotiated encoding's code units: UTF-16 unless the client offers UTF-8).

use lsp_types::{Position, PositionEncodingKind, Range};
use routescope_core::source::{LineIndex, Span, Utf16Map};

/// The unit a position's `character` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client lists it (it is then free of conversions), else the LSP default.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }
}

/// The conversion tables of one text.
pub struct Positions {
    lines: LineIndex,
    utf16: Utf16Map,
    encoding: Encoding,
    len: usize,
}

impl Positions {
    pub fn new(text: &str, encoding: Encoding) -> Positions {
        Positions {
            lines: LineIndex::new(text),
            utf16: Utf16Map::new(text),
            encoding,
            len: text.len(),
        }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.len);
        let line = self.lines.line_of(offset);
        let start = self.lines.line_start(line);
        let character = match self.encoding {
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => self.utf16.to_utf16(offset) - self.utf16.to_utf16(start),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, span: Span) -> Range {
        Range::new(
            self.position(span.start as usize),
            self.position(span.end as usize),
        )
    }

    /// The byte offset of `position` in `text` (the text these tables were built from). A
    /// line past the end means the end; a character past the line's end means the line's end
    /// (before its line break), as the LSP asks; one inside a character means its start.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let line = position.line as usize;
        if line >= self.lines.line_count() {
            return self.len;
        }
        let start = self.lines.line_start(line);
        let end = start + self.lines.line_text(text, line).len();
        let character = position.character as usize;
        let offset = match self.encoding {
            Encoding::Utf8 => start + character,
            Encoding::Utf16 => self.utf16.to_byte(self.utf16.to_utf16(start) + character),
        };
        let mut offset = offset.min(end);
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a: é😀x\r\nb: c\n";

    #[test]
    fn utf16_counts_a_surrogate_pair_as_two() {
        let positions = Positions::new(TEXT, Encoding::Utf16);
        let x = TEXT.find('x').unwrap();
        assert_eq!(positions.position(x), Position::new(0, 6));
        assert_eq!(positions.offset(TEXT, Position::new(0, 6)), x);
        let b = TEXT.find('b').unwrap();
        assert_eq!(positions.position(b), Position::new(1, 0));
    }

    #[test]
    fn utf8_counts_bytes() {
        let positions = Positions::new(TEXT, Encoding::Utf8);
        let x = TEXT.find('x').unwrap();
        assert_eq!(positions.position(x), Position::new(0, 9));
        assert_eq!(positions.offset(TEXT, Position::new(0, 9)), x);
        assert_eq!(
            positions.offset(TEXT, Position::new(0, 4)),
            TEXT.find('é').unwrap(),
            "inside a character: its start"
        );
    }

    #[test]
    fn positions_past_a_line_or_the_text_are_clamped() {
        let positions = Positions::new(TEXT, Encoding::Utf16);
        assert_eq!(
            positions.offset(TEXT, Position::new(0, 99)),
            TEXT.find('\r').unwrap(),
            "the line's end, before CRLF"
        );
        assert_eq!(positions.offset(TEXT, Position::new(9, 0)), TEXT.len());
    }

    #[test]
    fn utf8_is_chosen_only_when_offered() {
        let both = [PositionEncodingKind::UTF16, PositionEncodingKind::UTF8];
        assert_eq!(Encoding::negotiate(Some(&both)), Encoding::Utf8);
        assert_eq!(
            Encoding::negotiate(Some(&[PositionEncodingKind::UTF16])),
            Encoding::Utf16
        );
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
    }
}
