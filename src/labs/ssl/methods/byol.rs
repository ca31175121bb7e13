//! BYOL: an online predictor matching an EMA target, with the ER paper's entropy term as an option.

use super::Method;
use crate::decl::*;
use crate::labs::ssl::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Byol {
        momentum: knobs.f32("momentum"),
        entropy: knobs.f32("entropy"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

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
