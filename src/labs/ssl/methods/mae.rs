//! Masked reconstruction in pixel space (MAE-style).

use super::Method;
use crate::decl::*;
use crate::labs::ssl::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Mae {
        mask: knobs.f32("mask"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "mae",
        title: "MAE (masked reconstruction)",
        paper: Some(Paper {
            title: "Masked Autoencoders Are Scalable Vision Learners",
            url: "https://arxiv.org/abs/2111.06377",
        }),
        explain: "Reconstructs what is hidden in pixel space: on the digits, the masked pixels of a view from the rest; on the two-feature toy, view 2 from view 1 (the JEPA paper's MAE).",
        knobs: vec![float("mask", "Mask ratio", 0.05, 0.95, 0.5, "", "Share of pixels hidden (digits).")],
        no_claim: Some("No claim of the MAE paper is checked here: its headline is ImageNet fine-tuning accuracy. It is the reconstruction side of the JEPA paper's claim."),
    }
}
