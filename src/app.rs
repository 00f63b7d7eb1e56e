//! The playground's components. They show what [`Session`] answers and pass edits back to the
//! editor; every decision lives in `routescope-core` or the plain-Rust modules beside this one.

use std::time::Duration;

use leptos::prelude::*;
use routescope_core::checks;
use routescope_core::diagnostic::{Applicability, Counts, Severity, counted};
use routescope_core::model::{MtlsMode, Named};
use routescope_core::resolve::Inventory;
use routescope_core::settings::{MeshSettings, is_namespace};
use routescope_core::share;
use wasm_bindgen::JsCast;

use crate::access_log_view::AccessLogPanel;
use crate::browser;
use crate::editor::{Editor, Handlers};
use crate::examples::{self, EXAMPLES};
use crate::gateway_status_view::StatusPanel;
use crate::markdown::{self, Block, Inline};
use crate::session::{FixPreview, Problem, Session, apply_editor_change, join_files};
use crate::start::{Notice, needs_draft, start};
use crate::traffic_view::TrafficPanel;

const SAVED: &str = "routescope:v1";
const DRAFT: &str = "routescope:v1:draft";
const SAVE_PAUSE_MS: f64 = 400.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Panel {
    Problems,
    Learn,
    Corrected,
    Examples,
    Settings,
    Traffic,
    Status,
    AccessLog,
}

/// Everything the components share. Copy: signals and stored values are handles.
#[derive(Clone, Copy)]
pub(crate) struct Ui {
    pub(crate) session: StoredValue<Session>,
    /// Bumped after each analysis; views that show analysis results read it.
    pub(crate) revision: RwSignal<u64>,
    editor: StoredValue<Option<Editor>, LocalStorage>,
    /// The editor's text, kept equal to it change by change (never copied whole per keystroke).
    text: StoredValue<String>,
    /// An analysis is scheduled (coalesces bursts of changes into one analysis).
    analysis_scheduled: StoredValue<bool>,
    /// A save is scheduled (saving waits for a pause in typing: large texts are slow to store).
    save_scheduled: StoredValue<bool>,
    /// When the text last changed (ms since navigation).
    last_edit: StoredValue<f64>,
    settings: RwSignal<MeshSettings>,
    panel: RwSignal<Panel>,
    learn: RwSignal<Option<&'static str>>,
    notice: RwSignal<Option<Notice>>,
    preview: RwSignal<Option<FixPreview>>,
    /// The diagnostic last selected (its path lights up in the traffic view).
    focus: RwSignal<Option<usize>>,
    /// Saved work replaced by an example, a link or opened files: restorable.
    draft: RwSignal<Option<String>>,
    /// The access log line pasted in the "Access log" panel.
    pub(crate) access_log: RwSignal<String>,
    embed: bool,
}

impl Ui {
    fn with_editor(&self, f: impl FnOnce(&Editor)) {
        self.editor.with_value(|editor| {
            if let Some(editor) = editor {
                f(editor)
            }
        });
    }

    /// The editor reported a change: apply it to our copy of the text and analyse soon
    /// (once per burst of changes).
    fn text_changed(self, from: usize, to: usize, insert: &str) {
        self.text
            .update_value(|text| apply_editor_change(text, from, to, insert));
        if !self.analysis_scheduled.get_value() {
            self.analysis_scheduled.set_value(true);
            set_timeout(
                move || {
                    self.analysis_scheduled.set_value(false);
                    let text = self.text.get_value();
                    self.analyze(text, self.settings.get_untracked());
                },
                Duration::ZERO,
            );
        }
    }

