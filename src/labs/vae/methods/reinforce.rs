//! The ELBO's gradient by the score function (REINFORCE), without reparameterisation: the contrast that shows what the reparameterisation trick buys.

use super::{Batch, Bound, Method};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::vae::model::score_surrogate;

pub const METHOD: Method = Method {
    declaration,
    bound: |knobs| {
        Box::new(Score {
            samples: knobs.usize("samples"),
        })
    },
};

/// The ELBO's gradient by the score function: no reparameterisation.
struct Score {
    samples: usize,
}

impl Bound for Score {
    fn samples(&self) -> usize {
        self.samples
    }
    fn objective(&self, b: &Batch) -> Result<Tensor> {
        score_surrogate(b.net, b.x, self.samples, b.eps)
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "reinforce",
        title: "Score function (REINFORCE)",
        paper: Some(Paper {
            title: "Auto-Encoding Variational Bayes",
            url: "https://arxiv.org/abs/1312.6114",
        }),
        explain: "∇ E_q[f] = E_q[f ∇ log q]: unbiased, needs no gradient through z, and has a far larger variance than the reparameterised gradient.",
        knobs: vec![int("samples", "Samples", 1, 64, 1, "", "Samples per point, averaged.")],
        no_claim: Some(
            "its variance is measured in every run; the reparam-variance claim reads both estimators at the VAE's weights",
        ),
    }
}
