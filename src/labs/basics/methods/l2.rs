//! L2 weight penalty: adds λ·Σ w² over every weight matrix (not the biases) to the loss.

use super::Method;
use crate::decl::*;
use crate::labs::basics::model::Recipe;

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    let lambda = knobs.f32("lambda");
    recipe.l2 += lambda;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "l2",
        title: "L2 weight penalty",
        paper: None,
        explain:
            "Smaller weights, smoother boundaries: watch the boundary stop chasing noisy points.",
        knobs: vec![log_float(
            "lambda",
            "λ",
            1e-5,
            1.0,
            1e-3,
            "Weight of Σ w² in the loss.",
        )],
        no_claim: None,
    }
}
