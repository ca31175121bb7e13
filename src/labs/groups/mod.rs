//! The group-operations lab: small networks learning a finite group's multiplication table
//! (Chughtai, Chan & Nanda 2023, "A Toy Model of Universality"), grokking on a log-step axis, and
//! what they learned, read off the embeddings as shares of variance per irreducible representation.

use super::{choice, int, log_float, LabDecl, Preset};
use crate::decl::float;

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "groups",
        title: "Group operations",
        summary: "A one-hidden-layer network learns a group's multiplication table from a share \
                  of it. Watch it fit the training pairs at once and generalise much later \
                  (grokking), then see which irreducible representations its embeddings use: a \
                  few, and different ones per seed.",
        settings: vec![
            choice("group", "Group", model::GroupKind::Cyclic, "C_p (addition mod p), the dihedral group D_n of order 2n, or S_5 (120 permutations)."),
            int("p", "p (C_p)", 5, 113, 59, "", "Order of the cyclic group."),
            int("n", "n (D_n)", 3, 60, 12, "", "The dihedral group D_n has 2n elements."),
            float("train", "Training share", 0.1, 0.9, 0.5, "", "Share of all |G|² ordered pairs used for training, fixed per seed; the rest are the test set."),
            int("embed", "Embedding width", 4, 128, 32, "", "Width of each of the two learned embeddings (a and b)."),
            int("width", "Hidden units", 8, 256, 128, "", "ReLU units in the hidden layer."),
            log_float("lr", "Learning rate", 1e-4, 0.1, 0.01, "Adam's step size (full batch). At 0.003 the same runs generalise about four times later."),
            int("steps", "Steps", 1, 100_000, 1000, "", "Full-batch training steps per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["adamw", "adam"],
        metrics: vec![
            "train_acc",
            "test_acc",
            "train_loss",
            "test_loss",
            "step_to_099",
            "top_var/<n>",
            "irrep_var/<name>",
            "char_sim/<name>",
            "key_reps",
        ],
        presets: vec![
            Preset { id: "grokking", title: "Grokking on C_59: AdamW vs Adam", query: "" },
            Preset { id: "decay", title: "How much decay: 1, 0.1 and none", query: "methods=adamw,adamw_small,adam" },
            Preset { id: "dropout", title: "Dropout instead of decay", query: "methods=adamw,dropout" },
            Preset { id: "dihedral", title: "The dihedral group D_12", query: "group=dihedral&methods=adamw" },
            Preset { id: "s5", title: "S_5: 120 permutations (slow: minutes)", query: "group=symmetric&steps=2400&runs=1&methods=adamw" },
        ],
        smoke: &["p=7&embed=8&width=16&steps=20"],
        runs: 1,
    }
}

pub mod algebra;
pub mod claims;
pub mod methods;
pub mod model;

use crate::claims::Claim;
use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{apply_method, boxed_group, Core, Lab, LocalFuture, RunGroup, Shown};
use crate::views::{BarView, ChartView, Picture, TableView, Views};

/// A representation counts as key when it holds at least this share of the embedding variance.
pub const KEY_SHARE: f64 = 0.1;

/// One method's run group.
pub struct Group {
    pub core: Core,
    pub recipe: model::Recipe,
    pub built: model::Built,
    /// Per run, each non-trivial irrep's share of the embedding variance (at the end).
    pub shares: Vec<Vec<(String, f64)>>,
}

/// The lab in the registry.
pub struct Groups;

impl Lab for Groups {
    fn declaration(&self) -> LabDecl {
        declaration()
    }
    fn total_steps(&self, exp: &Experiment) -> u32 {
        exp.read().u32("steps")
    }
    fn claims(&self) -> Vec<Claim> {
        claims::claims()
    }
    fn group<'a>(
        &'a self,
        exp: &'a Experiment,
        method: &'a str,
        gpu: Option<&'a GpuContext>,
    ) -> LocalFuture<'a, Result<Box<dyn RunGroup>>> {
        boxed_group(Group::new(exp, method, gpu))
    }
    fn views(&self, exp: &Experiment, groups: &[&dyn RunGroup], _: &[(String, Picture)]) -> Views {
        views(&Shown::of(&declaration(), groups, exp.seed))
    }
}

impl RunGroup for Group {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn train(&mut self, steps: u32) -> LocalFuture<'_, Result<()>> {
        self.core.train(model::TRAIN, steps)
    }
    fn observe(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(self.evaluate())
    }
    fn observe_every(&self, total: u32) -> u32 {
        (total / 100).max(1)
    }
    fn finish(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(self.summarise())
    }
}

