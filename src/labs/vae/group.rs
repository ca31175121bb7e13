//! The vae lab's run group: one method under every run of an experiment.

use super::pictures::{manifold_image, ring_density, SNR_SHOWN};
use super::{methods, model, ACTIVE};
use crate::engine::gpu::GpuContext;
use crate::engine::{rng, Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{Core, LocalFuture, RunGroup};
use std::sync::Arc;

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
            m + crate::engine::math::ln64(
                crate::engine::math::exp64(*a - m) + crate::engine::math::exp64(b - m),
            )
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
        let log_k = crate::engine::math::ln64((chunks * chunk) as f64);
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
            mean[i] as f64 + crate::engine::math::exp64(0.5 * log_var[i] as f64) * e
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
                total += crate::engine::math::exp64(-dist / (2.0 * d as f64));
            }
        }
        total / (n * n) as f64
    };
    kernel(&q, &q) + kernel(&p, &p) - 2.0 * kernel(&q, &p)
}
