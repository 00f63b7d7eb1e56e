//! Everything the program writes goes through here: colour as `--color` and the environment
//! (`NO_COLOR`, `CLICOLOR_FORCE`, whether the stream is a terminal) decide, through anstream,
//! and a closed pipe (`routescope check … | head -1`) ends the program quietly with status 0.

use std::io::{self, Write};

use anstream::ColorChoice;
use clap::ValueEnum;

/// `--color`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorWhen {
    /// When the output is a terminal and `NO_COLOR` is not set (`CLICOLOR_FORCE` forces it).
    Auto,
    Always,
    Never,
}

/// The styles of the text report, as rustc colours its diagnostics.
pub mod style {
    use anstyle::{AnsiColor, Style};
    use routescope_core::diagnostic::Severity;

    pub const ERROR: Style = AnsiColor::BrightRed.on_default().bold();
    pub const WARNING: Style = AnsiColor::BrightYellow.on_default().bold();
    pub const INFO: Style = AnsiColor::BrightGreen.on_default().bold();
    /// The message of a diagnostic's header, and `fix` in its notes.
    pub const EMPHASIS: Style = Style::new().bold();
    /// Arrows, gutters, line numbers and the markers of related spans.
    pub const GUTTER: Style = AnsiColor::BrightBlue.on_default().bold();

    pub fn of(severity: Severity) -> Style {
        match severity {
            Severity::Error => ERROR,
            Severity::Warning => WARNING,
            Severity::Info => INFO,
        }
    }
}

/// Applies `--color` to everything written afterwards.
pub fn set_color(when: ColorWhen) {
    ColorChoice::write_global(match when {
        ColorWhen::Auto => ColorChoice::Auto,
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
    });
}

/// Writes `text` to standard output; styles are kept only where colour is on.
pub fn print(text: &str) {
    write_or_exit(anstream::stdout().lock(), text);
}

/// Writes `text` to standard error; styles are kept only where colour is on.
pub fn eprint(text: &str) {
    write_or_exit(anstream::stderr().lock(), text);
}

/// A reader that stopped reading (`head`, `less` quit) is not an error: there is nobody left to
/// tell, so the program ends at once with status 0. Other failures (a full disk) exit 2.
fn write_or_exit(mut stream: impl Write, text: &str) {
    match stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush())
    {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(error) => {
            let _ = writeln!(io::stderr(), "routescope: cannot write the output: {error}");
            std::process::exit(2);
        }
    }
}
