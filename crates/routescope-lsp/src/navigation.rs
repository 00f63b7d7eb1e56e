//! Hover (a diagnostic's check docs, what a reference resolves to), go to definition (where a
//! reference's target is defined) and document symbols (the resources of a file), all read off
//! the core's analysis: the resolution is the core's `Mesh::reference_at`.

use lsp_types::{
    DocumentSymbol, GotoDefinitionResponse, Hover, HoverContents, MarkupContent, MarkupKind,
    Position, SymbolKind,
};
use routescope_core::checks;
use routescope_core::model::ResourceKind;
use routescope_core::source::FileId;

use crate::diagnostics::location;
use crate::workspace::{Analysed, holds_mesh_resources};

fn offset(analysed: &Analysed, file: FileId, position: Position) -> usize {
    analysed.positions[file.0 as usize].offset(analysed.text(file), position)
}

/// Markdown: the docs of each check whose diagnostic covers the position, then what the
/// reference there resolves to.
pub fn hover(analysed: &Analysed, file: FileId, position: Position) -> Option<Hover> {
    if !holds_mesh_resources(analysed.text(file)) {
        return None;
    }
    let at = offset(analysed, file, position);
    let mut parts = Vec::new();
    let mut shown = Vec::new();
    for diagnostic in &analysed.analysis.diagnostics {
        let span = diagnostic.span;
        let covers = span.file == file && span.start as usize <= at && at <= span.end as usize;
        if !covers || shown.contains(&diagnostic.check) {
            continue;
        }
        shown.push(diagnostic.check);
        if let Some(check) = checks::find(diagnostic.check) {
            parts.push(format!(
                "**{}** ({}): {}\n\n{}",
                check.id,
                diagnostic.severity,
                diagnostic.message,
                check.render_docs()
            ));
        }
    }
    let mesh = &analysed.analysis.mesh;
    let reference = mesh.reference_at(file, at);
    if let Some(reference) = &reference {
        parts.push(format!("**Resolves to** {}", reference.description));
    }
    if parts.is_empty() {
        return None;
    }
    let range =
        reference.map(|reference| analysed.positions[file.0 as usize].range(reference.span));
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: parts.join("\n\n---\n\n"),
        }),
        range,
    })
}

/// Where the reference at the position is defined (several places for a host that several
/// resources declare); `None` off a reference or when its target is not in the workspace.
pub fn definition(
    analysed: &Analysed,
    file: FileId,
    position: Position,
) -> Option<GotoDefinitionResponse> {
    if !holds_mesh_resources(analysed.text(file)) {
        return None;
    }
    let reference = analysed
        .analysis
        .mesh
        .reference_at(file, offset(analysed, file, position))?;
    if reference.targets.is_empty() {
        return None;
    }
    let locations = reference
        .targets
        .iter()
        .map(|&span| location(analysed, span))
        .collect();
    Some(GotoDefinitionResponse::Array(locations))
}

/// One symbol per resource of the file: `namespace/name`, its kind as detail.
pub fn symbols(analysed: &Analysed, file: FileId) -> Vec<DocumentSymbol> {
    if !holds_mesh_resources(analysed.text(file)) {
        return Vec::new();
    }
    let positions = &analysed.positions[file.0 as usize];
    analysed
        .analysis
        .mesh
        .resources
        .iter()
        .filter(|resource| resource.file == file)
        .map(|resource| {
            #[allow(deprecated)] // `deprecated` has no default; `tags` replaces it.
            DocumentSymbol {
                name: format!("{}/{}", resource.namespace, resource.name.value),
                detail: Some(match &resource.api_version {
                    Some(version) => format!("{} ({})", resource.kind.name(), version.value),
                    None => resource.kind.name().to_string(),
                }),
                kind: symbol_kind(resource.kind),
                tags: None,
                deprecated: None,
                range: positions.range(resource.span),
                selection_range: positions.range(resource.name.span),
                children: None,
            }
        })
        .collect()
}

/// Listeners and routes read as the entry points and the functions of a mesh.
fn symbol_kind(kind: ResourceKind) -> SymbolKind {
    use ResourceKind::*;
    match kind {
        Gateway | KubernetesGateway | ListenerSet | GatewayClass => SymbolKind::INTERFACE,
        VirtualService | HttpRoute | GrpcRoute | TlsRoute | TcpRoute => SymbolKind::FUNCTION,
        DestinationRule | PeerAuthentication | BackendTlsPolicy | ReferenceGrant => {
            SymbolKind::PROPERTY
        }
        ServiceEntry | Service => SymbolKind::CLASS,
        Namespace => SymbolKind::NAMESPACE,
        Secret | ConfigMap => SymbolKind::OBJECT,
    }
}
