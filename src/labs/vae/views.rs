//! What the vae lab draws of a session's groups.

use super::pictures::{DENSITY_EXTENT, DENSITY_SIDE, MANIFOLD_COLS, SNR_SHOWN};
use super::Group;
use crate::labs::{RunGroup, Shown};
use crate::views::{
    BandPoint, ChartView, Guide, HeatStyle, HeatmapView, SeriesView, TableView, Views,
};
use std::sync::Arc;

pub fn views(shown: &Shown<Group>) -> Views {
    let (groups, colours) = (&shown.groups, &shown.colours);
    let chart = |metric: &str, title: &str, wide: bool| ChartView {
        wide,
        ..shown.chart(metric, title)
    };
    let mut charts = vec![
        chart(
            "test_ll",
            "Test log-likelihood (IWAE estimate: k_during samples, k_eval at the end)",
            true,
        ),
        chart("elbo", "Test ELBO", false),
        chart("kl", "KL(q(z|x) ‖ p(z)) on the test set", false),
        chart("train_bound", "Training objective", false),
        chart("active_units", "Active latent units", false),
        chart("mmd", "MMD between q(z) and the prior", false),
    ];
    charts.push(snr_chart(groups, colours));
    let digits = groups.first().is_none_or(|g| g.built.data.bernoulli);
    let mut heatmaps = Vec::new();
    for g in groups {
        if g.latent.is_empty() {
            continue;
        }
        heatmaps.push(latent_map(g, digits));
        if digits {
            heatmaps.push(manifold(g));
        } else {
            heatmaps.push(density(g));
        }
    }
    let sci = |v: Vec<f32>| -> String {
        let (m, _) = crate::views::BarView::spread(&v);
        if m.is_nan() {
            "–".into()
        } else {
            format!("{m:.3e}")
        }
    };
    let table = TableView {
        columns: [
            ("test-ll", "test log p(x)"),
            ("elbo", "test ELBO"),
            ("kl", "KL"),
            ("active-units", "active units"),
            ("snr-enc", "encoder SNR"),
            ("snr-dec", "decoder SNR"),
            ("var-reparam", "gradient variance, reparameterised"),
            ("var-score", "…, score function"),
            ("run-status", "runs"),
        ]
        .iter()
        .map(|(c, h)| (c.to_string(), h.to_string()))
        .collect(),
        rows: groups
            .iter()
            .map(|g| {
                let ms = |m: &str| crate::views::mean_sd(&shown.finals(g, m));
                (
                    g.method().to_string(),
                    vec![
                        ms("test_ll"),
                        ms("elbo"),
                        ms("kl"),
                        ms("active_units"),
                        ms("snr_encoder"),
                        ms("snr_decoder"),
                        sci(shown.finals(g, "grad_var/reparam")),
                        sci(shown.finals(g, "grad_var/score")),
                        g.history().status(shown.seed),
                    ],
                )
            })
            .collect(),
    };
    Views {
        charts,
        bars: Vec::new(),
        heatmaps,
        networks: Vec::new(),
        table,
    }
}

/// log₁₀ SNR of the IWAE(K) gradient against K at each run's final weights: the encoder's solid,
/// the decoder's dashed, with Rainforth et al.'s slopes (−½ and +½ per decade of K) as guides
/// from the first method's K = 1 values.
fn snr_chart(groups: &[&Group], colours: &[usize]) -> ChartView {
    let band = |g: &Group, part: &str| -> Vec<BandPoint> {
        SNR_SHOWN
            .iter()
            .filter_map(|&k| {
                let v: Vec<f32> = g
                    .history()
                    .finals
                    .iter()
                    .filter_map(|f| f.get(&format!("snr_{part}/{k}")))
                    .filter(|v| **v > 0.0)
                    .map(|v| v.log10())
                    .collect();
                if v.is_empty() {
                    return None;
                }
                let mean = v.iter().sum::<f32>() / v.len() as f32;
                let (low, high) = v.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |a, &x| {
                    (a.0.min(x), a.1.max(x))
                });
                Some(BandPoint {
                    step: k as u64,
                    mean,
                    low,
                    high,
                })
            })
            .collect()
    };
    let mut series = Vec::new();
    let mut guides = Vec::new();
    for (g, &colour) in groups.iter().zip(colours) {
        for (part, dashed) in [("encoder", false), ("decoder", true)] {
            let b = band(g, part);
            if b.is_empty() {
                continue;
            }
            if guides.len() < 2 && b[0].step == 1 {
                let slope = if dashed { 0.5 } else { -0.5 };
                let kmax = *SNR_SHOWN.last().unwrap() as f64;
                guides.push(Guide {
                    label: format!("{part} theory: K^{slope:+}"),
                    points: vec![
                        (1.0, b[0].mean as f64),
                        (kmax, b[0].mean as f64 + slope * kmax.log10()),
                    ],
                });
            }
            series.push(SeriesView {
                method: format!("{} {part}", g.method()),
                colour,
                band: b,
                dashed,
            });
        }
    }
    ChartView {
        metric: "snr".into(),
        title: "Gradient SNR of IWAE(K) at the final weights: log₁₀, encoder solid, decoder dashed"
            .into(),
        series,
        guides,
        range: None,
        wide: false,
        x_label: "K (samples)".into(),
        log_x: true,
        markers: Vec::new(),
        x_span: None,
    }
}

/// Run 0's posterior means of the test points, coloured by digit (or ring component).
fn latent_map(g: &Group, digits: bool) -> HeatmapView {
    let extent = g
        .latent
        .iter()
        .map(|p| p.0.abs().max(p.1.abs()))
        .filter(|v| v.is_finite())
        .fold(1.0f32, f32::max)
        .min(50.0)
        * 1.1;
    // The prior's scale at least, so an untrained model's map is not blown up.
    HeatmapView {
        extent,
        ..HeatmapView::scatter(
            format!(
                "{}: latent means of the test {}, coloured by {}",
                g.method(),
                if digits { "digits" } else { "points" },
                if digits { "digit" } else { "component" }
            ),
            g.latent.clone(),
        )
    }
}

/// Run 0's decoded manifold and samples, as ink.
fn manifold(g: &Group) -> HeatmapView {
    HeatmapView {
        method: format!(
            "{}: decoded manifold (left) and prior samples (right)",
            g.method()
        ),
        cols: MANIFOLD_COLS,
        cell: 3,
        values: g.image.clone(),
        extent: 0.0,
        style: HeatStyle::Ink,
        categorical: false,
        points: Arc::new(Vec::new()),
        line: None,
    }
}

/// Run 0's density on the ring with the test points.
fn density(g: &Group) -> HeatmapView {
    let points: Vec<(f32, f32, f32, bool)> = g
        .built
        .data
        .test
        .chunks_exact(2)
        .zip(&g.built.data.test_labels)
        .take(200)
        .map(|(p, &l)| (p[0], p[1], l as f32, true))
        .collect();
    HeatmapView {
        method: format!("{}: model density and test points", g.method()),
        cols: DENSITY_SIDE,
        cell: 4,
        values: g.image.clone(),
        extent: DENSITY_EXTENT,
        style: HeatStyle::Ink,
        categorical: true,
        points: Arc::new(points),
        line: None,
    }
}
