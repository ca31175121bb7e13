//! The mutual-information lab: variational estimators of I(x; y) on the correlated-Gaussian
//! staircase, where the truth is known exactly. x ~ N(0, I_d) and y = ρx + √(1 − ρ²)·ε, so
//! I(x; y) = −(d/2)·log(1 − ρ²); the true MI steps up level by level and each estimator's
//! critic chases it (Poole et al. 2019, Fig. 2; Song & Ermon 2020, Fig. 1).

pub mod claims;
pub mod methods;
pub mod model;

pub use model::Recipe;

use super::{choice, flag, float, int, log_float, LabDecl, Preset};
use crate::claims::Claim;
use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, MetricWindow, Result};
use crate::experiment::Experiment;
use crate::labs::{
    boxed_group, find_method, unknown_method, Core, Lab, LocalFuture, RunGroup, Shown,
};
use crate::views::{ChartView, Guide, Picture, TableView, Views};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "mi",
        title: "Mutual information",
        summary: "Estimate I(x; y) of correlated Gaussians whose true MI steps up a staircase: \
                  InfoNCE saturates at log K, NWJ and MINE get noisy as MI grows, SMILE's clip \
                  trades variance for bias. The default is a quick look (1,000 steps a level: NWJ \
                  still reads about 1.5 of the first level's 2 nats); the staircase preset is Poole \
                  et al.'s setting, 4,000 steps a level.",
        settings: vec![
            int("dim", "Dimension d", 1, 128, 20, "", "x and y are d-dimensional; I(x; y) = −(d/2)·log(1 − ρ²)."),
            float("first", "First level", 0.0, 40.0, 2.0, "nats", "True MI of the staircase's first level."),
            float("stride", "Level step", 0.0, 20.0, 2.0, "nats", "How much the true MI rises at each level."),
            int("levels", "Levels", 1, 10, 5, "", "Steps of the staircase."),
            int("steps", "Steps per level", 2, 20_000, 1000, "", "Training steps at each level; statistics use the last half."),
            int("batch", "Batch K", 2, 512, 64, "", "Pairs per step; the K × K score matrix has K joint and K(K − 1) independent pairs."),
            choice("critic", "Critic", model::Critic::Separable, "Separable g(x)ᵀh(y), or one MLP on [x, y] for every pair."),
            int("hidden", "Hidden units", 4, 512, 256, "", "Width of the critic's hidden layers."),
            int("layers", "Hidden layers", 1, 4, 2, "", "Depth of the critic's MLPs."),
            int("embed", "Embedding", 1, 128, 32, "", "Output size of g and h in the separable critic."),
            log_float("lr", "Learning rate", 1e-5, 0.1, 5e-4, "Adam's step size."),
            flag("cubic", "Cubic y", false, "Use y³ instead of y: the MI is unchanged, the critic's task harder."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["infonce", "nwj", "smile"],
        metrics: vec!["mi_estimate", "true_mi", "level/<level>/mean", "level/<level>/std"],
        presets: vec![
            Preset {
                id: "staircase",
                title: "The staircase: 2 to 10 nats, as in Poole et al.",
                query: "steps=4000",
            },
            Preset {
                id: "quick",
                title: "A quick look: narrow critic, 500 steps a level",
                query: "hidden=64&steps=500&lr=0.001&methods=infonce,nwj,dv,js,smile",
            },
            Preset {
                id: "ceiling",
                title: "InfoNCE's ceiling: K = 16 vs the truth",
                query: "batch=16&hidden=64&steps=800&lr=0.001&methods=infonce,smile",
            },
            Preset {
                id: "clip",
                title: "High MI: NWJ and MINE against SMILE's clip",
                query: "first=6&levels=3&hidden=64&steps=1000&lr=0.001&methods=nwj,dv,smile",
            },
            Preset {
                id: "cubic",
                title: "Cubic y: the same MI, a harder critic",
                query: "cubic=1&hidden=64&steps=1000&lr=0.001",
            },
        ],
        smoke: &["levels=2&steps=10&batch=8&hidden=8&embed=4"],
        runs: crate::experiment::DEFAULT_RUNS,
    }
}