    fn analyze(self, text: String, settings: MeshSettings) {
        let started = browser::now_ms();
        self.session
            .update_value(|session| session.update(text, settings));
        let json = self.session.with_value(Session::editor_diagnostics_json);
        self.with_editor(|editor| editor.set_diagnostics(&json));
        let revision = self.revision.get_untracked() + 1;
        browser::mark_analysis(revision, browser::now_ms() - started);
        self.revision.set(revision);
        self.last_edit.set_value(browser::now_ms());
        if !self.save_scheduled.get_value() {
            self.save_scheduled.set_value(true);
            self.save_after_pause();
        }
    }

    /// Saves once typing has paused for [`SAVE_PAUSE_MS`]: storing a large text takes
    /// milliseconds that a keystroke should not wait for.
    fn save_after_pause(self) {
        let waited = browser::now_ms() - self.last_edit.get_value();
        if waited >= SAVE_PAUSE_MS {
            self.save_scheduled.set_value(false);
            self.save();
        } else {
            let rest = Duration::from_millis((SAVE_PAUSE_MS - waited) as u64 + 1);
            set_timeout(move || self.save_after_pause(), rest);
        }
    }

    fn save(self) {
        if self.embed {
            return;
        }
        let payload = self
            .session
            .with_value(|s| share::payload(s.text(), s.settings()));
        if let Err(problem) = browser::local_set(SAVED, &payload) {
            self.notice.set(Some(Notice::Error(format!(
                "Your text could not be saved: {problem}. It is still in the editor; copy it \
                 or download the corrected YAML before closing the tab."
            ))));
        }
    }

    /// Replaces the text (an example, opened files, a restored draft), keeping typed work
    /// restorable.
    fn load_text(self, text: &str, what: &str) {
        let current = self.session.with_value(|s| s.text().to_string());
        if needs_draft(&current) && current != text {
            let payload = self
                .session
                .with_value(|s| share::payload(s.text(), s.settings()));
            if let Err(problem) = browser::local_set(DRAFT, &payload) {
                self.notice.set(Some(Notice::Error(format!(
                    "Your previous text could not be kept ({problem}); it is one Ctrl+Z away."
                ))));
            }
            self.draft.set(Some(payload));
            self.notice.set(Some(Notice::Info(format!(
                "Loaded {what}. Your previous text is kept: “Restore previous text” brings it back."
            ))));
        }
        self.with_editor(|editor| editor.replace_all(text));
    }

    fn restore_draft(self) {
        let Some(payload) = self.draft.get_untracked() else {
            return;
        };
        if let Ok((text, settings)) = share::parse_payload(&payload) {
            self.settings.set(settings);
            self.with_editor(|editor| editor.replace_all(&text));
        }
        self.draft.set(None);
        browser::local_remove(DRAFT);
        self.notice.set(None);
    }

    /// The editor asked for fix `index` of diagnostic `id`.
    fn fix(self, id: usize, index: usize) {
        let Some(preview) = self.session.with_value(|s| s.fix(id, index)) else {
            return;
        };
        if preview.applicability == Applicability::Safe {
            self.with_editor(|editor| editor.apply_edits(&preview.edits_json));
        } else {
            self.preview.set(Some(preview));
        }
    }

    fn fix_all_safe(self) {
        if let Some(json) = self.session.with_value(Session::fix_all_safe_json) {
            self.with_editor(|editor| editor.apply_edits(&json));
        }
    }

    fn reveal(self, id: usize) {
        self.focus.set(Some(id));
        if let Some((from, to)) = self.session.with_value(|s| s.diagnostic_range(id)) {
            self.with_editor(|editor| editor.reveal(from, to));
        }
    }

    /// Selects an editor range (an object's YAML) and scrolls to it.
    pub(crate) fn go_to(self, from: usize, to: usize) {
        self.with_editor(|editor| editor.reveal(from, to));
    }

