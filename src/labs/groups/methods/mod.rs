//! The group-operations lab's methods are training regimes, one file each: its declaration and
//! what it changes of the recipe the settings made.

mod adam;
mod adamw;
mod adamw_small;
mod dropout;

use super::model::Recipe;
use crate::decl::{Knobs, MethodDecl};

pub struct Method {
    pub declaration: fn() -> MethodDecl,
    /// Changes the recipe, given the method's knobs.
    pub apply: fn(&mut Recipe, &Knobs),
}

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    adamw::METHOD,
    adam::METHOD,
    adamw_small::METHOD,
    dropout::METHOD,
];
