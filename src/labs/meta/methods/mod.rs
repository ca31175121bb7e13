//! The meta-learning lab's methods, one file each: its declaration and how it meta-trains.

mod fomaml;
mod maml;
mod pretrained;
mod reptile;

use super::model::Recipe;

/// A method: its declaration and what it sets in the recipe.
pub type Method = crate::labs::RecipeMethod<Recipe>;

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    maml::METHOD,
    fomaml::METHOD,
    reptile::METHOD,
    pretrained::METHOD,
];
