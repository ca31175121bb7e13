//! The imperfect-labels lab: learning when labels are wrong. Every training point keeps its true
//! label beside the given one, so the page can tell learning the pattern from memorising the
//! noise: accuracy against the given and the true labels, the share of wrong labels memorised,
//! the per-sample loss histogram (clean against mislabelled) and the loss's tail.

use super::{choice, float, int, log_float, LabDecl, Optimizer, Preset};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "labels",
        title: "Imperfect labels",
        summary: "Some training labels are wrong. A network first learns what the clean ones \
                  share, then memorises the wrong ones one by one: its accuracy on the true \
                  labels peaks, then falls. Methods that trust small losses, robust losses and \
                  per-sample constraints change that story differently: compare them on the \
                  given labels, the true ones and the test set.",
        settings: vec![
            choice("scenario", "Data", data::Scenario::Digits, "The bundled 8×8 digits (10 classes, a fixed 75/25 split), or two moons in 2-D (300 training points) for pictures."),
            choice("noise", "Label noise", data::Noise::Symmetric, "How training labels go wrong: any other class at random, always the next class (a systematic confusion), or more often near the true boundary."),
            float("rate", "Noise rate", 0.0, 0.8, 0.4, "", "Share of training labels made wrong (on average, for instance-dependent noise)."),
            int("width", "Hidden units", 4, 256, 64, "", "Units in each hidden ReLU layer."),
            int("depth", "Hidden layers", 1, 3, 2, "", "Hidden layers of the MLP."),
            choice("optimizer", "Optimizer", Optimizer::Adam, "Adam, or SGD with momentum 0.9."),
            log_float("lr", "Learning rate", 1e-4, 0.5, 0.003, "Step size."),
            int("batch", "Batch size", 4, 256, 32, "", "Training points per step, drawn with replacement."),
            int("labelled", "Labelled per class", 1, 100, 4, "", "The semi-supervised methods see the labels of this many training points per class (drawn per seed); the rest are unlabelled for them."),
            int("steps", "Steps", 1, 100_000, 4000, "", "Training steps per run (about 42 steps an epoch on the digits at batch 32)."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["erm", "coteaching"],
        metrics: vec![
            "test_acc",
            "peak_test_acc",
            "train_acc_given",
            "train_acc_true",
            "memorised",
            "loss_q95",
            "pseudo_acc",
            "loss",
        ],
        presets: vec![
            Preset { id: "memorisation", title: "Memorisation at 40% noise: ERM against co-teaching", query: "" },
            Preset { id: "robust", title: "Robust losses and mixup at 40% noise", query: "methods=erm,mixup,aldr" },
            Preset { id: "pairflip", title: "Pair-flip noise: a systematic confusion", query: "noise=pairflip&rate=0.3&methods=erm,coteaching,aldr" },
            Preset { id: "tail", title: "Clean labels, every sample fit: Feasible Learning's tail", query: "noise=none&methods=erm,feasible" },
            Preset { id: "few-labels", title: "Four labels per class: pseudo-labels and confirmation bias", query: "noise=none&methods=labelled,pseudo,pseudo_mixup" },
            Preset { id: "moons", title: "Two moons with labels flipped near the boundary", query: "scenario=moons&noise=instance&rate=0.3&steps=3000&methods=erm,coteaching" },
        ],
        smoke: &[
            "width=8&depth=1&steps=10&batch=8&methods=erm,mixup,coteaching,aldr,feasible",
            // Two classes and a low threshold, so naive pseudo-labels act within 10 steps.
            "scenario=moons&width=8&depth=1&steps=10&batch=8&pseudo.threshold=0.5&methods=labelled,pseudo,pseudo_mixup",
        ],
        runs: crate::experiment::DEFAULT_RUNS,
    }
}

pub mod claims;
pub mod data;
pub mod methods;
pub mod model;

