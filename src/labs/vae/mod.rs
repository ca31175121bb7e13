//! The generative latent lab: variational autoencoders trained on different bounds (the ELBO,
//! IWAE, MIWAE, CIWAE, PIWAE), InfoVAE's MMD and the score-function estimator, on the bundled
//! digits (Bernoulli pixels) or a ring of eight Gaussians. It measures what the papers argue
//! about: the test log-likelihood, active latent units, the gradient's signal-to-noise ratio as
//! K grows, and the variance of reparameterised against score-function gradients.

use super::{choice, int, log_float, LabDecl, Preset};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "vae",
        title: "Generative latents",
        summary: "An encoder maps each digit to a Gaussian over a 2-D latent space and a decoder \
                  maps latents back. Train it on different bounds on log p(x), compare their test \
                  log-likelihoods, see the latent map and the decoded manifold, and measure how \
                  the gradient's signal-to-noise ratio changes with the number of samples K.",
        settings: vec![
            choice("data", "Data", model::DataSet::Digits, "The bundled 8×8 digits as Bernoulli pixels, or eight Gaussians on a ring (2-D, a Gaussian decoder)."),
            int("latent", "Latent dimensions", 1, 16, 2, "", "Dimensions of z. Pictures show the first two."),
            int("hidden", "Hidden units", 8, 256, 64, "", "Units in each of the two tanh layers of the encoder and of the decoder."),
            int("batch", "Batch", 1, 256, 32, "", "Data points per step."),
            log_float("lr", "Learning rate", 1e-4, 0.03, 0.003, "Adam's step size."),
            int("k_during", "K for the log-likelihood while training", 10, 5000, 100, "", "Importance samples of the IWAE estimate of test log p(x) at each observation (the paper's 1000 costs about as much as the training; 100 reads at most 0.07 nats below 1000 here)."),
            int("k_eval", "K for the final log-likelihood", 10, 5000, 1000, "", "Importance samples of the IWAE estimate of test log p(x) at the end of a run (5000 for the bounds' comparison)."),
            int("repeats", "Gradient estimates per probe", 2, 256, 32, "", "Repeated gradient estimates at the final weights, for the SNR and the variances."),
            int("steps", "Steps", 1, 100_000, 2000, "", "Training steps per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["vae", "iwae"],
        metrics: vec![
            "test_ll",
            "elbo",
            "kl",
            "train_bound",
            "active_units",
            "mmd",
            "snr_encoder",
            "snr_decoder",
            "snr_encoder/<k>",
            "snr_decoder/<k>",
            "grad_var/<estimator>",
        ],
        presets: vec![
            Preset { id: "iwae", title: "VAE against IWAE(50)", query: "" },
            Preset { id: "bounds", title: "Tighter is not better: IWAE, MIWAE, CIWAE, PIWAE at 64 samples", query: "methods=iwae,miwae,ciwae,piwae&iwae.k=64" },
            Preset { id: "estimators", title: "Reparameterisation against the score function", query: "methods=vae,reinforce" },
            Preset { id: "infovae", title: "InfoVAE's MMD on the latent map", query: "methods=vae,infovae" },
            Preset { id: "ring", title: "Eight Gaussians on a ring", query: "data=ring&methods=vae,iwae" },
        ],
        smoke: &["hidden=8&batch=4&k_during=10&k_eval=10&repeats=2&steps=10&iwae.k=4"],
        runs: crate::experiment::DEFAULT_RUNS,
    }
}

pub mod claims;
pub mod methods;
pub mod model;

