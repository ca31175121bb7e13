//! The generative latent lab's model: an MLP encoder giving a diagonal Gaussian q(z|x), a standard
//! normal prior, and an MLP decoder (Bernoulli pixels for digits, a Gaussian for the 2-D ring).
//!
//! Every bound is built from the log importance weights
//! `log w = log p(x|z) + log p(z) − log q(z|x)` of S = M·K reparameterised samples per point:
//! the ELBO is their mean, IWAE(K) the log of the mean of K weights, MIWAE(M, K) the mean of M
//! such bounds. Evaluation draws its own noise from a counter of its own, so observing a run never
//! changes what it trains on.
//!
//! What a method plugs into (`Bound`, with the `Batch` it sees) is defined here and implemented
//! in `methods/`: the model names no method.

use crate::data::digits;
use crate::decl::Choice;
use crate::engine::error::invalid;
use crate::engine::{autodiff, nn, rng, Entry, Graph, OptimizerKind, Program, Result, Tensor};
use crate::experiment::Experiment;

const LN_2PI: f32 = 1.837_877;

/// What a run trains: the settings and what its method chose.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub data: DataSet,
    pub latent: usize,
    pub hidden: usize,
    pub batch: usize,
    pub lr: f32,
    pub k_during: usize,
    pub k_eval: usize,
    /// Gradient estimates per probe (SNR, variance).
    pub repeats: usize,
}

impl Recipe {
    pub fn from_settings(exp: &Experiment) -> Recipe {
        let s = exp.read();
        Recipe {
            data: s.choice("data"),
            latent: s.usize("latent"),
            hidden: s.usize("hidden"),
            batch: s.usize("batch"),
            lr: s.f32("lr"),
            k_during: s.usize("k_during"),
            k_eval: s.usize("k_eval"),
            repeats: s.usize("repeats"),
        }
    }
}

/// The data set: training and test points (row-major), test labels (digit, or ring component)
/// and whether pixels are Bernoulli.
pub struct Data {
    pub train: Vec<f32>,
    pub test: Vec<f32>,
    pub test_labels: Vec<u8>,
    pub dims: usize,
    pub bernoulli: bool,
}

impl Data {
    pub fn n_train(&self) -> usize {
        self.train.len() / self.dims
    }
    pub fn n_test(&self) -> usize {
        self.test.len() / self.dims
    }
}

/// Components of the ring mixture, its radius and each component's standard deviation.
pub const RING: (usize, f32, f32) = (8, 2.0, 0.2);

/// The same data for every seed, so test log-likelihoods compare across seeds and methods.
/// Fails only in the page before it has fetched the digits (`data::digits::provide`).
/// The lab's data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataSet {
    /// The bundled 8×8 digits as Bernoulli pixels.
    Digits,
    /// Eight Gaussians on a ring, in 2-D.
    Ring,
}

impl Choice for DataSet {
    const OPTIONS: &'static [(&'static str, Self)] =
        &[("digits", DataSet::Digits), ("ring", DataSet::Ring)];
}

pub fn data(set: DataSet) -> std::result::Result<Data, String> {
    if set == DataSet::Ring {
        let (train, _) = ring(2000, 1);
        let (test, labels) = ring(500, 2);
        return Ok(Data {
            train,
            test,
            test_labels: labels,
            dims: 2,
            bernoulli: false,
        });
    }
    let (train, test) = digits::split(0, 0.2)?;
    Ok(Data {
        train: train.x,
        test: test.x,
        test_labels: test.y,
        dims: digits::PIXELS,
        bernoulli: true,
    })
}

/// `n` points of eight Gaussians on a ring, and each point's component.
fn ring(n: usize, stream: u32) -> (Vec<f32>, Vec<u8>) {
    let (components, radius, sd) = RING;
    let mut x = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % components;
        let angle = std::f32::consts::TAU * c as f32 / components as f32;
        x.push(
            radius * crate::engine::math::cos(angle) + sd * rng::normal(0, stream, 0, 2 * i as u32),
        );
        x.push(
            radius * crate::engine::math::sin(angle)
                + sd * rng::normal(0, stream, 0, 2 * i as u32 + 1),
        );
        labels.push(c as u8);
    }
    (x, labels)
}

