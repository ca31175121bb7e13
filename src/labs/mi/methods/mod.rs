//! The estimators: each turns the critic's K × K score matrix F into a training objective (to
//! maximise) and an estimate of I(x; y). Row i of F pairs xᵢ with every yⱼ: F[i, i] are samples
//! of the joint p(x, y), F[i, j ≠ i] samples of the product of marginals p(x)p(y).

pub mod dv;
mod infonce;
mod js;
mod nwj;
mod smile;

use crate::decl::{Knobs, MethodDecl, Paper};
use crate::engine::{Result, Tensor};

/// One estimator method: its declaration, and the estimator its knobs make. A new method is a
/// file, a line in `METHODS`, and its bound in `bound`.
pub struct Method {
    pub declaration: fn() -> MethodDecl,
    pub estimator: fn(&Knobs) -> Estimator,
}

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    infonce::METHOD,
    nwj::METHOD,
    dv::METHOD,
    js::METHOD,
    smile::METHOD,
];

pub const POOLE: Paper = Paper {
    title: "On Variational Bounds of Mutual Information",
    url: "https://arxiv.org/abs/1905.06922",
};

/// Which estimator a method group trains with, and its knobs.
#[derive(Clone, Debug, PartialEq)]
pub enum Estimator {
    InfoNce,
    Nwj,
    /// MINE: the Donsker–Varadhan bound with a moving average of rate `alpha` in its gradient.
    Dv {
        alpha: f32,
    },
    Js,
    /// SMILE with clip τ; `None` is τ = ∞ (no clipping).
    Smile {
        tau: Option<f32>,
    },
}

/// What an estimator adds to the step.
pub struct Bound {
    /// Maximised by the critic, [R].
    pub objective: Tensor,
    /// The estimate of I(x; y) in nats on this batch, [R].
    pub value: Tensor,
    /// State the estimator carries between steps (MINE's moving average).
    pub assigns: Vec<(Tensor, Tensor)>,
}

/// The score matrix and the reductions every estimator is written in.
pub struct Scores {
    /// F, [R, K, K].
    pub f: Tensor,
    pub k: usize,
    /// The K × K identity, [1, K, K].
    pub eye: Tensor,
    /// mean_i F[i, i], [R].
    pub joint: Tensor,
    /// log mean_{i≠j} exp F[i, j], [R]: the log partition over the product of marginals.
    pub log_marginal: Tensor,
    /// mean_i log Σ_j exp F[i, j], [R]: InfoNCE's normaliser.
    pub row_lse: Tensor,
}

/// Added to the diagonal to take it out of an off-diagonal log-sum-exp: exp(F − 10⁴) is 0 for
/// any score the critic can reach, and unlike a select it leaves no 0·∞ in the gradient.
const OFF_DIAGONAL: f32 = -1e4;

impl Scores {
    pub fn new(f: &Tensor) -> Result<Scores> {
        let k = f.dims()[1];
        let eye = f.graph().input("eye", &[1, k, k], identity(k))?;
        Ok(Scores {
            joint: f.mul(&eye)?.sum_per_run()?.mul_scalar(1.0 / k as f32)?,
            log_marginal: log_mean_exp_off_diagonal(f, &eye)?,
            row_lse: f.logsumexp()?.mean_per_run()?,
            f: f.clone(),
            k,
            eye,
        })
    }
    /// log mean_{i≠j} exp g(F[i, j]) for another matrix of the same shape (SMILE's clipped F).
    pub fn log_marginal_of(&self, f: &Tensor) -> Result<Tensor> {
        log_mean_exp_off_diagonal(f, &self.eye)
    }
    /// The Jensen–Shannon f-GAN objective (Nowozin et al. 2016) that JS and SMILE train with:
    /// E_p[−softplus(−F)] − E_{p(x)p(y)}[softplus(F)].
    pub fn js_objective(&self) -> Result<Tensor> {
        let k = self.k as f32;
        let g = self.f.graph();
        let eye = &self.eye;
        let off = g.scalar(1.0)?.sub(eye)?;
        let on_joint = softplus(&self.f.neg()?)?
            .mul(eye)?
            .sum_per_run()?
            .mul_scalar(-1.0 / k)?;
        let on_marginal = softplus(&self.f)?
            .mul(&off)?
            .sum_per_run()?
            .mul_scalar(1.0 / (k * (k - 1.0)))?;
        on_joint.sub(&on_marginal)
    }
}

fn identity(k: usize) -> Vec<f32> {
    let mut eye = vec![0.0; k * k];
    for i in 0..k {
        eye[i * k + i] = 1.0;
    }
    eye
}

fn log_mean_exp_off_diagonal(f: &Tensor, eye: &Tensor) -> Result<Tensor> {
    let dims = f.dims();
    let (runs, k) = (dims[0], dims[1]);
    f.add(&eye.mul_scalar(OFF_DIAGONAL)?)?
        .reshape(&[runs, k * k])?
        .logsumexp()?
        .reshape(&[runs])?
        .add_scalar(-crate::engine::math::ln((k * (k - 1)) as f32))
}

/// log(1 + eˣ) = log(e⁰ + eˣ), as a two-term log-sum-exp: no overflow, and the gradient is the
/// sigmoid everywhere (max(x, 0) + log(1 + e^−|x|) has the same value but a wrong gradient at 0).
pub fn softplus(x: &Tensor) -> Result<Tensor> {
    let dims = x.dims();
    let n: usize = dims[1..].iter().product();
    let column = x.reshape(&[dims[0], n, 1])?;
    let zeros = x.graph().zeros(&[dims[0], n, 1])?;
    zeros.concat(&column)?.logsumexp()?.reshape(&dims)
}

/// The estimator's objective and estimate on these scores.
pub fn bound(estimator: &Estimator, s: &Scores) -> Result<Bound> {
    match estimator {
        Estimator::InfoNce => infonce::bound(s),
        Estimator::Nwj => nwj::bound(s),
        Estimator::Dv { alpha } => dv::bound(s, *alpha),
        Estimator::Js => js::bound(s),
        Estimator::Smile { tau } => smile::bound(s, *tau),
    }
}
