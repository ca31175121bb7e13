//! IWAE(K): the log of the mean of K importance weights, a bound that tightens with K (Burda et al.).

use super::Method;
use crate::decl::*;
use crate::labs::vae::model::{Objective, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.objective = Objective::Iwae {
        k: knobs.usize("k"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "iwae",
        title: "IWAE(K)",
        paper: Some(Paper {
            title: "Importance Weighted Autoencoders",
            url: "https://arxiv.org/abs/1509.00519",
        }),
        explain: "log (1/K) Σ p(x, z_k)/q(z_k|x): tighter than the ELBO for K > 1, and the same as it at K = 1.",
        knobs: vec![int("k", "K", 1, 64, 50, "", "Importance samples per point.")],
        no_claim: None,
    }
}