use crate::claims::Claim;
use crate::engine::gpu::GpuContext;
use crate::engine::{rng, Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{boxed_group, Core, Lab, LocalFuture, RunGroup, Shown};
use crate::views::{BandPoint, ChartView, HeatStyle, HeatmapView, Picture, SeriesView, Views};
use std::sync::Arc;

/// Bins of the per-sample loss histogram, over [0, HIST_MAX] (larger losses in the last).
pub const HIST_BINS: usize = 30;
pub const HIST_MAX: f32 = 6.0;

/// One method's run group.
pub struct Group {
    pub core: Core,
    pub recipe: model::Recipe,
    /// The method learns from the labelled subset and the unlabelled rest.
    pub semi_supervised: bool,
    pub built: model::Built,
    pub train: data::Set,
    pub test: data::Set,
    /// Per run, the given training labels.
    pub given: Vec<Vec<usize>>,
    /// Per run, the labelled subset and the unlabelled rest (the semi-supervised methods').
    pub split: Vec<model::Split>,
    /// Per run, the best test accuracy so far.
    pub peak: Vec<f32>,
    /// Run 0's per-sample training losses (against the given labels): clean, then mislabelled
    /// points, as shares per histogram bin.
    pub histogram: Option<[Vec<f32>; 2]>,
    /// Run 0's P(class 1) on the moons' grid.
    pub grid: Option<Vec<f32>>,
}

/// The lab in the registry.
pub struct Labels;

impl Lab for Labels {
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
        (total / 40).max(1)
    }
}

impl Group {
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = model::Recipe::from_settings(exp);
        let objective = methods::objective(method, exp)?;
        let (train, test) =
            data::sets(recipe.scenario).map_err(|e| crate::engine::EngineError::Invalid {
                op: "labels",
                detail: e,
            })?;
        let runs = exp.runs as usize;
        let noise = recipe.noise;
        // Each seed draws its own wrong labels; the same for every method of that seed.
        let given: Vec<Vec<usize>> = (0..runs)
            .map(|r| data::corrupt(&train, noise, recipe.rate, rng::run_seed(exp.seed, r)))
            .collect();
        let split: Vec<model::Split> = (0..runs)
            .map(|r| data::split(&train, recipe.labelled, rng::run_seed(exp.seed, r)))
            .collect();
        let built = model::build(
            &recipe,
            &*objective,
            &train,
            &test,
            &given,
            &split,
            exp.seed,
        )?;
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            core: Core::new(method, exec, runs),
            recipe,
            semi_supervised: objective.semi_supervised(),
            built,
            train,
            test,
            given,
            split,
            peak: vec![0.0; runs],
            histogram: None,
            grid: None,
        })
    }

    /// Reads every training and test point's logits and records, per run, the accuracies
    /// against the test labels, the given and the true training labels, the share of wrong
    /// labels memorised, and the 95th percentile of the per-sample training loss.
    async fn evaluate(&mut self) -> Result<()> {
        let step = self.core.step as u64;
        if let Some(w) = self.core.exec.metrics(model::TRAIN).await?.last() {
            self.core.history.record("loss", w.step, &w.values[0]);
        }
        self.core.exec.run(model::EVAL, 1)?;
        let train_logits = self.core.exec.read(&self.built.train_logits).await?;
        let test_logits = self.core.exec.read(&self.built.test_logits).await?;
        let (n, m, c) = (self.train.n(), self.test.n(), self.train.classes);
        let runs = self.given.len();
        let mut metrics: Vec<[f32; 6]> = Vec::with_capacity(runs);
        let mut pseudo = Vec::new();
        for r in 0..runs {
            let row = |logits: &[f32], count: usize, i: usize| -> Vec<f32> {
                logits[(r * count + i) * c..(r * count + i + 1) * c].to_vec()
            };
            let test_acc = (0..m)
                .filter(|&i| model::argmax(&row(&test_logits, m, i)) == self.test.y[i])
                .count() as f32
                / m as f32;
            let given = &self.given[r];
            let (mut right_given, mut right_true, mut wrong, mut memorised) = (0, 0, 0, 0);
            let mut losses = Vec::with_capacity(n);
            for (i, (&label, &truth)) in given.iter().zip(&self.train.y).enumerate() {
                let logits = row(&train_logits, n, i);
                let predicted = model::argmax(&logits);
                right_given += usize::from(predicted == label);
                right_true += usize::from(predicted == truth);
                if label != truth {
                    wrong += 1;
                    memorised += usize::from(predicted == label);
                }
                losses.push(-model::log_softmax(&logits)[label]);
            }
            if r == 0 {
                self.histogram = Some(histogram(&losses, given, &self.train.y));
            }
            if self.semi_supervised {
                // How often the network's own labels for the unlabelled points are right.
                let unlabelled = &self.split[r].1;
                let right = unlabelled
                    .iter()
                    .filter(|&&i| model::argmax(&row(&train_logits, n, i)) == self.train.y[i])
                    .count();
                pseudo.push(right as f32 / unlabelled.len().max(1) as f32);
            }
            let mut sorted = losses.clone();
            sorted.sort_by(f32::total_cmp);
            let q95 = sorted[((0.95 * (n - 1) as f32).round() as usize).min(n - 1)];
            self.peak[r] = self.peak[r].max(test_acc);
            metrics.push([
                test_acc,
                self.peak[r],
                right_given as f32 / n as f32,
                right_true as f32 / n as f32,
                if wrong > 0 {
                    memorised as f32 / wrong as f32
                } else {
                    0.0
                },
                q95,
            ]);
        }
        for (k, name) in [
            "test_acc",
            "peak_test_acc",
            "train_acc_given",
            "train_acc_true",
            "memorised",
            "loss_q95",
        ]
        .iter()
        .enumerate()
        {
            let values: Vec<f32> = metrics.iter().map(|v| v[k]).collect();
            self.core.history.record(name, step, &values);
        }
        if !pseudo.is_empty() {
            self.core.history.record("pseudo_acc", step, &pseudo);
        }
        if let Some(grid) = &self.built.grid_logits {
            let g = self.core.exec.read(grid).await?;
            let cells = model::GRID * model::GRID;
            self.grid = Some(
                (0..cells)
                    .map(|k| {
                        let p = model::log_softmax(&g[k * c..(k + 1) * c]);
                        p.get(1).map_or(0.0, |l| l.exp())
                    })
                    .collect(),
            );
        }
        Ok(())
    }
}

