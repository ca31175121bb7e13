//! Labelled-only: ERM on the labelled points alone, the reference the semi-supervised methods must beat.

use super::Method;
use crate::decl::*;
use crate::labs::labels::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, _knobs: &Knobs) {
    recipe.kind = Kind::LabelledOnly;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "labelled",
        title: "Labelled only",
        paper: None,
        explain: "Cross-entropy on the few labelled points (the setting's per-class count), ignoring the rest: what the unlabelled points have to improve on.",
        knobs: vec![],
        no_claim: None,
    }
}
