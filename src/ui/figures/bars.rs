//! A bar chart with seed whiskers.

use super::{PngButton, COLOURS};
use crate::views::BarView;
use leptos::prelude::*;

/// A bar chart with seed whiskers: groups (methods) along x, one bar per named value.
#[component]
pub fn Bars(bars: BarView) -> impl IntoView {
    let (w, h, pad, bottom) = (700.0f64, 240.0f64, 34.0f64, 40.0f64);
    let (lo, hi) = bars.range;
    let y = move |v: f64| {
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        h - bottom - (h - bottom - 10.0) * t
    };
    let groups = bars.groups.len().max(1) as f64;
    let per = bars.names.len().max(1) as f64;
    let slot = (w - pad - 110.0) / groups;
    let bar_w = (slot * 0.8 / per).min(36.0);
    let zero = y(0.0_f64.clamp(lo, hi));
    let body = bars
        .groups
        .iter()
        .enumerate()
        .map(|(gi, (label, values))| {
            let x0 = pad + slot * gi as f64 + (slot - bar_w * per) / 2.0;
            let rects = values
                .iter()
                .zip(&bars.names)
                .enumerate()
                .filter(|(_, ((m, _), _))| m.is_finite())
                .map(|(bi, (&(m, sd), (_, colour)))| {
                    let c = COLOURS[colour % COLOURS.len()];
                    let x = x0 + bar_w * bi as f64;
                    let (top, base) = (y(m).min(zero), y(m).max(zero));
                    view! {
                        <rect x=x y=top width=bar_w - 2.0 height=(base - top).max(0.5) fill=c fill-opacity="0.85" />
                        <line x1=x + bar_w / 2.0 - 1.0 x2=x + bar_w / 2.0 - 1.0 y1=y(m - sd) y2=y(m + sd) stroke="#1d232b" stroke-width="1.2" />
                    }
                })
                .collect_view();
            view! {
                <g class="bar-group" data-method=label.clone()>
                    {rects}
                    <text x=pad + slot * gi as f64 + slot / 2.0 y=h - bottom + 16.0 text-anchor="middle" font-size="11" fill="#1d232b">{label.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let legend = bars
        .names
        .iter()
        .enumerate()
        .map(|(i, (name, colour))| {
            view! { <text x=w - 100.0 y=22.0 + 14.0 * i as f64 fill=COLOURS[colour % COLOURS.len()] font-size="12" font-weight="600">{name.clone()}</text> }
        })
        .collect_view();
    let figure = NodeRef::<leptos::html::Figure>::new();
    let file = format!("{}.png", bars.metric);
    view! {
        <figure class="chart bars" data-metric=bars.metric.clone() node_ref=figure>
            <figcaption>{bars.title.clone()}<PngButton figure=figure file=file /></figcaption>
            <svg viewBox=format!("0 0 {w} {h}") width=w height=h xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">
                <line x1=pad y1=zero x2=w - 110.0 y2=zero stroke="#b8c0ca" />
                <line x1=pad y1="10" x2=pad y2=h - bottom stroke="#b8c0ca" />
                <text x="4" y="14" font-size="10" fill="#5b6673">{format!("{hi}")}</text>
                <text x="4" y=h - bottom font-size="10" fill="#5b6673">{format!("{lo}")}</text>
                {body}
                {legend}
            </svg>
        </figure>
    }
}
