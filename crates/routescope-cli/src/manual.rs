//! Shell completions (clap_complete) and the manual page (clap_mangen), both generated from the
//! clap definitions, so they cannot drift from the flags.

use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::{Cli, output};

/// `routescope completions SHELL`.
pub fn completions(shell: Shell) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "routescope", &mut script);
    output::print(&String::from_utf8(script).expect("completion scripts are UTF-8"));
    ExitCode::SUCCESS
}

/// `routescope man`: routescope(1) in roff on standard output, or with `--out-dir` that page
/// and one per subcommand (routescope-check(1), …) written into a directory.
pub fn man_pages(out_dir: Option<&Path>) -> ExitCode {
    // As clap_mangen's generate_to has it: `help` gets no page of its own.
    let command = Cli::command().disable_help_subcommand(true);
    match out_dir {
        Some(dir) => match clap_mangen::generate_to(command, dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!(
                    "routescope: cannot write the manual pages to {}: {error}",
                    dir.display()
                );
                ExitCode::from(2)
            }
        },
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .expect("writing into memory cannot fail");
            output::print(&String::from_utf8(page).expect("roff is UTF-8"));
            ExitCode::SUCCESS
        }
    }
}