    fn learn(self, check: &str) {
        if let Some(check) = checks::find(check) {
            self.learn.set(Some(check.id));
            self.panel.set(Panel::Learn);
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    let query = browser::query();
    let embed = query.split(['?', '&']).any(|p| p == "embed");
    let read_only = query.split(['?', '&']).any(|p| p == "readonly");
    let saved = if embed {
        None
    } else {
        browser::local_get(SAVED)
    };
    let opened = start(&browser::fragment(), saved.as_deref());
    let draft = opened
        .replaced_draft
        .clone()
        .or_else(|| (!embed).then(|| browser::local_get(DRAFT)).flatten());
    if let Some(draft) = &opened.replaced_draft {
        let _ = browser::local_set(DRAFT, draft);
    }
    let ui = Ui {
        session: StoredValue::new(Session::new(opened.text.clone(), opened.settings.clone())),
        revision: RwSignal::new(0),
        editor: StoredValue::new_local(None),
        text: StoredValue::new(String::new()),
        analysis_scheduled: StoredValue::new(false),
        save_scheduled: StoredValue::new(false),
        last_edit: StoredValue::new(0.0),
        settings: RwSignal::new(opened.settings.clone()),
        panel: RwSignal::new(Panel::Problems),
        learn: RwSignal::new(None),
        notice: RwSignal::new(opened.notice.clone()),
        preview: RwSignal::new(None),
        focus: RwSignal::new(None),
        draft: RwSignal::new(draft),
        access_log: RwSignal::new(String::new()),
        embed,
    };

    // Settings change the analysis live (and are saved with the text).
    Effect::new(move |previous: Option<MeshSettings>| {
        let settings = ui.settings.get();
        if previous.is_some_and(|p| p != settings) {
            let text = ui.session.with_value(|s| s.text().to_string());
            ui.analyze(text, settings.clone());
        }
        settings
    });

    Effect::new(move |_| {
        ui.revision.track();
        let counts = ui.session.with_value(Session::counts);
        browser::set_title(&match (counts.errors, counts.warnings) {
            (0, 0) => "Routescope — no problems".to_string(),
            (errors, warnings) => format!(
                "Routescope — {}, {}",
                counted(errors, "error"),
                counted(warnings, "warning")
            ),
        });
    });

    // Saving waits for a pause in typing; leaving the page must not lose the last edits.
    let _ = window_event_listener(leptos::ev::pagehide, move |_| ui.save());

    let editor_host = NodeRef::<leptos::html::Div>::new();
    editor_host.on_load(move |host| {
        let host: web_sys::HtmlElement = host.unchecked_into();
        let text = ui.session.with_value(|s| s.text().to_string());
        let editor = Editor::new(
            &host,
            &text,
            Handlers {
                on_change: Box::new(move |from, to, insert| {
                    ui.text_changed(from as usize, to as usize, &insert)
                }),
                on_fix: Box::new(move |id, index| ui.fix(id as usize, index as usize)),
                on_learn: Box::new(move |check| ui.learn(&check)),
            },
            read_only,
        );
        // The editor normalises line breaks: our copy starts from its text, not ours.
        let normalised = editor.text();
        if normalised != text {
            ui.session
                .update_value(|s| s.update(normalised.clone(), ui.settings.get_untracked()));
        }
        ui.text.set_value(normalised);
        editor.set_diagnostics(&ui.session.with_value(Session::editor_diagnostics_json));
        ui.editor.set_value(Some(editor));
        ui.revision.set(1);
        // What was opened (a link, say) is the work now: save it like any edit.
        ui.save();
        browser::mark_analysis(1, 0.0);
        listen_for_file_drops(&host, ui);
    });

    view! {
        <div class="app" class:embed=embed>
            <Header ui=ui/>
            <NoticeBar ui=ui/>
            <main class="layout" class:wide-side=move || ui.panel.get() == Panel::Traffic && !embed>
                <section class="editor-pane" aria-label="YAML editor">
                    <div class="editor-host" node_ref=editor_host></div>
                </section>
                <aside class="side" aria-label="Analysis">
                    {(!embed).then(|| view! { <Tabs ui=ui/> })}
                    {move || match (embed, ui.panel.get()) {
                        (true, _) | (_, Panel::Problems) => view! { <ProblemsPanel ui=ui/> }.into_any(),
                        (_, Panel::Learn) => view! { <LearnPanel ui=ui/> }.into_any(),
                        (_, Panel::Corrected) => view! { <CorrectedPanel ui=ui/> }.into_any(),
                        (_, Panel::Examples) => view! { <ExamplesPanel ui=ui/> }.into_any(),
                        (_, Panel::Settings) => view! { <SettingsPanel ui=ui/> }.into_any(),
                        (_, Panel::Traffic) => view! {
                            <TrafficPanel session=ui.session revision=ui.revision editor=ui.editor focus=ui.focus/>
                        }.into_any(),
                        (_, Panel::Status) => view! { <StatusPanel ui=ui/> }.into_any(),
                        (_, Panel::AccessLog) => view! { <AccessLogPanel ui=ui/> }.into_any(),
                    }}
                </aside>
            </main>
            <FixDialog ui=ui/>
        </div>
    }
}

fn listen_for_file_drops(host: &web_sys::HtmlElement, ui: Ui) {
    // Capture phase: the editor would otherwise insert a dropped file at the drop point.
    let on_drop = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::DragEvent)>::new(
        move |event: web_sys::DragEvent| {
            let Some(files) = event.data_transfer().and_then(|d| d.files()) else {
                return;
            };
            if files.length() == 0 {
                return;
            }
            event.prevent_default();
            event.stop_propagation();
            open_files(ui, files);
        },
    );
    let options = web_sys::AddEventListenerOptions::new();
    options.set_capture(true);
    let _ = host.add_event_listener_with_callback_and_add_event_listener_options(
        "drop",
        on_drop.as_ref().unchecked_ref(),
        &options,
    );
    // The listener lives as long as the editor, which lives as long as the page.
    on_drop.forget();
}

fn open_files(ui: Ui, files: web_sys::FileList) {
    browser::read_files(files, move |read| match read {
        Ok(files) if !files.is_empty() => {
            let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
            let what = names.join(", ");
            ui.load_text(&join_files(&files), &what);
        }
        Ok(_) => {}
        Err(problem) => ui.notice.set(Some(Notice::Error(format!("{problem}.")))),
    });
}

fn severity_icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "✖",
        Severity::Warning => "▲",
        Severity::Info => "ℹ",
    }
}

