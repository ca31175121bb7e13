//! The meta-learning lab's methods, one file each: its declaration and how it meta-trains.

mod fomaml;
mod linear;
mod maml;
mod pretrained;
mod protonet;
mod reptile;
mod transductive;

use super::model::Recipe;

/// A method: its declaration and what it sets in the recipe.
pub type Method = crate::labs::RecipeMethod<Recipe>;

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    maml::METHOD,
    fomaml::METHOD,
    reptile::METHOD,
    pretrained::METHOD,
    protonet::METHOD,
    linear::METHOD,
    transductive::METHOD,
];
