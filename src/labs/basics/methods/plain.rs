//! Plain training: the recipe the settings describe, unchanged.

use super::super::model::Recipe;

pub fn apply(_recipe: &mut Recipe) {}
