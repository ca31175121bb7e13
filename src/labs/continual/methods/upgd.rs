//! UPGD (Elsayed & Mahmood 2024, "Addressing Loss of Plasticity and Catastrophic Forgetting in
//! Continual Learning", Algorithm 1, the UPGD-W of its main results): an optimizer that protects
//! useful weights and perturbs the rest. With the first-order utility of each weight,
//!
//!   U ← βU + (1 − β)(−g ⊙ θ),  Û = U / (1 − βᵗ),  η = max Û over every weight,
//!   Ū = sigmoid(Û / η),  ξ ~ N(0, σ²),
//!   θ ← (1 − αλ)θ − α (g + ξ) ⊙ (1 − Ū)
//!
//! Weights whose removal would raise the loss (high utility) barely move; the others take the
//! gradient step plus noise, which keeps them plastic.
//!
//! NOTE: η is floored at 10⁻¹², so a step where every utility is ≤ 0 cannot flip the scaling's
//! sign (the reference code has no guard); biases are included, as in the reference code.

use super::{Ctx, Hooks, Method};
use crate::decl::*;
use crate::engine::{grad, Result, Tensor};

pub struct Upgd {
    pub lr: f32,
    pub sigma: f32,
    pub beta: f32,
    pub decay: f32,
}

pub const METHOD: Method = Method {
    declaration,
    make: |knobs| {
        Box::new(Upgd {
            lr: knobs.f32("lr"),
            sigma: knobs.f32("sigma"),
            beta: knobs.f32("beta"),
            decay: knobs.f32("decay"),
        })
    },
};

impl Hooks for Upgd {
    fn graph(&mut self, ctx: &mut Ctx) -> Result<()> {
        graph(ctx, self)
    }
}

fn graph(ctx: &mut Ctx, k: &Upgd) -> Result<()> {
    let g = ctx.g;
    let runs = g.runs();
    let grads = grad(&ctx.loss, ctx.params)?;
    // t = step + 1: the bias correction of the utility trace.
    let t = ctx.step.add_scalar(1.0)?;
    let correction = t
        .mul_scalar(crate::engine::math::ln(k.beta))?
        .exp()?
        .neg()?
        .add_scalar(1.0)?
        .reshape(&[1, 1, 1])?;
    let mut traces = Vec::new();
    let mut eta: Option<Tensor> = None;
    for (i, (p, gi)) in ctx.params.iter().zip(&grads).enumerate() {
        let dims = p.dims();
        let u = g.state(
            &format!("upgd.utility.{i}"),
            &dims,
            vec![0.0; p.shape().numel()],
        )?;
        let next = u
            .mul_scalar(k.beta)?
            .add(&gi.mul(p)?.neg()?.mul_scalar(1.0 - k.beta)?)?;
        let corrected = next.div(&correction)?;
        let top = corrected
            .reshape(&[runs, p.shape().numel() / runs])?
            .max(1)?; // [R, 1]
        eta = Some(match eta {
            Some(e) => e.maximum(&top)?,
            None => top,
        });
        traces.push((u, next, corrected));
    }
    let Some(eta) = eta else { return Ok(()) };
    let eta = eta.maximum(&g.scalar(1e-12)?)?.reshape(&[runs, 1, 1])?;
    let mut update = Vec::new();
    for ((p, gi), (u, next, corrected)) in ctx.params.iter().zip(&grads).zip(traces) {
        let gate = corrected.div(&eta)?.sigmoid()?.neg()?.add_scalar(1.0)?;
        let noise = g.random_normal(&p.dims(), 0.0, k.sigma, Some(ctx.step))?;
        let step = gi.add(&noise)?.mul(&gate)?.mul_scalar(k.lr)?;
        let value = p.mul_scalar(1.0 - k.lr * k.decay)?.sub(&step)?;
        update.push((p.clone(), value));
        ctx.assigns.push((u, next));
    }
    ctx.update = Some(update);
    Ok(())
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "upgd",
        title: "UPGD",
        paper: Some(Paper {
            title:
                "Addressing Loss of Plasticity and Catastrophic Forgetting in Continual Learning",
            url: "https://arxiv.org/abs/2404.00781",
        }),
        explain:
            "An optimizer: useful weights (by a utility trace) barely move, the rest take the step \
                  plus noise. Less forgetting than SGD, without stored data.",
        knobs: vec![
            log_float(
                "lr",
                "Step size α",
                1e-4,
                1.0,
                0.01,
                "UPGD's own step size.",
            ),
            log_float(
                "sigma",
                "Noise σ",
                1e-4,
                1.0,
                0.01,
                "Standard deviation of the perturbation.",
            ),
            float(
                "beta",
                "Utility trace β",
                0.0,
                0.9999,
                0.999,
                "",
                "Decay of the utility's running average.",
            ),
            float(
                "decay",
                "Weight decay",
                0.0,
                0.1,
                0.001,
                "",
                "θ shrinks by α·decay each step.",
            ),
        ],
        no_claim: None,
    }
}
