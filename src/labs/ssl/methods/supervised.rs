//! The supervised reference: an encoder trained with every label.

use super::Method;
use crate::decl::*;
use crate::labs::ssl::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, _knobs: &Knobs) {
    recipe.kind = Kind::Supervised;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "supervised",
        title: "Supervised (upper reference)",
        paper: None,
        explain: "Cross-entropy on the digit labels through a linear head: what the encoder reaches with every label, the reference the self-supervised methods are measured against.",
        knobs: Vec::new(),
        no_claim: None,
    }
}
