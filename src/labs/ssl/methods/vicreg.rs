//! VICReg: invariance, variance and covariance terms.

use super::{Loss, Method, Objective, Pair};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::ssl::model::{centre, covariance, eye};

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(Vicreg {
            weights: [
                knobs.f32("invariance"),
                knobs.f32("variance"),
                knobs.f32("covariance"),
            ],
        })
    },
};

/// The invariance, variance and covariance terms with their weights.
struct Vicreg {
    weights: [f32; 3],
}

impl Objective for Vicreg {
    fn loss(&self, p: &Pair) -> Result<Loss> {
        let (z1, z2) = (p.z1, &p.z2()?);
        let d = z1.dims()[2];
        let invariance = z1.sub(z2)?.square()?.mean_per_run()?;
        let variance = |z: &Tensor| -> Result<Tensor> {
            let b = z.dims()[1] as f32;
            let var = centre(z)?
                .square()?
                .sum(1)?
                .mul_scalar(1.0 / (b - 1.0).max(1.0))?;
            var.add_scalar(1e-4)?
                .sqrt()?
                .neg()?
                .add_scalar(1.0)?
                .relu()?
                .mean_per_run()
        };
        let off = eye(p.g, d)?.mul_scalar(-1.0)?.add_scalar(1.0)?;
        let covariance_term = |z: &Tensor| -> Result<Tensor> {
            covariance(z)?
                .square()?
                .mul(&off)?
                .sum_per_run()?
                .mul_scalar(1.0 / d as f32)
        };
        let var = variance(z1)?.add(&variance(z2)?)?.mul_scalar(0.5)?;
        let cov = covariance_term(z1)?.add(&covariance_term(z2)?)?;
        let [wi, wv, wc] = self.weights;
        Ok(Loss::of(
            invariance
                .mul_scalar(wi)?
                .add(&var.mul_scalar(wv)?)?
                .add(&cov.mul_scalar(wc)?)?,
        ))
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "vicreg",
        title: "VICReg",
        paper: Some(Paper {
            title: "VICReg: Variance-Invariance-Covariance Regularization for Self-Supervised Learning",
            url: "https://arxiv.org/abs/2105.04906",
        }),
        explain: "Three explicit terms: the views' embeddings agree (invariance), every dimension keeps a standard deviation of at least 1 over the batch (variance), and dimensions are decorrelated (covariance).",
        knobs: vec![float("invariance", "Invariance weight", 0.0, 100.0, 25.0, "", "λ (the paper: 25)."), float("variance", "Variance weight", 0.0, 100.0, 25.0, "", "μ (the paper: 25)."), float("covariance", "Covariance weight", 0.0, 100.0, 1.0, "", "ν (the paper: 1).")],
        no_claim: Some("No claim of VICReg's own paper is checked here: its headline is ImageNet accuracy with a variance term that prevents collapse without a stop-gradient; the lab shows its spectrum and probes beside the others."),
    }
}
