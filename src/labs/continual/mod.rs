//! The continual-learning lab: a stream of tasks (Split-, Permuted- and Rotated-Digits, and
//! rotating two moons), one network trained on them in turn, and the accuracy matrix R whose row
//! i holds every task's test accuracy after task i (row 0 before any training), with Avalanche's
//! summaries of it.

pub mod claims;
pub mod methods;
pub mod model;

use super::{choice, float, int, log_float, LabDecl, Optimizer, Preset};
use crate::claims::Claim;
use crate::data::tasks::{self, Scenario, Setting, Stream};
use crate::engine::gpu::GpuContext;
use crate::engine::{EngineError, Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{boxed_group, Core, Lab, LocalFuture, RunGroup, Shown};
use crate::views::{BarView, ChartView, Guide, HeatStyle, HeatmapView, Picture, SeriesView, Views};
use methods::{Hooks, Phase};
use model::{Built, Recipe};
use std::sync::Arc;

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "continual",
        title: "Continual learning",
        summary: "One network learns a stream of tasks: watch naive fine-tuning forget the old \
                  ones, and each remedy hold on to them, or not. Data: the UCI 8×8 digits \
                  (Alpaydin & Kaynak, CC BY 4.0).",
        settings: vec![
            choice("scenario", "Scenario", Scenario::SplitClass, "split-class: one head, classes arrive two at a time; split-task: a head per task; permuted / rotated: the same ten digits with shuffled or turned pixels; random-labels: 256 digits given new random labels each task, to memorise (a test of plasticity); moons: 2-D data turning each task."),
            int("tasks", "Tasks", 1, 20, 5, "", "Tasks in the stream (Split-Digits: at most 5)."),
            int("steps", "Steps per task", 1, 5000, 300, "", "Training steps on each task."),
            int("width", "Width", 8, 512, 128, "", "Units per hidden layer."),
            int("depth", "Depth", 1, 4, 2, "", "Hidden layers."),
            choice("optimizer", "Optimizer", Optimizer::Adam, "How the weights move (UPGD is its own optimizer)."),
            log_float("lr", "Learning rate", 1e-4, 1.0, 0.001, "Step size."),
            int("batch", "Batch size", 1, 256, 32, "", "Examples per step (replay adds as many from its buffer)."),
            float("rotation", "Rotation per task", 0.0, 90.0, 30.0, "°", "How much further each task turns (rotated digits, moons)."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["naive", "replay", "ewc"],
        metrics: vec![
            "acc_matrix",
            "avg_acc",
            "bwt",
            "forgetting",
            "fwt",
            "learn_acc",
            "loss",
            "task_acc/<j>",
        ],
        presets: vec![
            Preset { id: "forget", title: "Watch naive forget (and joint not)", query: "methods=naive,joint" },
            Preset {
                id: "class-il",
                title: "Replay vs EWC on class-incremental digits",
                query: "methods=naive,ewc,lwf,replay",
            },
            Preset {
                id: "permuted",
                title: "Permuted digits: EWC and replay vs naive",
                query: "scenario=permuted&methods=naive,ewc,replay&ewc.lambda=10000",
            },
            Preset {
                id: "plasticity",
                title: "Plasticity over 20 permutations",
                query: "scenario=permuted&tasks=20&steps=800&width=32&lr=0.01&methods=naive,spectral",
            },
            Preset {
                id: "random-labels",
                title: "Memorise random labels 20 times: naive stops learning",
                query: "scenario=random-labels&tasks=20&steps=800&width=64&lr=0.003&methods=naive,spectral",
            },
            Preset {
                id: "moons",
                title: "Turning moons: boundaries after each task",
                query: "scenario=moons&tasks=4&rotation=45&width=32&lr=0.1&methods=naive,replay",
            },
        ],
        smoke: &["tasks=3&steps=10&width=8"],
        runs: crate::experiment::DEFAULT_RUNS,
    }
}

fn invalid(detail: String) -> EngineError {
    EngineError::Invalid {
        op: "continual",
        detail,
    }
}

/// The continual-learning lab in the registry.
pub struct Continual;

impl Lab for Continual {
    fn declaration(&self) -> LabDecl {
        declaration()
    }
    fn total_steps(&self, exp: &Experiment) -> u32 {
        Recipe::from_settings(exp).total_steps()
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
        views(&Shown::of(&declaration(), groups, exp.seed), exp)
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
        Box::pin(Group::train(self, steps))
    }
    fn observe(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(Group::observe(self))
    }
    fn observe_every(&self, _total: u32) -> u32 {
        Group::observe_every(self)
    }
}

/// When a method's hook runs.
#[derive(Clone, Copy)]
enum Moment {
    Start,
    BeginTask,
    EndTask,
    Scored,
}

/// One method's run group over the whole stream.
pub struct Group {
    pub core: Core,
    pub recipe: Recipe,
    pub stream: Stream,
    pub built: Built,
    /// The task now training (= tasks when the stream is done).
    pub task: usize,
    /// Rows of the accuracy matrix so far, each [R × T] (run-major).
    pub rows: Vec<Vec<f32>>,
    /// The 2-D scenario: run 0's boundary after each task.
    pub boundaries: Vec<Vec<f32>>,
    /// What the method does between tasks (and added to the step).
    hooks: Box<dyn Hooks>,
    seed: u32,
    runs: usize,
}

impl Group {
    /// Method `method`'s group under every run of `exp`, on the GPU when a context is given.
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = Recipe::from_settings(exp);
        let mut hooks = methods::make(method, exp)?;
        let stream = tasks::build(
            recipe.scenario,
            recipe.tasks,
            recipe.rotation,
            exp.data_seed(),
        )
        .map_err(invalid)?;
        hooks.check(&stream).map_err(invalid)?;
        let runs = exp.runs as usize;
        let built = model::build(&recipe, &stream, runs, exp.seed, &mut *hooks)?;
        let exec = Exec::new(&built.program, gpu).await?;
        let mut group = Group {
            core: Core::new(method, exec, runs),
            recipe,
            stream,
            built,
            task: 0,
            rows: Vec::new(),
            boundaries: Vec::new(),
            hooks,
            seed: exp.seed,
            runs,
        };
        group.hook(Moment::Start).await?;
        let before = group.evaluate().await?;
        group.rows.push(before);
        Ok(group)
    }

    /// Runs one of the method's hooks at the current task.
    async fn hook(&mut self, moment: Moment) -> Result<()> {
        let mut at = Phase {
            exec: &mut self.core.exec,
            built: &self.built,
            stream: &self.stream,
            task: self.task,
            seed: self.seed,
            runs: self.runs,
        };
        let hooks = &mut *self.hooks;
        match moment {
            Moment::Start => hooks.start(&mut at).await,
            Moment::BeginTask => hooks.begin_task(&mut at).await,
            Moment::EndTask => hooks.end_task(&mut at).await,
            Moment::Scored => hooks.scored(&mut at).await,
        }
    }

    fn tasks(&self) -> usize {
        self.stream.tasks.len()
    }

    /// Every task's test accuracy now, [R × T].
    async fn evaluate(&mut self) -> Result<Vec<f32>> {
        self.core.exec.run(self.built.entries.eval, 1)?;
        self.core.exec.read(&self.built.accuracy).await
    }

    /// Trains `steps` steps, crossing into the next task (and its bookkeeping) when one ends.
    pub async fn train(&mut self, steps: u32) -> Result<()> {
        let mut left = steps;
        let spt = self.recipe.steps_per_task.max(1);
        while left > 0 && self.task < self.tasks() {
            let end = (self.task as u32 + 1) * spt;
            let n = left.min(end - self.core.step);
            self.core.exec.run(self.built.entries.train, n)?;
            self.core.step += n;
            left -= n;
            if self.core.step == end {
                self.end_task().await?;
            }
        }
        Ok(())
    }

    /// Records every task's accuracy and the training loss at the current step (a NaN loss
    /// marks its run diverged).
    pub async fn observe(&mut self) -> Result<()> {
        let windows = self.core.exec.metrics(self.built.entries.train).await?;
        if let Some(w) = windows.last() {
            self.core
                .history
                .record("loss", self.core.step as u64, &w.values[0]);
        }
        // A task's end already recorded this step.
        let recorded = self
            .core
            .history
            .runs
            .iter()
            .filter_map(|r| r.get("task_acc/0").and_then(|v| v.last()))
            .any(|&(step, _)| step == self.core.step as u64);
        if !recorded {
            let acc = self.evaluate().await?;
            self.record(&acc);
        }
        Ok(())
    }

    fn record(&mut self, acc: &[f32]) {
        let t = self.tasks();
        for j in 0..t {
            let values: Vec<f32> = (0..self.runs).map(|r| acc[r * t + j]).collect();
            self.core
                .history
                .record(&format!("task_acc/{j}"), self.core.step as u64, &values);
        }
    }

    /// The end of task `self.task`: the method's bookkeeping, a row of R, the next task's setup.
    async fn end_task(&mut self) -> Result<()> {
        self.hook(Moment::EndTask).await?;
        self.capture_boundary().await?;
        let acc = self.evaluate().await?;
        self.hook(Moment::Scored).await?;
        self.record(&acc);
        self.rows.push(acc);
        self.task += 1;
        if self.task < self.tasks() {
            self.begin_task().await?;
        } else {
            self.summarise();
        }
        Ok(())
    }

    async fn capture_boundary(&mut self) -> Result<()> {
        if let (Some(entry), Some(grid)) = (self.built.entries.grid, self.built.grid.clone()) {
            self.core.exec.run(entry, 1)?;
            let all = self.core.exec.read(&grid).await?;
            self.boundaries
                .push(all[..model::GRID * model::GRID].to_vec());
        }
        Ok(())
    }

    /// Points the sampler, the heads and the method at task `self.task`.
    async fn begin_task(&mut self) -> Result<()> {
        let t = self.task;
        let offsets = self.stream.offsets();
        let counts: Vec<usize> = self.stream.tasks.iter().map(|k| k.train.n).collect();
        let range = self.hooks.range(&offsets, &counts, t);
        self.core.exec.write(&self.built.range, &range)?;
        if self.stream.setting == Setting::ClassIncremental {
            let mut mask = vec![0.0; self.stream.outputs];
            for k in self.stream.train_classes(t) {
                mask[k] = 1.0;
            }
            self.core.exec.write(&self.built.train_mask, &mask)?;
            self.core.exec.write(&self.built.eval_mask, &mask)?;
        }
        self.hook(Moment::BeginTask).await
    }

    /// The summaries of R, per run, once the stream is done.
    fn summarise(&mut self) {
        let (t, runs) = (self.tasks(), self.runs);
        let per_run: Vec<Vec<Vec<f32>>> = (0..runs)
            .map(|r| {
                self.rows
                    .iter()
                    .map(|row| row[r * t..(r + 1) * t].to_vec())
                    .collect()
            })
            .collect();
        for (name, f) in [
            ("avg_acc", summary::avg_acc as fn(&[Vec<f32>]) -> f32),
            ("bwt", summary::bwt),
            ("forgetting", summary::forgetting),
            ("fwt", summary::fwt),
            ("learn_acc", summary::learn_acc),
        ] {
            let values: Vec<f32> = per_run.iter().map(|m| f(m)).collect();
            self.core.history.set_final(name, &values);
        }
        for (r, m) in per_run.into_iter().enumerate() {
            if self.core.history.diverged_at[r].is_none() {
                self.core.history.matrices[r].insert("acc_matrix".into(), m);
            }
        }
    }

    pub fn observe_every(&self) -> u32 {
        (self.recipe.steps_per_task / 5).max(1)
    }
}

