//! The mutual-information lab's data, critics and score matrix. A step draws K pairs (xᵢ, yᵢ)
//! from the correlated Gaussian on the device, scores every pair (xᵢ, yⱼ) with the critic, and
//! hands the K × K score matrix to the estimator: the diagonal holds samples of the joint p(x, y),
//! the off-diagonal pairs samples of the product of marginals p(x)p(y).

use super::methods::{self, Estimator};
use crate::decl::Choice;
use crate::engine::{nn, Entry, Graph, OptimizerKind, Program, Result, Tensor};
use crate::experiment::Experiment;

/// Critic architectures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Critic {
    /// f(x, y) = g(x)ᵀh(y): two MLPs, one matrix product for all K² pairs.
    Separable,
    /// f(x, y) = MLP([x, y]) on every pair: more expressive, K² forward passes.
    Joint,
}

impl Choice for Critic {
    const OPTIONS: &'static [(&'static str, Self)] =
        &[("separable", Critic::Separable), ("joint", Critic::Joint)];
}

/// The noise scale σ = √(1 − ρ²) below which y equals x to f32 precision (about 1e-7 relative):
/// keeping σ ≥ 1e-4 keeps the noise thousands of ulps above rounding.
pub const MIN_NOISE: f64 = 1e-4;
/// Largest score-matrix activation the joint critic may hold per run group, in floats: the
/// WebGPU baseline limit on one storage binding is 128 MiB.
pub const MAX_JOINT_FLOATS: usize = 1 << 25;

/// How one method group runs: the settings, plus the estimator the method chose.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    pub dim: usize,
    /// True mutual information of each level, in nats.
    pub levels: Vec<f64>,
    pub steps_per_level: u32,
    pub batch: usize,
    pub critic: Critic,
    pub hidden: usize,
    pub layers: usize,
    pub embed: usize,
    pub lr: f32,
    pub cubic: bool,
    pub estimator: Estimator,
}

impl Recipe {
    /// The recipe the experiment's settings describe (the estimator is set by the method).
    pub fn from_settings(exp: &Experiment) -> Recipe {
        let s = exp.read();
        let (first, stride, count) = (s.f64("first"), s.f64("stride"), s.usize("levels").max(1));
        Recipe {
            dim: s.usize("dim"),
            levels: (0..count).map(|k| first + stride * k as f64).collect(),
            steps_per_level: s.u32("steps"),
            batch: s.usize("batch"),
            critic: s.choice("critic"),
            hidden: s.usize("hidden"),
            layers: s.usize("layers"),
            embed: s.usize("embed"),
            lr: s.f32("lr"),
            cubic: s.bool("cubic"),
            estimator: Estimator::InfoNce,
        }
    }
    pub fn total_steps(&self) -> u32 {
        self.steps_per_level
            .saturating_mul(self.levels.len() as u32)
    }
    /// The level a training step belongs to.
    pub fn level_of(&self, step: u64) -> usize {
        ((step / self.steps_per_level.max(1) as u64) as usize).min(self.levels.len() - 1)
    }
    /// (ρ, σ) with ρ² + σ² = 1 and I = −(d/2)·log(1 − ρ²): σ = exp(−I/d).
    pub fn correlation(&self, mi: f64) -> (f64, f64) {
        let sigma = crate::engine::math::exp64(-mi / self.dim as f64);
        ((1.0 - sigma * sigma).max(0.0).sqrt(), sigma)
    }
    /// Problems no single setting's range can catch, as a person reads them.
    pub fn check(&self, runs: usize) -> std::result::Result<(), String> {
        if self.dim == 0 {
            return Err("dim = 0: the variables need at least one dimension".into());
        }
        if self.batch < 2 {
            return Err(format!(
                "batch K = {}: the estimators need K ≥ 2 (one joint pair and at least one \
                 pair from the product of marginals per row)",
                self.batch
            ));
        }
        if let Some(&bad) = self.levels.iter().find(|&&mi| mi.is_nan() || mi < 0.0) {
            return Err(format!("a level of {bad} nats: mutual information is ≥ 0"));
        }
        let top = self.levels.iter().copied().fold(0.0, f64::max);
        let (rho, sigma) = self.correlation(top);
        if sigma < MIN_NOISE {
            return Err(format!(
                "the top level, {top} nats over d = {}, needs ρ = {rho} (1 − ρ² = {:.1e}): \
                 y would equal x to f32 precision, as if ρ were 1. Keep every level below {:.1} \
                 nats for this d, or raise d",
                self.dim,
                sigma * sigma,
                self.dim as f64 * -crate::engine::math::ln64(MIN_NOISE),
            ));
        }
        if self.critic == Critic::Joint
            && runs * self.batch * self.batch * self.hidden > MAX_JOINT_FLOATS
        {
            return Err(format!(
                "the joint critic scores K² = {} pairs × {} hidden units × {runs} runs, more than \
                 a WebGPU storage buffer holds; lower K, the hidden width or the runs, or use \
                 the separable critic",
                self.batch * self.batch,
                self.hidden
            ));
        }
        Ok(())
    }
}

