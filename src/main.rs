//! The web app's entry: install the panic hook and mount the app, nothing else. The same wasm
//! runs the page's training workers (`assets/worker.js`), where there is no window to mount in:
//! there it only waits to be told `methodlab_worker_start`.

fn main() {
    console_error_panic_hook::set_once();
    if web_sys::window().is_none() {
        return;
    }
    leptos::mount::mount_to_body(methodlab::ui::App);
}
