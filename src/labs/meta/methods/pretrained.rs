//! The pretrained baseline of Finn et al.: one model fitted to every task's points at once, then fine-tuned on the shots like the others.

use super::{Algorithm, Method};
use crate::decl::*;
use crate::engine::{Graph, Result, Tensor};
use crate::labs::meta::model::{mse, over_tasks, Recipe};

pub const METHOD: Method = Method {
    declaration,
    algorithm: |_| Box::new(Joint),
};

/// One model fitted to every task's points together.
struct Joint;

impl Algorithm for Joint {
    fn sinusoid(&self, g: &Graph, p: &[Tensor], recipe: &Recipe, step: &Tensor) -> Result<Tensor> {
        let k = recipe.shots;
        over_tasks(g, recipe, step, (k, k), |[xs, ys, xq, yq]| {
            mse(p, &xs, &ys)?.add(&mse(p, &xq, &yq)?)?.mul_scalar(0.5)
        })
    }
}

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