#[component]
fn Header(ui: Ui) -> impl IntoView {
    let counts = move || {
        ui.revision.track();
        ui.session.with_value(Session::counts)
    };
    let file_input = NodeRef::<leptos::html::Input>::new();
    let copy_link = move |_| {
        let fragment = ui
            .session
            .with_value(|s| share::encode(s.text(), s.settings()));
        let url = browser::set_fragment(&fragment);
        browser::copy(&url);
        ui.notice.set(Some(Notice::Link(url)));
    };
    view! {
        <header class="header">
            <h1 class="brand">"Routescope"</h1>
            <p class="counts" role="status" aria-live="polite">
                {move || {
                    let Counts { errors, warnings, infos } = counts();
                    view! {
                        <span class="count error">{severity_icon(Severity::Error)} " " {counted(errors, "error")}</span>
                        <span class="count warning">{severity_icon(Severity::Warning)} " " {counted(warnings, "warning")}</span>
                        <span class="count info">{severity_icon(Severity::Info)} " " {counted(infos, "info")}</span>
                    }
                }}
            </p>
            {(!ui.embed).then(|| view! {
                <nav class="actions" aria-label="Actions">
                    <button class="primary" on:click=move |_| ui.fix_all_safe()
                        title="Apply every safe fix (one Ctrl+Z undoes it)">"Fix all safe"</button>
                    <button on:click=move |_| ui.panel.set(Panel::Corrected)>"Corrected YAML"</button>
                    <button on:click=copy_link>"Copy link"</button>
                    <button on:click=move |_| {
                        if let Some(input) = file_input.get() { input.click(); }
                    }>"Open files…"</button>
                    <input type="file" class="hidden" multiple accept=".yaml,.yml,text/yaml"
                        node_ref=file_input aria-label="Open YAML files"
                        on:change=move |event| {
                            let input: web_sys::HtmlInputElement = event_target(&event);
                            if let Some(files) = input.files() { open_files(ui, files); }
                            input.set_value("");
                        }/>
                </nav>
            })}
        </header>
    }
}