/// Encoder and decoder.
pub struct Net {
    pub encoder: nn::Mlp,
    pub decoder: nn::Mlp,
    pub latent: usize,
    pub dims: usize,
    pub bernoulli: bool,
}

impl Net {
    /// q(z|x)'s mean and log-variance, each [R, N, latent].
    pub fn encode(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let out = self.encoder.forward(x)?;
        Ok((
            out.slice(0, self.latent)?,
            out.slice(self.latent, self.latent)?.clamp(-12.0, 8.0)?,
        ))
    }
    /// The decoder's output for z: pixel logits, or a Gaussian's mean and log-variance. With
    /// `frozen` its weights pass no gradient (PIWAE's encoder term).
    pub fn decode(&self, z: &Tensor, frozen: bool) -> Result<Tensor> {
        let mut h = z.clone();
        let last = self.decoder.layers.len() - 1;
        for (i, layer) in self.decoder.layers.iter().enumerate() {
            let (w, b) = if frozen {
                (layer.weight.detach()?, layer.bias.detach()?)
            } else {
                (layer.weight.clone(), layer.bias.clone())
            };
            h = h.matmul(&w)?.add(&b)?;
            if i < last {
                h = h.tanh()?;
            }
        }
        Ok(h)
    }
    /// log p(x|z) per row, [R, N, 1].
    pub fn log_px(&self, x: &Tensor, out: &Tensor) -> Result<Tensor> {
        if self.bernoulli {
            // x·l − softplus(l), softplus(l) = max(l, 0) + log(1 + e^−|l|).
            let softplus = out
                .relu()?
                .add(&out.abs()?.neg()?.exp()?.add_scalar(1.0)?.log()?)?;
            x.mul(out)?.sub(&softplus)?.sum(2)
        } else {
            let mean = out.slice(0, self.dims)?;
            let log_var = out.slice(self.dims, self.dims)?.clamp(-9.0, 4.0)?;
            x.sub(&mean)?
                .square()?
                .mul(&log_var.neg()?.exp()?)?
                .add(&log_var)?
                .add_scalar(LN_2PI)?
                .sum(2)?
                .mul_scalar(-0.5)
        }
    }
    pub fn params(&self, encoder: bool) -> Vec<Tensor> {
        if encoder {
            self.encoder.params()
        } else {
            self.decoder.params()
        }
    }
}

/// log N(z; 0, I) per row, [R, N, 1].
fn log_prior(z: &Tensor) -> Result<Tensor> {
    z.square()?.add_scalar(LN_2PI)?.sum(2)?.mul_scalar(-0.5)
}

/// log N(z; mean, diag e^log_var) per row, [R, N, 1].
fn log_q(z: &Tensor, mean: &Tensor, log_var: &Tensor) -> Result<Tensor> {
    z.sub(mean)?
        .square()?
        .mul(&log_var.neg()?.exp()?)?
        .add(log_var)?
        .add_scalar(LN_2PI)?
        .sum(2)?
        .mul_scalar(-0.5)
}

/// Index rows repeating each of `n` rows `s` times: [1, n·s].
fn repeat_rows(g: &Graph, n: usize, s: usize) -> Result<Tensor> {
    g.input(
        &format!("repeat.{n}x{s}"),
        &[1, n * s],
        (0..n * s).map(|i| (i / s) as f32).collect(),
    )
}

/// How the samples' gradients flow.
#[derive(Clone, Copy, Default)]
pub struct Flow {
    /// q's mean and variance pass no gradient (PIWAE's decoder term).
    pub frozen_encoder: bool,
    /// The decoder's weights pass no gradient (PIWAE's encoder term).
    pub frozen_decoder: bool,
    /// z itself passes no gradient: the score-function estimator.
    pub detached_z: bool,
}

