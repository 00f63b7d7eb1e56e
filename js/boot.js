// Starts the wasm app. A static file rather than trunk's inline loader, so the page's
// Content-Security-Policy can forbid inline scripts.
const script = document.querySelector("script[data-js]");
const { default: init } = await import(script.dataset.js);
await init({ module_or_path: script.dataset.wasm });