#[component]
fn NoticeBar(ui: Ui) -> impl IntoView {
    view! {
        <div class="notices">
            {move || ui.notice.get().map(|notice| {
                let (class, text, link) = match notice {
                    Notice::Info(text) => ("notice info", text, None),
                    Notice::Error(text) => ("notice error", text, None),
                    Notice::Link(url) => (
                        "notice info",
                        format!("Share link ready ({} characters; copied to the clipboard where the browser allows it). The text travels in the link itself, never to a server.", url.len()),
                        Some(url),
                    ),
                };
                view! {
                    <div class=class role="status">
                        <span>{text}</span>
                        {link.map(|url| view! {
                            <input class="link" readonly prop:value=url aria-label="Share link"
                                on:focus=move |e| { let i: web_sys::HtmlInputElement = event_target(&e); i.select(); }/>
                        })}
                        <button class="quiet" aria-label="Dismiss" on:click=move |_| ui.notice.set(None)>"×"</button>
                    </div>
                }
            })}
            {move || (ui.draft.get().is_some() && !ui.embed).then(|| view! {
                <div class="notice info">
                    <span>"A previous text was replaced."</span>
                    <button on:click=move |_| ui.restore_draft()>"Restore previous text"</button>
                    <button class="quiet" on:click=move |_| { ui.draft.set(None); browser::local_remove(DRAFT); }>"Discard it"</button>
                </div>
            })}
        </div>
    }
}

#[component]
fn Tabs(ui: Ui) -> impl IntoView {
    let tab = move |panel: Panel, label: &'static str| {
        view! {
            <button role="tab" class="tab" class:active=move || ui.panel.get() == panel
                aria-selected=move || (ui.panel.get() == panel).to_string()
                on:click=move |_| ui.panel.set(panel)>{label}</button>
        }
    };
    view! {
        <div class="tabs" role="tablist">
            {tab(Panel::Problems, "Problems")}
            {tab(Panel::Traffic, "Traffic")}
            {tab(Panel::Status, "Status")}
            {tab(Panel::AccessLog, "Access log")}
            {tab(Panel::Learn, "Learn")}
            {tab(Panel::Corrected, "Corrected")}
            {tab(Panel::Examples, "Examples")}
            {tab(Panel::Settings, "Settings")}
        </div>
    }
}

