//! InfoVAE: the ELBO with an MMD between the aggregate posterior q(z) and the prior (Zhao et al.).

use super::{Batch, Bound, Method};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::vae::model::{log_weights, Flow};

pub const METHOD: Method = Method {
    declaration,
    bound: |knobs| {
        Box::new(InfoVae {
            lambda: knobs.f32("lambda"),
        })
    },
};

/// The ELBO plus λ · MMD(q(z), p(z)) over the batch (RBF kernel), from one sample a point.
struct InfoVae {
    lambda: f32,
}

impl Bound for InfoVae {
    fn samples(&self) -> usize {
        1
    }
    fn objective(&self, b: &Batch) -> Result<Tensor> {
        let g = b.x.graph();
        let elbo = log_weights(b.net, b.x, 1, b.eps, Flow::default())?
            .0
            .mean_per_run()?;
        let (mean, log_var) = b.net.encode(b.x)?;
        let z = mean.add(&log_var.mul_scalar(0.5)?.exp()?.mul(b.eps)?)?;
        let dims = [g.runs(), b.x.dims()[1], b.net.latent];
        let prior = g.random_normal(&dims, 0.0, 1.0, Some(b.step))?;
        elbo.sub(&mmd(&z, &prior)?.mul_scalar(self.lambda)?)
    }
}

/// MMD² between the rows of `a` and `b` ([R, N, d]) with the RBF kernel exp(−‖·‖² / (2d)): [R].
pub fn mmd(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let d = a.dims()[2] as f32;
    let kernel = |x: &Tensor, y: &Tensor| -> Result<Tensor> {
        // ‖x‖² + ‖y‖² − 2 x·y, then the mean of the kernel over all pairs.
        let xx = x.square()?.sum(2)?;
        let yy = y.square()?.sum(2)?.transpose()?;
        let cross = x.matmul_t(y, false, true)?;
        xx.add(&yy)?
            .sub(&cross.mul_scalar(2.0)?)?
            .mul_scalar(-0.5 / d)?
            .exp()?
            .mean_per_run()
    };
    kernel(a, a)?
        .add(&kernel(b, b)?)?
        .sub(&kernel(a, b)?.mul_scalar(2.0)?)
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "infovae",
        title: "InfoVAE (MMD)",
        paper: Some(Paper {
            title: "InfoVAE: Information Maximizing Variational Autoencoders",
            url: "https://arxiv.org/abs/1706.02262",
        }),
        explain: "ELBO − λ·MMD(q(z), p(z)) with an RBF kernel over the batch: pulls the encoded points as a whole onto the prior.",
        knobs: vec![log_float("lambda", "λ (MMD weight)", 0.1, 1000.0, 100.0, "Weight of the batch MMD between encoded z and prior samples.")],
        no_claim: Some("its paper claims better-used latents, which we show in the pictures, not as a test"),
    }
}
