//! Routescope's analysis engine: Istio networking YAML in, diagnostics with fixes out.
//!
//! Data flows one way: text → [`load`] (YAML with spans, typed resources) → [`resolve`]
//! (namespaces, references, bindings) → [`checks`] (diagnostics with fixes as text edits).
//! Nothing here mutates the user's text: a fix is a list of edits, and applying it gives new
//! text that goes round the same loop.

pub mod access_log;
pub mod checks;
pub mod diagnostic;
pub mod diff;
pub mod edits;
pub mod limits;
pub mod load;
pub mod model;
pub mod resolve;
pub mod settings;
pub mod share;
pub mod source;
pub mod synthetic;
pub mod topology;
pub mod trace;
pub mod yaml;

use diagnostic::{Applicability, Diagnostic, Fix, Severity, apply_edits, merge_fixes};
use resolve::Mesh;
use settings::MeshSettings;
use source::Sources;

/// The result of analysing one input.
pub struct Analysis {
    pub mesh: Mesh,
    /// Sorted by file, position and check.
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads, resolves and checks `sources`.
pub fn analyze(sources: Sources, settings: MeshSettings) -> Analysis {
    let loaded = load::load(&sources, &settings.default_namespace);
    check(sources, settings, loaded)
}

/// [`analyze`] for a text that changes a little at a time: documents that did not change are
/// not parsed again.
pub fn analyze_cached(
    sources: Sources,
    settings: MeshSettings,
    cache: &mut load::DocumentCache,
) -> Analysis {
    let loaded = load::load_cached(&sources, &settings.default_namespace, cache);
    check(sources, settings, loaded)
}

fn check(sources: Sources, settings: MeshSettings, loaded: load::Loaded) -> Analysis {
    let mesh = Mesh::new(sources, settings, loaded.resources);
    let mut diagnostics = loaded.diagnostics;
    for check in checks::registry() {
        if let checks::Run::OnMesh(run) = check.run {
            run(&mesh, &mut diagnostics);
        }
    }
    diagnostics.sort_by(|a, b| {
        (a.span.file, a.span.start, a.span.end, a.check).cmp(&(
            b.span.file,
            b.span.start,
            b.span.end,
            b.check,
        ))
    });
    Analysis { mesh, diagnostics }
}

/// Applies fixes of at most `max` applicability (Safe, or Safe and Unsafe) until none is
/// left, and returns the new text of every file. Overlapping fixes wait for the next round;
/// rounds are bounded so two fixes that undo each other cannot loop.
pub fn fix_all(sources: Sources, settings: &MeshSettings, max: Applicability) -> Sources {
    const MAX_ROUNDS: usize = 8;
    let mut sources = sources;
    for _ in 0..MAX_ROUNDS {
        let analysis = analyze(sources, settings.clone());
        let fixes: Vec<&diagnostic::Fix> = analysis
            .diagnostics
            .iter()
            .filter_map(|d| {
                d.fixes.iter().find(|fix| {
                    fix.applicability <= max && fix.applicability != Applicability::DisplayOnly
                })
            })
            .collect();
        let mut next = Sources::new();
        let mut changed = false;
        for (file, source) in analysis.mesh.sources.iter() {
            let edits = merge_fixes(file, fixes.iter().copied());
            changed |= !edits.is_empty();
            next.add(source.name.clone(), apply_edits(&source.text, &edits));
        }
        sources = next;
        if !changed {
            break;
        }
    }
    sources
}

/// Applies one fix (of a diagnostic of `check` in `analysis`) and re-analyses the result:
/// a sound fix leaves fewer diagnostics of `check` and no new error of any other check (a
/// YAML syntax error included). Returns the fixed sources and their analysis, or what went
/// wrong.
pub fn verify_fix(analysis: &Analysis, check: &str, fix: &Fix) -> Result<Analysis, String> {
    let mut fixed = Sources::new();
    for (file, source) in analysis.mesh.sources.iter() {
        let edits = fix.edits.iter().filter(|edit| edit.span.file == file);
        fixed.add(source.name.clone(), apply_edits(&source.text, edits));
    }
    let again = analyze(fixed, analysis.mesh.settings.clone());
    let of_check = |a: &Analysis| a.diagnostics.iter().filter(|d| d.check == check).count();
    let other_errors = |a: &Analysis| {
        a.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.check != check)
            .count()
    };
    if of_check(&again) >= of_check(analysis) {
        return Err(format!(
            "the fix `{}` did not remove the `{check}` diagnostic",
            fix.label
        ));
    }
    if other_errors(&again) > other_errors(analysis) {
        let new: Vec<&str> = again
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.check != check)
            .map(|d| d.message.as_str())
            .collect();
        return Err(format!(
            "the fix `{}` introduced an error: {}",
            fix.label,
            new.join("; ")
        ));
    }
    Ok(again)
}
