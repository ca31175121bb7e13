//! The ssl lab's run group: one method under every run of an experiment.

use super::data::{Images, FEATURES};
use super::model::{Outputs, Scenario, LIDAR_OBJECTS, LIDAR_VIEWS};
use super::{data, methods, model, FEW_L2, FEW_PER_CLASS, FEW_STEPS, MAX_EIGS, RIDGE};
use crate::data::digits::CLASSES;
use crate::engine::gpu::GpuContext;
use crate::engine::{rng, EngineError, Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{Core, LocalFuture, RunGroup};
use methodlab_measures as measures;
use std::sync::Arc;

/// One method's run group.
pub struct Group {
    pub core: Core,
    pub recipe: model::Recipe,
    pub built: model::Built,
    pub train: Arc<Images>,
    pub test: Arc<Images>,
    /// Per run, the training rows whose labels the few-label probe sees.
    pub few: Vec<Vec<usize>>,
    /// Per run, the few-label probe on raw pixels (the same labels): the claim's baseline.
    pub raw_few: Vec<f32>,
    /// Run 0's test embeddings on their two principal axes, by digit.
    pub projection: Arc<Vec<(f32, f32, f32, bool)>>,
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
        // The toys' observations are cheap and their timing is the point.
        let times = if self.recipe.scenario == Scenario::Digits {
            20
        } else {
            100
        };
        (total / times).max(1)
    }
    fn finish(&mut self) -> LocalFuture<'_, Result<()>> {
        // On the digits the spectrum moves every way at once: no time is a learning time.
        if self.recipe.scenario != Scenario::Digits {
            self.half_times();
        }
        Box::pin(async { Ok(()) })
    }
}

