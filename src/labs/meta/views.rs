//! What the meta lab draws of a session's groups.

use super::model::{EVAL_STEPS, GRID, X_RANGE};
use super::Group;
use crate::labs::meta::group::Scenario;
use crate::labs::{RunGroup, Shown};
use crate::views::{BandPoint, BarView, ChartView, Guide, HeatmapView, SeriesView, Views};

pub fn views(shown: &Shown<Group>) -> Views {
    let (groups, colours) = (&shown.groups, &shown.colours);
    if groups
        .iter()
        .any(|g| matches!(g.scenario, Scenario::Digits { .. }))
    {
        return digits_views(shown);
    }
    let mut charts: Vec<ChartView> = groups
        .iter()
        .zip(colours)
        .filter_map(|(g, &colour)| sinusoid(g, colour))
        .collect();
    charts.push(adaptation(groups, colours));
    charts.push(shown.chart("meta_loss", "Meta-training loss"));
    charts.push(shown.chart("mse_after/1", "Held-out MSE after 1 step"));
    charts.push(shown.chart("mse_after/10", "Held-out MSE after 10 steps"));
    let table = shown.table(&[
        ("mse-0", "MSE before adapting", "mse_after/0"),
        ("mse-1", "after 1 step", "mse_after/1"),
        ("mse-10", "after 10 steps", "mse_after/10"),
        ("mse-zero", "predicting 0", "mse_zero"),
    ]);
    Views {
        charts,
        bars: Vec::new(),
        heatmaps: Vec::new(),
        networks: Vec::new(),
        table,
    }
}

/// Few-shot digits: the novel-class accuracy as bars with seed whiskers and over training, the
/// training loss, each method's novel embedding in 2-D, and a table.
fn digits_views(shown: &Shown<Group>) -> Views {
    let groups = &shown.groups;
    let shots = groups.first().map_or(1, |g| g.recipe.shots);
    let bars = BarView {
        metric: "fewshot_bars".into(),
        title: format!(
            "Novel digits (5–9), 5-way {shots}-shot: accuracy on the held-out episodes (mean \
             and sd over seeds; chance is 0.2)"
        ),
        names: shown
            .iter()
            .map(|(g, c)| (g.method().to_string(), c))
            .collect(),
        groups: vec![(
            "novel classes".into(),
            groups
                .iter()
                .map(|g| BarView::spread(&shown.finals(g, "fewshot_acc")))
                .collect(),
        )],
        range: (0.2, 1.0),
    };
    let charts = vec![
        shown.chart("fewshot_acc", "Novel-class few-shot accuracy"),
        shown.chart("meta_loss", "Training loss on the base classes"),
    ];
    let heatmaps = groups
        .iter()
        .filter_map(|g| match &g.scenario {
            Scenario::Digits { projection, .. } if !projection.is_empty() => {
                Some(HeatmapView::scatter(
                    format!(
                        "{}: run 0's embeddings of the novel digits on their two principal axes, \
                         coloured by digit (5–9)",
                        g.method()
                    ),
                    projection.clone(),
                ))
            }
            _ => None,
        })
        .collect();
    let table = shown.table(&[
        ("fewshot-acc", "novel accuracy", "fewshot_acc"),
        ("fewshot-ci", "95% interval ±", "fewshot_ci"),
    ]);
    Views {
        charts,
        bars: vec![bars],
        heatmaps,
        networks: Vec::new(),
        table,
    }
}

/// The grid index of input x.
fn grid_step(x: f32) -> f64 {
    ((x - X_RANGE.0) / (X_RANGE.1 - X_RANGE.0) * (GRID - 1) as f32) as f64
}

/// Finn et al.'s Figure 2 for one method: held-out task 0, its K shots, and run 0's prediction
/// before adapting (grey, dashed), after 1 step (dashed) and after 10 (solid).
fn sinusoid(g: &Group, colour: usize) -> Option<ChartView> {
    let Scenario::Sinusoid {
        picture: Some(p), ..
    } = &g.scenario
    else {
        return None;
    };
    let series = [
        ("before", 5, true, 0),
        ("1 step", colour, true, 1),
        ("10 steps", colour, false, 2),
    ]
    .into_iter()
    .map(|(name, colour, dashed, i)| SeriesView {
        method: name.into(),
        colour,
        band: BandPoint::line(&p.predictions[i]),
        dashed,
    })
    .collect();
    Some(ChartView {
        metric: format!("sinusoid/{}", g.method()),
        title: format!(
            "{}: a held-out wave (black, dashed), its {} shots, and the prediction before \
             adapting (grey), after 1 step (dashed) and after 10",
            g.method(),
            p.shots.len()
        ),
        series,
        guides: vec![Guide {
            label: "truth".into(),
            points: p
                .truth
                .iter()
                .enumerate()
                .map(|(i, &y)| (i as f64, y as f64))
                .collect(),
        }],
        range: None,
        wide: true,
        x_label: "x".into(),
        log_x: false,
        markers: p
            .shots
            .iter()
            .map(|&(x, y)| (grid_step(x), y as f64))
            .collect(),
        x_span: Some((X_RANGE.0 as f64, X_RANGE.1 as f64)),
    })
}

/// Held-out MSE against adaptation steps, per method over seeds, with the zero predictor's.
fn adaptation(groups: &[&Group], colours: &[usize]) -> ChartView {
    let series = groups
        .iter()
        .zip(colours)
        .map(|(g, &colour)| {
            let reports = g.reports(0);
            let band = (0..=EVAL_STEPS)
                .filter_map(|k| {
                    let v: Vec<f32> = reports
                        .iter()
                        .filter_map(|r| r.final_values.get(&format!("mse_after/{k}")).copied())
                        .collect();
                    if v.is_empty() {
                        return None;
                    }
                    let (lo, hi) = v.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |a, &x| {
                        (a.0.min(x), a.1.max(x))
                    });
                    Some(BandPoint {
                        step: k as u64,
                        mean: v.iter().sum::<f32>() / v.len() as f32,
                        low: lo,
                        high: hi,
                    })
                })
                .collect();
            SeriesView {
                method: g.method().to_string(),
                colour,
                band,
                dashed: false,
            }
        })
        .collect();
    let zero = groups
        .iter()
        .find_map(|g| {
            g.history()
                .runs
                .first()
                .and_then(|r| r.get("mse_zero"))
                .and_then(|p| p.last())
                .map(|(_, v)| *v as f64)
        })
        .map(|z| Guide {
            label: "predicting 0".into(),
            points: vec![(0.0, z), (EVAL_STEPS as f64, z)],
        });
    ChartView {
        metric: "mse_by_steps".into(),
        title: "Held-out MSE against adaptation steps (mean and range over seeds)".into(),
        series,
        guides: zero.into_iter().collect(),
        range: None,
        wide: false,
        x_label: "steps".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: None,
    }
}
