//! Naive pseudo-labelling: the network's confident predictions on unlabelled points become hard labels it trains on.

use super::Method;
use crate::decl::*;
use crate::labs::labels::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::NaivePseudo {
        threshold: knobs.f32("threshold"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "pseudo",
        title: "Naive pseudo-labels",
        paper: None,
        explain: "Each step: a labelled batch, and an unlabelled batch whose points the network is sure of (top probability above the threshold) labelled with its own argmax. Its mistakes become training labels: confirmation bias.",
        knobs: vec![float("threshold", "Confidence threshold", 0.5, 0.999, 0.95, "", "Top probability above which a prediction becomes a label.")],
        no_claim: None,
    }
}
