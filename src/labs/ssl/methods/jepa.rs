//! JEPA-style self-distillation: predict the target encoder's latent of the other view.

use super::Method;
use crate::decl::*;
use crate::labs::ssl::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Jepa {
        momentum: knobs.f32("momentum"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "jepa",
        title: "JEPA (self-distillation)",
        paper: Some(Paper {
            title: "How JEPA Avoids Noisy Features: The Implicit Bias of Deep Linear Self Distillation Networks",
            url: "https://arxiv.org/abs/2407.03475",
        }),
        explain: "Predicts, in latent space, the target encoder's embedding of view 2 from view 1 (squared error). The target is an EMA of the encoder; at momentum 0 it is the encoder itself behind a stop-gradient, as in the paper's analysis.",
        knobs: vec![float("momentum", "EMA momentum", 0.0, 0.9999, 0.99, "", "0: the target is the current encoder behind a stop-gradient.")],
        no_claim: None,
    }
}
