//! IWAE(K): the log of the mean of K importance weights, a bound that tightens with K (Burda et al.).

use super::{Batch, Bound, Method};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::vae::model::{iwae, log_weights, Flow};

pub const METHOD: Method = Method {
    declaration,
    bound: |knobs| {
        Box::new(Iwae {
            k: knobs.usize("k"),
        })
    },
};

/// IWAE(K): log (1/K) Σ w_k.
struct Iwae {
    k: usize,
}

impl Bound for Iwae {
    fn samples(&self) -> usize {
        self.k
    }
    fn k(&self) -> usize {
        self.k
    }
    fn objective(&self, b: &Batch) -> Result<Tensor> {
        let (lw, _) = log_weights(b.net, b.x, self.k, b.eps, Flow::default())?;
        iwae(&lw, self.k)
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "iwae",
        title: "IWAE(K)",
        paper: Some(Paper {
            title: "Importance Weighted Autoencoders",
            url: "https://arxiv.org/abs/1509.00519",
        }),
        explain: "log (1/K) Σ p(x, z_k)/q(z_k|x): tighter than the ELBO for K > 1, and the same as it at K = 1.",
        knobs: vec![int("k", "K", 1, 64, 50, "", "Importance samples per point.")],
        no_claim: None,
    }
}
