//! What the mi lab draws of a session's groups.

use super::{Group, Recipe};
use crate::experiment::Experiment;
use crate::labs::{RunGroup, Shown};
use crate::views::{ChartView, Guide, TableView, Views};

/// The estimates over steps with the true staircase and log K under them, and per level each
/// estimator's bias ± its standard deviation over steps (both averaged over seeds).
pub fn views(shown: &Shown<Group>, exp: &Experiment) -> Views {
    let recipe = Recipe::from_settings(exp);
    let spl = recipe.steps_per_level as f64;
    let mut staircase = Vec::new();
    for (k, &mi) in recipe.levels.iter().enumerate() {
        staircase.push((k as f64 * spl, mi));
        staircase.push(((k + 1) as f64 * spl, mi));
    }
    let end = recipe.total_steps() as f64;
    let log_k = (recipe.batch as f64).ln();
    let top = recipe.levels.iter().copied().fold(log_k, f64::max);
    let chart = ChartView {
        metric: "mi_estimate".into(),
        title: "Estimate of I(x; y), nats".into(),
        series: shown.chart("mi_estimate", "").series,
        guides: vec![
            Guide {
                label: "true MI".into(),
                points: staircase,
            },
            Guide {
                label: format!("log K = {log_k:.2}"),
                points: vec![(0.0, log_k), (end, log_k)],
            },
        ],
        // NWJ can spike far above the truth: keep the staircase readable.
        range: Some((-1.0, top * 1.25 + 1.0)),
        wide: true,
        x_label: "step".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: None,
    };
    let mut columns: Vec<(String, String)> = recipe
        .levels
        .iter()
        .enumerate()
        .map(|(k, mi)| (format!("level-{k}"), format!("{mi} nats: bias ± sd")))
        .collect();
    columns.push(("run-status".into(), "runs".into()));
    let rows = shown
        .groups
        .iter()
        .map(|g| {
            let mut cells: Vec<String> = recipe
                .levels
                .iter()
                .enumerate()
                .map(|(k, &mi)| {
                    // Each run's statistics of the level, as `observe` leaves them in the history
                    // (the page draws the runs of several workers' histories together).
                    let (mean, std) = (format!("level/{k}/mean"), format!("level/{k}/std"));
                    let stats: Vec<(f64, f64)> = g
                        .history()
                        .finals
                        .iter()
                        .filter_map(|f| Some((*f.get(&mean)? as f64, *f.get(&std)? as f64)))
                        .collect();
                    if stats.is_empty() {
                        return "–".into();
                    }
                    let n = stats.len() as f64;
                    let bias = stats.iter().map(|(m, _)| m - mi).sum::<f64>() / n;
                    let var = stats.iter().map(|(_, s)| s.powi(2)).sum::<f64>() / n;
                    format!("{bias:+.2} ± {:.2}", var.sqrt())
                })
                .collect();
            cells.push(g.history().status(exp.seed));
            (g.method().to_string(), cells)
        })
        .collect();
    Views {
        charts: vec![chart],
        bars: Vec::new(),
        heatmaps: Vec::new(),
        networks: Vec::new(),
        table: TableView { columns, rows },
    }
}
