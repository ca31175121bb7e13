//! What the continual lab draws of a session's groups.

use super::model::Recipe;
use super::{model, Group};
use crate::experiment::Experiment;
use crate::labs::{RunGroup, Shown};
use crate::views::{BarView, ChartView, Guide, HeatStyle, HeatmapView, SeriesView, Views};
use std::sync::Arc;

/// Per method: the forgetting picture (each task's accuracy over steps, task boundaries
/// dashed), the accuracy matrix of run 0, the 2-D boundaries after each task; and the table of
/// ACC, BWT, forgetting and FWT over seeds.
pub fn views(shown: &Shown<Group>, exp: &Experiment) -> Views {
    let groups = &shown.groups;
    let recipe = Recipe::from_settings(exp);
    let spt = recipe.steps_per_task as f64;
    let mut charts = Vec::new();
    let mut heatmaps = Vec::new();
    for g in groups {
        let t = g.tasks();
        let boundaries: Vec<Guide> = (1..t)
            .map(|k| Guide {
                label: if k == 1 {
                    "task boundary".into()
                } else {
                    String::new()
                },
                points: vec![(k as f64 * spt, 0.0), (k as f64 * spt, 1.0)],
            })
            .collect();
        charts.push(ChartView {
            metric: format!("task_acc:{}", g.method()),
            title: format!("{}: accuracy on each task", g.method()),
            series: (0..t)
                .map(|j| SeriesView {
                    method: format!("task {}", j + 1),
                    colour: j,
                    band: g.history().band(&format!("task_acc/{j}")),
                    dashed: false,
                })
                .collect(),
            guides: boundaries,
            range: Some((0.0, 1.0)),
            wide: true,
            x_label: "step".into(),
            log_x: false,
            markers: Vec::new(),
            x_span: None,
        });
        if g.rows.len() > 1 {
            let values: Vec<f32> = g.rows.iter().flat_map(|row| row[..t].to_vec()).collect();
            heatmaps.push(HeatmapView {
                method: format!("{}: R (row i: after task i)", g.method()),
                cols: t,
                cell: (180 / t).clamp(12, 40),
                values,
                extent: 0.0,
                points: Arc::new(Vec::new()),
                style: if t <= 10 {
                    HeatStyle::Matrix
                } else {
                    HeatStyle::Boundary
                },
                categorical: false,
                line: None,
            });
        }
        for (k, grid) in g.boundaries.iter().enumerate() {
            let task = &g.stream.tasks[k];
            let points = task
                .test
                .x
                .chunks(2)
                .zip(&task.test.y)
                .map(|(p, &y)| (p[0], p[1], y, true))
                .collect();
            heatmaps.push(HeatmapView {
                method: format!("{} after task {}", g.method(), k + 1),
                cols: model::GRID,
                cell: 2,
                values: grid.clone(),
                extent: g.stream.extent.unwrap_or(3.0),
                points: Arc::new(points),
                style: HeatStyle::Boundary,
                categorical: false,
                line: None,
            });
        }
    }
    let table = shown.table(&[
        ("avg-acc", "ACC", "avg_acc"),
        ("bwt", "BWT", "bwt"),
        ("forgetting", "forgetting", "forgetting"),
        ("fwt", "FWT", "fwt"),
        ("learn-acc", "learning acc.", "learn_acc"),
    ]);
    let bars = BarView {
        metric: "summary".into(),
        title: "ACC, BWT and forgetting (mean ± sd over seeds)".into(),
        names: vec![
            ("ACC".into(), 0),
            ("BWT".into(), 1),
            ("forgetting".into(), 3),
        ],
        groups: groups
            .iter()
            .map(|g| {
                (
                    g.method().to_string(),
                    ["avg_acc", "bwt", "forgetting"]
                        .iter()
                        .map(|n| BarView::spread(&shown.finals(g, n)))
                        .collect(),
                )
            })
            .collect(),
        range: (-1.0, 1.0),
    };
    Views {
        charts,
        bars: vec![bars],
        heatmaps,
        networks: Vec::new(),
        table,
    }
}