/// One estimator's run group.
pub struct Group {
    pub core: Core,
    pub recipe: Recipe,
    /// Every metric window so far, oldest first: the per-level statistics are sums over them.
    windows: Vec<MetricWindow>,
    /// Windows closed at a level's middle or end and not yet recorded in the history.
    cut: Vec<MetricWindow>,
}

/// The mutual-information lab in the registry.
pub struct Mi;

impl Lab for Mi {
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

impl Group {
    /// Method `method`'s group under every run of `exp`, on the GPU when a context is given.
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let chosen = find_method(methods::METHODS, |m| (m.declaration)(), "mi", method)
            .map_err(unknown_method)?;
        let mut recipe = Recipe::from_settings(exp);
        recipe.estimator = (chosen.estimator)(&exp.knobs(&(chosen.declaration)()));
        let built = model::build(&recipe, exp.runs as usize, exp.seed)?;
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            core: Core::new(method, exec, exp.runs as usize),
            recipe,
            windows: Vec::new(),
            cut: Vec::new(),
        })
    }

    /// The next step at which a metric window must close: the middle and the end of each level,
    /// so no window straddles a level or the start of a level's measured half.
    fn next_cut(&self) -> u32 {
        let (spl, half) = (
            self.recipe.steps_per_level.max(1),
            self.recipe.steps_per_level / 2,
        );
        let base = self.core.step / spl * spl;
        if self.core.step < base + half {
            base + half
        } else {
            base + spl
        }
    }

    /// Queues `steps` training steps, closing metric windows at half-level boundaries.
    pub async fn train(&mut self, steps: u32) -> Result<()> {
        let mut left = steps;
        while left > 0 {
            let cut = self.next_cut();
            let n = left.min(cut - self.core.step);
            self.core.exec.run(0, n)?;
            self.core.step += n;
            left -= n;
            if self.core.step == cut {
                if let Some(w) = self.core.exec.cut_metrics(0)? {
                    self.cut.push(w);
                }
            }
        }
        Ok(())
    }

    /// Steps between observations in the headless runner: ten points per level.
    pub fn observe_every(&self) -> u32 {
        (self.recipe.steps_per_level / 10).max(1)
    }

    /// Collects the metric windows that landed, records the estimate and the truth at their
    /// ends, and updates each level's statistics.
    pub async fn observe(&mut self) -> Result<()> {
        let landed = self.core.exec.metrics(0).await?;
        let first_new = self.windows.len();
        self.windows.append(&mut self.cut);
        self.windows.extend(landed);
        self.windows[first_new..].sort_by_key(|w| w.step);
        let runs = self.core.history.runs.len();
        for w in &self.windows[first_new..] {
            let truth = self.recipe.levels[self.recipe.level_of(w.step.saturating_sub(1))] as f32;
            self.core
                .history
                .record("mi_estimate", w.step, &w.values[0]);
            self.core
                .history
                .record("true_mi", w.step, &vec![truth; runs]);
        }
        for level in 0..self.recipe.levels.len() {
            if let Some((mean, std)) = self.level_stats(level) {
                self.core
                    .history
                    .set_final(&format!("level/{level}/mean"), &mean);
                self.core
                    .history
                    .set_final(&format!("level/{level}/std"), &std);
            }
        }
        Ok(())
    }

    /// Per run, the mean and standard deviation over the steps of the last half of `level`, from
    /// the windows' sums of the estimate and its square; `None` before any such step ran.
    pub fn level_stats(&self, level: usize) -> Option<(Vec<f32>, Vec<f32>)> {
        let spl = self.recipe.steps_per_level as u64;
        let from = level as u64 * spl + spl / 2;
        let to = (level as u64 + 1) * spl;
        let inside: Vec<&MetricWindow> = self
            .windows
            .iter()
            .filter(|w| w.step - w.steps >= from && w.step <= to)
            .collect();
        let steps: u64 = inside.iter().map(|w| w.steps).sum();
        if steps == 0 {
            return None;
        }
        let runs = self.core.history.runs.len();
        let (mut mean, mut std) = (vec![0.0; runs], vec![0.0; runs]);
        for r in 0..runs {
            let (mut s1, mut s2) = (0.0f64, 0.0f64);
            for w in &inside {
                s1 += w.values[0][r] as f64 * w.steps as f64;
                s2 += w.values[1][r] as f64 * w.steps as f64;
            }
            let m = s1 / steps as f64;
            mean[r] = m as f32;
            std[r] = (s2 / steps as f64 - m * m).max(0.0).sqrt() as f32;
        }
        Some((mean, std))
    }
}

