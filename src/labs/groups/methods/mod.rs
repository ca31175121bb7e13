//! The group-operations lab's methods are training regimes, one file each: its declaration and
//! what it changes of the recipe the settings made.

mod adam;
mod adamw;
mod adamw_small;
mod dropout;

use super::model::Recipe;

/// A method: its declaration and what it sets in the recipe.
pub type Method = crate::labs::RecipeMethod<Recipe>;

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    adamw::METHOD,
    adam::METHOD,
    adamw_small::METHOD,
    dropout::METHOD,
];
