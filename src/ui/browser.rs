//! The few browser calls the pages need: a clock, yielding to the event loop, the URL fragment.

use crate::engine::gpu::GpuContext;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    // The global scope's own: the same in the page and in a worker.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch_url(url: &str) -> Result<js_sys::Promise, JsValue>;
}

/// Milliseconds from the time origin (the page's, or a worker's).
pub fn now_ms() -> f64 {
    performance_now()
}

/// The bytes of `url` (relative to the page, or to a worker's script), or why not: the network's
/// error or the HTTP status.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let text = |e: JsValue| e.as_string().unwrap_or_else(|| format!("{e:?}"));
    let response: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(fetch_url(url).map_err(text)?)
            .await
            .map_err(text)?
            .dyn_into()
            .map_err(text)?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let bytes = wasm_bindgen_futures::JsFuture::from(response.array_buffer().map_err(text)?)
        .await
        .map_err(text)?;
    Ok(js_sys::Uint8Array::new(&bytes).to_vec())
}

/// Resolves on the next turn of the event loop, so the page can paint between work batches.
pub async fn yield_now() {
    sleep_ms(0.0).await
}

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: f64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms as i32);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

thread_local! {
    /// A channel to post oneself a message through: a task without a timer's 4 ms clamp.
    static CHANNEL: Option<web_sys::MessageChannel> = web_sys::MessageChannel::new().ok();
}

/// Resolves in a new task at once: lets a worker's messages in between batches without
/// `setTimeout`'s clamp (nested timers wait at least 4 ms). Not for the page: it runs before
/// the page paints.
pub async fn yield_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        CHANNEL.with(|c| match c {
            Some(c) => {
                c.port1().set_onmessage(Some(&resolve));
                let _ = c.port2().post_message(&JsValue::NULL);
            }
            None => {
                set_timeout(&resolve, 0);
            }
        })
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The output of `work`, or `None` if `deadline` resolved first (then `work` is dropped).
pub async fn before<T>(
    work: impl std::future::Future<Output = T>,
    deadline: impl std::future::Future<Output = ()>,
) -> Option<T> {
    let (mut work, mut deadline) = (std::pin::pin!(work), std::pin::pin!(deadline));
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(v) = work.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(v));
        }
        deadline.as_mut().poll(cx).map(|()| None)
    })
    .await
}

/// Kernel fusion as the page's address asks (`?fusion=on` or `off` before the '#', so the share
/// link is untouched): the path a hardware GPU takes, forced on a software adapter by the tests.
pub fn fusion_override() -> Option<bool> {
    switch_override("fusion")
}

/// `?step=on` or `?step=off` in the page's address: the step kernel (many training steps in one
/// dispatch) on or off, wherever a program fits it.
pub fn step_override() -> Option<bool> {
    switch_override("step")
}

fn switch_override(name: &str) -> Option<bool> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| match pair.split_once('=') {
            Some((key, "on")) if key == name => Some(true),
            Some((key, "off")) if key == name => Some(false),
            _ => None,
        })
}

/// The URL fragment without its '#'.
pub fn fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_string())
        .unwrap_or_default()
}

/// The adapter's name, or "" where the browser hides it (Chromium does by default).
pub fn adapter_name(ctx: &GpuContext) -> String {
    ctx.adapter
        .split(" (")
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

#[wasm_bindgen]
extern "C" {
    /// `console.log`, for figures the end-to-end scripts read.
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub fn console_log(s: &str);
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)
}

/// Puts `text` on the clipboard (the async Clipboard API; the page must be focused).
pub async fn copy_text(text: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let clipboard = js_sys::Reflect::get(&window.navigator(), &"clipboard".into())?;
    if clipboard.is_undefined() {
        return Err("this browser has no clipboard API here".into());
    }
    let write: js_sys::Function =
        js_sys::Reflect::get(&clipboard, &"writeText".into())?.dyn_into()?;
    let promise: js_sys::Promise = write.call1(&clipboard, &text.into())?.dyn_into()?;
    wasm_bindgen_futures::JsFuture::from(promise).await?;
    Ok(())
}