/// Shares of the clean and of the mislabelled points' losses per bin.
fn histogram(losses: &[f32], given: &[usize], truth: &[usize]) -> [Vec<f32>; 2] {
    let mut bins = [vec![0.0f32; HIST_BINS], vec![0.0f32; HIST_BINS]];
    let mut counts = [0usize; 2];
    for ((&l, &g), &t) in losses.iter().zip(given).zip(truth) {
        let k = usize::from(g != t);
        let bin = ((l.max(0.0) / HIST_MAX * HIST_BINS as f32) as usize).min(HIST_BINS - 1);
        bins[k][bin] += 1.0;
        counts[k] += 1;
    }
    for (b, &n) in bins.iter_mut().zip(&counts) {
        b.iter_mut().for_each(|v| *v /= n.max(1) as f32);
    }
    bins
}

fn views(shown: &Shown<Group>) -> Views {
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
    let line = |v: &[f32]| -> Vec<BandPoint> {
        v.iter()
            .enumerate()
            .map(|(i, &y)| BandPoint {
                step: i as u64,
                mean: y,
                low: y,
                high: y,
            })
            .collect()
    };
    let any_wrong = wrong.iter().any(|&v| v > 0.0);
    let mut series = vec![SeriesView {
        method: "clean".into(),
        colour: 2,
        band: line(clean),
        dashed: false,
    }];
    if any_wrong {
        series.push(SeriesView {
            method: "mislabelled".into(),
            colour: 3,
            band: line(wrong),
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
