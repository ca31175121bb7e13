//! Adam (Kingma & Ba 2015) with its own learning rate, in place of the optimizer the settings
//! chose: the "Adam vs SGD" comparison.

use super::Method;
use crate::decl::*;
use crate::labs::basics::model::{OptimizerChoice, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    let lr = knobs.f32("lr");
    recipe.optimizer = OptimizerChoice::Adam;
    recipe.lr = lr;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "adam",
        title: "Adam instead of the chosen optimizer",
        paper: Some(Paper { title: "Adam: A Method for Stochastic Optimization", url: "https://arxiv.org/abs/1412.6980" }),
        explain: "Per-weight step sizes: usually faster early progress than SGD at the same learning rate.",
        knobs: vec![log_float("lr", "Learning rate", 1e-4, 1.0, 0.01, "Adam's step size.")],
        no_claim: None,
    }
}
