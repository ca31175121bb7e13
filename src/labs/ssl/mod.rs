//! The self-supervised lab: representation learning without labels. Joint-embedding methods
//! (contrastive, redundancy reduction, EMA and predictor, self-distillation) and masked
//! reconstruction train an encoder on two views of each image; a linear probe, RankMe, LiDAR, the
//! embedding spectrum, alignment and uniformity say what they learned. Two Gaussian toys show
//! the theory papers' pictures: the stepwise spectrum of Barlow Twins and JEPA's bias towards
//! predictive features.

use super::{choice, flag, float, int, log_float, LabDecl, Preset};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "ssl",
        title: "Self-supervised learning",
        summary: "No labels: an encoder learns from two augmented views of each digit. \
                  Contrastive, redundancy-reduction, predictor and masked-reconstruction \
                  objectives each shape the embedding differently. A linear probe measures \
                  what it is worth; RankMe and LiDAR guess that without labels; the \
                  covariance spectrum shows the dimensions being learned, on a toy one at a \
                  time.",
        settings: vec![
            choice("scenario", "Data", model::Scenario::Digits, "The 8×8 digits with augmented views; a Gaussian toy with a chosen covariance spectrum (the stepwise picture); or a two-feature Gaussian toy (JEPA against MAE)."),
            int("dim", "Embedding dimensions", 2, 128, 32, "", "Width of the encoder's output, where the objective acts and the probes read."),
            int("width", "Hidden units", 8, 512, 128, "", "Units of each hidden ReLU layer (digits; and the predictor's and decoder's hidden layer)."),
            int("depth", "Depth", 1, 4, 1, "", "Hidden layers on the digits; weight matrices of the deep linear encoder on the toys."),
            choice("optimizer", "Optimizer", super::Optimizer::Adam, "Adam, or plain gradient descent (the toys' theory)."),
            log_float("lr", "Learning rate", 1e-5, 1.0, 0.001, "Step size."),
            int("batch", "Batch size", 8, 256, 64, "", "Images (or toy samples) per step; each gives two views."),
            log_float("init", "Initial scale", 1e-4, 2.0, 1.0, "Multiplies the initial weights' standard deviation (1: He or 1/√fan-in). The toys' theory needs a small start."),
            int("shift", "Shift (pixels)", 0, 2, 1, "", "Largest shift of a view, each axis."),
            float("rotate", "Rotation (°)", 0.0, 30.0, 10.0, "°", "A view turns by −r, 0 or +r degrees."),
            float("cutout", "Cutout probability", 0.0, 1.0, 0.5, "", "Chance that a view has a 3×3 square blanked."),
            float("pixel_noise", "Pixel noise", 0.0, 0.5, 0.1, "", "Standard deviation of Gaussian noise added to each pixel of a view."),
            flag("projector", "Projector", true, "An MLP head (dim → width → dim) between the representation and the objective, on the digits; the probes, RankMe and LiDAR read the representation before it."),
            float("decay", "Spectrum decay", 0.2, 0.95, 0.6, "", "The spectrum toy's input variances fall as decayᵏ."),
            int("steps", "Steps", 1, 100_000, 1500, "", "Training steps per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["simclr", "vicreg", "random"],
        metrics: vec![
            "probe_acc",
            "probe_acc_few",
            "probe_raw_few",
            "rankme",
            "lidar",
            "alignment",
            "uniformity",
            "embed_std",
            "loss",
            "eig/<k>",
            "t_half/<k>",
            "feature/<A|B>",
        ],
        presets: vec![
            Preset { id: "compare", title: "SimCLR and VICReg against a random encoder", query: "" },
            Preset { id: "all", title: "Every self-supervised method on the digits", query: "runs=2&methods=simclr,barlow,vicreg,byol,simsiam,jepa,mae" },
            Preset { id: "references", title: "The supervised and random references", query: "methods=supervised,simclr,random" },
            Preset { id: "collapse", title: "SimSiam without its stop-gradient collapses", query: "methods=simsiam,random&simsiam.stopgrad=false" },
            Preset { id: "stepwise", title: "Barlow Twins learns the spectrum one direction at a time", query: STEPWISE },
            Preset { id: "jepa-mae", title: "JEPA learns the predictive feature first, MAE the loud one", query: TWO_FEATURE },
        ],
        smoke: &[
            "dim=4&width=8&batch=8&steps=4&methods=simclr,barlow,vicreg,byol,simsiam,jepa,mae,supervised,random",
            "scenario=spectrum&dim=4&batch=8&steps=4&methods=barlow,simclr",
            "scenario=twofeature&dim=2&depth=2&batch=8&steps=4&methods=jepa,mae",
        ],
        runs: crate::experiment::DEFAULT_RUNS,
    }
}

