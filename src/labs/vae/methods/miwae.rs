//! MIWAE(M, K): the mean of M independent IWAE(K) bounds (Rainforth et al.).

use super::Method;
use crate::decl::*;
use crate::labs::vae::model::{Objective, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.objective = Objective::Miwae {
        m: knobs.usize("m"),
        k: knobs.usize("k"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

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
