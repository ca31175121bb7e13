//! The few-shot and meta-learning lab: MAML through second-order gradients, first-order MAML,
//! Reptile and a jointly pretrained model on Finn et al.'s sinusoid regression. What each
//! initialisation is worth is measured by adapting it to held-out tasks from K shots.

use super::{choice, int, log_float, LabDecl, Preset};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "meta",
        title: "Meta-learning",
        summary: "Each task is a sine wave with its own amplitude and phase, seen through K \
                  points. MAML learns weights from which one gradient step on K points fits a \
                  new wave; a model pretrained on all waves at once learns their average, a flat \
                  line, and barely adapts. Compare them on held-out waves after 0, 1 and 10 \
                  steps. The digits scenario asks the few-shot question: learn on the digits \
                  0–4, then tell 5–9 apart from K examples each. Is meta-learning needed, or \
                  is a good embedding all you need?",
        settings: vec![
            choice("scenario", "Tasks", model::Scenario::Sinusoid, "Sine waves (Finn et al.), or 5-way K-shot episodes of digits: base classes 0–4 for training, novel 5–9 for testing."),
            int("shots", "Shots K", 1, 20, 10, "", "Points of a task (or images per class of an episode) seen before predicting the rest: K = 5 or 10 for waves, 1 or 5 for digits."),
            int("meta_batch", "Tasks per meta-step", 1, 50, 25, "", "Fresh tasks drawn on the device at every step."),
            int("hidden", "Hidden units", 4, 80, 40, "", "Units in each of the two ReLU layers."),
            log_float("inner_lr", "Inner learning rate α", 1e-3, 0.1, 0.01, "SGD's step size when adapting to a task, in training and at evaluation."),
            log_float("meta_lr", "Meta learning rate", 1e-4, 1e-2, 1e-3, "Adam's step size for the meta-update."),
            int("eval_tasks", "Held-out tasks", 1, 500, 100, "", "Sine waves the initialisations are adapted to and scored on (the same for every seed and method)."),
            int("episodes", "Novel episodes", 1, 2000, 600, "", "Digits: 5-way episodes of the novel classes, 15 queries a class, the final accuracy is averaged over (the same for every seed and method; the first 100 while training)."),
            int("steps", "Meta-steps", 1, 100_000, 5000, "", "Meta-updates per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["maml", "pretrained"],
        metrics: vec![
            "mse_after/<k>",
            "mse_zero",
            "meta_loss",
            "fewshot_acc",
            "fewshot_ci",
        ],
        presets: vec![
            Preset { id: "maml", title: "MAML against a pretrained model (Finn et al., Figure 2)", query: "" },
            Preset { id: "first-order", title: "Second order or not: MAML, FOMAML, Reptile", query: "methods=maml,fomaml,reptile" },
            Preset { id: "five-shot", title: "Five shots", query: "shots=5&methods=maml,fomaml,pretrained" },
            Preset { id: "digits", title: "Novel digits from one shot: a good embedding against meta-learning (Tian et al.)", query: DIGITS },
            Preset { id: "digits-transductive", title: "Novel digits: the queries cluster too (transductive soft k-means)", query: "scenario=digits&shots=1&hidden=80&meta_lr=0.001&steps=300&methods=protonet,linear,transductive" },
        ],
        smoke: &[
            "meta_batch=2&hidden=8&eval_tasks=2&steps=10&methods=maml,fomaml,reptile,pretrained",
            "scenario=digits&shots=1&meta_batch=2&hidden=8&episodes=5&steps=2&methods=maml,fomaml,protonet,linear,transductive",
        ],
        runs: crate::experiment::DEFAULT_RUNS,
    }
}

/// The few-shot digits preset: 5-way 1-shot. MAML at meta-batch 4 with an inner step of 0.1
/// (the sine waves' 0.01 barely moves a classifier). 300 steps: longer, every learned
/// embedding transfers worse still (the curves fall from the untrained net's accuracy).
pub const DIGITS: &str = "scenario=digits&shots=1&hidden=80&meta_lr=0.001&inner_lr=0.1&meta_batch=4&steps=300&methods=linear,protonet,maml";