/// Log weights of `s` samples for each row of `x` ([R|1, N, D]) from noise `eps`
/// ([R, N·s, latent]): (log w [R, N·s, 1], log q(z|x) [R, N·s, 1]).
pub fn log_weights(
    net: &Net,
    x: &Tensor,
    s: usize,
    eps: &Tensor,
    flow: Flow,
) -> Result<(Tensor, Tensor)> {
    let g = x.graph();
    let n = x.dims()[1];
    let rep = repeat_rows(g, n, s)?;
    let (mut mean, mut log_var) = net.encode(x)?;
    if flow.frozen_encoder {
        (mean, log_var) = (mean.detach()?, log_var.detach()?);
    }
    let (mean, log_var) = (mean.gather_rows(&rep)?, log_var.gather_rows(&rep)?);
    let mut z = mean.add(&log_var.mul_scalar(0.5)?.exp()?.mul(eps)?)?;
    if flow.detached_z {
        z = z.detach()?;
    }
    let out = net.decode(&z, flow.frozen_decoder)?;
    let xs = x.gather_rows(&rep)?;
    let lq = log_q(&z, &mean, &log_var)?;
    let lw = net.log_px(&xs, &out)?.add(&log_prior(&z)?)?.sub(&lq)?;
    Ok((lw, lq))
}

/// IWAE(k) per group of k consecutive samples, averaged per run: [R].
pub fn iwae(lw: &Tensor, k: usize) -> Result<Tensor> {
    let d = lw.dims();
    let groups = d[1] / k;
    lw.reshape(&[d[0], groups, k])?
        .logsumexp()?
        .add_scalar(-crate::engine::math::ln(k as f32))?
        .mean_per_run()
}

/// Each run's gradients, flattened and joined: [R, P].
fn flat(grads: &[Tensor]) -> Result<Tensor> {
    let mut out: Option<Tensor> = None;
    for g in grads {
        let d = g.dims();
        let f = g.reshape(&[d[0], d[1..].iter().product()])?;
        out = Some(match out {
            Some(o) => o.concat(&f)?,
            None => f,
        });
    }
    Ok(out.expect("a network has parameters"))
}

/// The training objective per run (to maximise), from a batch `x` and the step's noise.
fn objective(net: &Net, x: &Tensor, bound: &dyn Bound, step: &Tensor) -> Result<Tensor> {
    let g = x.graph();
    let (runs, n) = (g.runs(), x.dims()[1]);
    let eps = g.random_normal(
        &[runs, n * bound.samples(), net.latent],
        0.0,
        1.0,
        Some(step),
    )?;
    bound.objective(&Batch {
        net,
        x,
        eps: &eps,
        step,
    })
}

/// A surrogate whose gradient is the score-function estimate of the ELBO's: for the encoder
/// f·∇log q − ∇log q with f = log w held fixed, for the decoder ∇log p(x|z).
pub fn score_surrogate(net: &Net, x: &Tensor, s: usize, eps: &Tensor) -> Result<Tensor> {
    let flow = Flow {
        detached_z: true,
        ..Flow::default()
    };
    let (lw, lq) = log_weights(net, x, s, eps, flow)?;
    lw.add(&lw.detach()?.mul(&lq)?)?.mean_per_run()
}

pub struct Built {
    pub program: Program,
    pub net: Net,
    pub data: Data,
    /// Test points per evaluation chunk's sample count.
    pub chunk: usize,
    /// Eval entry outputs: per test point log Σ_chunk w, [R, N, 1]; the chunk's mean log w
    /// (an ELBO estimate), [R]; the analytic KL, [R]; q's means and log-variances [R, N, latent].
    pub chunk_lse: Tensor,
    pub elbo: Tensor,
    pub kl: Tensor,
    pub mean: Tensor,
    pub log_var: Tensor,
    /// Picture entry output: the decoder's output at `picture_z` ([1, P, latent]).
    pub decoded: Tensor,
    pub picture_z: Vec<f32>,
    /// The K of each SNR entry (entries `SNR0 + i`), and each one's sums of its encoder and
    /// decoder gradients.
    pub snr_k: Vec<usize>,
    pub snr_sums: Vec<[Probe; 2]>,
    /// The variance entry's sums: the encoder's gradient by reparameterisation and by the score
    /// function, at the same weights.
    pub var_sums: [Probe; 2],
}

