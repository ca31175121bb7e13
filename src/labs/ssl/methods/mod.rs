//! The self-supervised lab's methods, one file each: its declaration and the objective it sets.

mod barlow;
mod byol;
mod jepa;
mod mae;
mod random;
mod simclr;
mod simsiam;
mod supervised;
mod vicreg;

use super::model::Recipe;

/// A method: its declaration and what it sets in the recipe.
pub type Method = crate::labs::RecipeMethod<Recipe>;

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    simclr::METHOD,
    barlow::METHOD,
    vicreg::METHOD,
    byol::METHOD,
    simsiam::METHOD,
    jepa::METHOD,
    mae::METHOD,
    supervised::METHOD,
    random::METHOD,
];
