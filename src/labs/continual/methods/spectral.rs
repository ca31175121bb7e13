//! Spectral regularisation (Lewandowski et al. 2024, "Learning Continually by Spectral
//! Regularization"): keep each layer's largest singular value near one, and its bias near zero,
//! so the network stays trainable over long task streams:
//!
//!   R(θ) = Σ_l [(σ_max(W_l)^k − 1)² + ‖b_l‖^{2k}],  k = 2,  loss + λ·R
//!
//! σ_max is tracked by one step of power iteration per training step, the vector u kept between
//! steps and detached: v = Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖, σ = uᵀWv (the gradient flows through W only).
//!
//! NOTE: the exponent and the bias term follow a re-implementation and a review of the paper
//! (its method section could not be read here); its abstract states the target of one.

use super::{Ctx, Hooks, Method};
use crate::decl::*;
use crate::engine::{Result, Tensor};

/// k in (σ^k − 1)².
const K: i32 = 2;

fn normalise(t: &Tensor) -> Result<Tensor> {
    let runs = t.dims()[0];
    let norm = t
        .square()?
        .sum_per_run()?
        .add_scalar(1e-12)?
        .sqrt()?
        .reshape(&[runs, 1, 1])?;
    t.div(&norm)
}

pub const METHOD: Method = Method {
    declaration,
    make: |knobs| {
        Box::new(Spectral {
            lambda: knobs.f32("lambda"),
        })
    },
};

struct Spectral {
    lambda: f32,
}

impl Hooks for Spectral {
    fn graph(&mut self, ctx: &mut Ctx) -> Result<()> {
        graph(ctx, self.lambda)
    }
}

fn graph(ctx: &mut Ctx, lambda: f32) -> Result<()> {
    let g = ctx.g;
    let runs = g.runs();
    let mut penalty: Option<Tensor> = None;
    for (i, layer) in ctx.net.layers.iter().enumerate() {
        let w = &layer.weight; // [R, in, out]
        let inputs = w.dims()[1];
        let u = g.state(
            &format!("spectral.u.{i}"),
            &[runs, inputs, 1],
            vec![1.0 / (inputs as f32).sqrt(); runs * inputs],
        )?;
        let v = normalise(&w.matmul_t(&u, true, false)?)?.detach()?; // [R, out, 1]
        let wv = w.matmul(&v)?; // [R, in, 1]
        let next = normalise(&wv)?.detach()?;
        let sigma = next.mul(&wv)?.sum_per_run()?; // [R]
        let mut sk = sigma.clone();
        for _ in 1..K {
            sk = sk.mul(&sigma)?;
        }
        let b2 = layer.bias.square()?.sum_per_run()?; // ‖b‖², and ‖b‖^{2k} = (‖b‖²)^k
        let mut bk = b2.clone();
        for _ in 1..K {
            bk = bk.mul(&b2)?;
        }
        let term = sk.add_scalar(-1.0)?.square()?.add(&bk)?;
        penalty = Some(match penalty {
            Some(p) => p.add(&term)?,
            None => term,
        });
        ctx.assigns.push((u, next));
    }
    if let Some(p) = penalty {
        ctx.loss = ctx.loss.add(&p.mul_scalar(lambda)?)?;
    }
    Ok(())
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "spectral",
        title: "Spectral regularisation",
        paper: Some(Paper { title: "Learning Continually by Spectral Regularization", url: "https://arxiv.org/abs/2406.06811" }),
        explain: "Keeps each layer's largest singular value near one: a network that stays trainable \
                  over long streams. Watch the diagonal of R (each task right after training on it): \
                  naive's falls over 20 permutations or random-label tasks, spectral's stays up.",
        knobs: vec![log_float("lambda", "λ", 1e-6, 1.0, 1e-3, "Weight of Σ (σ_max² − 1)² + ‖b‖⁴.")],
        no_claim: None,
    }
}
