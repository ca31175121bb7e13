//! The continual-learning lab: a stream of tasks (Split-, Permuted- and Rotated-Digits, and
//! rotating two moons), one network trained on them in turn, and the accuracy matrix R whose row
//! i holds every task's test accuracy after task i (row 0 before any training), with Avalanche's
//! summaries of it.

pub mod methods;
pub mod model;
pub mod scenario;

use super::{choice, float, int, log_float, LabDecl, MethodDecl, Paper, Preset};
use crate::engine::gpu::GpuContext;
use crate::engine::{EngineError, Exec, Result};
use crate::experiment::Experiment;
use crate::runner::{
    mean_sd, BarView, ChartView, Guide, HeatmapView, History, SeriesView, TableView, Views,
};
use methods::{Method, State};
use model::{Built, Recipe};
use scenario::{Setting, Stream};
use std::sync::Arc;

pub const SCENARIOS: &[&str] = &[
    "split-class",
    "split-task",
    "permuted",
    "rotated",
    "random-labels",
    "moons",
];

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "continual",
        title: "Continual learning",
        summary: "One network learns a stream of tasks: watch naive fine-tuning forget the old \
                  ones, and each remedy hold on to them, or not. Data: the UCI 8×8 digits \
                  (Alpaydin & Kaynak, CC BY 4.0).",
        settings: vec![
            choice("scenario", "Scenario", SCENARIOS, "split-class", "split-class: one head, classes arrive two at a time; split-task: a head per task; permuted / rotated: the same ten digits with shuffled or turned pixels; random-labels: 256 digits given new random labels each task, to memorise (a test of plasticity); moons: 2-D data turning each task."),
            int("tasks", "Tasks", 1, 20, 5, "", "Tasks in the stream (Split-Digits: at most 5)."),
            int("steps", "Steps per task", 1, 5000, 300, "", "Training steps on each task."),
            int("width", "Width", 8, 512, 128, "", "Units per hidden layer."),
            int("depth", "Depth", 1, 4, 2, "", "Hidden layers."),
            choice("optimizer", "Optimizer", &["sgd", "adam"], "adam", "How the weights move (UPGD is its own optimizer)."),
            log_float("lr", "Learning rate", 1e-4, 1.0, 0.001, "Step size."),
            int("batch", "Batch size", 1, 256, 32, "", "Examples per step (replay adds as many from its buffer)."),
            float("rotation", "Rotation per task", 0.0, 90.0, 30.0, "°", "How much further each task turns (rotated digits, moons)."),
        ],
        methods: vec![
            MethodDecl {
                id: "naive",
                title: "Naive fine-tuning",
                paper: None,
                explain: "Each task in turn, nothing kept: the old tasks' curves fall as each new task trains.",
                knobs: vec![],
            },
            MethodDecl {
                id: "joint",
                title: "Joint training (upper bound)",
                paper: None,
                explain: "Trains on every task so far at once; keeps all the data, so it is the bar the others aim at.",
                knobs: vec![],
            },
            MethodDecl {
                id: "ewc",
                title: "EWC",
                paper: Some(Paper { title: "Overcoming catastrophic forgetting in neural networks", url: "https://arxiv.org/abs/1612.00796" }),
                explain: "A quadratic pull toward each old task's weights, weighted by the diagonal Fisher: strong on \
                          permuted digits, weak when classes arrive one head at a time.",
                knobs: vec![log_float("lambda", "λ", 1.0, 1e6, 1000.0, "Strength of the pull.")],
            },
            MethodDecl {
                id: "online_ewc",
                title: "Online EWC",
                paper: Some(Paper { title: "Progress & Compress: A scalable framework for continual learning", url: "https://arxiv.org/abs/1805.06370" }),
                explain: "One running Fisher that decays by γ, anchored at the latest weights.",
                knobs: vec![
                    log_float("lambda", "λ", 1.0, 1e6, 1000.0, "Strength of the pull."),
                    float("gamma", "γ", 0.0, 1.0, 0.9, "", "Decay of the running Fisher."),
                ],
            },
            MethodDecl {
                id: "lwf",
                title: "Learning without Forgetting",
                paper: Some(Paper { title: "Learning without Forgetting", url: "https://arxiv.org/abs/1606.09282" }),
                explain: "Distils the previous model's outputs on the new data: no stored data, and little help \
                          when the new data says nothing about the old classes.",
                knobs: vec![
                    float("temperature", "Temperature T", 0.5, 10.0, 2.0, "", "Softens both distributions."),
                    float("alpha", "α", 0.0, 10.0, 1.0, "", "Weight of the distillation term."),
                ],
            },
            MethodDecl {
                id: "replay",
                title: "Experience replay",
                paper: Some(Paper { title: "On Tiny Episodic Memories in Continual Learning", url: "https://arxiv.org/abs/1902.10486" }),
                explain: "Keeps a reservoir sample of past examples and trains on them alongside the new task: \
                          the strongest simple remedy, above all class-incrementally.",
                knobs: vec![int("buffer", "Buffer M", 10, 20_000, 200, "", "Examples kept.")],
            },
            MethodDecl {
                id: "magmax",
                title: "MagMax",
                paper: Some(Paper { title: "MagMax: Leveraging Model Merging for Seamless Continual Learning", url: "https://arxiv.org/abs/2407.06322" }),
                explain: "Fine-tunes in sequence, then evaluates the merge that keeps, per weight, the largest \
                          change any task made.",
                knobs: vec![float("lambda", "λ", 0.0, 2.0, 0.5, "", "Scale of the merged task vector.")],
            },
            MethodDecl {
                id: "spectral",
                title: "Spectral regularisation",
                paper: Some(Paper { title: "Learning Continually by Spectral Regularization", url: "https://arxiv.org/abs/2406.06811" }),
                explain: "Keeps each layer's largest singular value near one: a network that stays trainable \
                          over long streams. Watch the diagonal of R (each task right after training on it): \
                          naive's falls over 20 permutations or random-label tasks, spectral's stays up.",
                knobs: vec![log_float("lambda", "λ", 1e-6, 1.0, 1e-3, "Weight of Σ (σ_max² − 1)² + ‖b‖⁴.")],
            },
            MethodDecl {
                id: "upgd",
                title: "UPGD",
                paper: Some(Paper { title: "Addressing Loss of Plasticity and Catastrophic Forgetting in Continual Learning", url: "https://arxiv.org/abs/2404.00781" }),
                explain: "An optimizer: useful weights (by a utility trace) barely move, the rest take the step \
                          plus noise. Less forgetting than SGD, without stored data.",
                knobs: vec![
                    log_float("lr", "Step size α", 1e-4, 1.0, 0.01, "UPGD's own step size."),
                    log_float("sigma", "Noise σ", 1e-4, 1.0, 0.01, "Standard deviation of the perturbation."),
                    float("beta", "Utility trace β", 0.0, 0.9999, 0.999, "", "Decay of the utility's running average."),
                    float("decay", "Weight decay", 0.0, 0.1, 0.001, "", "θ shrinks by α·decay each step."),
                ],
            },
            MethodDecl {
                id: "center",
                title: "Center-loss regularisation",
                paper: Some(Paper { title: "Center Loss Regularization for Continual Learning", url: "https://arxiv.org/abs/2110.11314" }),
                explain: "Pulls new tasks' features to the frozen centres of their classes: the old boundaries \
                          keep working when the classes repeat (permuted, rotated).",
                knobs: vec![log_float("lambda", "λ", 1e-4, 10.0, 0.01, "Weight of the centre loss.")],
            },
        ],
        default_methods: vec!["naive", "replay", "ewc"],
        metrics: vec![
            "acc_matrix",
            "avg_acc",
            "bwt",
            "forgetting",
            "fwt",
            "learn_acc",
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
    }
}

