//! The "Traffic" panel: the graph the core draws (pan, zoom, filter, export), linked both ways
//! with the editor, and the request tracer. Decisions live in `traffic` and the core.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::browser;
use crate::editor::Editor;
use crate::session::Session;
use crate::traffic::{TraceForm, TraceView};

const ZOOM_STEP: f64 = 1.25;

/// Pan and zoom of the picture.
#[derive(Clone, Copy, Debug, PartialEq)]
struct View {
    x: f64,
    y: f64,
    scale: f64,
}

impl View {
    /// The CSS transform. Written with integers: formatting a float would pull Rust's float
    /// printing (~20 KB) into the download.
    fn transform(self) -> String {
        let permille = (self.scale * 1000.0).round() as i64;
        format!(
            "translate({}px, {}px) scale({}.{:03})",
            self.x.round() as i64,
            self.y.round() as i64,
            permille / 1000,
            permille % 1000
        )
    }
}

/// The `data-key` of the graph node an event happened in, if any.
fn node_key(event: &web_sys::Event) -> Option<String> {
    let target: web_sys::Element = event.target()?.dyn_into().ok()?;
    target
        .closest("[data-key]")
        .ok()??
        .get_attribute("data-key")
}

/// The width and height an SVG document says it has.
fn svg_size(svg: &str) -> (u32, u32) {
    let attribute = |name: &str| {
        let start = svg.find(&format!(" {name}=\""))? + name.len() + 3;
        svg[start..].split('"').next()?.parse().ok()
    };
    (
        attribute("width").unwrap_or(800),
        attribute("height").unwrap_or(600),
    )
}

