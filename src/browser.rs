//! Thin wrappers over the browser APIs the page uses. Errors come back as text to show.

use wasm_bindgen::JsCast;

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

/// Offers `text` as a file download.
pub fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/yaml");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let document = window().document().expect("a document");
    if let Ok(anchor) = document.create_element("a") {
        let anchor: web_sys::HtmlAnchorElement = anchor.unchecked_into();
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
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