impl Group {
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = model::Recipe::from_settings(exp);
        let objective = methods::objective(method, exp)?;
        let (train, test) =
            data::digit_sets().map_err(|detail| EngineError::Invalid { op: "ssl", detail })?;
        let runs = exp.runs as usize;
        let built = model::build(
            &recipe,
            &*objective,
            &train,
            &test,
            runs,
            exp.seed,
            exp.data_seed(),
        )?;
        let exec = Exec::new(&built.program, gpu).await?;
        let few: Vec<Vec<usize>> = (0..runs)
            .map(|r| few_labels(&train, rng::run_seed(exp.seed, r)))
            .collect();
        let raw_few = if recipe.scenario == Scenario::Digits {
            few.iter()
                .map(|rows| {
                    few_probe(
                        &train.x,
                        &train,
                        rows,
                        &test.x,
                        &test,
                        crate::data::digits::PIXELS,
                    ) as f32
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Group {
            core: Core::new(method, exec, runs),
            recipe,
            built,
            train: Arc::new(train),
            test: Arc::new(test),
            few,
            raw_few,
            projection: Arc::new(Vec::new()),
        })
    }

    /// Reads the evaluation outputs and records the measures of every run.
    async fn evaluate(&mut self) -> Result<()> {
        let step = self.core.step as u64;
        if let Some(w) = self.core.exec.metrics(model::TRAIN).await?.last() {
            self.core.history.record("loss", w.step, &w.values[0]);
        }
        self.core.exec.run(model::EVAL, 1)?;
        let dim = self.recipe.dim;
        let runs = self.core.history.runs.len();
        match &self.built.outputs {
            Outputs::Digits { train, test, lidar } => {
                let (train, test, lidar) = (train.clone(), test.clone(), lidar.clone());
                let train_z = self.core.exec.read(&train).await?;
                let test_z = self.core.exec.read(&test).await?;
                let lidar_z = self.core.exec.read(&lidar).await?;
                let (n, m, l) = (
                    self.train.n() * dim,
                    self.test.n() * dim,
                    LIDAR_OBJECTS * LIDAR_VIEWS * dim,
                );
                let mut rows: Vec<Vec<f32>> = vec![Vec::new(); 9];
                let mut eigs = Vec::new();
                for r in 0..runs {
                    let (tr, te, li) = (
                        &train_z[r * n..(r + 1) * n],
                        &test_z[r * m..(r + 1) * m],
                        &lidar_z[r * l..(r + 1) * l],
                    );
                    let views = |v: usize| -> Vec<f32> {
                        (0..LIDAR_OBJECTS)
                            .flat_map(|o| {
                                li[(o * LIDAR_VIEWS + v) * dim..(o * LIDAR_VIEWS + v + 1) * dim]
                                    .iter()
                                    .copied()
                            })
                            .collect()
                    };
                    let values = [
                        measures::ridge_probe(
                            tr,
                            &self.train.y,
                            te,
                            &self.test.y,
                            dim,
                            CLASSES,
                            RIDGE,
                        ),
                        few_probe(tr, &self.train, &self.few[r], te, &self.test, dim),
                        self.raw_few.get(r).copied().unwrap_or(f32::NAN) as f64,
                        measures::rankme(tr, dim),
                        measures::lidar(li, dim, LIDAR_OBJECTS, LIDAR_VIEWS, 1e-4),
                        measures::alignment(&views(0), &views(1), dim),
                        measures::uniformity(te, dim),
                        measures::embed_std(te, dim),
                        0.0,
                    ];
                    for (row, v) in rows.iter_mut().zip(values) {
                        row.push(v as f32);
                    }
                    eigs.push(measures::covariance_spectrum(tr, dim));
                    if r == 0 {
                        self.projection = Arc::new(
                            measures::principal_plane(te, dim)
                                .into_iter()
                                .zip(&self.test.y)
                                .map(|((x, y), &c)| (x, y, c as f32, false))
                                .collect(),
                        );
                    }
                }
                let names = [
                    "probe_acc",
                    "probe_acc_few",
                    "probe_raw_few",
                    "rankme",
                    "lidar",
                    "alignment",
                    "uniformity",
                    "embed_std",
                ];
                for (name, values) in names.iter().zip(&rows) {
                    self.core.history.record(name, step, values);
                }
                self.record_eigenvalues(step, &eigs);
            }
            Outputs::Spectrum { sample } => {
                let z = self.core.exec.read(&sample.clone()).await?;
                let per = z.len() / runs.max(1);
                let eigs: Vec<Vec<f64>> = (0..runs)
                    .map(|r| measures::covariance_spectrum(&z[r * per..(r + 1) * per], dim))
                    .collect();
                let rankme: Vec<f32> = (0..runs)
                    .map(|r| measures::rankme(&z[r * per..(r + 1) * per], dim) as f32)
                    .collect();
                self.core.history.record("rankme", step, &rankme);
                self.record_eigenvalues(step, &eigs);
            }
            Outputs::TwoFeature { units } => {
                let z = self.core.exec.read(&units.clone()).await?;
                for (f, (name, _, _)) in FEATURES.iter().enumerate() {
                    let norms: Vec<f32> = (0..runs)
                        .map(|r| {
                            let at = (r * FEATURES.len() + f) * dim;
                            z[at..at + dim].iter().map(|v| v * v).sum::<f32>().sqrt()
                        })
                        .collect();
                    self.core
                        .history
                        .record(&format!("feature/{name}"), step, &norms);
                }
            }
        }
        Ok(())
    }

    /// Records `eig/<k>` (k from 1, the largest first) for every run.
    fn record_eigenvalues(&mut self, step: u64, eigs: &[Vec<f64>]) {
        let count = self.recipe.dim.min(MAX_EIGS);
        for k in 0..count {
            let values: Vec<f32> = eigs
                .iter()
                .map(|e| e.get(k).copied().unwrap_or(0.0) as f32)
                .collect();
            self.core
                .history
                .record(&format!("eig/{}", k + 1), step, &values);
        }
    }

    /// `t_half/<k>` for each recorded eigenvalue and `t_half/<A|B>` for the toy's features:
    /// the first observed step at which the value reached half its final value.
    fn half_times(&mut self) {
        let names: Vec<String> = self.core.history.runs.first().map_or(Vec::new(), |r| {
            r.keys()
                .filter(|k| k.starts_with("eig/") || k.starts_with("feature/"))
                .cloned()
                .collect()
        });
        for name in names {
            let suffix = name.split_once('/').map_or("", |(_, s)| s);
            let values: Vec<f32> = self
                .core
                .history
                .runs
                .iter()
                .map(|run| {
                    let series: Vec<(u64, f64)> = run.get(&name).map_or(Vec::new(), |s| {
                        s.iter().map(|&(t, v)| (t, v as f64)).collect()
                    });
                    measures::t_half(&series).map_or(f32::NAN, |t| t as f32)
                })
                .collect();
            self.core
                .history
                .set_final(&format!("t_half/{suffix}"), &values);
        }
    }
}

/// `FEW_PER_CLASS` training rows of each digit, drawn by `seed`.
fn few_labels(train: &Images, seed: u32) -> Vec<usize> {
    let mut picked = Vec::new();
    for c in 0..CLASSES {
        let mut members: Vec<usize> = (0..train.n()).filter(|&i| train.y[i] == c).collect();
        // A seeded partial Fisher–Yates shuffle.
        for i in 0..FEW_PER_CLASS.min(members.len()) {
            let j = i
                + (rng::uniform(seed, 515, c as u32, i as u32) * (members.len() - i) as f32)
                    as usize;
            let last = members.len() - 1;
            members.swap(i, j.min(last));
        }
        picked.extend(members.into_iter().take(FEW_PER_CLASS));
    }
    picked
}

/// The few-label logistic probe: trained on `rows` of `train_x` (rows of `dim` values), tested
/// on every row of `test_x`.
fn few_probe(
    train_x: &[f32],
    train: &Images,
    rows: &[usize],
    test_x: &[f32],
    test: &Images,
    dim: usize,
) -> f64 {
    let x: Vec<f32> = rows
        .iter()
        .flat_map(|&i| train_x[i * dim..(i + 1) * dim].iter().copied())
        .collect();
    let y: Vec<usize> = rows.iter().map(|&i| train.y[i]).collect();
    measures::logistic_probe(&x, &y, test_x, &test.y, dim, CLASSES, FEW_L2, FEW_STEPS)
}
