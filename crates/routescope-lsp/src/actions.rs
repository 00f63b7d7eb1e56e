//! Code actions: each fix of the diagnostics under the cursor as a `quickfix` (safe ones
//! preferred, unsafe ones saying so), and `source.fixAll.routescope`, every safe fix of the
//! file applied as the CLI's `--fix` applies them (the core's `fix_all`, round after round).
//! Display-only fixes are advice the engine never applies, so they are not offered.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, Url, WorkspaceEdit,
};
use routescope_core::diagnostic::{Applicability, Fix};
use routescope_core::fix_all;
use routescope_core::source::{FileId, Span};

use crate::diagnostics::to_lsp;
use crate::settings::Settings;
use crate::workspace::{Analysed, holds_mesh_resources};

pub fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.routescope")
}

/// The actions for `range` of `file`, of the kinds `only` allows (all when `None`).
pub fn code_actions(
    analysed: &Analysed,
    settings: &Settings,
    file: FileId,
    range: Range,
    only: Option<&[CodeActionKind]>,
) -> Vec<CodeActionOrCommand> {
    if !holds_mesh_resources(analysed.text(file)) {
        return Vec::new();
    }
    let wants = |kind: &CodeActionKind| {
        only.is_none_or(|only| {
            only.iter().any(|asked| {
                kind.as_str() == asked.as_str()
                    || kind.as_str().starts_with(&format!("{}.", asked.as_str()))
            })
        })
    };
    let positions = &analysed.positions[file.0 as usize];
    let text = analysed.text(file);
    let start = positions.offset(text, range.start);
    let end = positions.offset(text, range.end);
    let mut actions = Vec::new();
    if wants(&CodeActionKind::QUICKFIX) {
        for diagnostic in &analysed.analysis.diagnostics {
            let span = diagnostic.span;
            let touches =
                span.file == file && span.start as usize <= end && start <= span.end as usize;
            if !touches {
                continue;
            }
            for fix in &diagnostic.fixes {
                if fix.applicability == Applicability::DisplayOnly {
                    continue;
                }
                let safe = fix.applicability == Applicability::Safe;
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: if safe {
                        fix.label.clone()
                    } else {
                        format!("{} (unsafe: review the change)", fix.label)
                    },
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![to_lsp(analysed, settings, diagnostic)]),
                    edit: Some(fix_edit(analysed, fix)),
                    is_preferred: Some(safe),
                    ..CodeAction::default()
                }));
            }
        }
    }
    let kind = fix_all_kind();
    // `fix_all` analyses the workspace again, round after round: only when there is a fix.
    let has_safe_fix = analysed.analysis.diagnostics.iter().any(|d| {
        d.span.file == file
            && d.fixes
                .iter()
                .any(|f| f.applicability == Applicability::Safe)
    });
    if wants(&kind)
        && has_safe_fix
        && let Some(edit) = fix_all_edit(analysed, settings, file)
    {
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: "Routescope: apply every safe fix in this file".to_string(),
            kind: Some(kind),
            edit: Some(edit),
            ..CodeAction::default()
        }));
    }
    actions
}

/// A fix's edits, in whichever files they are.
fn fix_edit(analysed: &Analysed, fix: &Fix) -> WorkspaceEdit {
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for edit in &fix.edits {
        let file = edit.span.file.0 as usize;
        changes
            .entry(analysed.urls[file].clone())
            .or_default()
            .push(TextEdit::new(
                analysed.positions[file].range(edit.span),
                edit.replacement.clone(),
            ));
    }
    WorkspaceEdit::new(changes)
}

/// Every safe fix applied (as often as new ones appear), as one edit of `file` covering what
/// changed in it; `None` when nothing would.
fn fix_all_edit(analysed: &Analysed, settings: &Settings, file: FileId) -> Option<WorkspaceEdit> {
    let sources = analysed.analysis.mesh.sources.clone();
    let fixed = fix_all(sources, &settings.mesh, Applicability::Safe);
    let before = analysed.text(file);
    let after = fixed.text(file);
    if before == after {
        return None;
    }
    let prefix = common_prefix(before, after);
    let suffix = common_suffix(&before[prefix..], &after[prefix..]);
    let span = Span::new(file, prefix..before.len() - suffix);
    let replacement = after[prefix..after.len() - suffix].to_string();
    let edit = TextEdit::new(analysed.positions[file.0 as usize].range(span), replacement);
    Some(WorkspaceEdit::new(HashMap::from([(
        analysed.urls[file.0 as usize].clone(),
        vec![edit],
    )])))
}

/// The length in bytes of the longest common prefix, on a character boundary of both.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((at, _), _)| at)
}

/// The length in bytes of the longest common suffix, on a character boundary of both.
fn common_suffix(a: &str, b: &str) -> usize {
    a.chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changed_middle_is_found_on_character_boundaries() {
        let (a, b) = ("héllo wörld", "héllo wärld");
        let prefix = common_prefix(a, b);
        let suffix = common_suffix(&a[prefix..], &b[prefix..]);
        assert_eq!(&a[prefix..a.len() - suffix], "ö");
        assert_eq!(&b[prefix..b.len() - suffix], "ä");
        assert_eq!(common_prefix("ab", "abc"), 2);
        assert_eq!(common_suffix("", "abc"), 0);
    }
}
