//! The imperfect-labels lab's methods, one file each: its declaration and the loss it sets.

mod aldr;
mod coteaching;
mod erm;
mod feasible;
mod labelled_only;
mod mixup;
mod pseudo;
mod pseudo_mixup;

use super::model::Recipe;

/// A method: its declaration and what it sets in the recipe.
pub type Method = crate::labs::RecipeMethod<Recipe>;

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    erm::METHOD,
    mixup::METHOD,
    coteaching::METHOD,
    aldr::METHOD,
    feasible::METHOD,
    labelled_only::METHOD,
    pseudo::METHOD,
    pseudo_mixup::METHOD,
];