pub mod claims;
pub mod fewshot;
pub mod methods;
pub mod model;

use crate::claims::Claim;
use crate::engine::error::invalid;
use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{boxed_group, Core, Lab, LocalFuture, RunGroup, Shown};
use crate::views::{BandPoint, BarView, ChartView, Guide, HeatmapView, Picture, SeriesView, Views};
use model::{EVAL_STEPS, GRID, X_RANGE};
use std::sync::Arc;

/// Novel episodes scored at the observations before the last (all of them at the last).
pub const PROGRESS_EPISODES: usize = 100;

/// One method's run group.
pub struct Group {
    pub core: Core,
    pub recipe: model::Recipe,
    /// How its few-shot accuracy is read (`methods::Algorithm::reads`).
    pub reads: methods::Reading,
    /// The run's length: the digits' last evaluation is the full one.
    pub total: u32,
    pub scenario: Scenario,
}

/// What a group's scenario builds and keeps.
pub enum Scenario {
    Sinusoid {
        built: model::Built,
        /// Held-out task 0 as run 0 sees it: the true curve on the grid, the shots, and the
        /// predictions before adapting, after 1 step and after EVAL_STEPS.
        picture: Option<TaskPicture>,
    },
    Digits {
        built: fewshot::Built,
        pools: fewshot::Pools,
        episodes: Vec<fewshot::Episode>,
        /// Run 0's novel embeddings projected on their first two principal axes, with each
        /// image's class: (x, y, class, false).
        projection: Arc<Vec<(f32, f32, f32, bool)>>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TaskPicture {
    pub truth: Vec<f32>,
    pub shots: Vec<(f32, f32)>,
    pub predictions: [Vec<f32>; 3],
}

/// The lab in the registry.
pub struct Meta;

impl Lab for Meta {
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
        // Both scenarios' programs put training first.
        self.core.train(model::TRAIN, steps)
    }
    fn observe(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(self.evaluate())
    }
    fn observe_every(&self, total: u32) -> u32 {
        // Scoring digits means hundreds of episodes (MAML adapts to each): ten times a run.
        match self.scenario {
            Scenario::Sinusoid { .. } => (total / 20).max(1),
            Scenario::Digits { .. } => (total / 10).max(1),
        }
    }
}

impl Group {
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = model::Recipe::from_settings(exp);
        let algorithm = methods::algorithm(method, exp)?;
        let runs = exp.runs as usize;
        let (scenario, exec) = match recipe.scenario {
            model::Scenario::Sinusoid => {
                let built = model::build(&recipe, &*algorithm, runs, exp.seed)?;
                let exec = Exec::new(&built.program, gpu).await?;
                (
                    Scenario::Sinusoid {
                        built,
                        picture: None,
                    },
                    exec,
                )
            }
            model::Scenario::Digits => {
                let pools = fewshot::pools().map_err(|e| invalid("meta digits", e))?;
                let built = fewshot::build(&recipe, &*algorithm, &pools, runs, exp.seed)?;
                let exec = Exec::new(&built.program, gpu).await?;
                let episodes = (0..recipe.episodes)
                    .map(|i| fewshot::episode(&pools, i, recipe.shots))
                    .collect();
                let scenario = Scenario::Digits {
                    built,
                    pools,
                    episodes,
                    projection: Arc::new(Vec::new()),
                };
                (scenario, exec)
            }
        };
        Ok(Group {
            core: Core::new(method, exec, runs),
            recipe,
            reads: algorithm.reads(),
            total: exp.read().u32("steps"),
            scenario,
        })
    }

    /// Records the meta-loss of the training steps since the last observation, then scores the
    /// current weights on the scenario's held-out tasks.
    async fn evaluate(&mut self) -> Result<()> {
        let train = match self.scenario {
            Scenario::Sinusoid { .. } => model::TRAIN,
            Scenario::Digits { .. } => fewshot::TRAIN,
        };
        if let Some(w) = self.core.exec.metrics(train).await?.last() {
            self.core.history.record("meta_loss", w.step, &w.values[0]);
        }
        match self.scenario {
            Scenario::Sinusoid { .. } => self.evaluate_sinusoid().await,
            Scenario::Digits { .. } => self.evaluate_digits().await,
        }
    }

