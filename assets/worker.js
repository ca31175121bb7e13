// A lab page's training worker: it loads the page's own wasm (its wasm-bindgen glue and wasm
// file, named in this script's query by the page) and hands the page's messages to the engine
// in it (src/ui/engine.rs). Messages that arrive while the wasm loads are kept and replayed.
const query = new URL(self.location.href).searchParams;
const early = [];
self.onmessage = (event) => early.push(event);
const bindings = await import(query.get('js'));
await bindings.default({ module_or_path: query.get('wasm') });
bindings.methodlab_worker_start();
for (const event of early) self.onmessage(event);