/// Downloads a figure as a PNG: its canvas as it is, or its SVG drawn onto a white canvas at
/// twice its size.
pub async fn download_png(figure: &web_sys::Element, name: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let url = if let Some(canvas) = figure.query_selector("canvas")? {
        canvas
            .dyn_into::<web_sys::HtmlCanvasElement>()?
            .to_data_url()?
    } else {
        let svg = figure.query_selector("svg")?.ok_or("nothing to draw")?;
        let size = |attr: &str| {
            svg.get_attribute(attr)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(300.0)
        };
        let (w, h) = (size("width"), size("height"));
        let source = format!(
            "data:image/svg+xml;charset=utf-8,{}",
            js_sys::encode_uri_component(&svg.outer_html())
        );
        let image = web_sys::HtmlImageElement::new()?;
        let loaded = js_sys::Promise::new(&mut |resolve, reject| {
            image.set_onload(Some(&resolve));
            image.set_onerror(Some(&reject));
        });
        image.set_src(&source);
        wasm_bindgen_futures::JsFuture::from(loaded).await?;
        let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
        canvas.set_width((2.0 * w) as u32);
        canvas.set_height((2.0 * h) as u32);
        let ctx: web_sys::CanvasRenderingContext2d = canvas
            .get_context("2d")?
            .ok_or("no 2-D context")?
            .dyn_into()?;
        ctx.set_fill_style_str("#fff");
        ctx.fill_rect(0.0, 0.0, 2.0 * w, 2.0 * h);
        ctx.scale(2.0, 2.0)?;
        ctx.draw_image_with_html_image_element(&image, 0.0, 0.0)?;
        canvas.to_data_url()?
    };
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    Ok(())
}

/// GPU buffers of live programs and the wasm memory's bytes, here.
pub fn live_counts() -> (u32, f64) {
    let bytes = wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| b.byte_length() as f64);
    (crate::engine::gpu::live_buffers_everywhere() as u32, bytes)
}

/// Defines `window.methodlabLoseDevice()`, which destroys the WebGPU device as a crash or a driver
/// reset would: the end-to-end tests use it to check the page falls back to the CPU.
/// `window.methodlabLive()`: what the page holds now, for the soak script: `{gpu_buffers,
/// wasm_bytes}`, the buffers of every live GPU program and the wasm memory's size, the page's
/// and its training workers' together.
pub fn expose_live_counts() {
    let live = Closure::<dyn Fn() -> JsValue>::new(|| {
        let out = js_sys::Object::new();
        let (gpu, bytes) = live_counts();
        let (engine_gpu, engine_bytes) = ENGINES_LIVE.with(|l| l.get());
        let _ = js_sys::Reflect::set(&out, &"gpu_buffers".into(), &(gpu + engine_gpu).into());
        let _ = js_sys::Reflect::set(&out, &"wasm_bytes".into(), &(bytes + engine_bytes).into());
        out.into()
    });
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &"methodlabLive".into(), live.as_ref());
    }
    live.forget();
}

thread_local! {
    /// What the lab page's workers last said they hold (GPU buffers, wasm bytes).
    static ENGINES_LIVE: std::cell::Cell<(u32, f64)> = const { std::cell::Cell::new((0, 0.0)) };
}

/// Records what the lab page's workers hold, for `methodlabLive()`.
pub fn set_engines_live(live: (u32, f64)) {
    ENGINES_LIVE.with(|l| l.set(live));
}

thread_local! {
    /// What else `methodlabLoseDevice()` destroys: the lab page's engine's device.
    static LOSE_DEVICE_HOOK: std::cell::RefCell<Option<std::rc::Rc<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
}

/// Sets (or clears) what `methodlabLoseDevice()` does besides destroying the page's device.
pub fn set_lose_device_hook(hook: Option<std::rc::Rc<dyn Fn()>>) {
    LOSE_DEVICE_HOOK.with(|h| *h.borrow_mut() = hook);
}

pub fn expose_device_loss(ctx: &GpuContext) {
    let device = ctx.device.clone();
    let lose = Closure::<dyn Fn()>::new(move || {
        device.destroy();
        if let Some(hook) = LOSE_DEVICE_HOOK.with(|h| h.borrow().clone()) {
            hook();
        }
    });
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &"methodlabLoseDevice".into(), lose.as_ref());
    }
    lose.forget();
}

/// Goes to `link` (a share link): the page reads it from the fragment.
pub fn set_fragment(link: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(link.trim_start_matches('#'));
    }
}
