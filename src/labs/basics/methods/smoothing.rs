//! Label smoothing (Szegedy et al. 2016): the target puts 1-ε on the true class and spreads ε
//! evenly over all classes.

use super::super::model::Recipe;

pub fn apply(recipe: &mut Recipe, epsilon: f32) {
    recipe.smoothing = epsilon;
}
