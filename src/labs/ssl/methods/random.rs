//! The random-encoder reference: no training at all.

use super::Method;
use crate::decl::*;
use crate::labs::ssl::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, _knobs: &Knobs) {
    recipe.kind = Kind::Random;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "random",
        title: "Random encoder (lower reference)",
        paper: None,
        explain: "The encoder stays at its random initialisation: what a probe gets from untrained features.",
        knobs: Vec::new(),
        no_claim: None,
    }
}