#[component]
fn ProblemsPanel(ui: Ui) -> impl IntoView {
    let problems = Memo::new(move |_| {
        ui.revision.track();
        ui.session.with_value(Session::problems)
    });
    // No all-clear while the predicted Gateway API status refuses something.
    let unhealthy = Memo::new(move |_| {
        ui.revision.track();
        ui.session.with_value(Session::unhealthy_status_count)
    });
    let inventory = Memo::new(move |_| {
        ui.revision.track();
        ui.session.with_value(Session::inventory)
    });
    let selected = RwSignal::new(0usize);
    let on_key = move |event: web_sys::KeyboardEvent| {
        let count = problems.with(Vec::len);
        if count == 0 {
            return;
        }
        let current = selected.get_untracked().min(count - 1);
        match event.key().as_str() {
            "ArrowDown" => selected.set((current + 1).min(count - 1)),
            "ArrowUp" => selected.set(current.saturating_sub(1)),
            "Home" => selected.set(0),
            "End" => selected.set(count - 1),
            "Enter" | " " => {
                if let Some(problem) = problems.with(|p| p.get(current).cloned()) {
                    ui.reveal(problem.id);
                }
            }
            _ => return,
        }
        event.prevent_default();
    };
    view! {
        <section class="panel problems" aria-label="Problems">
            <p class="inventory">{move || sentence_case(&inventory.with(Inventory::summary))}</p>
            {move || problems.with(Vec::is_empty).then(|| match unhealthy.get() {
                // Nothing analysed is no all-clear.
                _ if inventory.with(|i| i.read.is_empty()) => view! {
                    <p class="empty status-warning">
                        "Nothing to check: no Istio or Gateway API resource was read. Paste Gateway, VirtualService, DestinationRule, HTTPRoute… YAML, or open one of the Examples."
                    </p>
                }.into_any(),
                0 => view! { <p class="empty">"No problems found. ✔"</p> }.into_any(),
                count => view! {
                    <p class="empty status-warning">
                        {format!("No check fired, but the predicted status of {} is not healthy: ", counted(count, "Gateway API object"))}
                        <button class="link-button" on:click=move |_| ui.panel.set(Panel::Status)>"see Status"</button>
                        "."
                    </p>
                }.into_any(),
            })}
            <ul class="problem-list" role="listbox" tabindex="0" aria-label="Problems, most severe first"
                aria-activedescendant=move || format!("problem-{}", selected.get())
                on:keydown=on_key>
                {move || {
                    let problems = problems.get();
                    (0..problems.len()).map(|index| {
                        let problem = problems[index].clone();
                        // Problems come most severe first: a heading opens each severity.
                        let opens_group = index == 0 || problems[index - 1].severity != problem.severity;
                        let heading = opens_group.then(|| {
                            let label = match problem.severity {
                                Severity::Error => "Errors",
                                Severity::Warning => "Warnings",
                                Severity::Info => "Notes (info)",
                            };
                            view! { <li role="presentation" class="group">{label}</li> }
                        });
                        view! { {heading} <ProblemRow ui=ui problem=problem index=index selected=selected/> }
                    }).collect_view()
                }}
            </ul>
        </section>
    }
}

#[component]
pub(crate) fn ProblemRow(
    ui: Ui,
    problem: Problem,
    index: usize,
    selected: RwSignal<usize>,
) -> impl IntoView {
    let id = problem.id;
    let check = problem.check;
    let severity = problem.severity.as_str();
    view! {
        <li id=format!("problem-{index}") role="option" class=format!("problem {severity}")
            class:selected=move || selected.get() == index
            aria-selected=move || (selected.get() == index).to_string()
            on:click=move |_| { selected.set(index); ui.reveal(id); }>
            <span class="severity" aria-label=severity>{severity_icon(problem.severity)} " " {severity}</span>
            <span class="message">{problem.message.clone()}</span>
            <span class="meta">
                {format!("line {}:{} ", problem.line, problem.column)}
                <button class="link-button" on:click=move |e| { e.stop_propagation(); ui.learn(check); }
                    title="Learn more about this check">{check}</button>
                {problem.istio_code.map(|code| view! { <span class="code">{code}</span> })}
                {problem.first_fix.map(|applicability| {
                    let (label, title) = match applicability {
                        Applicability::Safe => ("Fix", "Apply the fix"),
                        Applicability::Unsafe => ("Review fix", "Review this unsafe fix as a diff before applying it"),
                        Applicability::DisplayOnly => ("Suggestion", "Show the suggested change (not applied automatically)"),
                    };
                    view! {
                        <button class="small" title=title
                            on:click=move |e| { e.stop_propagation(); ui.fix(id, 0); }>{label}</button>
                    }
                })}
            </span>
        </li>
    }
}