use crate::claims::Claim;
use crate::engine::gpu::GpuContext;
use crate::engine::{rng, Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{boxed_group, Core, Lab, LocalFuture, RunGroup, Shown};
use crate::views::{
    BandPoint, ChartView, Guide, HeatStyle, HeatmapView, Picture, SeriesView, TableView, Views,
};
use std::sync::Arc;

/// A latent dimension is active when the variance of its posterior mean over the test set
/// exceeds this (Burda et al.).
pub const ACTIVE: f64 = 0.01;

/// One method's run group.
pub struct Group {
    pub core: Core,
    pub recipe: model::Recipe,
    /// The K of the bound the method trains (`methods::Bound::k`).
    pub bound_k: usize,
    pub built: model::Built,
    /// The seed of run 0: run r's is `rng::run_seed(seed, r)`.
    pub seed: u32,
    /// Run 0's posterior means of the test set (first two dimensions) with each point's label.
    pub latent: Arc<Vec<(f32, f32, f32, bool)>>,
    /// Run 0's picture, made at each observation: the decoded manifold and samples (digits) or
    /// the model's density (ring).
    pub image: Vec<f32>,
}

/// The lab in the registry.
pub struct Vae;

impl Lab for Vae {
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
        Box::pin(self.evaluate(self.recipe.k_during))
    }
    fn observe_every(&self, total: u32) -> u32 {
        (total / 20).max(1)
    }
    fn finish(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(self.summarise())
    }
}

/// Per test point, log Σ w over the chunks so far (a running log-sum-exp).
fn log_add(acc: &mut [f64], add: &[f32]) {
    for (a, &b) in acc.iter_mut().zip(add) {
        let b = b as f64;
        *a = if a.is_infinite() && *a < 0.0 {
            b
        } else {
            let m = a.max(b);
            m + ((*a - m).exp() + (b - m).exp()).ln()
        };
    }
}