/// A gradient probe's running moments on the device, [R, P] each: the mean of g and the sum of
/// squared deviations from it (Welford's update) over the times its entry ran since they were
/// zeroed. Reading two tensors after many runs keeps the probe off the readback path.
///
/// NOTE: not Σ g and Σ g². A parameter whose gradient hardly varies has a variance far below
/// its mean squared, and Σ g² − n·mean² in f32 cancels to rounding noise: its SNR (|mean| / sd)
/// then came out of the rounding, differed by 70 % between the CPU and a GPU, and dominated the
/// average over parameters. Welford's deviations keep the variance's own precision.
#[derive(Clone, Debug)]
pub struct Probe {
    pub mean: Tensor,
    pub m2: Tensor,
    /// Estimates taken since the probe was zeroed, [1].
    pub count: Tensor,
}

impl Probe {
    /// Moments of the flattened gradient `g` ([R, P]), and the entry that updates them.
    fn new(g: &Tensor, label: &str, entry: Entry) -> Result<(Probe, Entry)> {
        let graph = g.graph();
        let d = g.dims();
        let zeros = vec![0.0; d[0] * d[1]];
        let mean = graph.state(&format!("{label}.mean"), &d, zeros.clone())?;
        let m2 = graph.state(&format!("{label}.m2"), &d, zeros)?;
        let count = graph.state(&format!("{label}.count"), &[1], vec![0.0])?;
        let next = count.add_scalar(1.0)?;
        let deviation = g.sub(&mean)?;
        let next_mean = mean.add(&deviation.div(&next)?)?;
        let entry = entry
            .assign(&count, &next)
            .assign(&m2, &m2.add(&deviation.mul(&g.sub(&next_mean)?)?)?)
            .assign(&mean, &next_mean);
        Ok((Probe { mean, m2, count }, entry))
    }
}

/// Entry indices; the SNR entries follow.
pub const TRAIN: usize = 0;
pub const EVAL: usize = 1;
pub const PICTURE: usize = 2;
pub const VARIANCE: usize = 3;
pub const SNR0: usize = 4;
/// Points whose gradient the SNR and variance probes estimate (the first of the training set).
pub const PROBE_POINTS: usize = 32;
/// The K's of the SNR sweep (the method's own K is added).
pub const SNR_SWEEP: [usize; 4] = [1, 4, 16, 64];
/// The decoded manifold is a GRID × GRID array of images; then SAMPLES prior samples.
pub const GRID: usize = 10;
pub const SAMPLES: usize = 16;
/// Prior samples whose decoded Gaussians make the ring's density.
pub const RING_SAMPLES: usize = 512;