/// The method a declaration id stands for, with its knobs.
pub fn method(id: &str, exp: &Experiment, lab: &LabDecl) -> Method {
    let knob = |k: &str, default: f64| exp.knob(lab, id, k).map_or(default, |v| v.as_f64());
    match id {
        "joint" => Method::Joint,
        "ewc" => Method::Ewc {
            lambda: knob("lambda", 1000.0) as f32,
            online: None,
        },
        "online_ewc" => Method::Ewc {
            lambda: knob("lambda", 1000.0) as f32,
            online: Some(knob("gamma", 0.9) as f32),
        },
        "lwf" => Method::Lwf {
            temperature: knob("temperature", 2.0) as f32,
            alpha: knob("alpha", 1.0) as f32,
        },
        "replay" => Method::Replay {
            buffer: knob("buffer", 200.0) as usize,
        },
        "magmax" => Method::MagMax {
            lambda: knob("lambda", 0.5) as f32,
        },
        "spectral" => Method::Spectral {
            lambda: knob("lambda", 1e-3) as f32,
        },
        "upgd" => Method::Upgd {
            lr: knob("lr", 0.01) as f32,
            sigma: knob("sigma", 0.01) as f32,
            beta: knob("beta", 0.999) as f32,
            decay: knob("decay", 0.001) as f32,
        },
        "center" => Method::Center {
            lambda: knob("lambda", 0.01) as f32,
        },
        _ => Method::Naive,
    }
}

