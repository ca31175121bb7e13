//! L2 weight penalty: adds λ·Σ w² over every weight matrix (not the biases) to the loss.

use super::super::model::Recipe;

pub fn apply(recipe: &mut Recipe, lambda: f32) {
    recipe.l2 += lambda;
}
