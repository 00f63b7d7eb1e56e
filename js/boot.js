// Starts the wasm app. A static file rather than trunk's inline loader, so the page's
// Content-Security-Policy can forbid inline scripts; the wasm comes as a JS module (see
// pack-wasm.mjs), so the policy can forbid every connection too.
const script = document.querySelector("script[data-js]");
const [{ default: init }, { default: packed }] = await Promise.all([
  import(script.dataset.js),
  import(`${script.dataset.wasm}.js`),
]);
const deflated = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
const inflated = new Blob([deflated]).stream().pipeThrough(new DecompressionStream("deflate"));
await init({ module_or_path: await new Response(inflated).arrayBuffer() });
