//! Empirical risk minimisation: cross-entropy on the given labels, wrong ones included. The baseline.

use super::Method;
use crate::decl::*;
use crate::labs::labels::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, _knobs: &Knobs) {
    recipe.kind = Kind::Erm;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "erm",
        title: "ERM",
        paper: None,
        explain: "Plain cross-entropy on the labels as given. It learns the clean pattern first, then memorises the wrong labels one by one: its test accuracy peaks and falls.",
        knobs: vec![],
        no_claim: None,
    }
}
