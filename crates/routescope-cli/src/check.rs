//! `routescope check`: read, optionally fix, analyse, report in the format asked for.

use std::process::ExitCode;

use routescope_core::diagnostic::{Applicability, Severity};
use routescope_core::{analyze, fix_all};

use crate::{
    CheckArgs, CheckFormat, FailOn, github, gitlab, input, output, read_or_exit, render, sarif,
};

pub fn run(args: CheckArgs) -> ExitCode {
    let sources = match read_or_exit(&args.paths) {
        Ok(sources) => sources,
        Err(code) => return code,
    };
    let settings = args.mesh.settings();
    let sources = if args.fix {
        let max = if args.unsafe_fixes {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        };
        let fixed = fix_all(sources.clone(), &settings, max);
        if args.write {
            for ((_, before), (_, after)) in sources.iter().zip(fixed.iter()) {
                if before.text == after.text {
                    continue;
                }
                if before.name == "-" {
                    output::print(&after.text);
                } else if let Err(error) =
                    input::write_atomically(std::path::Path::new(&before.name), &after.text)
                {
                    eprintln!("routescope: cannot write {}: {error}", before.name);
                    return ExitCode::from(2);
                }
            }
        } else {
            let several = fixed.len() > 1;
            for (_, file) in fixed.iter() {
                if several {
                    output::print(&format!("# routescope: {}\n", file.name));
                }
                output::print(&file.text);
            }
        }
        fixed
    } else {
        sources
    };
    let analysis = analyze(sources, settings);
    let diagnostics = &analysis.diagnostics;
    let positions = render::Positions::new(&analysis.mesh.sources);
    let report = match args.format {
        CheckFormat::Json => render::json_report(&positions, diagnostics),
        CheckFormat::Sarif => sarif::report(&positions, diagnostics),
        CheckFormat::Github => github::report(&positions, diagnostics),
        CheckFormat::Gitlab => gitlab::report(&positions, diagnostics),
        CheckFormat::Text if args.quiet => render::text_diagnostics(&positions, diagnostics),
        CheckFormat::Text => render::text_report(&positions, diagnostics),
    };
    // With --fix the corrected YAML owns standard output.
    if args.fix && !args.write {
        output::eprint(&report);
    } else {
        output::print(&report);
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    };
    let failed =
        threshold.is_some_and(|threshold| diagnostics.iter().any(|d| d.severity >= threshold));
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