fn invalid(detail: String) -> EngineError {
    EngineError::Invalid {
        op: "continual",
        detail,
    }
}

/// A 64-bit mix (splitmix64's finaliser), for the host's seeded choices.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One method's run group over the whole stream.
pub struct Group {
    pub method: String,
    pub recipe: Recipe,
    pub stream: Stream,
    pub built: Built,
    pub exec: Exec,
    pub history: History,
    pub step: u32,
    /// The task now training (= tasks when the stream is done).
    pub task: usize,
    /// Rows of the accuracy matrix so far, each [R × T] (run-major).
    pub rows: Vec<Vec<f32>>,
    /// The 2-D scenario: run 0's boundary after each task.
    pub boundaries: Vec<Vec<f32>>,
    seed: u32,
    runs: usize,
    /// MagMax: the starting weights and the running merged task vector, per parameter.
    theta0: Vec<Vec<f32>>,
    merged: Vec<Vec<f32>>,
    /// Replay: each run's buffer and offers seen.
    buffers: Vec<Vec<f32>>,
    seen: Vec<u64>,
}

impl Group {
    pub async fn new(
        exp: &Experiment,
        lab: &LabDecl,
        method_id: &str,
        gpu: Option<&GpuContext>,
    ) -> Result<Group> {
        let mut recipe = Recipe::from_settings(exp);
        recipe.method = method(method_id, exp, lab);
        let stream = scenario::build(&recipe.scenario, recipe.tasks, recipe.rotation, exp.seed)
            .map_err(invalid)?;
        if let Method::Replay { buffer } = recipe.method {
            let total = stream.train_total();
            if buffer > total {
                return Err(invalid(format!(
                    "replay.buffer = {buffer} is more than the {total} training examples of the \
                     whole stream: keep it at most {total}"
                )));
            }
        }
        let runs = exp.runs as usize;
        let built = model::build(&recipe, &stream, runs, exp.seed)?;
        let mut exec = Exec::new(&built.program, gpu).await?;
        let mut theta0 = Vec::new();
        if matches!(recipe.method, Method::MagMax { .. }) {
            for p in &built.params {
                theta0.push(exec.read(p).await?);
            }
        }
        let merged = theta0.iter().map(|t| vec![0.0; t.len()]).collect();
        let mut group = Group {
            method: method_id.to_string(),
            recipe,
            stream,
            built,
            exec,
            history: History::new(runs),
            step: 0,
            task: 0,
            rows: Vec::new(),
            boundaries: Vec::new(),
            seed: exp.seed,
            runs,
            theta0,
            merged,
            buffers: vec![Vec::new(); runs],
            seen: vec![0; runs],
        };
        let before = group.evaluate().await?;
        group.rows.push(before);
        Ok(group)
    }

    fn tasks(&self) -> usize {
        self.stream.tasks.len()
    }

    /// Every task's test accuracy now, [R × T].
    async fn evaluate(&mut self) -> Result<Vec<f32>> {
        self.exec.run(self.built.entries.eval, 1)?;
        self.exec.read(&self.built.accuracy).await
    }

    /// Trains `steps` steps, crossing into the next task (and its bookkeeping) when one ends.
    pub async fn train(&mut self, steps: u32) -> Result<()> {
        let mut left = steps;
        let spt = self.recipe.steps_per_task.max(1);
        while left > 0 && self.task < self.tasks() {
            let end = (self.task as u32 + 1) * spt;
            let n = left.min(end - self.step);
            self.exec.run(self.built.entries.train, n)?;
            self.step += n;
            left -= n;
            if self.step == end {
                self.end_task().await?;
            }
        }
        Ok(())
    }

