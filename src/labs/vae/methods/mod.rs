//! The generative latent lab's methods are objectives (bounds and gradient estimators), one file
//! each: its declaration and what it sets in the recipe.

mod ciwae;
mod infovae;
mod iwae;
mod miwae;
mod piwae;
mod reinforce;
mod vae;

use super::model::Recipe;

/// A method: its declaration and what it sets in the recipe.
pub type Method = crate::labs::RecipeMethod<Recipe>;

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    vae::METHOD,
    iwae::METHOD,
    miwae::METHOD,
    ciwae::METHOD,
    piwae::METHOD,
    infovae::METHOD,
    reinforce::METHOD,
];
