//! Learning without Forgetting (Li & Hoiem 2016): before a new task, record the current model;
//! while the task trains, keep the old model's outputs on the new task's inputs:
//!
//!   loss = CE(new task) + α · T² · CE(softmax(ŷ_old / T), softmax(ŷ / T))
//!
//! over the outputs of the earlier tasks, with temperature T (the paper uses T = 2).
//!
//! NOTE: with a head per task the paper distils each old head separately; here the old heads'
//! outputs are distilled under one softmax over all of them (the same when one task came before).

use super::{zeros_like, Ctx};
use crate::engine::{nn, Result, Tensor};

pub struct State {
    /// The old model's parameters, as in `Net::params`.
    pub old: Vec<Tensor>,
    /// [1, 1, C]: the outputs of the earlier tasks.
    pub old_mask: Tensor,
    /// [1]: 0 while the first task trains, 1 after.
    pub on: Tensor,
}

pub fn graph(ctx: &mut Ctx, temperature: f32, alpha: f32) -> Result<State> {
    let g = ctx.g;
    let c = ctx.stream.outputs;
    let old = ctx
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| zeros_like(g, &format!("lwf.old.{i}"), p))
        .collect::<Result<Vec<_>>>()?;
    let old_mask = g.state("lwf.old_mask", &[1, 1, c], vec![0.0; c])?;
    let on = g.state("lwf.on", &[1], vec![0.0])?;
    let (_, old_logits) = ctx.net.forward(ctx.xb, Some(&old))?;
    let soft = |l: &Tensor| -> Result<Tensor> {
        super::super::model::masked(l, &old_mask)?.mul_scalar(1.0 / temperature)
    };
    let teacher = soft(&old_logits)?.softmax()?.detach()?;
    let distill = nn::cross_entropy_soft(&soft(ctx.raw_logits)?, &teacher)?;
    ctx.loss = ctx.loss.add(
        &distill
            .mul(&on)?
            .mul_scalar(alpha * temperature * temperature)?,
    )?;
    Ok(State { old, old_mask, on })
}
