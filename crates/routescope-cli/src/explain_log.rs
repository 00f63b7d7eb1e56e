//! `routescope explain-log`: an Envoy access log line (or a response-flags field) explained,
//! with the problems of the configuration given that can produce it.

use std::fmt::Write;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use routescope_core::access_log::{
    Explanation, Field, LogLine, Pasted, ResponseFlag, explain, parse,
};
use routescope_core::{Analysis, analyze};
use serde_json::{Value, json};

use crate::render::{self, Positions};
use crate::{Format, MeshArgs, input};

#[derive(clap::Args, Debug)]
pub struct ExplainLogArgs {
    /// The configuration whose problems can produce the line: files, directories or `-`.
    paths: Vec<PathBuf>,
    /// The access log line, or only its response flags (`UF,URX`); read from standard input
    /// when absent.
    #[arg(long)]
    line: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    mesh: MeshArgs,
}

pub fn run(args: ExplainLogArgs) -> ExitCode {
    match explain_with(args) {
        Ok(report) => {
            crate::output::print(&report);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("routescope: {message}");
            ExitCode::from(2)
        }
    }
}

fn explain_with(args: ExplainLogArgs) -> Result<String, String> {
    let text = match &args.line {
        Some(line) => line.clone(),
        None if args.paths.iter().any(|p| p.as_os_str() == "-") => {
            return Err(
                "standard input cannot hold both the configuration and the line: pass the line \
                 with --line"
                    .into(),
            );
        }
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|error| format!("cannot read the line from standard input: {error}"))?;
            text
        }
    };
    let pasted = parse(&text).map_err(|error| format!("the access log line, {error}"))?;
    let sources = input::read_inputs(&args.paths).map_err(|error| error.0)?;
    let analysis = analyze(sources, args.mesh.settings());
    let explanation = explain(&pasted, &analysis);
    let positions = Positions::new(&analysis.mesh.sources);
    Ok(match args.format {
        Format::Text => text_report(&pasted, &explanation, &analysis, &positions, &args),
        Format::Json => json_report(&pasted, &explanation, &analysis, &positions),
    })
}

fn text_report(
    pasted: &Pasted,
    explanation: &Explanation,
    analysis: &Analysis,
    positions: &Positions,
    args: &ExplainLogArgs,
) -> String {
    let mut out = String::new();
    if let Pasted::Line(line) = pasted {
        let _ = writeln!(out, "{}", headline(line));
    }
    if explanation.flags.is_empty() {
        out.push_str("No response flag.\n");
    }
    for flag in &explanation.flags {
        let _ = writeln!(out, "{:<5} {}: {}", flag.short, flag.long, flag.meaning);
        if !flag.in_istio.is_empty() {
            let _ = writeln!(out, "{:<5} In Istio: {}", "", flag.in_istio);
        }
    }
    for fact in &explanation.facts {
        let _ = writeln!(out, "{fact}");
    }
    out.push('\n');
    if !explanation.checks.is_empty() {
        let _ = writeln!(
            out,
            "Checks that can produce this: {}",
            explanation.checks.join(", ")
        );
    }
    if args.paths.is_empty() {
        out.push_str(
            "No configuration given: name its files to see which of their problems can produce this.\n",
        );
    } else if explanation.related.is_empty() {
        let _ = writeln!(
            out,
            "No problem of the configuration can produce this ({} found; `routescope check` lists them).",
            analysis.diagnostics.len()
        );
    } else {
        let _ = writeln!(
            out,
            "Related problems of the configuration ({}):\n",
            explanation.related.len()
        );
        for related in &explanation.related {
            let _ = writeln!(out, "{}", related.why);
            render::write_diagnostic(
                &mut out,
                positions,
                &analysis.diagnostics[related.diagnostic],
            );
        }
    }
    out
}

/// `503 UF,URX: GET /get to httpbin.org`.
fn headline(line: &LogLine) -> String {
    let code = line
        .response_code
        .map_or_else(|| "-".to_string(), |code| code.to_string());
    let flags: Vec<&str> = line.response_flags.iter().map(|f| f.short).collect();
    let flags = if flags.is_empty() {
        "-".to_string()
    } else {
        flags.join(",")
    };
    let mut headline = format!("{code} {flags}");
    let request: Vec<&str> = [Field::Method, Field::Path]
        .into_iter()
        .filter_map(|field| line.get(field))
        .collect();
    if !request.is_empty() {
        let _ = write!(headline, ": {}", request.join(" "));
    }
    if let Some(authority) = line.get(Field::Authority) {
        let _ = write!(headline, " to {authority}");
    }
    headline
}

fn json_report(
    pasted: &Pasted,
    explanation: &Explanation,
    analysis: &Analysis,
    positions: &Positions,
) -> String {
    let flag_json = |flag: &&ResponseFlag| {
        json!({
            "short": flag.short,
            "long": flag.long,
            "tcp": flag.tcp,
            "meaning": flag.meaning,
            "in_istio": flag.in_istio,
            "checks": flag.checks,
        })
    };
    let report = json!({
        "version": 1,
        "line": match pasted {
            Pasted::Line(line) => line_json(line),
            Pasted::Flags(_) => Value::Null,
        },
        "flags": explanation.flags.iter().map(flag_json).collect::<Vec<_>>(),
        "facts": explanation.facts,
        "host": explanation.host,
        "checks": explanation.checks,
        "related": explanation.related.iter().map(|related| json!({
            "why": related.why,
            "produces": related.produces,
            "same_host": related.same_host,
            "diagnostic": render::diagnostic_json(positions, &analysis.diagnostics[related.diagnostic]),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&report).expect("JSON values serialise") + "\n"
}

/// Every field of the line by the names of Istio's JSON log, `null` where Envoy wrote `-`.
fn line_json(line: &LogLine) -> Value {
    let mut fields = serde_json::Map::new();
    fields.insert("response_code".into(), json!(line.response_code));
    let flags: Vec<&str> = line.response_flags.iter().map(|f| f.short).collect();
    fields.insert("response_flags".into(), json!(flags));
    for field in Field::ALL {
        fields.insert(field.name().into(), json!(line.get(field)));
    }
    Value::Object(fields)
}
