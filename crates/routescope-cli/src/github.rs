//! `--format github`: one GitHub Actions workflow command per diagnostic
//! (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`), which the job log
//! shows as an annotation and the pull request beside the line. Escaped as GitHub's toolkit
//! escapes them (`@actions/core`, `command.ts`): `%`, CR and LF everywhere, and `:` and `,` in
//! properties too.

use std::fmt::Write;

use routescope_core::diagnostic::{Diagnostic, Severity};

use crate::render::Positions;

pub fn report(positions: &Positions, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let start = positions.line_col(d.span, d.span.start);
        let end = positions.line_col(d.span, d.span.end);
        let title = match d.istio_code {
            Some(code) => format!("{} ({code})", d.check),
            None => d.check.to_string(),
        };
        // The other side of the conflict and the fixes, on lines of their own.
        let mut message = d.message.clone();
        for related in &d.related {
            let _ = write!(
                message,
                "\n{}: {}",
                positions.location(related.span),
                related.message
            );
        }
        for fix in &d.fixes {
            let _ = write!(
                message,
                "\nfix ({}): {}",
                fix.applicability.as_str(),
                fix.label
            );
        }
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(positions.name(d.span)),
            start.line,
            start.column,
            end.line,
            end.column,
            property(&title),
            data(&message)
        );
    }
    out
}

/// The message after `::`.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value (`file=`, `title=`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::{data, property};

    #[test]
    fn escapes_as_the_actions_toolkit_does() {
        assert_eq!(data("100%\r\nok: a, b"), "100%25%0D%0Aok: a, b");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
