//! Thin wrappers over the browser APIs the page uses. Errors come back as text to show.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

pub fn local_get(key: &str) -> Option<String> {
    window().local_storage().ok()??.get_item(key).ok()?
}

/// Stores a value; a full quota (or storage disabled) comes back as a message.
pub fn local_set(key: &str, value: &str) -> Result<(), String> {
    let storage = window()
        .local_storage()
        .map_err(|_| "browser storage is disabled".to_string())?
        .ok_or_else(|| "browser storage is disabled".to_string())?;
    storage.set_item(key, value).map_err(|error| {
        let name = js_sys::Reflect::get(&error, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default();
        if name == "QuotaExceededError" {
            "browser storage is full".to_string()
        } else {
            format!("browser storage refused to save ({name})")
        }
    })
}

pub fn local_remove(key: &str) {
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.remove_item(key);
    }
}

pub fn fragment() -> String {
    window().location().hash().unwrap_or_default()
}

pub fn query() -> String {
    window().location().search().unwrap_or_default()
}

/// The page's address with a new fragment, set without reloading or adding history.
pub fn set_fragment(fragment: &str) -> String {
    let location = window().location();
    let base = format!(
        "{}{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    let url = format!("{base}#{fragment}");
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
    url
}

/// Copies text to the clipboard when the browser allows it (it may not, e.g. without focus);
/// the page also shows the text for manual copying.
pub fn copy(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}

/// Offers `text` as a file download of type `mime`.
pub fn download(name: &str, text: &str, mime: &str) {
    let Some(url) = object_url(text, mime) else {
        return;
    };
    download_url(name, &url);
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// A `blob:` URL of `text` typed `mime`.
fn object_url(text: &str, mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

fn download_url(name: &str, url: &str) {
    let document = window().document().expect("a document");
    if let Ok(anchor) = document.create_element("a") {
        let anchor: web_sys::HtmlAnchorElement = anchor.unchecked_into();
        anchor.set_href(url);
        anchor.set_download(name);
        anchor.click();
    }
}

/// Offers an SVG picture as a PNG download, drawn at twice its size on white.
pub fn download_png(name: &str, svg: &str, width: u32, height: u32) {
    let Some(url) = object_url(svg, "image/svg+xml") else {
        return;
    };
    let Ok(image) = web_sys::HtmlImageElement::new() else {
        return;
    };
    let name = name.to_string();
    let drawn = image.clone();
    let source = url.clone();
    let on_load = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&source);
        let document = window().document().expect("a document");
        let Ok(canvas) = document.create_element("canvas") else {
            return;
        };
        let canvas: web_sys::HtmlCanvasElement = canvas.unchecked_into();
        canvas.set_width(width * 2);
        canvas.set_height(height * 2);
        let Ok(Some(context)) = canvas.get_context("2d") else {
            return;
        };
        let context: web_sys::CanvasRenderingContext2d = context.unchecked_into();
        let _ = context.scale(2.0, 2.0);
        context.set_fill_style_str("#ffffff");
        context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
        let _ = context.draw_image_with_html_image_element(&drawn, 0.0, 0.0);
        if let Ok(data) = canvas.to_data_url_with_type("image/png") {
            download_url(&name, &data);
        }
    });
    image.set_onload(Some(on_load.unchecked_ref()));
    image.set_src(&url);
}

/// Marks the graph nodes whose `data-key` is in `keys`, and the hops between two of them,
/// with the class `rs-g-on` (and clears it elsewhere).
pub fn mark_graph(container: &web_sys::Element, keys: &[String]) {
    let on = |key: Option<String>| key.is_some_and(|key| keys.contains(&key));
    let mark = |selector: &str, lit: &dyn Fn(&web_sys::Element) -> bool| {
        let Ok(found) = container.query_selector_all(selector) else {
            return;
        };
        for index in 0..found.length() {
            if let Some(element) = found
                .item(index)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            {
                let _ = element
                    .class_list()
                    .toggle_with_force("rs-g-on", lit(&element));
            }
        }
    };
    mark("[data-key]", &|element| {
        on(element.get_attribute("data-key"))
    });
    mark("[data-edge]", &|element| {
        on(element.get_attribute("data-from")) && on(element.get_attribute("data-to"))
    });
}

/// Runs `f` before the next repaint (after the DOM updates of this turn).
pub fn next_frame(f: impl FnOnce() + 'static) {
    let callback = Closure::once_into_js(f);
    let _ = window().request_animation_frame(callback.unchecked_ref());
}

pub fn set_title(title: &str) {
    window().document().expect("a document").set_title(title);
}

pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// Marks the body with the analysis count, how long it took and when it ended (ms since
/// navigation), for the end-to-end tests and the browser benchmark.
pub fn mark_analysis(count: u64, millis: f64) {
    if let Some(body) = window().document().and_then(|d| d.body()) {
        let _ = body.set_attribute("data-analyses", &count.to_string());
        let _ = body.set_attribute("data-analysis-ms", &hundredths(millis));
        let _ = body.set_attribute("data-analysis-end", &hundredths(now_ms()));
    }
}

/// Milliseconds with two decimals, without pulling float formatting into the bundle.
fn hundredths(millis: f64) -> String {
    let hundredths = (millis * 100.0).round() as u64;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Reads files as text (in order), then calls `done` with (name, text) pairs.
pub fn read_files(
    files: web_sys::FileList,
    done: impl FnOnce(Result<Vec<(String, String)>, String>) + 'static,
) {
    let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
    leptos::task::spawn_local(async move {
        let mut read = Vec::new();
        for file in files {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            match text.ok().and_then(|t| t.as_string()) {
                Some(text) => read.push((file.name(), text)),
                None => {
                    done(Err(format!("could not read {} as text", file.name())));
                    return;
                }
            }
        }
        done(Ok(read));
    });
}