impl Group {
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = model::Recipe::from_settings(exp);
        let bound = methods::bound(method, exp)?;
        let built = model::build(&recipe, &*bound, exp.runs as usize, exp.seed)?;
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            core: Core::new(method, exec, exp.runs as usize),
            recipe,
            bound_k: bound.k(),
            built,
            seed: exp.seed,
            latent: Arc::new(Vec::new()),
            image: Vec::new(),
        })
    }

    /// The IWAE estimate of each run's mean test log p(x) with at least `k` samples per point
    /// (whole chunks), and the first chunk's ELBO, KL and posterior (means, log-variances).
    async fn test_ll(&mut self, k: usize) -> Result<(Vec<f32>, [Vec<f32>; 4])> {
        let runs = self.core.history.runs.len();
        let n = self.built.data.n_test();
        let chunk = self.built.chunk;
        let chunks = k.div_ceil(chunk).max(1);
        let mut acc = vec![f64::NEG_INFINITY; runs * n];
        let mut first = None;
        for c in 0..chunks {
            self.core.exec.run(model::EVAL, 1)?;
            let lse = self.core.exec.read(&self.built.chunk_lse).await?;
            log_add(&mut acc, &lse);
            if c == 0 {
                first = Some([
                    self.core.exec.read(&self.built.elbo).await?,
                    self.core.exec.read(&self.built.kl).await?,
                    self.core.exec.read(&self.built.mean).await?,
                    self.core.exec.read(&self.built.log_var).await?,
                ]);
            }
        }
        let log_k = ((chunks * chunk) as f64).ln();
        let ll = (0..runs)
            .map(|r| {
                let row = &acc[r * n..(r + 1) * n];
                (row.iter().map(|v| v - log_k).sum::<f64>() / n as f64) as f32
            })
            .collect();
        Ok((ll, first.expect("at least one chunk")))
    }

    /// Records the training bound, the test log-likelihood, ELBO and KL, the active units and
    /// the MMD between q(z) and the prior, and refreshes run 0's pictures.
    async fn evaluate(&mut self, k: usize) -> Result<()> {
        let step = self.core.step as u64;
        if let Some(w) = self.core.exec.metrics(model::TRAIN).await?.last() {
            self.core
                .history
                .record("train_bound", w.step, &w.values[0]);
        }
        let (ll, [elbo, kl, mean, log_var]) = self.test_ll(k).await?;
        self.core.history.record("test_ll", step, &ll);
        self.core.history.record("elbo", step, &elbo);
        self.core.history.record("kl", step, &kl);
        let (n, d) = (self.built.data.n_test(), self.recipe.latent);
        let runs = self.core.history.runs.len();
        let active: Vec<f32> = (0..runs)
            .map(|r| active_units(&mean[r * n * d..(r + 1) * n * d], n, d) as f32)
            .collect();
        self.core.history.record("active_units", step, &active);
        let mmd: Vec<f32> = (0..runs)
            .map(|r| {
                let at = r * n * d..(r + 1) * n * d;
                let seed = rng::run_seed(self.seed, r);
                aggregate_mmd(&mean[at.clone()], &log_var[at], n, d, seed) as f32
            })
            .collect();
        self.core.history.record("mmd", step, &mmd);
        let labels = &self.built.data.test_labels;
        self.latent = Arc::new(
            (0..n)
                .map(|i| {
                    let y = if d > 1 { mean[i * d + 1] } else { 0.0 };
                    (mean[i * d], y, labels[i] as f32, false)
                })
                .collect(),
        );
        self.core.exec.run(model::PICTURE, 1)?;
        let decoded = self.core.exec.read(&self.built.decoded).await?;
        let run0 = &decoded[..decoded.len() / runs.max(1)];
        self.image = if self.built.data.bernoulli {
            manifold_image(run0)
        } else {
            ring_density(run0)
        };
        Ok(())
    }

    /// The end of a run: the log-likelihood at `k_eval` samples, each K's gradient SNR for the
    /// encoder and the decoder, and the reparameterised and score-function gradient variances.
    async fn summarise(&mut self) -> Result<()> {
        let (ll, _) = self.test_ll(self.recipe.k_eval).await?;
        self.core.history.set_final("test_ll", &ll);
        let own = self.bound_k;
        for (i, &k) in self.built.snr_k.clone().iter().enumerate() {
            let sums = self.built.snr_sums[i].clone();
            let [enc, dec] = self.probe(model::SNR0 + i, &sums).await?;
            let snr = |s: &[Moments]| s.iter().map(|m| m.snr() as f32).collect::<Vec<_>>();
            let (e, d) = (snr(&enc), snr(&dec));
            if SNR_SHOWN.contains(&k) {
                self.core.history.set_final(&format!("snr_encoder/{k}"), &e);
                self.core.history.set_final(&format!("snr_decoder/{k}"), &d);
            }
            if k == own {
                self.core.history.set_final("snr_encoder", &e);
                self.core.history.set_final("snr_decoder", &d);
            }
        }
        let sums = self.built.var_sums.clone();
        let [reparam, score] = self.probe(model::VARIANCE, &sums).await?;
        let trace = |s: &[Moments]| s.iter().map(|m| m.trace() as f32).collect::<Vec<_>>();
        self.core
            .history
            .set_final("grad_var/reparam", &trace(&reparam));
        self.core
            .history
            .set_final("grad_var/score", &trace(&score));
        Ok(())
    }

    /// Zeroes a probe entry's moments, runs it `repeats` times (fresh noise each time, the
    /// weights fixed) and reads each run's moments of its two gradients.
    async fn probe(
        &mut self,
        entry: usize,
        probes: &[model::Probe; 2],
    ) -> Result<[Vec<Moments>; 2]> {
        for p in probes {
            let zeros = vec![0.0; p.mean.shape().numel()];
            self.core.exec.write(&p.mean, &zeros)?;
            self.core.exec.write(&p.m2, &zeros)?;
            self.core.exec.write(&p.count, &[0.0])?;
        }
        self.core.exec.run(entry, self.recipe.repeats as u32)?;
        let runs = self.core.history.runs.len();
        let mut out = [Vec::new(), Vec::new()];
        for (p, moments) in probes.iter().zip(&mut out) {
            let mean = self.core.exec.read(&p.mean).await?;
            let m2 = self.core.exec.read(&p.m2).await?;
            let per_run = mean.len() / runs.max(1);
            let wide = |v: &[f32], r: usize| -> Vec<f64> {
                v[r * per_run..(r + 1) * per_run]
                    .iter()
                    .map(|&x| x as f64)
                    .collect()
            };
            *moments = (0..runs)
                .map(|r| Moments {
                    n: self.recipe.repeats,
                    mean: wide(&mean, r),
                    m2: wide(&m2, r),
                })
                .collect();
        }
        Ok(out)
    }
}

/// The K's whose SNR the lab reports and draws.
pub const SNR_SHOWN: [usize; 4] = model::SNR_SWEEP;