#[component]
fn LearnPanel(ui: Ui) -> impl IntoView {
    view! {
        <section class="panel learn" aria-label="Learn">
            {move || match ui.learn.get().and_then(checks::find) {
                Some(check) => view! { <Docs markdown=check.render_docs()/> }.into_any(),
                None => view! {
                    <div>
                        <p>"Pick a check to read what it finds, why it breaks traffic, and how to fix it."</p>
                        <ul class="check-list">
                            {checks::registry().iter().map(|check| view! {
                                <li><button class="link-button" on:click=move |_| ui.learn(check.id)>{check.id}</button>
                                    " — " {check.summary}</li>
                            }).collect_view()}
                        </ul>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
pub(crate) fn Docs(markdown: String) -> impl IntoView {
    let inline = |parts: Vec<Inline>| {
        parts
            .into_iter()
            .map(|part| match part {
                Inline::Text(text) => view! { <span>{text}</span> }.into_any(),
                Inline::Code(code) => view! { <code>{code}</code> }.into_any(),
            })
            .collect_view()
    };
    markdown::blocks(&markdown)
        .into_iter()
        .map(|block| match block {
            Block::Heading(text) => view! { <h3>{text}</h3> }.into_any(),
            Block::Paragraph(parts) => view! { <p>{inline(parts)}</p> }.into_any(),
            Block::Item(parts) => view! { <p class="item">"• " {inline(parts)}</p> }.into_any(),
            Block::Code(code) => view! { <pre><code>{code}</code></pre> }.into_any(),
        })
        .collect_view()
}

#[component]
fn Diff(diff: String) -> impl IntoView {
    view! {
        <pre class="diff">
            {diff.lines().map(|line| {
                let class = match line.chars().next() {
                    Some('+') if !line.starts_with("+++") => "added",
                    Some('-') if !line.starts_with("---") => "removed",
                    Some('@') => "hunk",
                    _ => "same",
                };
                view! { <span class=class>{format!("{line}\n")}</span> }
            }).collect_view()}
        </pre>
    }
}

#[component]
fn CorrectedPanel(ui: Ui) -> impl IntoView {
    let include_unsafe = RwSignal::new(false);
    let corrected = Memo::new(move |_| {
        ui.revision.track();
        let max = if include_unsafe.get() {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        };
        ui.session.with_value(|s| s.corrected(max))
    });
    view! {
        <section class="panel corrected" aria-label="Corrected YAML">
            <div class="toolbar">
                <label><input type="checkbox" prop:checked=move || include_unsafe.get()
                    on:change=move |e| include_unsafe.set(event_target_checked(&e))/>
                    " include unsafe fixes (review them)"</label>
                <button on:click=move |_| browser::copy(&corrected.with(|c| c.text.clone()))>"Copy"</button>
                <button on:click=move |_| browser::download("corrected.yaml", &corrected.with(|c| c.text.clone()), "application/yaml")>"Download"</button>
            </div>
            {move || {
                let diff = corrected.with(|c| c.diff.clone());
                if diff.is_empty() {
                    view! { <p class="empty">"No fix to apply: the text is as corrected as Routescope can make it."</p> }.into_any()
                } else {
                    view! { <Diff diff=diff/> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn ExamplesPanel(ui: Ui) -> impl IntoView {
    let compare = RwSignal::new(None::<&'static str>);
    view! {
        <section class="panel examples" aria-label="Examples">
            <p>"One broken configuration per mistake of Istio's troubleshooting pages. Load one, fix it, then compare with the documented fix."</p>
            <ul class="example-list">
                {EXAMPLES.iter().map(|example| view! {
                    <li>
                        <p>{example.title()}</p>
                        <button on:click=move |_| { ui.load_text(example.broken, "the example"); ui.panel.set(Panel::Problems); }>"Load"</button>
                        <button on:click=move |_| compare.set(Some(example.check))>"Compare with the fixed version"</button>
                    </li>
                }).collect_view()}
            </ul>
            {move || compare.get().and_then(examples::find).map(|example| {
                let diff = ui.session.with_value(|s| routescope_core::diff::unified("yours", s.text(), example.fixed));
                view! {
                    <h3>{format!("Your text against the fixed {}", example.check)}</h3>
                    {if diff.is_empty() { view! { <p>"Identical."</p> }.into_any() } else { view! { <Diff diff=diff/> }.into_any() }}
                }
            })}
        </section>
    }
}

#[component]
fn SettingsPanel(ui: Ui) -> impl IntoView {
    let namespace_error = RwSignal::new(None::<String>);
    let set_namespace = move |value: String, root: bool| {
        if is_namespace(&value) {
            namespace_error.set(None);
            ui.settings.update(|s| {
                if root {
                    s.root_namespace = value;
                } else {
                    s.default_namespace = value;
                }
            });
        } else {
            namespace_error.set(Some(format!(
                "`{value}` is not a namespace name (lower-case letters, digits, -)."
            )));
        }
    };
    view! {
        <section class="panel settings" aria-label="Mesh settings">
            <p>"What the YAML does not say. Changes apply at once and are kept with the text."</p>
            <label>"Default namespace "
                <input prop:value=move || ui.settings.get().default_namespace
                    on:change=move |e| set_namespace(event_target_value(&e), false)/></label>
            <label>"Root namespace "
                <input prop:value=move || ui.settings.get().root_namespace
                    on:change=move |e| set_namespace(event_target_value(&e), true)/></label>
            {move || namespace_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <label><input type="checkbox" prop:checked=move || ui.settings.get().auto_mtls
                on:change=move |e| ui.settings.update(|s| s.auto_mtls = event_target_checked(&e))/>
                " auto mutual TLS"</label>
            <label>"Mesh-wide mTLS "
                <select on:change=move |e| {
                    if let Some(mode) = MtlsMode::parse(&event_target_value(&e)) { ui.settings.update(|s| s.default_mtls = mode); }
                }>
                    {[MtlsMode::Permissive, MtlsMode::Strict].into_iter().map(|mode| view! {
                        <option value=mode.name() selected=move || ui.settings.get().default_mtls == mode>{mode.name()}</option>
                    }).collect_view()}
                </select></label>
            <label><input type="checkbox" prop:checked=move || ui.settings.get().input_complete
                on:change=move |e| ui.settings.update(|s| s.input_complete = event_target_checked(&e))/>
                " the input is complete (missing references are warnings)"</label>
        </section>
    }
}

#[component]
fn FixDialog(ui: Ui) -> impl IntoView {
    let close = move || ui.preview.set(None);
    view! {
        {move || ui.preview.get().map(|preview| {
            let applicable = preview.applicability != Applicability::DisplayOnly;
            let edits = preview.edits_json.clone();
            let heading = if applicable { "Review this unsafe fix" } else { "Suggested change (not applied automatically)" };
            view! {
                <div class="backdrop" on:click=move |_| close()>
                    <div class="dialog" role="dialog" aria-modal="true" aria-label=heading
                        on:click=|e| e.stop_propagation()
                        on:keydown=move |e: web_sys::KeyboardEvent| if e.key() == "Escape" { close() }>
                        <h2>{heading}</h2>
                        <p>{preview.label.clone()}</p>
                        <Diff diff=preview.diff.clone()/>
                        <div class="toolbar">
                            {applicable.then(|| view! {
                                <button class="primary" autofocus on:click=move |_| {
                                    ui.with_editor(|editor| editor.apply_edits(&edits));
                                    close();
                                }>"Apply"</button>
                            })}
                            <button on:click=move |_| close()>{if applicable { "Cancel" } else { "Close" }}</button>
                        </div>
                    </div>
                </div>
            }
        })}
    }
}

/// `read 1 Gateway` → `Read 1 Gateway`: the core's summary lines start lower-case, as the
/// CLI's report does.
fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
