//! InfoVAE: the ELBO with an MMD between the aggregate posterior q(z) and the prior (Zhao et al.).

use super::Method;
use crate::decl::*;
use crate::labs::vae::model::{Objective, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.objective = Objective::InfoVae {
        lambda: knobs.f32("lambda"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "infovae",
        title: "InfoVAE (MMD)",
        paper: Some(Paper {
            title: "InfoVAE: Information Maximizing Variational Autoencoders",
            url: "https://arxiv.org/abs/1706.02262",
        }),
        explain: "ELBO − λ·MMD(q(z), p(z)) with an RBF kernel over the batch: pulls the encoded points as a whole onto the prior.",
        knobs: vec![log_float("lambda", "λ (MMD weight)", 0.1, 1000.0, 100.0, "Weight of the batch MMD between encoded z and prior samples.")],
        no_claim: Some("its paper claims better-used latents, which we show in the pictures, not as a test"),
    }
}