#[component]
pub fn TrafficPanel(
    session: StoredValue<Session>,
    revision: RwSignal<u64>,
    editor: StoredValue<Option<Editor>, LocalStorage>,
    /// The diagnostic last selected in the problems panel.
    focus: RwSignal<Option<usize>>,
) -> impl IntoView {
    let with_editor = move |f: &dyn Fn(&Editor)| {
        editor.with_value(|editor| {
            if let Some(editor) = editor {
                f(editor)
            }
        })
    };
    let filter = RwSignal::new(String::new());
    let view_box = RwSignal::new(View {
        x: 0.0,
        y: 0.0,
        scale: 1.0,
    });
    let frame = NodeRef::<leptos::html::Div>::new();
    // One effect computes what the panel shows (picture, trace, lit path): each reactive
    // primitive of its own type adds code to the download.
    let svg = RwSignal::new(String::new());
    let traced = RwSignal::new(None::<Result<TraceView, String>>);
    let submitted = StoredValue::new(None::<TraceForm>);
    let trace_runs = RwSignal::new(0u32);
    let picture = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        // A trace follows the text: after a fix it runs again on the new configuration.
        revision.track();
        trace_runs.track();
        let filter = filter.get();
        let focus = focus.get();
        let (drawn, result, lit) = session.with_value(|s| {
            let result = submitted.get_value().map(|form| s.trace(&form));
            // What the picture lights up: the traced path, else the selected diagnostic's.
            let lit = match &result {
                Some(Ok(trace)) => trace.keys.clone(),
                _ => focus
                    .map(|id| s.diagnostic_path_keys(id))
                    .unwrap_or_default(),
            };
            (s.traffic_svg(&filter), result, lit)
        });
        svg.set(drawn);
        traced.set(result);
        browser::next_frame(move || {
            if let Some(picture) = picture.get_untracked() {
                browser::mark_graph(&picture, &lit);
            }
        });
    });

    let drag = StoredValue::new(None::<(f64, f64)>);
    let on_pointer_down = move |event: web_sys::PointerEvent| {
        if node_key(&event).is_none() {
            drag.set_value(Some((
                f64::from(event.client_x()),
                f64::from(event.client_y()),
            )));
        }
    };
    let on_pointer_move = move |event: web_sys::PointerEvent| {
        let Some((x, y)) = drag.get_value() else {
            return;
        };
        let (nx, ny) = (f64::from(event.client_x()), f64::from(event.client_y()));
        view_box.update(|v| {
            v.x += nx - x;
            v.y += ny - y;
        });
        drag.set_value(Some((nx, ny)));
    };
    let on_wheel = move |event: web_sys::WheelEvent| {
        event.prevent_default();
        let factor = if event.delta_y() < 0.0 {
            ZOOM_STEP
        } else {
            1.0 / ZOOM_STEP
        };
        view_box.update(|v| v.scale = (v.scale * factor).clamp(0.1, 4.0));
    };
    // The whole picture across the frame (never enlarged past its own size).
    let fit = move || {
        let width = frame
            .get_untracked()
            .map_or(0.0, |frame| f64::from(frame.client_width()));
        let (picture, _) = svg_size(&svg.get_untracked());
        let scale = if width > 0.0 {
            (width / f64::from(picture)).clamp(0.1, 1.0)
        } else {
            1.0
        };
        view_box.set(View {
            x: 0.0,
            y: 0.0,
            scale,
        });
    };
    frame.on_load(move |_| browser::next_frame(fit));
    let zoom = move |factor: f64| view_box.update(|v| v.scale = (v.scale * factor).clamp(0.1, 4.0));
    let on_hover = move |event: web_sys::Event| {
        let json = node_key(&event)
            .map(|key| session.with_value(|s| s.node_ranges_json(&key)))
            .unwrap_or_else(|| "[]".to_string());
        with_editor(&|editor| editor.highlight(&json));
    };
    let reveal = move |range: Option<(usize, usize)>| {
        if let Some((from, to)) = range {
            with_editor(&|editor| editor.reveal(from, to));
        }
    };
    let on_click = move |event: web_sys::MouseEvent| {
        if let Some(key) = node_key(&event) {
            reveal(session.with_value(|s| s.node_range(&key)));
        }
    };
    let export_svg =
        move |_| browser::download("traffic.svg", &svg.get_untracked(), "image/svg+xml");
    let export_png = move |_| {
        let svg = svg.get_untracked();
        let (width, height) = svg_size(&svg);
        browser::download_png("traffic.png", &svg, width, height);
    };

    let initial = session.with_value(Session::suggested_trace);
    let from = NodeRef::<leptos::html::Input>::new();
    let url = NodeRef::<leptos::html::Input>::new();
    let sni = NodeRef::<leptos::html::Input>::new();
    let headers = NodeRef::<leptos::html::Textarea>::new();
    let client_tls = NodeRef::<leptos::html::Select>::new();
    let run_trace = move || {
        let input =
            |node: NodeRef<leptos::html::Input>| node.get().map(|i| i.value()).unwrap_or_default();
        submitted.set_value(Some(TraceForm {
            from: input(from),
            url: input(url),
            sni: input(sni),
            headers: headers.get().map(|t| t.value()).unwrap_or_default(),
            client_tls: match client_tls.get().map(|s| s.value()).as_deref() {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                _ => None,
            },
        }));
        trace_runs.update(|runs| *runs += 1);
    };

    view! {
        <section class="panel traffic" aria-label="Traffic">
            <div class="graph-tools">
                <input type="search" placeholder="Filter: a host or gateway" aria-label="Show only the paths through a host or gateway"
                    prop:value=move || filter.get()
                    on:input=move |event| filter.set(event_target_value(&event))/>
                <button class="small" on:click=move |_| zoom(ZOOM_STEP) aria-label="Zoom in" title="Zoom in">"+"</button>
                <button class="small" on:click=move |_| zoom(1.0 / ZOOM_STEP) aria-label="Zoom out" title="Zoom out">"−"</button>
                <button class="small" on:click=move |_| fit() title="Fit the whole graph">"Fit"</button>
                <button class="small" on:click=export_svg>"SVG"</button>
                <button class="small" on:click=export_png>"PNG"</button>
            </div>
            <div class="graph-view" node_ref=frame
                on:pointerdown=on_pointer_down
                on:pointermove=on_pointer_move
                on:pointerup=move |_| drag.set_value(None)
                on:pointerleave=move |_| drag.set_value(None)
                on:wheel=on_wheel
                on:mouseover=move |event| on_hover(event.into())
                on:mouseleave=move |_| with_editor(&|editor| editor.highlight("[]"))
                on:click=on_click
                on:focusin=move |event| on_hover(event.unchecked_into())
                on:keydown=move |event: web_sys::KeyboardEvent| {
                    if event.key() == "Enter"
                        && let Some(key) = node_key(&event)
                    {
                        reveal(session.with_value(|s| s.node_range(&key)));
                    }
                }>
                <div class="graph-picture" node_ref=picture
                    style:transform=move || view_box.get().transform()
                    inner_html=move || svg.get()></div>
            </div>
            <p class="hint">"Hover or tab to a box to see its YAML; click or Enter goes there. Drag to pan, wheel to zoom."</p>

            <form class="tracer" aria-label="Request tracer"
                on:submit=move |event| { event.prevent_default(); run_trace(); }>
                <h2>"Trace a request"</h2>
                <label>"From"
                    <input list="trace-origins" node_ref=from value=initial.from/>
                    <datalist id="trace-origins">
                        {move || {
                            revision.track();
                            session.with_value(Session::trace_origins).into_iter()
                                .map(|(value, label)| view! { <option value=value label=label/> })
                                .collect_view()
                        }}
                    </datalist>
                </label>
                <label>"URL"
                    <input class="trace-url" node_ref=url value=initial.url/>
                </label>
                <details>
                    <summary>"Headers, SNI, client TLS"</summary>
                    <label>"Headers (name: value per line)"
                        <textarea rows="2" node_ref=headers></textarea>
                    </label>
                    <label>"SNI (when not the URL's host)"
                        <input node_ref=sni/>
                    </label>
                    <label>"The client speaks TLS"
                        <select node_ref=client_tls>
                            <option value="auto">"when the URL is https"</option>
                            <option value="yes">"yes"</option>
                            <option value="no">"no"</option>
                        </select>
                    </label>
                </details>
                <button type="submit" class="primary">"Trace"</button>
            </form>
            {move || traced.get().map(|result| match result {
                Err(message) => view! { <p class="trace-error" role="alert">{message}</p> }.into_any(),
                Ok(trace) => view! { <TraceResult trace=trace reveal=reveal/> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn TraceResult(
    trace: TraceView,
    reveal: impl Fn(Option<(usize, usize)>) + Copy + 'static,
) -> impl IntoView {
    let (icon, class) = if trace.success {
        ("✔", "outcome success")
    } else {
        ("✖", "outcome failure")
    };
    view! {
        <div class="trace" role="status">
            <ol class="trace-steps">
                {trace.steps.into_iter().map(|step| {
                    let range = step.range;
                    view! {
                        <li>
                            <span class="stage">{step.stage.title()}</span>
                            {match range {
                                Some(_) => view! { <button class="link-button" on:click=move |_| reveal(range)>{step.text}</button> }.into_any(),
                                None => view! { <span>{step.text}</span> }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ol>
            {trace.cluster.map(|cluster| view! {
                <p class="trace-cluster">"Envoy cluster: " <code>{cluster}</code></p>
            })}
            <p class=class><strong class="code">{icon} " " {trace.code}</strong> " " {trace.explanation}</p>
        </div>
    }
}