/// Per-parameter moments of repeated gradient estimates: each mean and sum of squared
/// deviations from it.
#[derive(Clone)]
pub struct Moments {
    n: usize,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Moments {
    /// Each parameter's mean and unbiased variance.
    fn variances(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        let n = self.n as f64;
        self.mean
            .iter()
            .zip(&self.m2)
            .map(move |(&mean, &m2)| (mean, (m2 / (n - 1.0).max(1.0)).max(0.0)))
    }
    /// Rainforth et al.'s SNR, |mean| / sd per parameter, averaged over the parameters whose
    /// gradient varies at all.
    pub fn snr(&self) -> f64 {
        let (mut total, mut count) = (0.0, 0usize);
        for (mean, var) in self.variances() {
            if var > 0.0 {
                total += mean.abs() / var.sqrt();
                count += 1;
            }
        }
        if count == 0 {
            f64::NAN
        } else {
            total / count as f64
        }
    }
    /// The trace of the estimate's covariance: the summed variance over parameters.
    pub fn trace(&self) -> f64 {
        self.variances().map(|(_, v)| v).sum()
    }
}

/// Latent dimensions whose posterior mean varies over the points by more than `ACTIVE`.
pub fn active_units(mean: &[f32], n: usize, d: usize) -> usize {
    (0..d)
        .filter(|&j| {
            let m = (0..n).map(|i| mean[i * d + j] as f64).sum::<f64>() / n as f64;
            let v = (0..n)
                .map(|i| (mean[i * d + j] as f64 - m).powi(2))
                .sum::<f64>()
                / n as f64;
            v > ACTIVE
        })
        .count()
}

/// MMD² between one sample of q(z|x) per point (the aggregate posterior) and as many prior
/// samples, RBF kernel exp(−‖·‖² / (2d)), at most 300 points each, drawn from the run's `seed`.
pub fn aggregate_mmd(mean: &[f32], log_var: &[f32], n: usize, d: usize, seed: u32) -> f64 {
    let n = n.min(300);
    let q: Vec<f64> = (0..n * d)
        .map(|i| {
            let e = rng::normal(seed, 300, 0, i as u32) as f64;
            mean[i] as f64 + (0.5 * log_var[i] as f64).exp() * e
        })
        .collect();
    let p: Vec<f64> = (0..n * d)
        .map(|i| rng::normal(seed, 400, 0, i as u32) as f64)
        .collect();
    let kernel = |a: &[f64], b: &[f64]| {
        let mut total = 0.0;
        for i in 0..n {
            for j in 0..n {
                let dist: f64 = (0..d).map(|k| (a[i * d + k] - b[j * d + k]).powi(2)).sum();
                total += (-dist / (2.0 * d as f64)).exp();
            }
        }
        total / (n * n) as f64
    };
    kernel(&q, &q) + kernel(&p, &p) - 2.0 * kernel(&q, &p)
}

fn views(shown: &Shown<Group>) -> Views {
    let (groups, colours) = (&shown.groups, &shown.colours);
    let chart = |metric: &str, title: &str, wide: bool| ChartView {
        wide,
        ..shown.chart(metric, title)
    };
    let mut charts = vec![
        chart(
            "test_ll",
            "Test log-likelihood (IWAE estimate: k_during samples, k_eval at the end)",
            true,
        ),
        chart("elbo", "Test ELBO", false),
        chart("kl", "KL(q(z|x) ‖ p(z)) on the test set", false),
        chart("train_bound", "Training objective", false),
        chart("active_units", "Active latent units", false),
        chart("mmd", "MMD between q(z) and the prior", false),
    ];
    charts.push(snr_chart(groups, colours));
    let digits = groups.first().is_none_or(|g| g.built.data.bernoulli);
    let mut heatmaps = Vec::new();
    for g in groups {
        if g.latent.is_empty() {
            continue;
        }
        heatmaps.push(latent_map(g, digits));
        if digits {
            heatmaps.push(manifold(g));
        } else {
            heatmaps.push(density(g));
        }
    }
    let sci = |v: Vec<f32>| -> String {
        let (m, _) = crate::views::BarView::spread(&v);
        if m.is_nan() {
            "–".into()
        } else {
            format!("{m:.3e}")
        }
    };
    let table = TableView {
        columns: [
            ("test-ll", "test log p(x)"),
            ("elbo", "test ELBO"),
            ("kl", "KL"),
            ("active-units", "active units"),
            ("snr-enc", "encoder SNR"),
            ("snr-dec", "decoder SNR"),
            ("var-reparam", "gradient variance, reparameterised"),
            ("var-score", "…, score function"),
            ("run-status", "runs"),
        ]
        .iter()
        .map(|(c, h)| (c.to_string(), h.to_string()))
        .collect(),
        rows: groups
            .iter()
            .map(|g| {
                let ms = |m: &str| crate::views::mean_sd(&shown.finals(g, m));
                (
                    g.method().to_string(),
                    vec![
                        ms("test_ll"),
                        ms("elbo"),
                        ms("kl"),
                        ms("active_units"),
                        ms("snr_encoder"),
                        ms("snr_decoder"),
                        sci(shown.finals(g, "grad_var/reparam")),
                        sci(shown.finals(g, "grad_var/score")),
                        g.history().status(shown.seed),
                    ],
                )
            })
            .collect(),
    };
    Views {
        charts,
        bars: Vec::new(),
        heatmaps,
        networks: Vec::new(),
        table,
    }
}

/// log₁₀ SNR of the IWAE(K) gradient against K at each run's final weights: the encoder's solid,
/// the decoder's dashed, with Rainforth et al.'s slopes (−½ and +½ per decade of K) as guides
/// from the first method's K = 1 values.
fn snr_chart(groups: &[&Group], colours: &[usize]) -> ChartView {
    let band = |g: &Group, part: &str| -> Vec<BandPoint> {
        SNR_SHOWN
            .iter()
            .filter_map(|&k| {
                let v: Vec<f32> = g
                    .history()
                    .finals
                    .iter()
                    .filter_map(|f| f.get(&format!("snr_{part}/{k}")))
                    .filter(|v| **v > 0.0)
                    .map(|v| v.log10())
                    .collect();
                if v.is_empty() {
                    return None;
                }
                let mean = v.iter().sum::<f32>() / v.len() as f32;
                let (low, high) = v.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |a, &x| {
                    (a.0.min(x), a.1.max(x))
                });
                Some(BandPoint {
                    step: k as u64,
                    mean,
                    low,
                    high,
                })
            })
            .collect()
    };
    let mut series = Vec::new();
    let mut guides = Vec::new();
    for (g, &colour) in groups.iter().zip(colours) {
        for (part, dashed) in [("encoder", false), ("decoder", true)] {
            let b = band(g, part);
            if b.is_empty() {
                continue;
            }
            if guides.len() < 2 && b[0].step == 1 {
                let slope = if dashed { 0.5 } else { -0.5 };
                let kmax = *SNR_SHOWN.last().unwrap() as f64;
                guides.push(Guide {
                    label: format!("{part} theory: K^{slope:+}"),
                    points: vec![
                        (1.0, b[0].mean as f64),
                        (kmax, b[0].mean as f64 + slope * kmax.log10()),
                    ],
                });
            }
            series.push(SeriesView {
                method: format!("{} {part}", g.method()),
                colour,
                band: b,
                dashed,
            });
        }
    }
    ChartView {
        metric: "snr".into(),
        title: "Gradient SNR of IWAE(K) at the final weights: log₁₀, encoder solid, decoder dashed"
            .into(),
        series,
        guides,
        range: None,
        wide: false,
        x_label: "K (samples)".into(),
        log_x: true,
        markers: Vec::new(),
        x_span: None,
    }
}

