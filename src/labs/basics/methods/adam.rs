//! Adam (Kingma & Ba 2015) with its own learning rate, in place of the optimizer the settings
//! chose: the "Adam vs SGD" comparison.

use super::super::model::{OptimizerChoice, Recipe};

pub fn apply(recipe: &mut Recipe, lr: f32) {
    recipe.optimizer = OptimizerChoice::Adam;
    recipe.lr = lr;
}