/// The compiled program and what the group reads from it.
pub struct Built {
    pub program: Program,
}

/// Draws the staircase data for step `step` ([1] counter) and returns (x, y), each [R, K, d].
fn sample(g: &Graph, recipe: &Recipe, step: &Tensor) -> Result<(Tensor, Tensor)> {
    let (runs, k, d) = (g.runs(), recipe.batch, recipe.dim);
    // (ρ, σ) of every level, picked on the device by the step's level.
    let mut table = Vec::with_capacity(2 * recipe.levels.len());
    for &mi in &recipe.levels {
        let (rho, sigma) = recipe.correlation(mi);
        table.extend([rho as f32, sigma as f32]);
    }
    let table = g.input("levels", &[1, recipe.levels.len(), 2], table)?;
    // floor((step + ½) / steps): the ½ keeps a rounded division off the integer boundary.
    let level = step
        .add_scalar(0.5)?
        .div(&g.scalar(recipe.steps_per_level as f32)?)?
        .floor()?
        .minimum(&g.scalar((recipe.levels.len() - 1) as f32)?)?
        .reshape(&[1, 1])?
        .expand(&[runs, 1])?;
    let pick = table.gather_rows(&level)?; // [R, 1, 2]
    let (rho, sigma) = (pick.slice(0, 1)?, pick.slice(1, 1)?);
    let x = g.random_normal(&[runs, k, d], 0.0, 1.0, Some(step))?;
    let noise = g.random_normal(&[runs, k, d], 0.0, 1.0, Some(step))?;
    let mut y = x.mul(&rho)?.add(&noise.mul(&sigma)?)?;
    if recipe.cubic {
        y = y.square()?.mul(&y)?;
    }
    Ok((x, y))
}

/// The critic: its K × K score matrix F[i, j] = f(xᵢ, yⱼ), [R, K, K], and its parameters.
fn critic(g: &Graph, recipe: &Recipe, x: &Tensor, y: &Tensor) -> Result<(Tensor, Vec<Tensor>)> {
    let (runs, k, d, h) = (g.runs(), recipe.batch, recipe.dim, recipe.hidden);
    let act = nn::Activation::Relu;
    // Xavier everywhere (as the papers' Keras and PyTorch critics start): the first scores are
    // near 0. With He init they spread over ±10, exp F reaches e³⁰, and the first gradients of
    // NWJ and MINE fill Adam's second moment for tens of thousands of steps.
    let init = nn::Init::Xavier;
    match recipe.critic {
        Critic::Separable => {
            let mut sizes = vec![d];
            sizes.extend(std::iter::repeat_n(h, recipe.layers));
            sizes.push(recipe.embed);
            let gx = nn::Mlp::with_init(g, "critic.g", &sizes, act, init)?;
            let hy = nn::Mlp::with_init(g, "critic.h", &sizes, act, init)?;
            let scores = gx.forward(x)?.matmul_t(&hy.forward(y)?, false, true)?;
            let mut params = gx.params();
            params.extend(hy.params());
            Ok((scores, params))
        }
        Critic::Joint => {
            // The first layer of MLP([x, y]) splits as x·Wx + y·Wy + b, so all K² pairs cost one
            // broadcast add instead of K² concatenations.
            let wx = g.param_xavier("critic.0.wx", &[runs, d, h])?;
            let first = nn::Linear::with_init(g, "critic.0", d, h, init)?;
            let mut sizes = vec![h];
            sizes.extend(std::iter::repeat_n(h, recipe.layers.saturating_sub(1)));
            sizes.push(1);
            let rest = nn::Mlp::with_init(g, "critic.rest", &sizes, act, init)?;
            let a = x.matmul(&wx)?.reshape(&[runs, k, 1, h])?;
            let b = first.forward(y)?.reshape(&[runs, 1, k, h])?;
            let hidden = act.apply(&a.add(&b)?.reshape(&[runs, k * k, h])?)?;
            let scores = rest.forward(&hidden)?.reshape(&[runs, k, k])?;
            let mut params = vec![wx];
            params.extend(first.params());
            params.extend(rest.params());
            Ok((scores, params))
        }
    }
}

