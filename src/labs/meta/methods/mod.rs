//! The meta-learning lab's methods, one file each: its declaration and how it meta-trains.

mod fomaml;
mod maml;
mod pretrained;
mod reptile;

use super::model::Recipe;
use crate::decl::{Knobs, MethodDecl};

pub struct Method {
    pub declaration: fn() -> MethodDecl,
    /// Sets the recipe's kind from the method's knobs.
    pub apply: fn(&mut Recipe, &Knobs),
}

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    maml::METHOD,
    fomaml::METHOD,
    reptile::METHOD,
    pretrained::METHOD,
];
