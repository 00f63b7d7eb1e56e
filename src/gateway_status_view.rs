//! The "Status" panel: the status Istio's Gateway API controller would write for each Gateway
//! API object of the text, as `Session::gateway_status` answers it. Clicking an object or a
//! listener selects its YAML in the editor.

use leptos::prelude::*;

use crate::app::Ui;
use crate::gateway_status::{StatusCondition, StatusObject};
use crate::session::Session;

#[component]
pub fn StatusPanel(ui: Ui) -> impl IntoView {
    let objects = Memo::new(move |_| {
        ui.revision.track();
        ui.session.with_value(Session::gateway_status)
    });
    view! {
        <section class="panel gateway-status" aria-label="Gateway API status">
            {move || if objects.with(Vec::is_empty) {
                view! { <p class="empty">"No Gateway API object in the text. For each Gateway, ListenerSet, route, GatewayClass and BackendTLSPolicy this tab shows the status Istio's controller would write."</p> }.into_any()
            } else {
                view! { <p class="hint">"The status Istio's controller would write (routescope status prints it as YAML). Click a name to go to its YAML."</p> }.into_any()
            }}
            <ul class="status-list">
                {move || objects.get().into_iter().map(|object| object_view(ui, object)).collect_view()}
            </ul>
        </section>
    }
}

fn object_view(ui: Ui, object: StatusObject) -> impl IntoView {
    let (from, to) = object.range;
    let healthy = object.healthy();
    let listeners = object.listeners.into_iter().map(|listener| {
        let (from, to) = listener.range;
        let kinds = listener.supported_kinds.join(", ");
        view! {
            <div class="status-part">
                <button class="link-button" on:click=move |_| ui.go_to(from, to)>{format!("Listener {}", listener.name)}</button>
                <span class="meta">{format!("attachedRoutes: {} · supportedKinds: {kinds}", listener.attached_routes)}</span>
                {conditions_view(listener.conditions)}
            </div>
        }
    }).collect_view();
    let heading =
        (!object.parents_heading.is_empty()).then(|| view! { <h4>{object.parents_heading}</h4> });
    let parents = object
        .parents
        .into_iter()
        .map(|parent| {
            view! {
                <div class="status-part">
                    <span class="reference">{parent.reference}</span>
                    <span class="meta">{parent.controller}</span>
                    {conditions_view(parent.conditions)}
                </div>
            }
        })
        .collect_view();
    view! {
        <li class="status-object" class:unhealthy=!healthy>
            <button class="link-button status-name" on:click=move |_| ui.go_to(from, to)
                title="Go to its YAML">
                <span class="kind">{object.kind}</span> " " {format!("{}/{}", object.namespace, object.name)}
            </button>
            {object.note.map(|note| view! { <p class="empty">{note}</p> })}
            {conditions_view(object.conditions)}
            {listeners}
            {heading}
            {parents}
        </li>
    }
}

fn conditions_view(conditions: Vec<StatusCondition>) -> impl IntoView {
    (!conditions.is_empty()).then(|| {
        view! {
            <ul class="conditions">
                {conditions.into_iter().map(|c| view! {
                    <li class="condition" class:bad=!c.healthy>
                        <span class="type">{c.type_}</span>
                        <span class="value">{if c.status { "True" } else { "False" }}</span>
                        <span class="detail"><span class="reason">{c.reason}</span> <span class="message">{c.message}</span></span>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}