/// Avalanche's summaries of an accuracy matrix R with rows 0 (before training) … T.
pub mod summary {
    fn last(r: &[Vec<f32>]) -> &[f32] {
        r.last().map_or(&[], |v| v)
    }
    /// ACC = mean_j R[T][j].
    pub fn avg_acc(r: &[Vec<f32>]) -> f32 {
        let l = last(r);
        l.iter().sum::<f32>() / l.len().max(1) as f32
    }
    /// BWT = mean_{j<T} (R[T][j] − R[j][j]), tasks 1-based (row j is after task j).
    pub fn bwt(r: &[Vec<f32>]) -> f32 {
        let t = last(r).len();
        mean((0..t.saturating_sub(1)).map(|j| last(r)[j] - r[j + 1][j]))
    }
    /// Forgetting = mean_{j<T} (max_{1≤i<T} R[i][j] − R[T][j]).
    pub fn forgetting(r: &[Vec<f32>]) -> f32 {
        let t = last(r).len();
        mean((0..t.saturating_sub(1)).map(|j| {
            let best = (j + 1..t)
                .map(|i| r[i][j])
                .fold(f32::NEG_INFINITY, f32::max);
            best - last(r)[j]
        }))
    }
    /// FWT = mean_{j>1} (R[j−1][j] − R[0][j]).
    pub fn fwt(r: &[Vec<f32>]) -> f32 {
        let t = last(r).len();
        mean((1..t).map(|j| r[j][j] - r[0][j]))
    }
    /// Learning accuracy (Riemer et al. 2019) = mean_j R[j][j]: each task right after training
    /// on it, the plasticity figure.
    pub fn learn_acc(r: &[Vec<f32>]) -> f32 {
        let t = last(r).len();
        mean((0..t).map(|j| r[j + 1][j]))
    }
    fn mean(values: impl Iterator<Item = f32>) -> f32 {
        let v: Vec<f32> = values.collect();
        if v.is_empty() {
            f32::NAN
        } else {
            v.iter().sum::<f32>() / v.len() as f32
        }
    }
}

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