impl Group {
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = apply_method(
            methods::METHODS,
            "groups",
            method,
            exp,
            model::Recipe::from_settings(exp),
        )?;
        let built = model::build(&recipe, exp.runs as usize, exp.seed)?;
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            core: Core::new(method, exec, exp.runs as usize),
            recipe,
            built,
            shares: Vec::new(),
        })
    }

    /// Runs the network on the whole table and records train and test accuracy and loss.
    async fn evaluate(&mut self) -> Result<()> {
        self.core.exec.run(model::EVAL, 1)?;
        let all = self.core.exec.read(&self.built.eval_all).await?;
        for (k, name) in model::EVAL_NAMES.iter().enumerate() {
            let values: Vec<f32> = all.iter().skip(k).step_by(4).copied().collect();
            self.core
                .history
                .record(name, self.core.step as u64, &values);
        }
        Ok(())
    }

    /// The end of a run: the embeddings' shares per irrep, the key ones, the first step at
    /// which test accuracy reached 0.99, and the logits' similarity to each character.
    async fn summarise(&mut self) -> Result<()> {
        let runs = self.core.history.runs.len();
        let group = &self.built.group;
        let order = group.order;
        let d = self.recipe.embed;
        let a = self.core.exec.read(&self.built.emb_a).await?;
        let b = self.core.exec.read(&self.built.emb_b).await?;
        self.core.exec.run(model::EVAL, 1)?;
        let logits = self.core.exec.read(&self.built.logits).await?;
        self.shares = (0..runs)
            .map(|r| {
                // [|G|, 2d]: both embeddings side by side, one row per element.
                let mut e = Vec::with_capacity(order * 2 * d);
                for x in 0..order {
                    let at = (r * order + x) * d;
                    e.extend_from_slice(&a[at..at + d]);
                    e.extend_from_slice(&b[at..at + d]);
                }
                group.shares(&e, 2 * d)
            })
            .collect();
        let names: Vec<String> = self
            .shares
            .first()
            .map_or(Vec::new(), |s| s.iter().map(|(n, _)| n.clone()).collect());
        for (i, name) in names.iter().enumerate() {
            let v: Vec<f32> = self.shares.iter().map(|s| s[i].1 as f32).collect();
            self.core
                .history
                .set_final(&format!("irrep_var/{name}"), &v);
        }
        for top in 1..=8usize.min(names.len()) {
            let v: Vec<f32> = self
                .shares
                .iter()
                .map(|s| {
                    let mut sorted: Vec<f64> = s.iter().map(|(_, v)| *v).collect();
                    sorted.sort_by(|x, y| y.total_cmp(x));
                    sorted.iter().take(top).sum::<f64>() as f32
                })
                .collect();
            self.core.history.set_final(&format!("top_var/{top}"), &v);
        }
        self.core.history.set_list(
            "key_reps",
            self.shares.iter().map(|s| key_reps(s)).collect(),
        );
        let reached: Vec<f32> = (0..runs)
            .map(|r| {
                self.core.history.runs[r]
                    .get("test_acc")
                    .and_then(|p| p.iter().find(|(_, v)| *v >= 0.99))
                    .map_or(f32::NAN, |(s, _)| *s as f32)
            })
            .collect();
        self.core.history.set_final("step_to_099", &reached);
        // Logit–character similarity: the cosine between each pair's centred logits over c and
        // χ_ρ(a·b·c⁻¹), over the whole table.
        let pairs = order * order;
        for (i, irrep) in group.irreps.iter().enumerate().filter(|(_, i)| !i.trivial) {
            let sims: Vec<f32> = (0..runs)
                .map(|r| {
                    let (mut dot, mut ll, mut kk) = (0.0f64, 0.0f64, 0.0f64);
                    for ab in 0..pairs {
                        let row = &logits[(r * pairs + ab) * order..(r * pairs + ab + 1) * order];
                        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / order as f64;
                        let g = group.mul(ab / order, ab % order);
                        for (c, &v) in row.iter().enumerate() {
                            let k = group.character(i, group.mul(g, group.inverse[c] as usize));
                            let l = v as f64 - mean;
                            dot += l * k;
                            ll += l * l;
                            kk += k * k;
                        }
                    }
                    (dot / (ll.sqrt() * kk.sqrt()).max(1e-12)) as f32
                })
                .collect();
            self.core
                .history
                .set_final(&format!("char_sim/{}", irrep.name), &sims);
        }
        Ok(())
    }
}

/// The irreps holding at least `KEY_SHARE` of the variance, largest first.
pub fn key_reps(shares: &[(String, f64)]) -> Vec<String> {
    let mut key: Vec<&(String, f64)> = shares.iter().filter(|(_, v)| *v >= KEY_SHARE).collect();
    key.sort_by(|x, y| y.1.total_cmp(&x.1));
    key.into_iter().map(|(n, _)| n.clone()).collect()
}

fn views(shown: &Shown<Group>) -> Views {
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