pub fn build(recipe: &Recipe, bound: &dyn Bound, runs: usize, seed: u32) -> Result<Built> {
    let bound_k = bound.k();
    let data = data(recipe.data).map_err(|e| invalid("vae data", e))?;
    let (dims, latent) = (data.dims, recipe.latent);
    let g = Graph::new(runs, seed);
    let step = g.step_counter()?;
    let train_x = g.input("train.x", &[1, data.n_train(), dims], data.train.clone())?;
    let test_x = g.input("test.x", &[1, data.n_test(), dims], data.test.clone())?;
    let out = if data.bernoulli { dims } else { 2 * dims };
    let h = recipe.hidden;
    let net = Net {
        encoder: nn::Mlp::new(
            &g,
            "encoder",
            &[dims, h, h, 2 * latent],
            nn::Activation::Tanh,
        )?,
        decoder: nn::Mlp::new(&g, "decoder", &[latent, h, h, out], nn::Activation::Tanh)?,
        latent,
        dims,
        bernoulli: data.bernoulli,
    };
    let mut params = net.params(true);
    params.extend(net.params(false));

    let idx = g.random_index(&[runs, recipe.batch], data.n_train(), Some(&step))?;
    let batch = train_x.gather_rows(&idx)?;
    let training = objective(&net, &batch, bound, &step)?;
    let lr = g.per_run("lr", &[recipe.lr])?;
    let train = Entry::new("train")
        .metric("train_bound", &training)
        .minimize(&training.neg()?, &params, OptimizerKind::adam(), &lr)?;

    // Evaluation: `chunk` samples per test point, from a counter of its own.
    let n_test = data.n_test();
    let chunk = (10_000 / n_test).clamp(1, 50);
    let eval_counter = g.state("eval.counter", &[1], vec![0.0])?;
    let eps = g.random_normal(
        &[runs, n_test * chunk, latent],
        0.0,
        1.0,
        Some(&eval_counter),
    )?;
    let (lw, _) = log_weights(&net, &test_x, chunk, &eps, Flow::default())?;
    let chunk_lse = lw.reshape(&[runs, n_test, chunk])?.logsumexp()?.detach()?;
    let elbo = lw.mean_per_run()?.detach()?;
    let (mean, log_var) = net.encode(&test_x)?;
    let kl = mean
        .square()?
        .add(&log_var.exp()?)?
        .sub(&log_var)?
        .add_scalar(-1.0)?
        .sum_per_run()?
        .mul_scalar(0.5 / n_test as f32)?
        .detach()?;
    let eval = Entry::new("eval")
        .output(&chunk_lse)
        .output(&elbo)
        .output(&kl)
        .output(&mean)
        .output(&log_var)
        .assign(&eval_counter, &eval_counter.add_scalar(1.0)?);

    // Pictures: the decoder on a grid of z (digits) or on prior samples (ring).
    let picture_z = picture_points(&data, latent);
    let zs = g.input(
        "picture.z",
        &[1, picture_z.len() / latent, latent],
        picture_z.clone(),
    )?;
    let decoded = net.decode(&zs, false)?.detach()?;
    let picture = Entry::new("picture").output(&decoded);

    // Gradient probes at fixed weights: fresh noise each time from their own counter.
    let probe_counter = g.state("probe.counter", &[1], vec![0.0])?;
    let probe_n = PROBE_POINTS.min(data.n_train());
    let probe_x = g.input(
        "probe.x",
        &[1, probe_n, dims],
        data.train[..probe_n * dims].to_vec(),
    )?;
    let noise =
        |s: usize| g.random_normal(&[runs, probe_n * s, latent], 0.0, 1.0, Some(&probe_counter));
    let encoder = net.params(true);
    let decoder = net.params(false);
    let bump = |e: Entry| -> Result<Entry> {
        Ok(e.assign(&probe_counter, &probe_counter.add_scalar(1.0)?))
    };
    let reparam = log_weights(&net, &probe_x, 1, &noise(1)?, Flow::default())?
        .0
        .mean_per_run()?;
    let score = score_surrogate(&net, &probe_x, 1, &noise(1)?)?;
    let (by_reparam, variance) = Probe::new(
        &flat(&autodiff::grad(&reparam, &encoder)?)?.detach()?,
        "variance.reparam",
        bump(Entry::new("variance"))?,
    )?;
    let (by_score, variance) = Probe::new(
        &flat(&autodiff::grad(&score, &encoder)?)?.detach()?,
        "variance.score",
        variance,
    )?;

    let mut snr_k: Vec<usize> = SNR_SWEEP.to_vec();
    snr_k.push(bound_k);
    snr_k.sort_unstable();
    snr_k.dedup();
    let mut entries = vec![train, eval, picture, variance];
    let mut snr_sums = Vec::new();
    for &k in &snr_k {
        let (lw, _) = log_weights(&net, &probe_x, k, &noise(k)?, Flow::default())?;
        let b = iwae(&lw, k)?;
        let (enc, entry) = Probe::new(
            &flat(&autodiff::grad(&b, &encoder)?)?.detach()?,
            &format!("snr.{k}.encoder"),
            bump(Entry::new(&format!("snr.{k}")))?,
        )?;
        let (dec, entry) = Probe::new(
            &flat(&autodiff::grad(&b, &decoder)?)?.detach()?,
            &format!("snr.{k}.decoder"),
            entry,
        )?;
        entries.push(entry);
        snr_sums.push([enc, dec]);
    }
    Ok(Built {
        program: Program::new(&g, entries)?,
        net,
        data,
        chunk,
        chunk_lse,
        elbo,
        kl,
        mean,
        log_var,
        decoded,
        picture_z,
        snr_k,
        snr_sums,
        var_sums: [by_reparam, by_score],
    })
}

