//! The figures a lab page draws from its views: line charts with seed bands, heatmaps, network
//! drawings, bar charts with seed whiskers, and the Claims panel. Each exports as PNG.

mod bars;
mod chart;
mod claims;
mod heatmap;
mod network;

pub use bars::Bars;
pub use chart::Chart;
pub use claims::ClaimsPanel;
pub use heatmap::Heatmap;
pub use network::Network;

use super::browser::download_png;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// The page's palette: a method keeps its place's colour in every figure.
pub const COLOURS: [&str; 10] = [
    "#2457c5", "#d1495b", "#2a9d8f", "#e9a03b", "#7b4fb0", "#5c6770", "#8c564b", "#17becf",
    "#bcbd22", "#e377c2",
];

/// A figure's "PNG" button: downloads what the figure shows.
#[component]
pub fn PngButton(figure: NodeRef<leptos::html::Figure>, file: String) -> impl IntoView {
    view! {
        <button class="png" title="Download as PNG" on:click=move |_| {
            let file = file.clone();
            if let Some(el) = figure.get_untracked() {
                let el: web_sys::Element = el.into();
                spawn_local(async move {
                    if download_png(&el, &file).await.is_err() {
                        super::browser::console_log("PNG export failed");
                    }
                });
            }
        }>"PNG"</button>
    }
}

/// Blue (class 0, or low) through white to orange (class 1, or high).
pub fn colour(p: f32) -> [u8; 3] {
    let t = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let (r, g, b) = if t < 0.5 {
        let k = t / 0.5;
        (70.0 + 185.0 * k, 120.0 + 135.0 * k, 200.0 + 55.0 * k)
    } else {
        let k = (t - 0.5) / 0.5;
        (255.0, 255.0 - 105.0 * k, 255.0 - 200.0 * k)
    };
    [r as u8, g as u8, b as u8]
}

/// The 2-D drawing context of a mounted canvas (`None` before it mounts).
pub fn context_2d(
    canvas: NodeRef<leptos::html::Canvas>,
) -> Option<web_sys::CanvasRenderingContext2d> {
    let el = canvas.get()?;
    let el: &web_sys::HtmlCanvasElement = el.unchecked_ref();
    el.get_context("2d").ok()??.dyn_into().ok()
}
