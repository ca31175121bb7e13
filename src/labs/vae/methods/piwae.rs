//! PIWAE(M, K): the decoder trained on IWAE(M·K), the encoder on MIWAE(M, K), from the same samples (Rainforth et al.).

use super::Method;
use crate::decl::*;
use crate::labs::vae::model::{Objective, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.objective = Objective::Piwae {
        m: knobs.usize("m"),
        k: knobs.usize("k"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "piwae",
        title: "PIWAE(M, K)",
        paper: Some(Paper {
            title: "Tighter Variational Bounds are Not Necessarily Better",
            url: "https://arxiv.org/abs/1802.04537",
        }),
        explain: "Each network gets the bound that suits it: the tight one for the decoder, the high-SNR one for the encoder.",
        knobs: vec![int("m", "M", 1, 16, 8, "", "Bounds the encoder averages."), int("k", "K", 1, 64, 8, "", "Importance samples per bound.")],
        no_claim: None,
    }
}