/// Run 0's posterior means of the test points, coloured by digit (or ring component).
fn latent_map(g: &Group, digits: bool) -> HeatmapView {
    let extent = g
        .latent
        .iter()
        .map(|p| p.0.abs().max(p.1.abs()))
        .filter(|v| v.is_finite())
        .fold(1.0f32, f32::max)
        .min(50.0)
        * 1.1;
    // The prior's scale at least, so an untrained model's map is not blown up.
    HeatmapView {
        extent,
        ..HeatmapView::scatter(
            format!(
                "{}: latent means of the test {}, coloured by {}",
                g.method(),
                if digits { "digits" } else { "points" },
                if digits { "digit" } else { "component" }
            ),
            g.latent.clone(),
        )
    }
}

/// The decoded manifold (a grid of z at the normal's quantiles) with prior samples beside it,
/// pixel probabilities, MANIFOLD_COLS across.
fn manifold_image(decoded: &[f32]) -> Vec<f32> {
    // Each 8×8 image in a 9×9 slot: a blank line between neighbours.
    let (grid, side, px, slot) = (model::GRID, 8usize, 64usize, 9usize);
    let cols = MANIFOLD_COLS;
    let rows = grid * slot;
    let mut values = vec![0.0f32; cols * rows];
    let sigmoid = |l: f32| 1.0 / (1.0 + (-l).exp());
    let mut put = |image: usize, at_row: usize, at_col: usize| {
        for y in 0..side {
            for x in 0..side {
                if let Some(&l) = decoded.get(image * px + y * side + x) {
                    values[(at_row + y) * cols + at_col + x] = sigmoid(l);
                }
            }
        }
    };
    for r in 0..grid {
        for c in 0..grid {
            put(r * grid + c, r * slot, c * slot);
        }
    }
    // The prior samples, four across, after a gap.
    for s in 0..model::SAMPLES {
        put(grid * grid + s, (s / 4) * slot, (grid + 1 + s % 4) * slot);
    }
    values
}

