//! `--format gitlab`: a GitLab Code Quality report (the subset of the Code Climate issue format
//! GitLab reads from `artifacts:reports:codequality`), shown in the merge request widget and
//! its diff.

use std::collections::HashMap;

use routescope_core::diagnostic::{Diagnostic, Severity};
use serde_json::{Value, json};

use crate::render::Positions;

pub fn report(positions: &Positions, diagnostics: &[Diagnostic]) -> String {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let issues: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let path = positions.name(d.span);
            let start = positions.line_col(d.span, d.span.start);
            let end = positions.line_col(d.span, d.span.end);
            // Lines move with every edit above them: the fingerprint names the problem, not
            // where it is, so GitLab sees the same issue across commits; the same problem twice
            // in a file gets its occurrence counted in.
            let identity = format!("{}\0{path}\0{}", d.check, d.message);
            let occurrence = seen.entry(identity.clone()).or_default();
            *occurrence += 1;
            json!({
                "description": d.message,
                "check_name": d.check,
                "fingerprint": fingerprint(&format!("{identity}\0{occurrence}")),
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                "location": {
                    "path": path,
                    "positions": {
                        "begin": { "line": start.line, "column": start.column },
                        "end": { "line": end.line, "column": end.column },
                    },
                },
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).expect("JSON values serialise") + "\n"
}

/// 128 bits of FNV-1a (two 64-bit passes with different offsets) as 32 hex digits: stable
/// across Rust releases and machines, which `std`'s hasher does not promise.
fn fingerprint(text: &str) -> String {
    let fnv = |offset: u64| {
        text.bytes().fold(offset, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprints_are_fixed_hex_and_tell_texts_apart() {
        // FNV-1a 64 of the empty text is its offset basis.
        assert_eq!(fingerprint(""), "cbf29ce4842223256c62272e07bb0142");
        assert_eq!(fingerprint("a").len(), 32);
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }
}
