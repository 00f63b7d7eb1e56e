//! The CodeMirror 6 editor (js/src/editor.js, bundled to js/dist/editor.js) as seen from Rust.
//! Payloads cross as JSON strings: one crossing per call, no serde-wasm-bindgen.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/dist/editor.js")]
extern "C" {
    #[wasm_bindgen(js_name = createEditor)]
    fn create_editor(
        parent: &web_sys::HtmlElement,
        text: &str,
        handlers: &js_sys::Object,
        read_only: bool,
    ) -> JsValue;
    #[wasm_bindgen(js_name = setDiagnostics)]
    fn set_diagnostics(handle: &JsValue, json: &str);
    #[wasm_bindgen(js_name = applyEdits)]
    fn apply_edits(handle: &JsValue, json: &str);
    #[wasm_bindgen(js_name = replaceAll)]
    fn replace_all(handle: &JsValue, text: &str);
    #[wasm_bindgen(js_name = getText)]
    fn get_text(handle: &JsValue) -> String;
    #[wasm_bindgen(js_name = revealRange)]
    fn reveal_range(handle: &JsValue, from: u32, to: u32);
    #[wasm_bindgen(js_name = highlightRanges)]
    fn highlight_ranges(handle: &JsValue, json: &str);
}

/// What the editor reports back.
pub struct Handlers {
    /// A change: UTF-16 range of the previous text and its replacement.
    pub on_change: Box<dyn FnMut(u32, u32, String)>,
    pub on_fix: Box<dyn FnMut(u32, u32)>,
    pub on_learn: Box<dyn FnMut(String)>,
}

/// A live editor. Cheap to clone (a JS reference).
#[derive(Clone)]
pub struct Editor {
    handle: JsValue,
}

impl Editor {
    /// Creates the editor in `parent`. The handlers live as long as the page.
    pub fn new(
        parent: &web_sys::HtmlElement,
        text: &str,
        handlers: Handlers,
        read_only: bool,
    ) -> Editor {
        let object = js_sys::Object::new();
        let set = |name: &str, value: &JsValue| {
            js_sys::Reflect::set(&object, &JsValue::from_str(name), value)
                .expect("setting a property of a plain object");
        };
        let on_change = Closure::<dyn FnMut(u32, u32, String)>::new(handlers.on_change);
        let on_fix = Closure::<dyn FnMut(u32, u32)>::new(handlers.on_fix);
        let on_learn = Closure::<dyn FnMut(String)>::new(handlers.on_learn);
        set("onChange", on_change.as_ref());
        set("onFix", on_fix.as_ref());
        set("onLearn", on_learn.as_ref());
        // The editor lives as long as the page: so do its handlers.
        on_change.forget();
        on_fix.forget();
        on_learn.forget();
        Editor {
            handle: create_editor(parent, text, &object, read_only),
        }
    }

    /// The editor's text (line breaks normalised to `\n`).
    pub fn text(&self) -> String {
        get_text(&self.handle)
    }

    pub fn set_diagnostics(&self, json: &str) {
        set_diagnostics(&self.handle, json);
    }

    /// Applies edits as one undoable transaction (the editor then reports the new text).
    pub fn apply_edits(&self, json: &str) {
        apply_edits(&self.handle, json);
    }

    pub fn replace_all(&self, text: &str) {
        replace_all(&self.handle, text);
    }

    pub fn reveal(&self, from: usize, to: usize) {
        reveal_range(&self.handle, from as u32, to as u32);
    }

    /// Marks ranges (`[{"from":…,"to":…}]`, UTF-16) without moving the selection; `[]` clears.
    pub fn highlight(&self, json: &str) {
        highlight_ranges(&self.handle, json);
    }
}
