//! The Basics lab: TensorFlow Playground's experiment (2-D data sets, an MLP, a decision
//! boundary), with methods compared side by side on their own seeds.

use super::{choice, flag, float, int, log_float, LabDecl, Preset};
use crate::data::Playground;
use crate::engine::nn::Activation;
use model::{Loss, OptimizerChoice};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "basics",
        title: "Basics",
        summary: "Train a small network on 2-D data and watch its decision boundary form; compare \
                  regularisers, mixup, label smoothing and optimizers side by side.",
        settings: vec![
            choice("data", "Data set", Playground::Circle, "Classification: circle … checkerboard (skewed: two correlated Gaussian clusters, Oh & Yun's setting for mixup); regression: plane, bump."),
            float("noise", "Noise", 0.0, 0.5, 0.05, "", "Standard deviation of the noise added to each point."),
            int("train", "Training share", 10, 90, 50, "%", "Share of the points used for training; the rest are the test set."),
            int("points", "Points", 50, 2000, 500, "", "Points drawn for the data set."),
            flag("x1", "x₁", true, "Feed the first coordinate."),
            flag("x2", "x₂", true, "Feed the second coordinate."),
            flag("x1sq", "x₁²", false, "Feed the first coordinate squared."),
            flag("x2sq", "x₂²", false, "Feed the second coordinate squared."),
            flag("x1x2", "x₁x₂", false, "Feed the product of the coordinates."),
            flag("sinx1", "sin x₁", false, "Feed the sine of the first coordinate."),
            flag("sinx2", "sin x₂", false, "Feed the sine of the second coordinate."),
            int("layers", "Hidden layers", 0, 6, 2, "", "Hidden layers between inputs and output."),
            int("units", "Units per layer", 1, 64, 8, "", "Neurons in each hidden layer."),
            choice("activation", "Activation", Activation::Tanh, "Nonlinearity after each hidden layer."),
            choice("loss", "Loss", Loss::CrossEntropy, "Training loss for classification."),
            choice("optimizer", "Optimizer", OptimizerChoice::Sgd, "How the weights move."),
            log_float("lr", "Learning rate", 1e-4, 1.0, 0.03, "Step size of the optimizer."),
            int("batch", "Batch size", 1, 256, 10, "", "Points per training step."),
            float("l1", "L1", 0.0, 0.1, 0.0, "", "L1 penalty on every weight, for all methods."),
            float("l2", "L2", 0.0, 0.1, 0.0, "", "L2 penalty on every weight, for all methods."),
            float("dropout", "Dropout", 0.0, 0.9, 0.0, "", "Dropout on hidden units while training, for all methods."),
            int("steps", "Steps", 1, 100_000, 2000, "", "Training steps per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["plain"],
        metrics: vec!["train_loss", "test_loss", "train_acc", "test_acc", "bayes_gap", "weight_sq", "confidence"],
        presets: vec![
            Preset { id: "circle", title: "A circle, the default", query: "" },
            Preset {
                id: "spiral",
                title: "The spiral needs more than x₁ and x₂",
                query: "data=spiral&noise=0&x1sq=1&x2sq=1&sinx1=1&sinx2=1&layers=3&units=16&optimizer=adam&lr=0.01&steps=3000",
            },
            Preset {
                id: "overfit",
                title: "Noisy data: plain vs L2 vs dropout",
                query: "data=xor&noise=0.5&train=20&points=200&layers=3&units=32&optimizer=adam&lr=0.01&methods=plain,l2,dropout&l2.lambda=0.01",
            },
            Preset {
                id: "mixup",
                title: "Mixup finds the Bayes boundary, plain training does not",
                query: "data=skewed&noise=0&points=100&layers=0&lr=0.1&steps=3000&methods=plain,mixup",
            },
        ],
        smoke: &["points=50&steps=20"],
        runs: crate::experiment::DEFAULT_RUNS,
    }
}

pub mod claims;
pub mod methods;
pub mod model;

use crate::claims::Claim;
use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{
    boxed_group, find_method, unknown_method, Core, Lab, LocalFuture, RunGroup, Shown,
};
use crate::views::{ChartView, HeatStyle, HeatmapView, NetworkView, Picture, TableView, Views};
use std::sync::Arc;

/// One method's run group: its compiled program on a backend, its step and its history.
pub struct Group {
    pub core: Core,
    pub recipe: model::Recipe,
    pub built: model::Built,
}

/// The Basics lab in the registry.
pub struct Basics;

impl Lab for Basics {
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
    fn views(
        &self,
        exp: &Experiment,
        groups: &[&dyn RunGroup],
        pictures: &[(String, Picture)],
    ) -> Views {
        views(&Shown::of(&declaration(), groups, exp.seed), pictures)
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
        let done = Group::train(self, steps);
        Box::pin(async move { done })
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
    fn picture(&mut self) -> LocalFuture<'_, Result<Option<Picture>>> {
        Box::pin(async move {
            Ok(Some(Picture {
                grid: self.grid().await?,
                weights: self.network().await?,
            }))
        })
    }
}

impl Group {
    /// Method `method`'s group under every run of `exp`, on the GPU when a context is given.
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let table = methods::METHODS;
        let chosen =
            find_method(table, |m| (m.declaration)(), "basics", method).map_err(unknown_method)?;
        let declared = (chosen.declaration)();
        let mut recipe = model::Recipe::from_settings(exp);
        (chosen.apply)(&mut recipe, &exp.knobs(&declared));
        let built = model::build(&recipe, exp.runs as usize, exp.seed, exp.data_seed())?;
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            core: Core::new(method, exec, exp.runs as usize),
            recipe,
            built,
        })
    }
    /// Trains `steps` steps (queued; the GPU runs them asynchronously).
    pub fn train(&mut self, steps: u32) -> Result<()> {
        self.core.exec.run(0, steps)?;
        self.core.step += steps;
        Ok(())
    }
    /// Evaluates on the whole train and test sets and records the metrics at the current step.
    pub async fn evaluate(&mut self) -> Result<()> {
        self.core.exec.run(1, 1)?;
        let all = self.core.exec.read(&self.built.eval_all).await?;
        let width = self.built.eval.len();
        for (k, (name, _)) in self.built.eval.iter().enumerate() {
            let values: Vec<f32> = all.iter().skip(k).step_by(width).copied().collect();
            self.core
                .history
                .record(name, self.core.step as u64, &values);
        }
        Ok(())
    }
    /// The end-of-run summaries (weight_sq, confidence), as each run's final values.
    pub async fn summarise(&mut self) -> Result<()> {
        self.core.exec.run(3, 1)?;
        let all = self.core.exec.read(&self.built.summary_all).await?;
        let width = self.built.summary.len();
        for (k, (name, _)) in self.built.summary.iter().enumerate() {
            let values: Vec<f32> = all.iter().skip(k).step_by(width).copied().collect();
            self.core.history.set_final(name, &values);
        }
        Ok(())
    }

    /// Run 0's weights, layer by layer, [in × out] each.
    pub async fn network(&mut self) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::new();
        for (w, pair) in self
            .built
            .weights
            .clone()
            .iter()
            .zip(self.built.sizes.windows(2))
        {
            let all = self.core.exec.read(w).await?;
            out.push(all[..pair[0] * pair[1]].to_vec());
        }
        Ok(out)
    }
    /// The decision-boundary grid of every run: [R × GRID²] row-major, P(class 1) or the
    /// regression output.
    pub async fn grid(&mut self) -> Result<Vec<f32>> {
        self.core.exec.run(2, 1)?;
        self.core.exec.read(&self.built.grid).await
    }
}

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
