//! What the merging lab draws of a session's groups.

use super::{Group, Merge};
use crate::experiment::Experiment;
use crate::labs::{RunGroup, Shown};
use crate::views::{mean_sd, BarView, ChartView, Guide, SeriesView, TableView, Views};

/// The λ sweeps of every method against the base and fine-tuned levels, and per model each
/// task's accuracy and the normalised accuracy, over seeds.
pub fn views(shown: &Shown<Group>, exp: &Experiment) -> Views {
    let (groups, colours) = (&shown.groups, &shown.colours);
    let finals = |g: &Group, key: &str| -> Vec<f32> {
        g.history()
            .finals
            .iter()
            .filter_map(|f| f.get(key).copied())
            .collect()
    };
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    let done: Vec<&&Group> = groups.iter().filter(|g| g.done).collect();
    let mut guides = Vec::new();
    if let Some(g) = done.first() {
        let k = g.tasks();
        let level = |model: &str| -> f64 {
            let per_task: Vec<f32> = (1..=k)
                .map(|j| mean(&finals(g, &format!("task_acc/{model}/{j}"))))
                .collect();
            mean(&per_task) as f64
        };
        for (label, model) in [("fine-tuned", "finetuned"), ("base", "base")] {
            let v = level(model);
            guides.push(Guide {
                label: format!("{label} {v:.2}"),
                points: vec![(0.0, v), (150.0, v)],
            });
        }
    }
    // Merges without a λ (averaging, Fisher, RegMean) are one model each: a level beside the
    // curves, so they are compared on the same axes.
    for g in done
        .iter()
        .filter(|g| !g.merge.has_lambda() && !matches!(g.merge, Merge::MultiTask(_)))
    {
        let k = g.tasks();
        let m = g.method();
        let per_task: Vec<f32> = (1..=k)
            .map(|j| mean(&finals(g, &format!("task_acc/{m}/{j}"))))
            .collect();
        let v = mean(&per_task) as f64;
        guides.push(Guide {
            label: format!("{m} {v:.2} (no λ)"),
            points: vec![(0.0, v), (150.0, v)],
        });
    }
    let conflict = done
        .first()
        .map(|g| {
            format!(
                " (task vectors disagree in sign on {:.0}% of the weights)",
                100.0 * mean(&finals(g, "sign_conflict"))
            )
        })
        .unwrap_or_default();
    let chart = ChartView {
        metric: "lambda_sweep".into(),
        title: format!(
            "Mean accuracy of the merge against λ × 100: test, and validation dashed (λ is \
             chosen there){conflict}"
        ),
        // Each method's test curve, and its validation curve (where λ is chosen) dashed.
        series: groups
            .iter()
            .zip(colours)
            .flat_map(|(g, &colour)| {
                [("lambda_sweep", false), ("lambda_sweep_val", true)].map(|(name, dashed)| {
                    SeriesView {
                        method: g.method().to_string(),
                        colour,
                        band: g.history().band(&format!("{name}/{}", g.method())),
                        dashed,
                    }
                })
            })
            .collect(),
        guides,
        range: Some((0.0, 1.0)),
        wide: true,
        x_label: "λ × 100".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: None,
    };
    let k = groups.first().map_or(0, |g| g.tasks());
    let mut columns: Vec<(String, String)> = (1..=k)
        .map(|j| (format!("task-{j}"), format!("task {j}")))
        .collect();
    columns.push(("normalized".into(), "merged ÷ fine-tuned".into()));
    columns.push(("best-lambda".into(), "best λ".into()));
    columns.push(("run-status".into(), "runs".into()));
    // A model's row: its accuracy on each task and its normalised accuracy, then λ and status.
    let row = |g: &Group, model: &str, lambda: String, status: String| -> (String, Vec<String>) {
        let mut cells: Vec<String> = (1..=k)
            .map(|j| mean_sd(&finals(g, &format!("task_acc/{model}/{j}"))))
            .collect();
        cells.push(mean_sd(&finals(g, &format!("normalized_acc/{model}"))));
        cells.push(lambda);
        cells.push(status);
        (model.to_string(), cells)
    };
    let mut rows = Vec::new();
    if let Some(g) = done.first() {
        for model in ["base", "finetuned"] {
            rows.push(row(g, model, "–".into(), g.history().status(exp.seed)));
        }
    }
    for g in groups {
        let lambda = if g.merge.has_lambda() {
            mean_sd(&finals(g, &format!("best_lambda/{}", g.method())))
        } else {
            "–".into()
        };
        let status = if g.done {
            g.history().status(exp.seed)
        } else {
            "training".into()
        };
        rows.push(row(g, g.method(), lambda, status));
    }
    let mut charts = vec![chart];
    for g in groups
        .iter()
        .filter(|g| matches!(g.merge, Merge::MultiTask(_)))
    {
        let k = g.tasks();
        let mut series = Vec::new();
        for a in 1..=k {
            for b in a + 1..=k {
                series.push(SeriesView {
                    method: format!("{a}–{b}"),
                    colour: series.len(),
                    band: g.history().band(&format!("grad_cosine/{a}-{b}")),
                    dashed: false,
                });
            }
        }
        charts.push(ChartView {
            metric: format!("grad_cosine:{}", g.method()),
            title: format!("{}: cosine between task gradients", g.method()),
            series,
            guides: vec![Guide {
                label: "orthogonal".into(),
                points: vec![(g.finetunes_end() as f64, 0.0), (g.own_steps() as f64, 0.0)],
            }],
            range: Some((-1.0, 1.0)),
            wide: true,
            x_label: "step".into(),
            log_x: false,
            markers: Vec::new(),
            x_span: None,
        });
    }
    let mut bar_groups = Vec::new();
    if let Some(g) = done.first() {
        for model in ["base", "finetuned"] {
            bar_groups.push((
                model.to_string(),
                vec![BarView::spread(&finals(
                    g,
                    &format!("normalized_acc/{model}"),
                ))],
            ));
        }
    }
    for g in groups.iter().filter(|g| g.done) {
        bar_groups.push((
            g.method().to_string(),
            vec![BarView::spread(&finals(
                g,
                &format!("normalized_acc/{}", g.method()),
            ))],
        ));
    }
    let bars = BarView {
        metric: "normalized_acc".into(),
        title: "Normalised accuracy: merged ÷ fine-tuned, mean over tasks (± sd over seeds)".into(),
        names: vec![("normalised accuracy".into(), 0)],
        groups: bar_groups,
        range: (0.0, 1.1),
    };
    Views {
        charts,
        bars: vec![bars],
        heatmaps: Vec::new(),
        networks: Vec::new(),
        table: TableView { columns, rows },
    }
}
