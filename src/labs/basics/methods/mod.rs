//! The Basics lab's methods, one file each: its declaration and what it changes of the training
//! recipe the settings made. A new method is a file and a line in `METHODS`.

mod adam;
mod dropout;
mod l2;
mod mixup;
mod plain;
mod smoothing;

use super::model::Recipe;
use crate::decl::{Knobs, MethodDecl};

pub struct Method {
    pub declaration: fn() -> MethodDecl,
    /// Changes the recipe, given the method's knobs.
    pub apply: fn(&mut Recipe, &Knobs),
}

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    plain::METHOD,
    l2::METHOD,
    dropout::METHOD,
    mixup::METHOD,
    smoothing::METHOD,
    adam::METHOD,
];
