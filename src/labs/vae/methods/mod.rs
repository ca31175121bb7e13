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
use crate::decl::{Knobs, MethodDecl};

pub struct Method {
    pub declaration: fn() -> MethodDecl,
    /// Sets the recipe's objective from the method's knobs.
    pub apply: fn(&mut Recipe, &Knobs),
}

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
