//! The labels lab's run group: one method under every run of an experiment.

use super::{data, methods, model, HIST_BINS, HIST_MAX};
use crate::engine::gpu::GpuContext;
use crate::engine::{rng, Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{Core, LocalFuture, RunGroup};

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
        let (train, test) = data::sets(
            recipe.scenario,
            exp.table.as_ref().and_then(|t| t.given()).map(|t| &**t),
        )
        .map_err(|e| crate::engine::EngineError::Invalid {
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
                        p.get(1).map_or(0.0, |&l| crate::engine::math::exp(l))
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
