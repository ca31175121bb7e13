//! Barlow Twins: the views' cross-correlation matrix pushed to the identity.

use super::{Loss, Method, Objective, Pair};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::ssl::model::{eye, standardise};

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(Barlow {
            lambda: knobs.f32("lambda"),
            standardise: knobs.value("standardise").as_bool(),
        })
    },
};

/// ‖C − I‖² with the off-diagonal terms weighted by λ, C the views' cross-correlation of
/// standardised embeddings, or (unstandardised) their symmetrised cross-covariance as in the
/// stepwise paper's analysis.
struct Barlow {
    lambda: f32,
    standardise: bool,
}

impl Objective for Barlow {
    fn loss(&self, p: &Pair) -> Result<Loss> {
        let (z1, z2) = (p.z1, &p.z2()?);
        let (b, d) = (z1.dims()[1], z1.dims()[2]);
        let c: Tensor = if self.standardise {
            standardise(z1)?
                .matmul_t(&standardise(z2)?, true, false)?
                .mul_scalar(1.0 / b as f32)?
        } else {
            let c12 = z1.matmul_t(z2, true, false)?;
            c12.add(&c12.transpose()?)?.mul_scalar(0.5 / b as f32)?
        };
        let i = eye(p.g, d)?;
        let on = c.sub(&i)?.square()?.mul(&i)?.sum_per_run()?;
        let off = c
            .square()?
            .mul(&i.mul_scalar(-1.0)?.add_scalar(1.0)?)?
            .sum_per_run()?;
        Ok(Loss::of(on.add(&off.mul_scalar(self.lambda)?)?))
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "barlow",
        title: "Barlow Twins",
        paper: Some(Paper {
            title: "Barlow Twins: Self-Supervised Learning via Redundancy Reduction",
            url: "https://arxiv.org/abs/2103.03230",
        }),
        explain: "Makes the cross-correlation matrix of the two views' embeddings the identity: each dimension agrees across views (diagonal 1) and carries no other dimension's information (off-diagonal 0, weighted by λ).",
        knobs: vec![log_float("lambda", "Off-diagonal λ", 1e-4, 10.0, 0.02, "Weight of the redundancy-reduction terms (the paper: 5·10⁻³ at 8,192 dimensions; 1 is the stepwise paper's ‖C − I‖²)."), flag("standardise", "Standardise", true, "Standardise each dimension over the batch before correlating (the paper). Off: the plain symmetrised cross-covariance, as the stepwise paper analyses.")],
        no_claim: Some("No claim of the Barlow Twins paper is checked here: its headline is ImageNet accuracy. It is the method the stepwise claim (another paper) reads."),
    }
}
