//! A network drawn as columns of units, each link's width and colour its weight.

use super::{context_2d, PngButton};
use crate::views::NetworkView;
use leptos::prelude::*;

/// A network drawing: a column of units per layer, every link's width its |weight| (relative to
/// the largest) and its colour the sign (orange positive, blue negative), as in TensorFlow
/// Playground.
#[component]
pub fn Network(net: NetworkView) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let figure = NodeRef::<leptos::html::Figure>::new();
    let (width, height) = (420.0f64, 240.0f64);
    let method = net.method.clone();
    let file = format!("network-{}.png", net.method);
    Effect::new(move |_| {
        let Some(ctx) = context_2d(canvas) else {
            return;
        };
        ctx.set_fill_style_str("#fff");
        ctx.fill_rect(0.0, 0.0, width, height);
        let layers = net.sizes.len();
        let (left, right, top, bottom) = (56.0, 20.0, 14.0, 14.0);
        let x = |l: usize| left + (width - left - right) * l as f64 / (layers - 1).max(1) as f64;
        let y = |l: usize, i: usize| {
            let n = net.sizes[l].max(1);
            top + (height - top - bottom) * (i as f64 + 0.5) / n as f64
        };
        let biggest = net
            .weights
            .iter()
            .flatten()
            .fold(1e-6f32, |m, w| m.max(w.abs()));
        for (l, w) in net.weights.iter().enumerate() {
            let (n_in, n_out) = (net.sizes[l], net.sizes[l + 1]);
            for i in 0..n_in {
                for j in 0..n_out {
                    let v = w.get(i * n_out + j).copied().unwrap_or(0.0);
                    let t = (v.abs() / biggest) as f64;
                    let alpha = 0.15 + 0.85 * t;
                    ctx.set_stroke_style_str(&if v >= 0.0 {
                        format!("rgba(233,130,30,{alpha:.2})")
                    } else {
                        format!("rgba(36,87,197,{alpha:.2})")
                    });
                    ctx.set_line_width(0.3 + 3.5 * t);
                    ctx.begin_path();
                    ctx.move_to(x(l), y(l, i));
                    ctx.line_to(x(l + 1), y(l + 1, j));
                    ctx.stroke();
                }
            }
        }
        ctx.set_font("11px sans-serif");
        for (l, &n) in net.sizes.iter().enumerate() {
            for i in 0..n {
                ctx.begin_path();
                let _ = ctx.arc(x(l), y(l, i), 3.5, 0.0, std::f64::consts::TAU);
                ctx.set_fill_style_str("#1d232b");
                ctx.fill();
                if l == 0 {
                    if let Some(name) = net.inputs.get(i) {
                        ctx.set_text_align("right");
                        let _ = ctx.fill_text(name, x(0) - 8.0, y(0, i) + 4.0);
                    }
                }
            }
        }
    });
    view! {
        <figure class="network" data-method=method.clone() node_ref=figure>
            <figcaption>{format!("{method}: the network")}<PngButton figure=figure file=file /></figcaption>
            <canvas node_ref=canvas width=width height=height></canvas>
        </figure>
    }
}
