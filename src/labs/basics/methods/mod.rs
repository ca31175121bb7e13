//! The Basics lab's methods: each changes only what it must of the training recipe.

mod adam;
mod dropout;
mod l2;
mod mixup;
mod plain;
mod smoothing;

use super::model::Recipe;
use crate::experiment::Experiment;
use crate::labs::LabDecl;

/// Applies method `id` (with the experiment's knobs) to the recipe the settings made.
pub fn apply(id: &str, recipe: &mut Recipe, exp: &Experiment, lab: &LabDecl) {
    let knob = |k: &str| {
        exp.knob(lab, id, k)
            .map(|v| v.as_f64() as f32)
            .unwrap_or(f32::NAN)
    };
    match id {
        "plain" => plain::apply(recipe),
        "l2" => l2::apply(recipe, knob("lambda")),
        "dropout" => dropout::apply(recipe, knob("p")),
        "mixup" => mixup::apply(recipe, knob("alpha")),
        "smoothing" => smoothing::apply(recipe, knob("epsilon")),
        "adam" => adam::apply(recipe, knob("lr")),
        _ => {}
    }
}