/// The stepwise paper's setting: a linear encoder from a small start, the unstandardised
/// ‖C − I‖², plain gradient descent.
macro_rules! stepwise {
    () => {
        "scenario=spectrum&dim=6&optimizer=sgd&lr=0.02&init=0.001&batch=128&steps=3000&methods=barlow&barlow.standardise=false&barlow.lambda=1"
    };
}
pub const STEPWISE: &str = stepwise!();
/// The JEPA paper's setting: deep linear encoders from a small start, plain gradient descent,
/// the target the encoder itself behind a stop-gradient.
macro_rules! two_feature {
    () => {
        "scenario=twofeature&dim=2&depth=3&optimizer=sgd&lr=0.1&init=0.5&batch=128&steps=5000&methods=jepa,mae&jepa.momentum=0"
    };
}
pub const TWO_FEATURE: &str = two_feature!();

pub mod claims;
pub mod data;
pub use methodlab_measures as measures;
pub mod methods;
pub mod model;

use crate::claims::Claim;
use crate::data::digits::CLASSES;
use crate::engine::gpu::GpuContext;
use crate::engine::{rng, EngineError, Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{boxed_group, Core, Lab, LocalFuture, RunGroup, Shown};
use crate::views::{BandPoint, ChartView, Guide, HeatmapView, Picture, SeriesView, Views};
use data::{Images, FEATURES};
use model::{Outputs, Scenario, LIDAR_OBJECTS, LIDAR_VIEWS};
use std::sync::Arc;

/// Labels per class of the few-label probe.
pub const FEW_PER_CLASS: usize = 10;
/// Ridge penalty of the all-label probe (× n), fixed: never chosen on the test set.
const RIDGE: f64 = 1e-3;
/// L2 penalty and steps of the few-label logistic probe, fixed likewise.
const FEW_L2: f64 = 1e-2;
const FEW_STEPS: usize = 300;
/// Eigenvalues recorded per observation (the largest).
const MAX_EIGS: usize = 32;

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

/// The lab in the registry.
pub struct Ssl;

impl Lab for Ssl {
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
    // The alignment–uniformity scatter scales every run of every method together.
    fn views_split(&self) -> bool {
        false
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

fn views(shown: &Shown<Group>) -> Views {
    let groups = &shown.groups;
    let over_steps = |metric: &str, title: &str| shown.chart(metric, title);
    let scenario = groups
        .first()
        .map_or(Scenario::Digits, |g| g.recipe.scenario);
    let mut charts = Vec::new();
    match scenario {
        Scenario::Digits => {
            let mut few = over_steps(
                "probe_acc_few",
                "Linear probe with 10 labels per class (dashed: the same probe on raw pixels)",
            );
            if let Some(g) = groups.first() {
                // Each run's raw-pixel probe, from the history (which holds every run's when
                // the page draws the runs of several workers together).
                let raw_few: Vec<f32> = g
                    .history()
                    .runs
                    .iter()
                    .filter_map(|h| Some(h.get("probe_raw_few")?.last()?.1))
                    .collect();
                let raw = crate::views::BarView::spread(&raw_few).0;
                let end = g
                    .history()
                    .band("probe_acc_few")
                    .last()
                    .map_or(1.0, |p| p.step as f64);
                if raw.is_finite() {
                    few.guides.push(Guide {
                        label: "raw pixels".into(),
                        points: vec![(0.0, raw), (end, raw)],
                    });
                }
            }
            charts.extend([
                over_steps("probe_acc", "Linear probe accuracy, all labels (test set)"),
                few,
                over_steps("rankme", "RankMe: effective rank of the embeddings"),
                over_steps(
                    "lidar",
                    "LiDAR: effective rank of the LDA matrix (views of an image as a class)",
                ),
                over_steps(
                    "embed_std",
                    "Std of the normalised embeddings per dimension (collapse: 0; spread: 1/√dim)",
                ),
                over_steps("loss", "Training objective"),
            ]);
        }
        Scenario::Spectrum => {
            charts.push(over_steps(
                "loss",
                "Training objective: it falls in steps, one per direction learned",
            ));
            charts.push(over_steps("rankme", "RankMe of the embeddings"));
        }
        Scenario::TwoFeature => {
            charts.push(over_steps(
                "feature/A",
                "Encoder gain on feature A (high variance, low influence)",
            ));
            charts.push(over_steps(
                "feature/B",
                "Encoder gain on feature B (low variance, high influence)",
            ));
            charts.push(over_steps("loss", "Training objective"));
        }
    }
    charts.extend(groups.iter().filter_map(|g| spectrum_chart(g)));
    let mut heatmaps: Vec<HeatmapView> = groups
        .iter()
        .filter(|g| !g.projection.is_empty())
        .map(|g| {
            HeatmapView::scatter(
                format!(
                    "{}: run 0's test embeddings on their two principal axes, coloured by digit",
                    g.method()
                ),
                g.projection.clone(),
            )
        })
        .collect();
    if scenario == Scenario::Digits {
        let plane = |x: &str, y: &str, caption: &str| {
            let points: Vec<(f32, f32, f32, bool)> = shown
                .iter()
                .flat_map(|(g, c)| {
                    shown
                        .finals(g, x)
                        .into_iter()
                        .zip(shown.finals(g, y))
                        .map(move |(a, b)| (a, b, c as f32, false))
                })
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            HeatmapView::plane(caption, &points)
        };
        heatmaps.push(plane("alignment", "uniformity", "Alignment (x) against uniformity (y): every run, coloured by method; lower is better on both"));
        heatmaps.push(plane(
            "rankme",
            "probe_acc",
            "RankMe (x) against probe accuracy (y): every run, coloured by method",
        ));
        heatmaps.push(plane(
            "lidar",
            "probe_acc",
            "LiDAR (x) against probe accuracy (y): every run, coloured by method",
        ));
    }
    let columns: &[(&str, &str, &str)] = match scenario {
        Scenario::Digits => &[
            ("probe-acc", "probe", "probe_acc"),
            ("probe-acc-few", "probe, 10 labels", "probe_acc_few"),
            ("rankme", "RankMe", "rankme"),
            ("lidar", "LiDAR", "lidar"),
            ("embed-std", "embedding std", "embed_std"),
        ],
        Scenario::Spectrum => &[
            ("t-half-1", "t½ (1st)", "t_half/1"),
            ("t-half-2", "t½ (2nd)", "t_half/2"),
            ("t-half-3", "t½ (3rd)", "t_half/3"),
            ("rankme", "RankMe", "rankme"),
        ],
        Scenario::TwoFeature => &[
            ("t-half-a", "t½ feature A", "t_half/A"),
            ("t-half-b", "t½ feature B", "t_half/B"),
        ],
    };
    let table = shown.table(columns);
    Views {
        charts,
        bars: Vec::new(),
        heatmaps,
        networks: Vec::new(),
        table,
    }
}

/// The stepwise picture: each eigenvalue of the embedding covariance over steps (mean over
/// runs), on a log scale.
fn spectrum_chart(g: &Group) -> Option<ChartView> {
    let count = g.recipe.dim.min(MAX_EIGS);
    let series: Vec<SeriesView> = (1..=count)
        .map(|k| {
            let band = g
                .history()
                .band(&format!("eig/{k}"))
                .into_iter()
                .map(|p| {
                    let log = |v: f32| v.max(1e-8).log10();
                    BandPoint {
                        step: p.step,
                        mean: log(p.mean),
                        low: log(p.low),
                        high: log(p.high),
                    }
                })
                .collect::<Vec<_>>();
            SeriesView {
                method: format!("λ{k}"),
                colour: k - 1,
                band,
                dashed: false,
            }
        })
        .filter(|s| !s.band.is_empty())
        .collect();
    if series.is_empty() {
        return None;
    }
    Some(ChartView {
        metric: format!("eig/{}", g.method()),
        title: format!(
            "{}: eigenvalues of the embedding covariance over steps (log₁₀, mean over runs)",
            g.method()
        ),
        series,
        guides: Vec::new(),
        range: None,
        // A legend only where it fits.
        wide: count <= 8,
        x_label: "steps".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: None,
    })
}
