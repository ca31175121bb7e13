//! MIWAE(M, K): the mean of M independent IWAE(K) bounds (Rainforth et al.).

use super::{Batch, Bound, Method};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::vae::model::{iwae, log_weights, Flow};

pub const METHOD: Method = Method {
    declaration,
    bound: |knobs| {
        Box::new(Miwae {
            m: knobs.usize("m"),
            k: knobs.usize("k"),
        })
    },
};

/// MIWAE(M, K): the mean of M independent IWAE(K) bounds, from M·K samples.
struct Miwae {
    m: usize,
    k: usize,
}

impl Bound for Miwae {
    fn samples(&self) -> usize {
        self.m * self.k
    }
    fn k(&self) -> usize {
        self.k
    }
    fn objective(&self, b: &Batch) -> Result<Tensor> {
        let (lw, _) = log_weights(b.net, b.x, self.samples(), b.eps, Flow::default())?;
        iwae(&lw, self.k)
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "miwae",
        title: "MIWAE(M, K)",
        paper: Some(Paper {
            title: "Tighter Variational Bounds are Not Necessarily Better",
            url: "https://arxiv.org/abs/1802.04537",
        }),
        explain: "Spends M·K samples as M bounds of K: a looser bound than IWAE(M·K), but the encoder's gradient keeps more signal.",
        knobs: vec![int("m", "M", 1, 16, 8, "", "Independent bounds averaged."), int("k", "K", 1, 64, 8, "", "Importance samples per bound.")],
        no_claim: None,
    }
}
