//! CIWAE(β): a convex mix of the ELBO and IWAE(K) on the same samples (Rainforth et al.).

use super::{Batch, Bound, Method};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::vae::model::{iwae, log_weights, Flow};

pub const METHOD: Method = Method {
    declaration,
    bound: |knobs| {
        Box::new(Ciwae {
            beta: knobs.f32("beta"),
            k: knobs.usize("k"),
        })
    },
};

/// CIWAE(β): β · ELBO + (1 − β) · IWAE(K), on the same K samples.
struct Ciwae {
    beta: f32,
    k: usize,
}

impl Bound for Ciwae {
    fn samples(&self) -> usize {
        self.k
    }
    fn k(&self) -> usize {
        self.k
    }
    fn objective(&self, b: &Batch) -> Result<Tensor> {
        let (lw, _) = log_weights(b.net, b.x, self.k, b.eps, Flow::default())?;
        lw.mean_per_run()?
            .mul_scalar(self.beta)?
            .add(&iwae(&lw, self.k)?.mul_scalar(1.0 - self.beta)?)
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "ciwae",
        title: "CIWAE(β)",
        paper: Some(Paper {
            title: "Tighter Variational Bounds are Not Necessarily Better",
            url: "https://arxiv.org/abs/1802.04537",
        }),
        explain: "β·ELBO + (1 − β)·IWAE(K): the ELBO's term keeps the encoder's gradient signal, IWAE's keeps the bound tight.",
        knobs: vec![float("beta", "β", 0.0, 1.0, 0.5, "", "Weight of the ELBO."), int("k", "K", 1, 64, 64, "", "Samples per point.")],
        no_claim: None,
    }
}
