//! Plain training: the recipe the settings describe, unchanged.

use super::Method;
use crate::decl::*;
use crate::labs::basics::model::Recipe;

fn apply(_recipe: &mut Recipe, _knobs: &Knobs) {}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "plain",
        title: "Plain training",
        paper: None,
        explain: "The baseline: the settings as they are.",
        knobs: vec![],
        no_claim: None,
    }
}
