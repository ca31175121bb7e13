//! Reptile: k SGD steps on a task from θ, then θ moves towards the result (Nichol et al.), here through Adam.

use super::Method;
use crate::decl::*;
use crate::labs::meta::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Reptile {
        inner: knobs.usize("inner"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "reptile",
        title: "Reptile",
        paper: Some(Paper {
            title: "On First-Order Meta-Learning Algorithms",
            url: "https://arxiv.org/abs/1803.02999",
        }),
        explain: "No query split and no second derivatives: the meta-direction is θ − W, W the task's weights after k SGD steps on its 2K points (averaged over the meta-batch).",
        knobs: vec![int("inner", "Inner steps k", 2, 20, 5, "", "SGD steps per task (k = 1 would be joint training).")],
        no_claim: Some("the Reptile paper claims results close to MAML on few-shot classification, not checked on sinusoids here"),
    }
}
