//! VICReg: invariance, variance and covariance terms.

use super::Method;
use crate::decl::*;
use crate::labs::ssl::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Vicreg {
        invariance: knobs.f32("invariance"),
        variance: knobs.f32("variance"),
        covariance: knobs.f32("covariance"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

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
