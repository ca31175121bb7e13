//! BYOL: an online predictor matching an EMA target, with the ER paper's entropy term as an option.

use super::{Loss, Method, Objective, Pair};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::ssl::model::{cosine, ema_target, normalise};

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(Byol {
            momentum: knobs.f32("momentum"),
            entropy: knobs.f32("entropy"),
        })
    },
};

/// A predictor onto an EMA target; `entropy` > 0 adds the ER paper's entropy term.
struct Byol {
    momentum: f32,
    entropy: f32,
}

impl Objective for Byol {
    fn loss(&self, p: &Pair) -> Result<Loss> {
        let predictor = p.head("predictor", p.dim)?;
        let (target, assigns) = ema_target(p.g, p.encoder, self.momentum)?;
        let (z1, v1, v2) = (p.z1, p.v1, p.v2);
        let z2 = p.z2()?;
        let (t1, t2) = (target.forward(v1)?.detach()?, target.forward(v2)?.detach()?);
        let term = |p: &Tensor, t: &Tensor| -> Result<Tensor> {
            cosine(&predictor.forward(p)?, t)?
                .mul_scalar(-2.0)?
                .add_scalar(2.0)?
                .mean_per_run()
        };
        let mut loss = term(z1, &t2)?.add(&term(&z2, &t1)?)?;
        if self.entropy > 0.0 {
            let h = entropy_term(z1)?
                .add(&entropy_term(&z2)?)?
                .mul_scalar(0.5 * self.entropy)?;
            loss = loss.add(&h)?;
        }
        Ok(Loss {
            value: loss,
            params: predictor.params(),
            assigns,
        })
    }
}

/// The ER paper's entropy estimate's loss side: mean_i log Σ_j exp(κ ẑᵢ·ẑⱼ) over the batch, a
/// von Mises–Fisher kernel density on the sphere (κ = 10); lower is higher entropy.
fn entropy_term(z: &Tensor) -> Result<Tensor> {
    let n = normalise(z)?;
    n.matmul_t(&n, false, true)?
        .mul_scalar(10.0)?
        .logsumexp()?
        .mean_per_run()
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "byol",
        title: "BYOL",
        paper: Some(Paper {
            title: "Bootstrap your own latent: A new approach to self-supervised Learning",
            url: "https://arxiv.org/abs/2006.07733",
        }),
        explain: "No negatives: a predictor on the online encoder learns to match a slowly moving (EMA) copy of the encoder on the other view. The entropy option adds the ER paper's term (a von Mises–Fisher density estimate of the embeddings' entropy, κ = 10); its reconstruction term is BYOL's own cosine term.",
        knobs: vec![float("momentum", "EMA momentum", 0.0, 0.9999, 0.99, "", "How slowly the target follows the encoder (the paper: 0.996 rising to 1)."), float("entropy", "Entropy weight (ER)", 0.0, 10.0, 0.0, "", "0: plain BYOL. Above 0: adds the entropy term of *The Role of Entropy and Reconstruction in Multi-View Self-Supervised Learning*.")],
        no_claim: Some("No claim of BYOL's paper is checked here: its headline is ImageNet accuracy. It is in the lab as the EMA-and-predictor family's reference and for the ER option."),
    }
}
