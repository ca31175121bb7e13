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

use super::{Ctx, Hook, Hooks, Method, Phase};
use crate::decl::*;
use crate::engine::{nn, Result, Tensor};

/// Wen et al.'s centre learning rate.
const ALPHA: f32 = 0.5;

pub const METHOD: Method = Method {
    declaration,
    make: |knobs| {
        Box::new(Center {
            lambda: knobs.f32("lambda"),
            learnable: None,
        })
    },
};

struct Center {
    lambda: f32,
    /// [1, C, 1]: 1 for the classes whose centres still learn.
    learnable: Option<Tensor>,
}

impl Hooks for Center {
    fn graph(&mut self, ctx: &mut Ctx) -> Result<()> {
        self.learnable = Some(graph(ctx, self.lambda)?);
        Ok(())
    }
    /// Centres of classes met for the first time learn; the rest stay frozen.
    fn begin_task<'a>(&'a mut self, at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async move {
            let Some(learnable) = &self.learnable else {
                return Ok(());
            };
            let t = at.task;
            let mut mask = vec![0.0; at.stream.outputs];
            let earlier: Vec<usize> = at.stream.tasks[..t]
                .iter()
                .flat_map(|k| k.classes.iter().copied())
                .collect();
            for &k in &at.stream.tasks[t].classes {
                if !earlier.contains(&k) {
                    mask[k] = 1.0;
                }
            }
            at.exec.write(learnable, &mask)
        })
    }
}

fn graph(ctx: &mut Ctx, lambda: f32) -> Result<Tensor> {
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
    Ok(learnable)
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "center",
        title: "Center-loss regularisation",
        paper: Some(Paper {
            title: "Center Loss Regularization for Continual Learning",
            url: "https://arxiv.org/abs/2110.11314",
        }),
        explain:
            "Pulls new tasks' features to the frozen centres of their classes: the old boundaries \
                  keep working when the classes repeat (permuted, rotated).",
        knobs: vec![log_float(
            "lambda",
            "λ",
            1e-4,
            10.0,
            0.01,
            "Weight of the centre loss.",
        )],
        no_claim: None,
    }
}
