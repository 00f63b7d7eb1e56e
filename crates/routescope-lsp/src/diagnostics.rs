//! The engine's diagnostics as LSP `publishDiagnostics`, per file, and which files' lists
//! changed since the last publication (a list that goes away is published empty).

use std::collections::HashMap;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    PublishDiagnosticsParams, Url,
};
use routescope_core::diagnostic::{Diagnostic, Severity};
use routescope_core::source::Span;

use crate::settings::Settings;
use crate::workspace::{Analysed, holds_mesh_resources};

pub const SOURCE: &str = "routescope";

/// The LSP form of one diagnostic.
pub fn to_lsp(
    analysed: &Analysed,
    settings: &Settings,
    diagnostic: &Diagnostic,
) -> lsp_types::Diagnostic {
    let related = diagnostic
        .related
        .iter()
        .map(|related| DiagnosticRelatedInformation {
            location: location(analysed, related.span),
            message: related.message.clone(),
        })
        .collect::<Vec<_>>();
    let href = Url::parse(&settings.docs_url(diagnostic.check)).ok();
    lsp_types::Diagnostic {
        range: analysed.positions[diagnostic.span.file.0 as usize].range(diagnostic.span),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(diagnostic.check.to_string())),
        code_description: href.map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: match diagnostic.istio_code {
            Some(code) => format!("{} ({code})", diagnostic.message),
            None => diagnostic.message.clone(),
        },
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// Where a span is, as a location of the workspace.
pub fn location(analysed: &Analysed, span: Span) -> Location {
    let file = span.file.0 as usize;
    Location::new(
        analysed.urls[file].clone(),
        analysed.positions[file].range(span),
    )
}

/// Every file that gets diagnostics (it holds Istio or Gateway API resources), with its list.
pub fn by_file(
    analysed: &Analysed,
    settings: &Settings,
) -> HashMap<Url, Vec<lsp_types::Diagnostic>> {
    let mut lists: HashMap<Url, Vec<lsp_types::Diagnostic>> = HashMap::new();
    let sources = &analysed.analysis.mesh.sources;
    let wanted: Vec<bool> = sources
        .iter()
        .map(|(_, source)| holds_mesh_resources(&source.text))
        .collect();
    for diagnostic in &analysed.analysis.diagnostics {
        let file = diagnostic.span.file.0 as usize;
        if wanted[file] {
            lists
                .entry(analysed.urls[file].clone())
                .or_default()
                .push(to_lsp(analysed, settings, diagnostic));
        }
    }
    lists
}

/// What to publish to go from `published` to `now`: each file whose list differs, files whose
/// diagnostics went away with an empty list. Sorted by address, so the order is stable.
pub fn changes(
    published: &HashMap<Url, Vec<lsp_types::Diagnostic>>,
    now: &HashMap<Url, Vec<lsp_types::Diagnostic>>,
) -> Vec<PublishDiagnosticsParams> {
    let mut out: Vec<PublishDiagnosticsParams> = now
        .iter()
        .filter(|(url, list)| published.get(*url) != Some(list))
        .map(|(url, list)| PublishDiagnosticsParams::new(url.clone(), list.clone(), None))
        .chain(
            published
                .keys()
                .filter(|url| !now.contains_key(*url))
                .map(|url| PublishDiagnosticsParams::new(url.clone(), Vec::new(), None)),
        )
        .collect();
    out.sort_by(|a, b| a.uri.cmp(&b.uri));
    out
}
