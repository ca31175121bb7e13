//! MAML: the inner SGD steps unrolled in the graph, the meta-gradient through them with its second-order terms.

use super::Method;
use crate::decl::*;
use crate::labs::meta::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Maml {
        inner: knobs.usize("inner"),
        first_order: false,
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "maml",
        title: "MAML",
        paper: Some(Paper {
            title: "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks",
            url: "https://arxiv.org/abs/1703.03400",
        }),
        explain: "Learns weights θ such that θ − α∇L_task(θ) fits each new task: the meta-gradient differentiates through the inner gradient (Hessian–vector products).",
        knobs: vec![int("inner", "Inner steps (training)", 1, 5, 1, "", "SGD steps unrolled per task in each meta-step.")],
        no_claim: None,
    }
}
