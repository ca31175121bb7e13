//! CIWAE(β): a convex mix of the ELBO and IWAE(K) on the same samples (Rainforth et al.).

use super::Method;
use crate::decl::*;
use crate::labs::vae::model::{Objective, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.objective = Objective::Ciwae {
        beta: knobs.f32("beta"),
        k: knobs.usize("k"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "ciwae",
        title: "CIWAE(β)",
        paper: Some(Paper {
            title: "Tighter Variational Bounds are Not Necessarily Better",
            url: "https://arxiv.org/abs/1802.04537",
        }),
        explain: "β·ELBO + (1 − β)·IWAE(K): the ELBO's term keeps the encoder's gradient signal, IWAE's keeps the bound tight.",
        knobs: vec![float("beta", "β", 0.0, 1.0, 0.5, "", "Weight of the ELBO."), int("k", "K", 1, 64, 64, "", "Samples per point.")],
        no_claim: None,
    }
}
