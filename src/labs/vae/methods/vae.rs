//! The VAE: the evidence lower bound, reparameterised (Kingma & Welling).

use super::{Batch, Bound, Method};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::vae::model::{log_weights, Flow};

pub const METHOD: Method = Method {
    declaration,
    bound: |knobs| {
        Box::new(Elbo {
            samples: knobs.usize("samples"),
        })
    },
};

/// The ELBO, averaged over `samples` reparameterised samples.
struct Elbo {
    samples: usize,
}

impl Bound for Elbo {
    fn samples(&self) -> usize {
        self.samples
    }
    fn objective(&self, b: &Batch) -> Result<Tensor> {
        let (lw, _) = log_weights(b.net, b.x, self.samples, b.eps, Flow::default())?;
        lw.mean_per_run()
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "vae",
        title: "VAE (ELBO)",
        paper: Some(Paper {
            title: "Auto-Encoding Variational Bayes",
            url: "https://arxiv.org/abs/1312.6114",
        }),
        explain: "Maximises E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)) with z = μ + σ·ε, so the gradient flows through the sample.",
        knobs: vec![int("samples", "Samples", 1, 64, 1, "", "Reparameterised samples per point, averaged (the ELBO does not tighten with more).")],
        no_claim: None,
    }
}
