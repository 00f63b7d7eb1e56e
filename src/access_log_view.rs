//! The "Access log" panel: a pasted Envoy access log line (or response flags) explained, with
//! the problems of the current text that can produce it. `Session::explain_log` answers;
//! this component shows the answer with the Learn panel's docs view and the Problems panel's
//! rows (picking one selects it in the editor).

use leptos::prelude::*;

use crate::app::{Docs, ProblemRow, Ui};
use crate::session::LogExplanation;

#[component]
pub fn AccessLogPanel(ui: Ui) -> impl IntoView {
    let selected = RwSignal::new(usize::MAX);
    let answer = move || {
        ui.revision.track();
        let pasted = ui.access_log.get();
        if pasted.trim().is_empty() {
            return None;
        }
        let (markdown, related) = match ui.session.with_value(|s| s.explain_log(&pasted)) {
            Err(error) => (format!("Cannot read this: {error}."), Vec::new()),
            Ok(explained) => (markdown(&explained), explained.related),
        };
        Some(view! {
            <div class="log-explanation" role="status">
                <Docs markdown=markdown/>
                <ul class="problem-list related" role="listbox" aria-label="Related problems">
                    {related.into_iter().enumerate().map(|(index, (problem, why))| view! {
                        <li role="presentation" class="group">{why}</li>
                        <ProblemRow ui=ui problem=problem index=index selected=selected/>
                    }).collect_view()}
                </ul>
            </div>
        })
    };
    view! {
        <section class="panel access-log" aria-label="Access log">
            <label>
                "Paste an Envoy access log line (Istio's default format) or only its response flags (UF,URX)."
                <textarea class="log-line" rows="4" spellcheck="false"
                    prop:value=move || ui.access_log.get()
                    on:input=move |event| ui.access_log.set(event_target_value(&event))></textarea>
            </label>
            {answer}
        </section>
    }
}

/// The explanation as the docs' Markdown: a heading per flag, the facts as a list, then
/// what the related problems are.
#[inline(never)]
fn markdown(explained: &LogExplanation) -> String {
    let explanation = &explained.explanation;
    let mut markdown = String::new();
    if explanation.flags.is_empty() {
        markdown.push_str("## No response flag\n\n");
    }
    for flag in &explanation.flags {
        markdown.push_str(&format!(
            "## {} {}\n\n{}\n\n",
            flag.short, flag.long, flag.meaning
        ));
        if !flag.in_istio.is_empty() {
            markdown.push_str(&format!("In Istio: {}\n\n", flag.in_istio));
        }
    }
    for fact in &explanation.facts {
        markdown.push_str(&format!("- {fact}\n"));
    }
    markdown.push_str(if explained.related.is_empty() {
        "\n## No problem in your text can produce this\n"
    } else {
        "\n## Problems in your text that can explain it\n"
    });
    if !explanation.checks.is_empty() {
        markdown.push_str(&format!(
            "\nChecks that can produce it: {}.\n",
            explanation.checks.join(", ")
        ));
    }
    markdown
}