    /// The novel-class accuracy over the evaluation episodes, per run, with its 95 % interval
    /// (1.96 standard errors over episodes), and run 0's embedding projected to 2-D. While
    /// training it reads the first PROGRESS_EPISODES episodes (MAML adapts to each); at the end,
    /// all of them.
    async fn evaluate_digits(&mut self) -> Result<()> {
        let step = self.core.step as u64;
        let runs = self.core.history.runs.len();
        let Scenario::Digits {
            built,
            pools,
            episodes,
            projection,
        } = &mut self.scenario
        else {
            return Ok(());
        };
        let shots = self.recipe.shots;
        let episodes = if self.core.step >= self.total {
            &episodes[..]
        } else {
            &episodes[..episodes.len().min(PROGRESS_EPISODES)]
        };
        // Per run, each episode's accuracy.
        let mut accuracy = vec![Vec::with_capacity(episodes.len()); runs];
        self.core.exec.run(fewshot::EMBED, 1)?;
        let embeddings = self.core.exec.read(&built.embeddings).await?;
        let dim = self.recipe.hidden;
        let per_run = pools.novel_class.len() * dim;
        match self.reads {
            methods::Reading::Adapt => {
                for batch in episodes.chunks(fewshot::ADAPT_BATCH) {
                    for (e, episode) in batch.iter().enumerate() {
                        self.core
                            .exec
                            .write(&built.support[e], &fewshot::images(pools, &episode.support))?;
                        self.core
                            .exec
                            .write(&built.query[e], &fewshot::images(pools, &episode.query))?;
                    }
                    self.core.exec.run(fewshot::ADAPT, 1)?;
                    let got = self.core.exec.read(&built.accuracy).await?;
                    for (r, acc) in accuracy.iter_mut().enumerate() {
                        let row = &got[r * fewshot::ADAPT_BATCH..][..batch.len()];
                        acc.extend(row.iter().map(|&a| a as f64));
                    }
                }
            }
            methods::Reading::Rule(rule) => {
                for (r, acc) in accuracy.iter_mut().enumerate() {
                    let mine = &embeddings[r * per_run..(r + 1) * per_run];
                    acc.extend(
                        episodes
                            .iter()
                            .map(|e| fewshot::classify(rule, mine, dim, e, shots)),
                    );
                }
            }
        }
        let (mean, ci): (Vec<f32>, Vec<f32>) = accuracy
            .iter()
            .map(|a| {
                let n = a.len().max(1) as f64;
                let m = a.iter().sum::<f64>() / n;
                let var = a.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
                (m as f32, (1.96 * (var / n).sqrt()) as f32)
            })
            .unzip();
        self.core.history.record("fewshot_acc", step, &mean);
        self.core.history.record("fewshot_ci", step, &ci);
        *projection = Arc::new(fewshot::project(
            &embeddings[..per_run],
            dim,
            &pools.novel_class,
        ));
        Ok(())
    }

