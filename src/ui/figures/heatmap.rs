//! A heatmap: a decision boundary with its points, or a matrix with its values written in.

use super::{colour, context_2d, PngButton, COLOURS};
use crate::views::{HeatStyle, HeatmapView};
use leptos::prelude::*;
use wasm_bindgen::Clamped;

/// A method's heatmap (the Basics decision boundary: P(class 1) of the first run) with the data.
#[component]
pub fn Heatmap(map: HeatmapView) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let HeatmapView {
        method,
        cols,
        cell,
        values: grid,
        extent,
        points,
        style,
        categorical,
        line,
    } = map;
    let annotate = style == HeatStyle::Matrix;
    let title = method.clone();
    let caption = method;
    let cols = cols.max(1);
    let rows = grid.len().div_ceil(cols).max(1);
    let cell = cell.max(1);
    let (width, height) = (cols * cell, rows * cell);
    Effect::new(move |_| {
        let Some(ctx) = context_2d(canvas) else {
            return;
        };
        // Each cell is `cell` × `cell` pixels, so points and values can be drawn crisply on top.
        // A matrix of accuracies runs white → blue; a boundary blue → white → orange.
        let paint = |p: f32| {
            let t = if p.is_finite() {
                p.clamp(0.0, 1.0)
            } else {
                0.0
            };
            match style {
                HeatStyle::Matrix => [
                    (255.0 - 219.0 * t) as u8,
                    (255.0 - 168.0 * t) as u8,
                    (255.0 - 58.0 * t) as u8,
                ],
                HeatStyle::Ink => {
                    let v = (255.0 * (1.0 - t)) as u8;
                    [v, v, v]
                }
                HeatStyle::Boundary => colour(p),
            }
        };
        let mut pixels = vec![0u8; width * height * 4];
        for (i, &p) in grid.iter().enumerate().take(rows * cols) {
            let [r, g, b] = paint(p);
            let (row, col) = (i / cols, i % cols);
            for dy in 0..cell {
                for dx in 0..cell {
                    let at = 4 * ((row * cell + dy) * width + col * cell + dx);
                    pixels[at..at + 4].copy_from_slice(&[r, g, b, 255]);
                }
            }
        }
        if let Ok(image) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&pixels),
            width as u32,
            height as u32,
        ) {
            let _ = ctx.put_image_data(&image, 0.0, 0.0);
        }
        if annotate {
            ctx.set_font(&format!(
                "{}px sans-serif",
                (cell as f64 * 0.38).clamp(8.0, 13.0)
            ));
            ctx.set_text_align("center");
            ctx.set_text_baseline("middle");
            for (i, &p) in grid.iter().enumerate().take(rows * cols) {
                let (row, col) = (i / cols, i % cols);
                ctx.set_fill_style_str(if p > 0.6 { "#fff" } else { "#1d232b" });
                let _ = ctx.fill_text(
                    &format!("{:.0}", 100.0 * p),
                    (col * cell) as f64 + cell as f64 / 2.0,
                    (row * cell) as f64 + cell as f64 / 2.0,
                );
            }
        }
        // The reference boundary w·(x, y) = 0, dashed, across the whole square.
        if let Some([wx, wy]) = line {
            let (wx, wy, e) = (wx as f64, wy as f64, extent as f64);
            let to_px = |x: f64, y: f64| {
                (
                    (x + e) / (2.0 * e) * width as f64,
                    (e - y) / (2.0 * e) * height as f64,
                )
            };
            // Along the direction (−wy, wx), far enough to leave the square both ways.
            let n = wx.hypot(wy).max(1e-12);
            let (dx, dy) = (-wy / n * 3.0 * e, wx / n * 3.0 * e);
            let (a, b) = (to_px(-dx, -dy), to_px(dx, dy));
            ctx.begin_path();
            ctx.move_to(a.0, a.1);
            ctx.line_to(b.0, b.1);
            let _ = ctx.set_line_dash(&js_sys::Array::of2(&6.0.into(), &4.0.into()));
            ctx.set_stroke_style_str("#1d232b");
            ctx.set_line_width(1.5);
            ctx.stroke();
            let _ = ctx.set_line_dash(&js_sys::Array::new());
        }
        // Train points ringed in white, test points in black.
        for &(x, y, label, test) in points.iter() {
            let e = extent as f64;
            let (px, py) = (
                (x as f64 + e) / (2.0 * e) * width as f64,
                (e - y as f64) / (2.0 * e) * height as f64,
            );
            ctx.begin_path();
            let _ = ctx.arc(px, py, 2.6, 0.0, std::f64::consts::TAU);
            if categorical {
                ctx.set_fill_style_str(COLOURS[(label.max(0.0) as usize) % COLOURS.len()]);
            } else {
                let [r, g, b] = colour(label);
                ctx.set_fill_style_str(&format!("rgb({r},{g},{b})"));
            }
            ctx.fill();
            ctx.set_stroke_style_str(if test { "#000" } else { "#fff" });
            ctx.set_line_width(0.8);
            ctx.stroke();
        }
    });
    let figure = NodeRef::<leptos::html::Figure>::new();
    let file = format!("{}.png", title.replace([':', '/', ' ', '(', ')'], "-"));
    view! {
        <figure class="boundary" data-method=title.clone() node_ref=figure>
            <figcaption>{caption}<PngButton figure=figure file=file /></figcaption>
            <canvas node_ref=canvas width=width height=height></canvas>
        </figure>
    }
}
