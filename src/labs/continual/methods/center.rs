//! Center-loss regularisation (Olpadkar & Gavas 2021, "Center Loss Regularization for Continual
//! Learning"): each class has a centre in the penultimate features, learned while its class is
//! new with the centre loss of Wen et al. (2016) and frozen once its task ends; every later task
//! adds λ · ½ mean ‖h(x) − c_y‖² on its own batch, so new tasks' features land where the old
//! tasks' classes were and the decision boundaries behind them keep working.
//!
//! Centre update (Wen et al., eq. 4) for the classes still learnable:
//!   c_j ← c_j − α · Σᵢ 1[yᵢ = j](c_j − hᵢ) / (1 + nⱼ),  α = 0.5
//!
//! NOTE: the paper's method section could not be read here; this follows its abstract (the
//! penalty ties new tasks' features to the old class centres) and a summary of its ablation
//! (centres frozen after their task). The paper also freezes the classifier; we do not.

use super::Ctx;
use crate::engine::{nn, Result, Tensor};

/// Wen et al.'s centre learning rate.
const ALPHA: f32 = 0.5;

pub struct State {
    /// [1, C, 1]: 1 for the classes whose centres still learn.
    pub learnable: Tensor,
}

pub fn graph(ctx: &mut Ctx, lambda: f32) -> Result<State> {
    let g = ctx.g;
    let runs = g.runs();
    let c = ctx.stream.outputs;
    let h = ctx.features.dims()[2];
    let centres = g.state("center.centres", &[runs, c, h], vec![0.0; runs * c * h])?;
    let mut first = vec![0.0; c];
    for &k in &ctx.stream.tasks[0].classes {
        first[k] = 1.0;
    }
    let learnable = g.state("center.learnable", &[1, c, 1], first)?;
    let onehot = nn::one_hot(ctx.yb, c)?; // [R, B, C]
    let own = onehot.matmul(&centres)?.detach()?; // [R, B, H]: c_{y_i}
    let b = ctx.yb.dims()[1] as f32;
    let penalty = ctx
        .features
        .sub(&own)?
        .square()?
        .sum_per_run()?
        .mul_scalar(0.5 / b)?;
    ctx.loss = ctx.loss.add(&penalty.mul_scalar(lambda)?)?;
    let counts = onehot.sum(1)?.reshape(&[runs, c, 1])?; // n_j
    let sums = onehot.matmul_t(&ctx.features.detach()?, true, false)?; // Σ h_i per class
    let delta = centres
        .mul(&counts)?
        .sub(&sums)?
        .div(&counts.add_scalar(1.0)?)?;
    let next = centres.sub(&delta.mul(&learnable)?.mul_scalar(ALPHA)?)?;
    ctx.assigns.push((centres, next));
    Ok(State { learnable })
}
