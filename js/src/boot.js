// Starts the wasm app. A static file rather than trunk's inline loader, so the page's
// Content-Security-Policy can forbid inline scripts; the wasm comes as a JS module holding it
// xz-compressed (see pack-wasm.mjs), so the policy can forbid every connection too.
// xz rather than the browser's own deflate: the app's wasm is 48 KB smaller on the wire, for
// a 9 KB decoder (xz-embedded in wasm) and a few tens of milliseconds of decoding.
import { XzReadableStream } from "xz-decompress";

async function start() {
  const script = document.querySelector("script[data-js]");
  const [{ default: init }, { default: packed }] = await Promise.all([
    import(script.dataset.js),
    import(`${script.dataset.wasm}.js`),
  ]);
  const compressed = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
  const wasm = new XzReadableStream(new Blob([compressed]).stream());
  await init({ module_or_path: await new Response(wasm).arrayBuffer() });
}

// A page that cannot start says so (an old browser, a damaged or half-copied dist/), rather
// than staying blank.
start().catch((error) => {
  console.error("routescope: could not start", error);
  const message = document.createElement("p");
  message.className = "boot-error";
  message.textContent = `Routescope could not start in this browser: ${error}`;
  document.body.append(message);
});
