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
pub mod names;
pub mod order;
mod regex_match;
pub mod resolve;
pub mod settings;
pub mod share;
pub mod soundness;
pub mod source;
pub mod suggest;
pub mod synthetic;
pub mod topology;
pub mod trace;
pub mod yaml;

/// The Istio release whose behaviour the checks follow: its CRDs (istio/api) and its Gateway
/// API controller.
pub const ISTIO_VERSION: &str = "1.31";
/// The Kubernetes Gateway API release whose CRDs (standard channel) the checks follow; the one
/// [`ISTIO_VERSION`] pins.
pub const GATEWAY_API_VERSION: &str = "v1.6.1";

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

/// Replaces `analysis` by that of `sources`, as [`analyze_cached`] does, after handing its
/// resources back to the cache: documents that neither changed nor moved keep theirs instead of
/// being copied and built again (most of a keystroke's cost in a large input).
pub fn reanalyze_cached(
    analysis: &mut Analysis,
    sources: Sources,
    settings: MeshSettings,
    cache: &mut load::DocumentCache,
) {
    cache.recycle(analysis.mesh.take_resources());
    *analysis = analyze_cached(sources, settings, cache);
}

fn check(sources: Sources, settings: MeshSettings, loaded: load::Loaded) -> Analysis {
    let mut mesh = Mesh::new(sources, settings, loaded.resources);
    mesh.skipped = loaded.skipped;
    let mut diagnostics = loaded.diagnostics;
    for check in checks::registry() {
        if let checks::Run::OnMesh(run) = check.run {
            run(&mesh, &mut diagnostics);
        }
    }
    // Fixes edit whole lines, and their helpers end a line at LF (CRLF included); YAML and the
    // editor also end one at a lone CR (classic Mac OS), so a fix could land on the wrong
    // line. Such files keep their diagnostics, without fixes.
    let lone_cr: Vec<bool> = mesh
        .sources
        .iter()
        .map(|(_, source)| {
            // Without copying the text: this runs on every keystroke.
            let text = &source.text;
            text.match_indices('\r')
                .any(|(at, _)| !text[at + 1..].starts_with('\n'))
        })
        .collect();
    for diagnostic in &mut diagnostics {
        diagnostic.fixes.retain(|fix| {
            !fix.edits
                .iter()
                .any(|edit| lone_cr.get(edit.span.file.0 as usize) == Some(&true))
        });
    }
    order::sort_by(&mut diagnostics, |a, b| {
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

/// Why [`verify_fix`] refused a fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnsoundFix {
    /// An edit lies outside its file or splits a character: the fix cannot be applied.
    EditOutsideText(String),
    /// The output differs from the input somewhere no edit covers.
    ChangedOutsideEdits,
    /// Every line of the input ends in CRLF and the fix brought in a bare LF.
    BareLineFeed,
    /// The output has an error (a YAML syntax error included) the input did not have.
    NewError(Vec<String>),
    /// The output still has as many diagnostics of the fix's check as the input.
    DiagnosticRemains,
}

impl std::fmt::Display for UnsoundFix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnsoundFix::EditOutsideText(why) => write!(f, "an edit cannot be applied: {why}"),
            UnsoundFix::ChangedOutsideEdits => f.write_str("bytes outside the edits changed"),
            UnsoundFix::BareLineFeed => f.write_str("it inserts a bare LF into CRLF text"),
            UnsoundFix::NewError(messages) => {
                write!(f, "it introduced an error: {}", messages.join("; "))
            }
            UnsoundFix::DiagnosticRemains => f.write_str("it did not remove its diagnostic"),
        }
    }
}

/// Applies one fix (of a diagnostic of `check` in `analysis`) and re-analyses the result. A
/// sound fix applies (every edit inside its file, on character boundaries), keeps every byte
/// outside its edits, keeps all-CRLF text CRLF, adds no error of another check (a YAML syntax
/// error included) and leaves fewer diagnostics of `check`. Returns the fixed sources'
/// analysis, or the first way the fix is unsound (in the order of [`UnsoundFix`]).
pub fn verify_fix(analysis: &Analysis, check: &str, fix: &Fix) -> Result<Analysis, UnsoundFix> {
    let mut fixed = Sources::new();
    for (file, source) in analysis.mesh.sources.iter() {
        let edits: Vec<&diagnostic::Edit> = fix
            .edits
            .iter()
            .filter(|edit| edit.span.file == file)
            .collect();
        let text = source.text.as_str();
        for edit in &edits {
            let range = edit.span.range();
            if range.start > range.end
                || range.end > text.len()
                || !text.is_char_boundary(range.start)
                || !text.is_char_boundary(range.end)
            {
                return Err(UnsoundFix::EditOutsideText(format!(
                    "bytes {}..{} of {} in a text of {} bytes",
                    range.start,
                    range.end,
                    source.name,
                    text.len()
                )));
            }
        }
        let output = apply_edits(text, edits.iter().copied());
        if !diagnostic::kept_outside_edits(text, edits.iter().copied(), &output) {
            return Err(UnsoundFix::ChangedOutsideEdits);
        }
        let bare_line_feed = |text: &str| text.replace("\r\n", "").contains('\n');
        if text.contains("\r\n") && !bare_line_feed(text) && bare_line_feed(&output) {
            return Err(UnsoundFix::BareLineFeed);
        }
        fixed.add(source.name.clone(), output);
    }
    let again = analyze(fixed, analysis.mesh.settings.clone());
    let of_check = |a: &Analysis| a.diagnostics.iter().filter(|d| d.check == check).count();
    // An object the input did not analyse (a misspelled kind) comes into view when a fix
    // respells it: its own errors were there all along, unseen, and are not the fix's.
    let unseen: Vec<source::Span> = analysis
        .mesh
        .skipped
        .iter()
        .map(|object| diagnostic::shifted_by(object.span, &fix.edits))
        .collect();
    let other_errors = |a: &Analysis, unseen: &[source::Span]| -> Vec<String> {
        a.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.check != check)
            .filter(|d| !unseen.iter().any(|object| object.contains(d.span)))
            .map(|d| d.message.clone())
            .collect()
    };
    let new = other_errors(&again, &unseen);
    if new.len() > other_errors(analysis, &[]).len() {
        return Err(UnsoundFix::NewError(new));
    }
    if of_check(&again) >= of_check(analysis) {
        return Err(UnsoundFix::DiagnosticRemains);
    }
    Ok(again)
}
