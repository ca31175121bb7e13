// Starts the app: imports wasm-bindgen's JS glue and instantiates the wasm, as Trunk's default
// loader does, but from a file of the page's own origin instead of an inline <script>, so the
// Content-Security-Policy in index.html allows scripts from 'self' only (no 'unsafe-inline', and
// no hash to recompute every build: the inline loader names the content-hashed files). Trunk
// writes those names into this tag's data attributes (`pattern_script` in Trunk.toml).
const { js, wasm } = document.currentScript.dataset;
// The training workers load the same two files (src/ui/engine.rs).
window.methodlabBundle = { js, wasm };
import(js).then(async (bindings) => {
  const instance = await bindings.default({ module_or_path: wasm });
  window.wasmBindings = bindings;
  dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm: instance } }));
});
