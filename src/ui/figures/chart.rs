//! A line chart: each method's mean over runs with a min–max band, and dashed guides.

use super::{PngButton, COLOURS};
use crate::views::ChartView;
use leptos::prelude::*;

/// A line chart of one metric: each method's mean over runs with a band from the lowest to the
/// highest run, and the chart's dashed reference lines.
#[component]
pub fn Chart(chart: ChartView) -> impl IntoView {
    let (w, h, pad) = if chart.wide {
        (700.0f64, 300.0f64, 34.0f64)
    } else {
        (340.0f64, 190.0f64, 34.0f64)
    };
    let values = chart
        .series
        .iter()
        .flat_map(|s| s.band.iter().flat_map(|p| [p.low as f64, p.high as f64]))
        .chain(
            chart
                .guides
                .iter()
                .flat_map(|g| g.points.iter().map(|p| p.1)),
        )
        .filter(|v| v.is_finite());
    let (lo, hi) = match chart.range {
        Some(range) => range,
        None => {
            let (lo, hi) = values.fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            (lo, if hi > lo { hi } else { lo + 1.0 })
        }
    };
    let max_step = chart
        .series
        .iter()
        .flat_map(|s| s.band.iter().map(|p| p.step as f64))
        .chain(
            chart
                .guides
                .iter()
                .flat_map(|g| g.points.iter().map(|p| p.0)),
        )
        .fold(1.0f64, f64::max);
    // Wide charts keep a right margin for their legend.
    let right = if chart.wide { 96.0 } else { 8.0 };
    let min_step = chart
        .series
        .iter()
        .flat_map(|s| s.band.iter().map(|p| p.step as f64))
        .filter(|&s| s > 0.0)
        .fold(max_step, f64::min)
        .min(max_step / 10.0)
        .max(1.0);
    let log_x = chart.log_x;
    let x = move |s: f64| {
        let t = if log_x {
            (s.max(min_step).ln() - min_step.ln()) / (max_step.ln() - min_step.ln()).max(1e-9)
        } else {
            s / max_step
        };
        pad + (w - pad - right) * t
    };
    let y = move |v: f64| {
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        h - pad - (h - pad - 8.0) * t
    };
    let series = chart
        .series
        .iter()
        .map(|s| {
            let c = COLOURS[s.colour % COLOURS.len()];
            let line: String = s
                .band
                .iter()
                .map(|p| format!("{:.1},{:.1} ", x(p.step as f64), y(p.mean as f64)))
                .collect();
            let upper = s
                .band
                .iter()
                .map(|p| format!("{:.1},{:.1}", x(p.step as f64), y(p.high as f64)));
            let lower = s
                .band
                .iter()
                .rev()
                .map(|p| format!("{:.1},{:.1}", x(p.step as f64), y(p.low as f64)));
            let area = upper.chain(lower).collect::<Vec<_>>().join(" ");
            view! {
                <g class="series" class:dashed=s.dashed data-method=s.method.clone()>
                    <polygon points=area fill=c fill-opacity=if s.dashed { "0.08" } else { "0.18" } stroke="none" />
                    <polyline points=line fill="none" stroke=c stroke-width="2" stroke-dasharray=s.dashed.then_some("6 4") />
                </g>
            }
        })
        .collect_view();
    let guides = chart
        .guides
        .iter()
        .map(|g| {
            let line: String = g
                .points
                .iter()
                .map(|&(s, v)| format!("{:.1},{:.1} ", x(s), y(v)))
                .collect();
            let (lx, ly) = g.points.first().map_or((0.0, 0.0), |&(s, v)| (x(s), y(v)));
            view! {
                <g class="guide">
                    <polyline points=line fill="none" stroke="#1d232b" stroke-width="1.2" stroke-dasharray="4 3" />
                    <text x=lx + 4.0 y=ly - 4.0 class="tick" font-size="10" fill="#5b6673">{g.label.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let markers = chart
        .markers
        .iter()
        .map(|&(s, v)| view! { <circle class="marker" cx=x(s) cy=y(v) r="3.2" fill="#1d232b" /> })
        .collect_view();
    // Wide charts carry a legend; the small ones rely on the method cards' swatches.
    let legend = chart
        .series
        .iter()
        .filter(|s| chart.wide && !s.dashed)
        .enumerate()
        .map(|(i, s)| {
            let c = COLOURS[s.colour % COLOURS.len()];
            view! { <text x=w - right + 8.0 y=22.0 + 14.0 * i as f64 fill=c class="legend" font-size="12" font-weight="600">{s.method.clone()}</text> }
        })
        .collect_view();
    let tick = |v: f64| {
        if (v.round() - v).abs() < 1e-9 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    let figure = NodeRef::<leptos::html::Figure>::new();
    let file = format!("{}.png", chart.metric.replace([':', '/'], "-"));
    view! {
        <figure class="chart" data-metric=chart.metric.clone() node_ref=figure>
            <figcaption>{chart.title.clone()}<PngButton figure=figure file=file /></figcaption>
            <svg viewBox=format!("0 0 {w} {h}") width=w height=h xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">
                <line x1=pad y1={h - pad} x2={w - right} y2={h - pad} class="axis" stroke="#b8c0ca" />
                <line x1=pad y1="8" x2=pad y2={h - pad} class="axis" stroke="#b8c0ca" />
                <text x="4" y="14" class="tick" font-size="10" fill="#5b6673">{tick(hi)}</text>
                <text x="4" y={h - pad + 4.0} class="tick" font-size="10" fill="#5b6673">{tick(lo)}</text>
                {match chart.x_span {
                    Some((a, b)) => view! {
                        <text x={w - right - 80.0} y={h - 8.0} class="tick" font-size="10" fill="#5b6673">{format!("{} from {a} to {b}", chart.x_label)}</text>
                    }.into_any(),
                    None => view! {
                        <text x={w - right - 52.0} y={h - 8.0} class="tick" font-size="10" fill="#5b6673">{format!("{} {max_step:.0}", chart.x_label)}</text>
                    }.into_any(),
                }}
                {log_x.then(|| view! { <text x={pad + 2.0} y={h - 8.0} class="tick" font-size="10" fill="#5b6673">{format!("log axis from {min_step:.0}")}</text> })}
                {guides}
                {series}
                {markers}
                {legend}
            </svg>
        </figure>
    }
}
