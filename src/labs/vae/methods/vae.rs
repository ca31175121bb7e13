//! The VAE: the evidence lower bound, reparameterised (Kingma & Welling).

use super::Method;
use crate::decl::*;
use crate::labs::vae::model::{Objective, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.objective = Objective::Elbo {
        samples: knobs.usize("samples"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "vae",
        title: "VAE (ELBO)",
        paper: Some(Paper {
            title: "Auto-Encoding Variational Bayes",
            url: "https://arxiv.org/abs/1312.6114",
        }),
        explain: "Maximises E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)) with z = μ + σ·ε, so the gradient flows through the sample.",
        knobs: vec![int("samples", "Samples", 1, 64, 1, "", "Reparameterised samples per point, averaged (the ELBO does not tighten with more).")],
        no_claim: None,
    }
}