/// The estimates over steps with the true staircase and log K under them, and per level each
/// estimator's bias ± its standard deviation over steps (both averaged over seeds).
pub fn views(shown: &Shown<Group>, exp: &Experiment) -> Views {
    let recipe = Recipe::from_settings(exp);
    let spl = recipe.steps_per_level as f64;
    let mut staircase = Vec::new();
    for (k, &mi) in recipe.levels.iter().enumerate() {
        staircase.push((k as f64 * spl, mi));
        staircase.push(((k + 1) as f64 * spl, mi));
    }
    let end = recipe.total_steps() as f64;
    let log_k = (recipe.batch as f64).ln();
    let top = recipe.levels.iter().copied().fold(log_k, f64::max);
    let chart = ChartView {
        metric: "mi_estimate".into(),
        title: "Estimate of I(x; y), nats".into(),
        series: shown.chart("mi_estimate", "").series,
        guides: vec![
            Guide {
                label: "true MI".into(),
                points: staircase,
            },
            Guide {
                label: format!("log K = {log_k:.2}"),
                points: vec![(0.0, log_k), (end, log_k)],
            },
        ],
        // NWJ can spike far above the truth: keep the staircase readable.
        range: Some((-1.0, top * 1.25 + 1.0)),
        wide: true,
        x_label: "step".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: None,
    };
    let mut columns: Vec<(String, String)> = recipe
        .levels
        .iter()
        .enumerate()
        .map(|(k, mi)| (format!("level-{k}"), format!("{mi} nats: bias ± sd")))
        .collect();
    columns.push(("run-status".into(), "runs".into()));
    let rows = shown
        .groups
        .iter()
        .map(|g| {
            let mut cells: Vec<String> = recipe
                .levels
                .iter()
                .enumerate()
                .map(|(k, &mi)| {
                    // Each run's statistics of the level, as `observe` leaves them in the history
                    // (the page draws the runs of several workers' histories together).
                    let (mean, std) = (format!("level/{k}/mean"), format!("level/{k}/std"));
                    let stats: Vec<(f64, f64)> = g
                        .history()
                        .finals
                        .iter()
                        .filter_map(|f| Some((*f.get(&mean)? as f64, *f.get(&std)? as f64)))
                        .collect();
                    if stats.is_empty() {
                        return "–".into();
                    }
                    let n = stats.len() as f64;
                    let bias = stats.iter().map(|(m, _)| m - mi).sum::<f64>() / n;
                    let var = stats.iter().map(|(_, s)| s.powi(2)).sum::<f64>() / n;
                    format!("{bias:+.2} ± {:.2}", var.sqrt())
                })
                .collect();
            cells.push(g.history().status(exp.seed));
            (g.method().to_string(), cells)
        })
        .collect();
    Views {
        charts: vec![chart],
        bars: Vec::new(),
        heatmaps: Vec::new(),
        networks: Vec::new(),
        table: TableView { columns, rows },
    }
}