/// Builds the training program: one entry that samples, scores, takes the estimator's step and
/// accumulates the estimate (and its square, for the variance over steps) per run.
pub fn build(recipe: &Recipe, runs: usize, seed: u32) -> Result<Built> {
    recipe
        .check(runs)
        .map_err(|detail| crate::engine::EngineError::Invalid { op: "mi", detail })?;
    let g = Graph::new(runs, seed);
    let step = g.step_counter()?;
    let (x, y) = sample(&g, recipe, &step)?;
    let (scores, params) = critic(&g, recipe, &x, &y)?;
    let bound = methods::bound(&recipe.estimator, &methods::Scores::new(&scores)?)?;
    let lr = g.per_run("lr", &[recipe.lr])?;
    let value = bound.value.detach()?;
    let mut train = Entry::new("train")
        .metric("mi", &value)
        .metric("mi_sq", &value.square()?);
    for (state, next) in &bound.assigns {
        train = train.assign(state, next);
    }
    let train = train.minimize(&bound.objective.neg()?, &params, OptimizerKind::adam(), &lr)?;
    Ok(Built {
        program: Program::new(&g, vec![train])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::CpuExec;

    fn recipe(levels: Vec<f64>, steps: u32) -> Recipe {
        Recipe {
            dim: 4,
            levels,
            steps_per_level: steps,
            batch: 512,
            critic: Critic::Separable,
            hidden: 8,
            layers: 1,
            embed: 4,
            lr: 1e-3,
            cubic: false,
            estimator: Estimator::InfoNce,
        }
    }

    /// The sampled pairs have the correlation ρ of their level, level by level, and every
    /// coordinate has unit variance.
    #[test]
    fn staircase_data_has_the_level_correlation() {
        let r = recipe(vec![0.5, 4.0], 3);
        let g = Graph::new(2, 7);
        let step = g.step_counter().unwrap();
        let (x, y) = sample(&g, &r, &step).unwrap();
        let entry = Entry::new("draw").output(&x).output(&y).advancing_step();
        let mut exec = CpuExec::new(&Program::new(&g, vec![entry]).unwrap()).unwrap();
        for (at, mi) in [(0, 0.5), (3, 4.0), (5, 4.0)] {
            while (exec.read(&step).unwrap()[0] as u32) < at {
                exec.run(0, 1).unwrap();
            }
            exec.run(0, 1).unwrap();
            let (xs, ys) = (exec.read(&x).unwrap(), exec.read(&y).unwrap());
            let n = xs.len() as f64;
            let sxy: f64 = xs.iter().zip(&ys).map(|(a, b)| (a * b) as f64).sum::<f64>() / n;
            let sxx: f64 = xs.iter().map(|a| (a * a) as f64).sum::<f64>() / n;
            let syy: f64 = ys.iter().map(|b| (b * b) as f64).sum::<f64>() / n;
            let rho = r.correlation(mi).0;
            // 4096 pairs: the sample correlation's standard error is below 0.02.
            assert!(
                (sxy / (sxx * syy).sqrt() - rho).abs() < 0.05,
                "step {at}: {sxy} vs ρ = {rho}"
            );
            assert!(
                (sxx - 1.0).abs() < 0.08 && (syy - 1.0).abs() < 0.08,
                "{sxx} {syy}"
            );
        }
    }
}