/// Columns of the manifold image: the grid, a gap, four samples across, in 9-pixel slots.
const MANIFOLD_COLS: usize = (model::GRID + 1 + 4) * 9;

/// Run 0's decoded manifold and samples, as ink.
fn manifold(g: &Group) -> HeatmapView {
    HeatmapView {
        method: format!(
            "{}: decoded manifold (left) and prior samples (right)",
            g.method()
        ),
        cols: MANIFOLD_COLS,
        cell: 3,
        values: g.image.clone(),
        extent: 0.0,
        style: HeatStyle::Ink,
        categorical: false,
        points: Arc::new(Vec::new()),
        line: None,
    }
}

/// Side and half-width of the ring's density grid.
const DENSITY_SIDE: usize = 60;
const DENSITY_EXTENT: f32 = 3.5;

/// The model's density on the ring, (1/S) Σ_s N(x; μ(z_s), σ²(z_s)) over the decoded prior
/// samples z_s, on a DENSITY_SIDE² grid, scaled to its maximum.
fn ring_density(decoded: &[f32]) -> Vec<f32> {
    const SIDE: usize = DENSITY_SIDE;
    const EXTENT: f32 = DENSITY_EXTENT;
    let comps: Vec<[f32; 4]> = decoded
        .chunks_exact(4)
        .map(|c| {
            let (lv0, lv1) = (c[2].clamp(-9.0, 4.0), c[3].clamp(-9.0, 4.0));
            [c[0], c[1], lv0, lv1]
        })
        .collect();
    let mut values = Vec::with_capacity(SIDE * SIDE);
    for row in 0..SIDE {
        let y = EXTENT - (row as f32 + 0.5) * 2.0 * EXTENT / SIDE as f32;
        for col in 0..SIDE {
            let x = -EXTENT + (col as f32 + 0.5) * 2.0 * EXTENT / SIDE as f32;
            let p: f64 = comps
                .iter()
                .map(|c| {
                    let q = (x - c[0]).powi(2) * (-c[2]).exp() + (y - c[1]).powi(2) * (-c[3]).exp();
                    ((-0.5 * q - 0.5 * (c[2] + c[3])) as f64).exp()
                })
                .sum();
            values.push(p as f32);
        }
    }
    let max = values.iter().copied().fold(0.0f32, f32::max).max(1e-30);
    values.iter_mut().for_each(|v| *v /= max);
    values
}

/// Run 0's density on the ring with the test points.
fn density(g: &Group) -> HeatmapView {
    let points: Vec<(f32, f32, f32, bool)> = g
        .built
        .data
        .test
        .chunks_exact(2)
        .zip(&g.built.data.test_labels)
        .take(200)
        .map(|(p, &l)| (p[0], p[1], l as f32, true))
        .collect();
    HeatmapView {
        method: format!("{}: model density and test points", g.method()),
        cols: DENSITY_SIDE,
        cell: 4,
        values: g.image.clone(),
        extent: DENSITY_EXTENT,
        style: HeatStyle::Ink,
        categorical: true,
        points: Arc::new(points),
        line: None,
    }
}
