//! What must hold of any analysis, fix and share link, whatever the input. The fuzz targets
//! (`fuzz/`), their regression tests (`tests/fuzz_regressions.rs`) and the property tests ask
//! these same questions, so a crash found by one is replayed by the others as it was found.

use crate::diagnostic::Applicability;
use crate::load::DocumentCache;
use crate::model::MtlsMode;
use crate::settings::MeshSettings;
use crate::source::{LineIndex, Sources, Span, Utf16Map};
use crate::{Analysis, analyze, analyze_cached, fix_all, reanalyze_cached, share, verify_fix};

/// Each input is analysed twice: with Istio's defaults, and with the settings that turn the
/// most checks' branches the other way (STRICT mTLS, no auto-mTLS, a complete input).
pub fn settings_variants() -> [MeshSettings; 2] {
    let strict = MeshSettings {
        auto_mtls: false,
        default_mtls: MtlsMode::Strict,
        input_complete: true,
        ..MeshSettings::default()
    };
    [MeshSettings::default(), strict]
}

/// One file per part of `text` split at NUL bytes (which YAML cannot hold anyway), so inputs
/// of several files, and spans that must name the right one, are exercised too.
pub fn sources_of(text: &str) -> Sources {
    let mut sources = Sources::new();
    for (index, part) in text.split('\0').enumerate() {
        sources.add(format!("file{index}.yaml"), part);
    }
    sources
}

/// Analyses `sources` as the CLI does and as the playground does (with a document cache,
/// cold, warm, and warm with the last analysis's resources recycled): all must give the same
/// diagnostics and resources, and every span must be usable (see [`spans_are_usable`]).
pub fn analysis_is_sound(sources: &Sources, settings: &MeshSettings) -> Result<Analysis, String> {
    let analysis = analyze(sources.clone(), settings.clone());
    spans_are_usable(&analysis)?;
    let same = |round: &str, cached: &Analysis| {
        if cached.diagnostics == analysis.diagnostics
            && cached.mesh.resources == analysis.mesh.resources
        {
            Ok(())
        } else {
            Err(format!(
                "analyze_cached with a {round} cache differs from analyze"
            ))
        }
    };
    let mut cache = DocumentCache::new();
    let mut cached = analyze_cached(sources.clone(), settings.clone(), &mut cache);
    same("cold", &cached)?;
    cached = analyze_cached(sources.clone(), settings.clone(), &mut cache);
    same("warm", &cached)?;
    reanalyze_cached(&mut cached, sources.clone(), settings.clone(), &mut cache);
    same("recycled", &cached)?;
    Ok(analysis)
}

/// Every span a diagnostic carries (its own, its related ones, its fixes' edits) lies inside
/// its file on character boundaries and converts to a line, column and UTF-16 offset, as the
/// CLI and the playground will convert it.
pub fn spans_are_usable(analysis: &Analysis) -> Result<(), String> {
    let sources = &analysis.mesh.sources;
    let usable = |span: Span, what: &str| -> Result<(), String> {
        if span.file.0 as usize >= sources.len() {
            return Err(format!("{what}: file {} of {}", span.file.0, sources.len()));
        }
        let text = sources.text(span.file);
        let range = span.range();
        if range.start > range.end
            || range.end > text.len()
            || !text.is_char_boundary(range.start)
            || !text.is_char_boundary(range.end)
        {
            return Err(format!(
                "{what}: bytes {}..{} in a text of {} bytes",
                range.start,
                range.end,
                text.len()
            ));
        }
        let lines = LineIndex::new(text);
        let (start, end) = (
            lines.line_col(text, range.start),
            lines.line_col(text, range.end),
        );
        if (start.line, start.column) > (end.line, end.column) {
            return Err(format!("{what}: ends before it starts"));
        }
        let utf16 = Utf16Map::new(text);
        for byte in [range.start, range.end] {
            if utf16.to_byte(utf16.to_utf16(byte)) != byte {
                return Err(format!("{what}: byte {byte} does not round-trip UTF-16"));
            }
        }
        Ok(())
    };
    for diagnostic in &analysis.diagnostics {
        usable(diagnostic.span, diagnostic.check)?;
        for related in &diagnostic.related {
            usable(related.span, diagnostic.check)?;
        }
        for fix in &diagnostic.fixes {
            for edit in &fix.edits {
                usable(edit.span, diagnostic.check)?;
            }
        }
    }
    Ok(())
}

/// Every fix of every diagnostic, applied alone, is sound as [`verify_fix`] judges it; then
/// fixing everything (unsafe fixes too) ends without a panic.
pub fn fixes_are_sound(analysis: &Analysis) -> Result<(), String> {
    for diagnostic in &analysis.diagnostics {
        for fix in &diagnostic.fixes {
            if let Err(problem) = verify_fix(analysis, diagnostic.check, fix) {
                return Err(format!("[{}] `{}`: {problem}", diagnostic.check, fix.label));
            }
        }
    }
    fix_all(
        analysis.mesh.sources.clone(),
        &analysis.mesh.settings,
        Applicability::Unsafe,
    );
    Ok(())
}

/// The `analyze_text` and `analyze_mutated_yaml` fuzz targets: the input as text (split into
/// files at NUL) analyses soundly under every settings variant.
pub fn text_analyses_soundly(text: &str) -> Result<(), String> {
    let sources = sources_of(text);
    for settings in settings_variants() {
        analysis_is_sound(&sources, &settings)?;
    }
    Ok(())
}

/// The `fix_mutated_yaml` fuzz target: [`text_analyses_soundly`], and every fix is sound.
pub fn text_fixes_soundly(text: &str) -> Result<(), String> {
    let sources = sources_of(text);
    for settings in settings_variants() {
        fixes_are_sound(&analysis_is_sound(&sources, &settings)?)?;
    }
    Ok(())
}

/// The `share_link` fuzz target: decoding any fragment returns (never panics), and whatever
/// decodes, or reads as a payload, or is plain text, goes through a link and comes back the
/// same.
pub fn share_link_round_trips(fragment: &str) -> Result<(), String> {
    let round_trip = |text: String, settings: MeshSettings, what: &str| {
        let again = share::decode(&share::encode(&text, &settings));
        if again != Ok((text, settings)) {
            return Err(format!("{what} does not survive a link: {again:?}"));
        }
        Ok(())
    };
    if let Ok((text, settings)) = share::decode(fragment) {
        round_trip(text, settings, "a decoded link")?;
    }
    if let Ok((text, settings)) = share::parse_payload(fragment) {
        round_trip(text, settings, "the input read as a payload")?;
    }
    round_trip(fragment.to_string(), MeshSettings::default(), "the input")
}