    /// Adapts the current weights to every held-out task and records the mean query MSE after
    /// 0, 1 and EVAL_STEPS steps (and every step in between as a final), and the zero
    /// predictor's MSE on the same tasks.
    async fn evaluate_sinusoid(&mut self) -> Result<()> {
        let step = self.core.step as u64;
        let Scenario::Sinusoid { built, picture } = &mut self.scenario else {
            return Ok(());
        };
        let runs = self.core.history.runs.len();
        let tasks = self.recipe.eval_tasks;
        let grid = model::grid();
        let mut sums = vec![0.0f64; runs * (EVAL_STEPS + 1)];
        let mut zero = 0.0f64;
        for i in 0..tasks {
            let (amp, phase, xs) = model::held_out(i, self.recipe.shots);
            let wave =
                |x: &[f32]| -> Vec<f32> { x.iter().map(|&v| amp * (v + phase).sin()).collect() };
            let (ys, yq) = (wave(&xs), wave(&grid));
            zero += yq.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / GRID as f64;
            self.core.exec.write(&built.support_x, &xs)?;
            self.core.exec.write(&built.support_y, &ys)?;
            self.core.exec.write(&built.query_y, &yq)?;
            self.core.exec.run(model::EVAL, 1)?;
            let curve = self.core.exec.read(&built.curve).await?;
            for (s, c) in sums.iter_mut().zip(&curve) {
                *s += *c as f64;
            }
            if i == 0 {
                let p = self.core.exec.read(&built.predictions).await?;
                let column = |c: usize| (0..GRID).map(|g| p[g * 3 + c]).collect::<Vec<_>>();
                *picture = Some(TaskPicture {
                    truth: yq.clone(),
                    shots: xs.iter().copied().zip(ys.iter().copied()).collect(),
                    predictions: [column(0), column(1), column(2)],
                });
            }
        }
        let at = |k: usize| -> Vec<f32> {
            (0..runs)
                .map(|r| (sums[r * (EVAL_STEPS + 1) + k] / tasks as f64) as f32)
                .collect()
        };
        for k in 0..=EVAL_STEPS {
            if [0, 1, EVAL_STEPS].contains(&k) {
                self.core
                    .history
                    .record(&format!("mse_after/{k}"), step, &at(k));
            } else {
                self.core
                    .history
                    .set_final(&format!("mse_after/{k}"), &at(k));
            }
        }
        self.core
            .history
            .record("mse_zero", step, &vec![(zero / tasks as f64) as f32; runs]);
        Ok(())
    }
}

fn views(shown: &Shown<Group>) -> Views {
    let (groups, colours) = (&shown.groups, &shown.colours);
    if groups
        .iter()
        .any(|g| matches!(g.scenario, Scenario::Digits { .. }))
    {
        return digits_views(shown);
    }
    let mut charts: Vec<ChartView> = groups
        .iter()
        .zip(colours)
        .filter_map(|(g, &colour)| sinusoid(g, colour))
        .collect();
    charts.push(adaptation(groups, colours));
    charts.push(shown.chart("meta_loss", "Meta-training loss"));
    charts.push(shown.chart("mse_after/1", "Held-out MSE after 1 step"));
    charts.push(shown.chart("mse_after/10", "Held-out MSE after 10 steps"));
    let table = shown.table(&[
        ("mse-0", "MSE before adapting", "mse_after/0"),
        ("mse-1", "after 1 step", "mse_after/1"),
        ("mse-10", "after 10 steps", "mse_after/10"),
        ("mse-zero", "predicting 0", "mse_zero"),
    ]);
    Views {
        charts,
        bars: Vec::new(),
        heatmaps: Vec::new(),
        networks: Vec::new(),
        table,
    }
}

/// Few-shot digits: the novel-class accuracy as bars with seed whiskers and over training, the
/// training loss, each method's novel embedding in 2-D, and a table.
fn digits_views(shown: &Shown<Group>) -> Views {
    let groups = &shown.groups;
    let shots = groups.first().map_or(1, |g| g.recipe.shots);
    let bars = BarView {
        metric: "fewshot_bars".into(),
        title: format!(
            "Novel digits (5–9), 5-way {shots}-shot: accuracy on the held-out episodes (mean \
             and sd over seeds; chance is 0.2)"
        ),
        names: shown
            .iter()
            .map(|(g, c)| (g.method().to_string(), c))
            .collect(),
        groups: vec![(
            "novel classes".into(),
            groups
                .iter()
                .map(|g| BarView::spread(&shown.finals(g, "fewshot_acc")))
                .collect(),
        )],
        range: (0.2, 1.0),
    };
    let charts = vec![
        shown.chart("fewshot_acc", "Novel-class few-shot accuracy"),
        shown.chart("meta_loss", "Training loss on the base classes"),
    ];
    let heatmaps = groups
        .iter()
        .filter_map(|g| match &g.scenario {
            Scenario::Digits { projection, .. } if !projection.is_empty() => {
                Some(HeatmapView::scatter(
                    format!(
                        "{}: run 0's embeddings of the novel digits on their two principal axes, \
                         coloured by digit (5–9)",
                        g.method()
                    ),
                    projection.clone(),
                ))
            }
            _ => None,
        })
        .collect();
    let table = shown.table(&[
        ("fewshot-acc", "novel accuracy", "fewshot_acc"),
        ("fewshot-ci", "95% interval ±", "fewshot_ci"),
    ]);
    Views {
        charts,
        bars: vec![bars],
        heatmaps,
        networks: Vec::new(),
        table,
    }
}

