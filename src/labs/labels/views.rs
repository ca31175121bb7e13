//! What the labels lab draws of a session's groups.

use super::{model, Group, HIST_MAX};
use crate::labs::{RunGroup, Shown};
use crate::views::{BandPoint, ChartView, HeatStyle, HeatmapView, SeriesView, Views};
use std::sync::Arc;

pub fn views(shown: &Shown<Group>) -> Views {
    let mut charts = vec![
        shown.chart("test_acc", "Test accuracy"),
        shown.chart(
            "train_acc_true",
            "Training accuracy against the true labels",
        ),
        shown.chart(
            "train_acc_given",
            "Training accuracy against the given labels",
        ),
        shown.chart("memorised", "Wrong labels memorised (predicted as given)"),
        shown.chart(
            "loss_q95",
            "95th percentile of the per-sample training loss",
        ),
        shown.chart("loss", "Training objective"),
    ];
    charts.extend(shown.groups.iter().filter_map(|g| loss_histogram(g)));
    let heatmaps = shown
        .groups
        .iter()
        .filter_map(|g| {
            let grid = g.grid.as_ref()?;
            let points: Vec<(f32, f32, f32, bool)> = (0..g.train.n())
                .map(|i| {
                    let p = g.train.row(i);
                    let given = g.given[0][i];
                    (p[0], p[1], given as f32, given != g.train.y[i])
                })
                .collect();
            Some(HeatmapView {
                method: format!(
                    "{}: run 0's P(class 1), with the training points by given label (ringed in \
                     black: mislabelled)",
                    g.method()
                ),
                cols: model::GRID,
                cell: 6,
                values: grid.clone(),
                extent: model::EXTENT,
                style: HeatStyle::Boundary,
                categorical: false,
                points: Arc::new(points),
                line: None,
            })
        })
        .collect();
    let table = shown.table(&[
        ("test-acc", "test accuracy", "test_acc"),
        ("peak-test-acc", "peak test accuracy", "peak_test_acc"),
        ("train-acc-true", "train (true labels)", "train_acc_true"),
        ("train-acc-given", "train (given labels)", "train_acc_given"),
        ("memorised", "memorised", "memorised"),
        ("loss-q95", "loss q95", "loss_q95"),
    ]);
    Views {
        charts,
        bars: Vec::new(),
        heatmaps,
        networks: Vec::new(),
        table,
    }
}

/// Run 0's per-sample loss histogram now: clean points and mislabelled ones, each as shares.
fn loss_histogram(g: &Group) -> Option<ChartView> {
    let [clean, wrong] = g.histogram.as_ref()?;
    let any_wrong = wrong.iter().any(|&v| v > 0.0);
    let mut series = vec![SeriesView {
        method: "clean".into(),
        colour: 2,
        band: BandPoint::line(clean),
        dashed: false,
    }];
    if any_wrong {
        series.push(SeriesView {
            method: "mislabelled".into(),
            colour: 3,
            band: BandPoint::line(wrong),
            dashed: false,
        });
    }
    Some(ChartView {
        metric: format!("loss_hist/{}", g.method()),
        title: format!(
            "{}: loss per sample (run 0), clean green, mislabelled orange; ≥ 6 in the last bin",
            g.method()
        ),
        series,
        guides: Vec::new(),
        range: None,
        wide: false,
        x_label: "loss".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: Some((0.0, HIST_MAX as f64)),
    })
}
