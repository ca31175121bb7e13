//! The pretrained baseline of Finn et al.: one model fitted to every task's points at once, then fine-tuned on the shots like the others.

use super::Method;
use crate::decl::*;
use crate::labs::meta::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, _knobs: &Knobs) {
    recipe.kind = Kind::Joint;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "pretrained",
        title: "Pretrained on all tasks",
        paper: Some(Paper {
            title: "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks",
            url: "https://arxiv.org/abs/1703.03400",
        }),
        explain: "Regresses on all waves together, so it learns their average (about 0): a poor start from which K points and a few steps barely help.",
        knobs: vec![],
        no_claim: None,
    }
}
