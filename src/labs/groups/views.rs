//! What the groups lab draws of a session's groups.

use super::{model, Group};
use crate::labs::{RunGroup, Shown};
use crate::views::{BarView, ChartView, TableView, Views};

pub fn views(shown: &Shown<Group>) -> Views {
    let (groups, seed) = (&shown.groups, shown.seed);
    let chart = |metric: &str, title: &str, range: Option<(f64, f64)>| ChartView {
        range,
        log_x: true,
        ..shown.chart(metric, title)
    };
    let charts = vec![
        chart("train_acc", "Train accuracy (log steps)", Some((0.0, 1.0))),
        chart("test_acc", "Test accuracy (log steps)", Some((0.0, 1.0))),
        chart("train_loss", "Train loss (log steps)", None),
        chart("test_loss", "Test loss (log steps)", None),
    ];
    // One bar group per method and seed: which representations each seed's embeddings use.
    let names: Vec<(String, usize)> = groups
        .iter()
        .find_map(|g| g.shares.first())
        .map(|s| {
            s.iter()
                .enumerate()
                .map(|(i, (n, _))| (n.clone(), i))
                .collect()
        })
        .unwrap_or_default();
    let mut bars = Vec::new();
    if !names.is_empty() {
        let cyclic = groups
            .first()
            .is_some_and(|g| g.recipe.group == model::GroupKind::Cyclic);
        bars.push(BarView {
            metric: "irrep_var".into(),
            title: if cyclic {
                "Embedding power per Fourier frequency, per seed".into()
            } else {
                "Share of embedding variance per irreducible representation, per seed".into()
            },
            names: names.clone(),
            // From the history's finals, which hold every run's when the page draws the runs
            // of several workers together.
            groups: groups
                .iter()
                .flat_map(|g| {
                    let names = &names;
                    g.history()
                        .finals
                        .iter()
                        .enumerate()
                        .filter_map(move |(r, f)| {
                            let shares = names
                                .iter()
                                .map(|(n, _)| {
                                    Some((*f.get(&format!("irrep_var/{n}"))? as f64, 0.0))
                                })
                                .collect::<Option<Vec<_>>>()?;
                            Some((
                                format!("{} seed {}", g.method(), seed.wrapping_add(r as u32)),
                                shares,
                            ))
                        })
                })
                .collect(),
            range: (0.0, 1.0),
        });
    }
    // The paper's logit–character similarity: how much of each method's logits, as a function
    // of (a, b, c), each irrep's character χ(a·b·c⁻¹) explains (mean ± sd over seeds).
    if let Some(bar) = bars.first() {
        let names = bar.names.clone();
        bars.push(BarView {
            metric: "char_sim".into(),
            title: "Logit–character similarity per representation (mean ± sd over seeds)".into(),
            groups: groups
                .iter()
                .filter(|g| !g.shares.is_empty())
                .map(|g| {
                    let per_irrep = names
                        .iter()
                        .map(|(n, _)| BarView::spread(&shown.finals(g, &format!("char_sim/{n}"))))
                        .collect();
                    (g.method().to_string(), per_irrep)
                })
                .collect(),
            names,
            range: (0.0, 1.0),
        });
    }
    let table = TableView {
        columns: [
            ("test-acc", "test accuracy"),
            ("step-099", "first step at 0.99"),
            ("top-var", "top-4 share"),
            ("key-reps", "key representations, per seed"),
            ("run-status", "runs"),
        ]
        .iter()
        .map(|(c, h)| (c.to_string(), h.to_string()))
        .collect(),
        rows: groups
            .iter()
            .map(|g| {
                let reached: Vec<String> = shown
                    .finals(g, "step_to_099")
                    .iter()
                    .map(|v| {
                        if v.is_finite() {
                            format!("{v:.0}")
                        } else {
                            "–".into()
                        }
                    })
                    .collect();
                let keys: Vec<String> = g
                    .history()
                    .lists
                    .iter()
                    .map(|l| l.get("key_reps").map_or("…".into(), |k| k.join(" ")))
                    .collect();
                (
                    g.method().to_string(),
                    vec![
                        crate::views::mean_sd(&shown.finals(g, "test_acc")),
                        reached.join(", "),
                        crate::views::mean_sd(&shown.finals(g, "top_var/4")),
                        keys.join(" | "),
                        g.history().status(seed),
                    ],
                )
            })
            .collect(),
    };
    Views {
        charts,
        bars,
        heatmaps: Vec::new(),
        networks: Vec::new(),
        table,
    }
}
