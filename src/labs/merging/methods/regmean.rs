//! RegMean: each linear layer merged as the least-squares fit of every fine-tune's outputs on
//! its own inputs, from each model's input Gram matrix (`merge::regmean`); biases averaged.

use super::Method;
use crate::decl::*;
use crate::labs::merging::Merge;

pub const METHOD: Method = Method { declaration, merge };

fn merge(knobs: &Knobs) -> Merge {
    Merge::RegMean {
        alpha: knobs.f32("alpha"),
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "regmean",
        title: "RegMean",
        paper: Some(Paper {
            title: "Dataless Knowledge Fusion by Merging Weights of Language Models",
            url: "https://arxiv.org/abs/2212.09849",
        }),
        explain: "Each layer's merged weights fit every model's outputs on its own inputs: W = (Σₖ XₖᵀXₖ)⁻¹ Σₖ XₖᵀXₖ Wₖ, from each model's input Gram matrix (no training data shared).",
        knobs: vec![float(
            "alpha",
            "Off-diagonal α",
            0.0,
            1.0,
            0.9,
            "",
            "Each Gram's off-diagonal entries scaled by α: 1 is the exact least-squares merge, 0 a diagonal (Fisher-like) weighting.",
        )],
        no_claim: None,
    }
}