/// The latent points the picture entry decodes: for digits a GRID × GRID grid over the first two
/// latent dimensions at the normal's quantiles 5 %…95 % (the rest 0), then SAMPLES prior draws;
/// for the ring RING_SAMPLES prior draws.
fn picture_points(data: &Data, latent: usize) -> Vec<f32> {
    let prior = |n: usize| -> Vec<f32> {
        (0..n * latent)
            .map(|i| rng::normal(0, 77, 0, i as u32))
            .collect()
    };
    if !data.bernoulli {
        return prior(RING_SAMPLES);
    }
    let mut z = Vec::with_capacity((GRID * GRID + SAMPLES) * latent);
    for row in 0..GRID {
        for col in 0..GRID {
            let q = |i: usize| normal_quantile(0.05 + 0.9 * i as f64 / (GRID - 1) as f64);
            let mut point = vec![0.0; latent];
            point[0] = q(col) as f32;
            if latent > 1 {
                point[1] = q(GRID - 1 - row) as f32;
            }
            z.extend(point);
        }
    }
    z.extend(prior(SAMPLES));
    z
}

/// The standard normal's quantile (Acklam's rational approximation, |error| < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * crate::engine::math::ln64(p)).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * crate::engine::math::ln64(1.0 - p)).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// What a method trains with: a bound on log p(x) to maximise, or a surrogate whose gradient
/// estimates one's.
pub trait Bound {
    /// Reparameterised samples per data point per step.
    fn samples(&self) -> usize;
    /// The K of the IWAE-type bound it trains (1 for the ELBO family): where its own gradient
    /// SNR is read.
    fn k(&self) -> usize {
        1
    }
    /// The objective per run [R] on the batch.
    fn objective(&self, batch: &Batch) -> Result<Tensor>;
}

/// One training step's batch and its noise.
pub struct Batch<'a> {
    pub net: &'a Net,
    /// The data points [R, N, D].
    pub x: &'a Tensor,
    /// Standard normal noise [R, N·samples, latent].
    pub eps: &'a Tensor,
    /// The step counter, for draws of its own.
    pub step: &'a Tensor,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_quantile_inverts_known_points() {
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_964),
            (0.05, -1.644_854),
            (0.001, -3.090_232),
        ] {
            assert!(
                (normal_quantile(p) - z).abs() < 1e-5,
                "{p}: {}",
                normal_quantile(p)
            );
        }
    }

    #[test]
    fn the_ring_has_eight_components_at_radius_two() {
        let (x, labels) = ring(800, 3);
        for c in 0..8u8 {
            let pts: Vec<(f32, f32)> = labels
                .iter()
                .enumerate()
                .filter(|(_, &l)| l == c)
                .map(|(i, _)| (x[2 * i], x[2 * i + 1]))
                .collect();
            let (mx, my) = pts.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
            let (mx, my) = (mx / pts.len() as f32, my / pts.len() as f32);
            assert!(
                (mx.hypot(my) - 2.0).abs() < 0.1,
                "component {c}: ({mx}, {my})"
            );
        }
    }
}