/// The grid index of input x.
fn grid_step(x: f32) -> f64 {
    ((x - X_RANGE.0) / (X_RANGE.1 - X_RANGE.0) * (GRID - 1) as f32) as f64
}

/// Finn et al.'s Figure 2 for one method: held-out task 0, its K shots, and run 0's prediction
/// before adapting (grey, dashed), after 1 step (dashed) and after 10 (solid).
fn sinusoid(g: &Group, colour: usize) -> Option<ChartView> {
    let Scenario::Sinusoid {
        picture: Some(p), ..
    } = &g.scenario
    else {
        return None;
    };
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
    let series = [
        ("before", 5, true, 0),
        ("1 step", colour, true, 1),
        ("10 steps", colour, false, 2),
    ]
    .into_iter()
    .map(|(name, colour, dashed, i)| SeriesView {
        method: name.into(),
        colour,
        band: line(&p.predictions[i]),
        dashed,
    })
    .collect();
    Some(ChartView {
        metric: format!("sinusoid/{}", g.method()),
        title: format!(
            "{}: a held-out wave (black, dashed), its {} shots, and the prediction before \
             adapting (grey), after 1 step (dashed) and after 10",
            g.method(),
            p.shots.len()
        ),
        series,
        guides: vec![Guide {
            label: "truth".into(),
            points: p
                .truth
                .iter()
                .enumerate()
                .map(|(i, &y)| (i as f64, y as f64))
                .collect(),
        }],
        range: None,
        wide: true,
        x_label: "x".into(),
        log_x: false,
        markers: p
            .shots
            .iter()
            .map(|&(x, y)| (grid_step(x), y as f64))
            .collect(),
        x_span: Some((X_RANGE.0 as f64, X_RANGE.1 as f64)),
    })
}

/// Held-out MSE against adaptation steps, per method over seeds, with the zero predictor's.
fn adaptation(groups: &[&Group], colours: &[usize]) -> ChartView {
    let series = groups
        .iter()
        .zip(colours)
        .map(|(g, &colour)| {
            let reports = g.reports(0);
            let band = (0..=EVAL_STEPS)
                .filter_map(|k| {
                    let v: Vec<f32> = reports
                        .iter()
                        .filter_map(|r| r.final_values.get(&format!("mse_after/{k}")).copied())
                        .collect();
                    if v.is_empty() {
                        return None;
                    }
                    let (lo, hi) = v.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |a, &x| {
                        (a.0.min(x), a.1.max(x))
                    });
                    Some(BandPoint {
                        step: k as u64,
                        mean: v.iter().sum::<f32>() / v.len() as f32,
                        low: lo,
                        high: hi,
                    })
                })
                .collect();
            SeriesView {
                method: g.method().to_string(),
                colour,
                band,
                dashed: false,
            }
        })
        .collect();
    let zero = groups
        .iter()
        .find_map(|g| {
            g.history()
                .runs
                .first()
                .and_then(|r| r.get("mse_zero"))
                .and_then(|p| p.last())
                .map(|(_, v)| *v as f64)
        })
        .map(|z| Guide {
            label: "predicting 0".into(),
            points: vec![(0.0, z), (EVAL_STEPS as f64, z)],
        });
    ChartView {
        metric: "mse_by_steps".into(),
        title: "Held-out MSE against adaptation steps (mean and range over seeds)".into(),
        series,
        guides: zero.into_iter().collect(),
        range: None,
        wide: false,
        x_label: "steps".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: None,
    }
}
