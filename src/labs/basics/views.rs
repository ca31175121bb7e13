//! What the basics lab draws of a session's groups.

use super::{model, Group};
use crate::labs::{RunGroup, Shown};
use crate::views::{ChartView, HeatStyle, HeatmapView, NetworkView, Picture, TableView, Views};
use std::sync::Arc;

/// The Basics lab's views: loss and accuracy curves, each method's boundary with the data, and
/// the final test accuracy and loss.
pub fn views(shown: &Shown<Group>, pictures: &[(String, Picture)]) -> Views {
    let groups = &shown.groups;
    // Where the data's Bayes boundary is known (gaussian, skewed): how far from it each is.
    let bayes = groups.first().and_then(|g| {
        crate::data::bayes_direction(g.recipe.data, g.recipe.noise).filter(|_| !g.built.regression)
    });
    let mut charts = vec![
        ("train_loss", "Train loss", None),
        ("test_loss", "Test loss", None),
        ("test_acc", "Test accuracy", Some((0.0, 1.0))),
    ];
    if bayes.is_some() {
        charts.push((
            "bayes_gap",
            "Share of the square on the wrong side of the Bayes boundary",
            None,
        ));
    }
    let charts = charts
        .into_iter()
        .map(|(metric, title, range)| ChartView {
            range,
            ..shown.chart(metric, title)
        })
        .collect();
    let last = |g: &Group, m: &str| {
        g.history()
            .band(m)
            .last()
            .map_or("–".to_string(), |b| format!("{:.4}", b.mean))
    };
    let mut columns = vec![("test-acc", "test accuracy"), ("test-loss", "test loss")];
    if bayes.is_some() {
        columns.push(("bayes-gap", "off Bayes"));
    }
    columns.push(("run-status", "runs"));
    let table = TableView {
        columns: columns
            .iter()
            .map(|(c, h)| (c.to_string(), h.to_string()))
            .collect(),
        rows: groups
            .iter()
            .map(|g| {
                let mut cells = vec![last(g, "test_acc"), last(g, "test_loss")];
                if bayes.is_some() {
                    cells.push(last(g, "bayes_gap"));
                }
                cells.push(g.history().status(shown.seed));
                (g.method().to_string(), cells)
            })
            .collect(),
    };
    let points = Arc::new(
        groups
            .first()
            .map(|g| {
                let as_points = |p: &crate::data::Points, test: bool| {
                    p.x.chunks(2)
                        .zip(&p.y)
                        .map(move |(xy, &y)| (xy[0], xy[1], y, test))
                        .collect::<Vec<_>>()
                };
                let mut all = as_points(&g.built.train, false);
                all.extend(as_points(&g.built.test, true));
                all
            })
            .unwrap_or_default(),
    );
    let names = ["x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin x₁", "sin x₂"];
    let networks = pictures
        .iter()
        .filter_map(|(method, p)| {
            let g = groups.iter().find(|g| g.method() == method)?;
            let chosen = &g.recipe.features;
            Some(NetworkView {
                method: method.clone(),
                sizes: g.built.sizes.clone(),
                inputs: names
                    .iter()
                    .zip(chosen)
                    .filter(|(_, on)| **on)
                    .map(|(n, _)| n.to_string())
                    .collect(),
                weights: p.weights.clone(),
            })
        })
        .collect();
    let heatmaps = pictures
        .iter()
        .map(|(method, Picture { grid, .. })| HeatmapView {
            method: method.clone(),
            cols: model::GRID,
            cell: 2,
            values: grid[..model::GRID * model::GRID.min(grid.len() / model::GRID)].to_vec(),
            extent: 3.0,
            points: points.clone(),
            style: HeatStyle::Boundary,
            categorical: false,
            line: bayes,
        })
        .collect();
    Views {
        charts,
        bars: Vec::new(),
        heatmaps,
        networks,
        table,
    }
}
