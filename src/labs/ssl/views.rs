//! What the ssl lab draws of a session's groups.

use super::model::Scenario;
use super::{Group, MAX_EIGS};
use crate::labs::{RunGroup, Shown};
use crate::views::{BandPoint, ChartView, Guide, HeatmapView, SeriesView, Views};

pub fn views(shown: &Shown<Group>) -> Views {
    let groups = &shown.groups;
    let over_steps = |metric: &str, title: &str| shown.chart(metric, title);
    let scenario = groups
        .first()
        .map_or(Scenario::Digits, |g| g.recipe.scenario);
    let mut charts = Vec::new();
    match scenario {
        Scenario::Digits => {
            let mut few = over_steps(
                "probe_acc_few",
                "Linear probe with 10 labels per class (dashed: the same probe on raw pixels)",
            );
            if let Some(g) = groups.first() {
                // Each run's raw-pixel probe, from the history (which holds every run's when
                // the page draws the runs of several workers together).
                let raw_few: Vec<f32> = g
                    .history()
                    .runs
                    .iter()
                    .filter_map(|h| Some(h.get("probe_raw_few")?.last()?.1))
                    .collect();
                let raw = crate::views::BarView::spread(&raw_few).0;
                let end = g
                    .history()
                    .band("probe_acc_few")
                    .last()
                    .map_or(1.0, |p| p.step as f64);
                if raw.is_finite() {
                    few.guides.push(Guide {
                        label: "raw pixels".into(),
                        points: vec![(0.0, raw), (end, raw)],
                    });
                }
            }
            charts.extend([
                over_steps("probe_acc", "Linear probe accuracy, all labels (test set)"),
                few,
                over_steps("rankme", "RankMe: effective rank of the embeddings"),
                over_steps(
                    "lidar",
                    "LiDAR: effective rank of the LDA matrix (views of an image as a class)",
                ),
                over_steps(
                    "embed_std",
                    "Std of the normalised embeddings per dimension (collapse: 0; spread: 1/√dim)",
                ),
                over_steps("loss", "Training objective"),
            ]);
        }
        Scenario::Spectrum => {
            charts.push(over_steps(
                "loss",
                "Training objective: it falls in steps, one per direction learned",
            ));
            charts.push(over_steps("rankme", "RankMe of the embeddings"));
        }
        Scenario::TwoFeature => {
            charts.push(over_steps(
                "feature/A",
                "Encoder gain on feature A (high variance, low influence)",
            ));
            charts.push(over_steps(
                "feature/B",
                "Encoder gain on feature B (low variance, high influence)",
            ));
            charts.push(over_steps("loss", "Training objective"));
        }
    }
    charts.extend(groups.iter().filter_map(|g| spectrum_chart(g)));
    let mut heatmaps: Vec<HeatmapView> = groups
        .iter()
        .filter(|g| !g.projection.is_empty())
        .map(|g| {
            HeatmapView::scatter(
                format!(
                    "{}: run 0's test embeddings on their two principal axes, coloured by digit",
                    g.method()
                ),
                g.projection.clone(),
            )
        })
        .collect();
    if scenario == Scenario::Digits {
        let plane = |x: &str, y: &str, caption: &str| {
            let points: Vec<(f32, f32, f32, bool)> = shown
                .iter()
                .flat_map(|(g, c)| {
                    shown
                        .finals(g, x)
                        .into_iter()
                        .zip(shown.finals(g, y))
                        .map(move |(a, b)| (a, b, c as f32, false))
                })
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            HeatmapView::plane(caption, &points)
        };
        heatmaps.push(plane("alignment", "uniformity", "Alignment (x) against uniformity (y): every run, coloured by method; lower is better on both"));
        heatmaps.push(plane(
            "rankme",
            "probe_acc",
            "RankMe (x) against probe accuracy (y): every run, coloured by method",
        ));
        heatmaps.push(plane(
            "lidar",
            "probe_acc",
            "LiDAR (x) against probe accuracy (y): every run, coloured by method",
        ));
    }
    let columns: &[(&str, &str, &str)] = match scenario {
        Scenario::Digits => &[
            ("probe-acc", "probe", "probe_acc"),
            ("probe-acc-few", "probe, 10 labels", "probe_acc_few"),
            ("rankme", "RankMe", "rankme"),
            ("lidar", "LiDAR", "lidar"),
            ("embed-std", "embedding std", "embed_std"),
        ],
        Scenario::Spectrum => &[
            ("t-half-1", "t½ (1st)", "t_half/1"),
            ("t-half-2", "t½ (2nd)", "t_half/2"),
            ("t-half-3", "t½ (3rd)", "t_half/3"),
            ("rankme", "RankMe", "rankme"),
        ],
        Scenario::TwoFeature => &[
            ("t-half-a", "t½ feature A", "t_half/A"),
            ("t-half-b", "t½ feature B", "t_half/B"),
        ],
    };
    let table = shown.table(columns);
    Views {
        charts,
        bars: Vec::new(),
        heatmaps,
        networks: Vec::new(),
        table,
    }
}

/// The stepwise picture: each eigenvalue of the embedding covariance over steps (mean over
/// runs), on a log scale.
fn spectrum_chart(g: &Group) -> Option<ChartView> {
    let count = g.recipe.dim.min(MAX_EIGS);
    let series: Vec<SeriesView> = (1..=count)
        .map(|k| {
            let band = g
                .history()
                .band(&format!("eig/{k}"))
                .into_iter()
                .map(|p| {
                    let log = |v: f32| v.max(1e-8).log10();
                    BandPoint {
                        step: p.step,
                        mean: log(p.mean),
                        low: log(p.low),
                        high: log(p.high),
                    }
                })
                .collect::<Vec<_>>();
            SeriesView {
                method: format!("λ{k}"),
                colour: k - 1,
                band,
                dashed: false,
            }
        })
        .filter(|s| !s.band.is_empty())
        .collect();
    if series.is_empty() {
        return None;
    }
    Some(ChartView {
        metric: format!("eig/{}", g.method()),
        title: format!(
            "{}: eigenvalues of the embedding covariance over steps (log₁₀, mean over runs)",
            g.method()
        ),
        series,
        guides: Vec::new(),
        range: None,
        // A legend only where it fits.
        wide: count <= 8,
        x_label: "steps".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: None,
    })
}