    /// Records every task's accuracy and the training loss at the current step (a NaN loss
    /// marks its run diverged).
    pub async fn observe(&mut self) -> Result<()> {
        let windows = self.exec.metrics(self.built.entries.train).await?;
        if let Some(w) = windows.last() {
            self.history.record("loss", self.step as u64, &w.values[0]);
        }
        // A task's end already recorded this step.
        let recorded = self
            .history
            .runs
            .iter()
            .filter_map(|r| r.get("task_acc/0").and_then(|v| v.last()))
            .any(|&(step, _)| step == self.step as u64);
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
            self.history
                .record(&format!("task_acc/{j}"), self.step as u64, &values);
        }
    }

    /// The end of task `self.task`: the methods' consolidation, a row of R, the next task's setup.
    async fn end_task(&mut self) -> Result<()> {
        let t = self.task;
        match (&self.recipe.method, &self.built.state) {
            (Method::Ewc { online, .. }, State::Ewc(s)) => {
                let online = *online;
                let fisher_entry = self
                    .built
                    .entries
                    .fisher
                    .ok_or_else(|| invalid("EWC without its Fisher pass".into()))?;
                for f in &s.fisher {
                    self.exec.write(f, &vec![0.0; f.shape().numel()])?;
                }
                self.exec.run(fisher_entry, methods::ewc::FISHER_SAMPLES)?;
                let (a_t, b_t, f_t) = (s.a.clone(), s.b.clone(), s.fisher.clone());
                for (i, p) in self.built.params.clone().iter().enumerate() {
                    let theta = self.exec.read(p).await?;
                    let a = self.exec.read(&a_t[i]).await?;
                    let b = self.exec.read(&b_t[i]).await?;
                    let f: Vec<f32> = self
                        .exec
                        .read(&f_t[i])
                        .await?
                        .iter()
                        .map(|v| v / methods::ewc::FISHER_SAMPLES as f32)
                        .collect();
                    let (a, b) = methods::ewc::consolidate(&a, &b, &f, &theta, online);
                    self.exec.write(&a_t[i], &a)?;
                    self.exec.write(&b_t[i], &b)?;
                }
            }
            (Method::Replay { buffer }, State::Replay(s)) => {
                let m = *buffer;
                let offset = self.stream.offsets()[t];
                let n = self.stream.tasks[t].train.n;
                let mut data = Vec::with_capacity(self.runs * m);
                for r in 0..self.runs {
                    // This task's examples in a seeded random order, as a stream would bring them.
                    let key = |i: usize| {
                        mix(((self.seed as u64) << 32)
                            ^ ((r as u64) << 20)
                            ^ (t as u64)
                            ^ ((i as u64) << 40))
                    };
                    let mut order: Vec<usize> = (0..n).collect();
                    order.sort_by_key(|&i| key(i));
                    let salt = mix(self.seed as u64 ^ 0xC0FFEE ^ ((r as u64) << 8));
                    let mut rng = |seen: u64| mix(salt ^ seen) % seen;
                    self.seen[r] = methods::replay::offer(
                        &mut self.buffers[r],
                        m,
                        self.seen[r],
                        order.into_iter().map(|i| offset + i),
                        &mut rng,
                    );
                    let mut row = self.buffers[r].clone();
                    row.resize(m, 0.0);
                    data.extend(row);
                }
                let fill = self.buffers[0].len() as f32;
                self.exec.write(&s.buffer, &data)?;
                self.exec.write(&s.fill, &[fill])?;
            }
            _ => {}
        }
        let acc = if let Method::MagMax { lambda } = self.recipe.method {
            // Evaluate the merge, then go on fine-tuning from this task's weights.
            let params = self.built.params.clone();
            let mut current = Vec::new();
            for (i, p) in params.iter().enumerate() {
                let theta = self.exec.read(p).await?;
                let tau: Vec<f32> = theta
                    .iter()
                    .zip(&self.theta0[i])
                    .map(|(a, b)| a - b)
                    .collect();
                methods::magmax::fold(&mut self.merged[i], &tau);
                let merged: Vec<f32> = self.theta0[i]
                    .iter()
                    .zip(&self.merged[i])
                    .map(|(a, b)| a + lambda * b)
                    .collect();
                self.exec.write(p, &merged)?;
                current.push(theta);
            }
            let acc = self.evaluate().await?;
            self.capture_boundary().await?;
            for (p, theta) in params.iter().zip(&current) {
                self.exec.write(p, theta)?;
            }
            acc
        } else {
            self.capture_boundary().await?;
            self.evaluate().await?
        };
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
            self.exec.run(entry, 1)?;
            let all = self.exec.read(&grid).await?;
            self.boundaries
                .push(all[..model::GRID * model::GRID].to_vec());
        }
        Ok(())
    }

    /// Points the sampler, the heads and the methods at task `self.task`.
    async fn begin_task(&mut self) -> Result<()> {
        let t = self.task;
        let offsets = self.stream.offsets();
        let counts: Vec<usize> = self.stream.tasks.iter().map(|k| k.train.n).collect();
        let range = if self.recipe.method == Method::Joint {
            methods::joint::range(&offsets, &counts, t)
        } else {
            [offsets[t] as f32, counts[t] as f32]
        };
        self.exec.write(&self.built.range, &range)?;
        let c = self.stream.outputs;
        if self.stream.setting == Setting::ClassIncremental {
            let mut mask = vec![0.0; c];
            for k in self.stream.train_classes(t) {
                mask[k] = 1.0;
            }
            self.exec.write(&self.built.train_mask, &mask)?;
            self.exec.write(&self.built.eval_mask, &mask)?;
        }
        if let State::Center(s) = &self.built.state {
            // Centres of classes met for the first time learn; the rest stay frozen.
            let mut learnable = vec![0.0; c];
            let earlier: Vec<usize> = self.stream.tasks[..t]
                .iter()
                .flat_map(|k| k.classes.iter().copied())
                .collect();
            for &k in &self.stream.tasks[t].classes {
                if !earlier.contains(&k) {
                    learnable[k] = 1.0;
                }
            }
            self.exec.write(&s.learnable, &learnable)?;
        }
        if let State::Lwf(s) = &self.built.state {
            let (old, old_mask, on) = (s.old.clone(), s.old_mask.clone(), s.on.clone());
            for (p, o) in self.built.params.clone().iter().zip(&old) {
                let theta = self.exec.read(p).await?;
                self.exec.write(o, &theta)?;
            }
            let mut mask = vec![0.0; c];
            for task in &self.stream.tasks[..t] {
                for &k in &task.classes {
                    mask[k] = 1.0;
                }
            }
            self.exec.write(&old_mask, &mask)?;
            self.exec.write(&on, &[1.0])?;
        }
        Ok(())
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
            self.history.set_final(name, &values);
        }
        for (r, m) in per_run.into_iter().enumerate() {
            if self.history.diverged_at[r].is_none() {
                self.history.matrices[r].insert("acc_matrix".into(), m);
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
pub fn views(groups: &[&Group], colours: &[usize], exp: &Experiment) -> Views {
    let _ = colours;
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
            metric: format!("task_acc:{}", g.method),
            title: format!("{}: accuracy on each task", g.method),
            series: (0..t)
                .map(|j| SeriesView {
                    method: format!("task {}", j + 1),
                    colour: j,
                    band: g.history.band(&format!("task_acc/{j}")),
                })
                .collect(),
            guides: boundaries,
            range: Some((0.0, 1.0)),
            wide: true,
            x_label: "step".into(),
        });
        if g.rows.len() > 1 {
            let values: Vec<f32> = g.rows.iter().flat_map(|row| row[..t].to_vec()).collect();
            heatmaps.push(HeatmapView {
                method: format!("{}: R (row i: after task i)", g.method),
                cols: t,
                cell: (180 / t).clamp(12, 40),
                values,
                extent: 0.0,
                points: Arc::new(Vec::new()),
                annotate: t <= 10,
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
                method: format!("{} after task {}", g.method, k + 1),
                cols: model::GRID,
                cell: 2,
                values: grid.clone(),
                extent: g.stream.extent.unwrap_or(3.0),
                points: Arc::new(points),
                annotate: false,
                line: None,
            });
        }
    }
    let summary = |g: &Group, name: &str| -> String {
        let values: Vec<f32> = g
            .history
            .finals
            .iter()
            .filter_map(|f| f.get(name).copied())
            .collect();
        mean_sd(&values)
    };
    let table = TableView {
        columns: [
            ("avg-acc", "ACC"),
            ("bwt", "BWT"),
            ("forgetting", "forgetting"),
            ("fwt", "FWT"),
            ("learn-acc", "learning acc."),
            ("run-status", "runs"),
        ]
        .iter()
        .map(|(c, h)| (c.to_string(), h.to_string()))
        .collect(),
        rows: groups
            .iter()
            .map(|g| {
                (
                    g.method.clone(),
                    vec![
                        summary(g, "avg_acc"),
                        summary(g, "bwt"),
                        summary(g, "forgetting"),
                        summary(g, "fwt"),
                        summary(g, "learn_acc"),
                        g.history.status(exp.seed),
                    ],
                )
            })
            .collect(),
    };
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
                let values = |name: &str| -> Vec<f32> {
                    g.history
                        .finals
                        .iter()
                        .filter_map(|f| f.get(name).copied())
                        .collect()
                };
                (
                    g.method.clone(),
                    ["avg_acc", "bwt", "forgetting"]
                        .iter()
                        .map(|n| BarView::spread(&values(n)))
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
