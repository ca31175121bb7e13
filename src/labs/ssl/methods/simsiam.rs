//! SimSiam: a predictor and a stop-gradient, which can be switched off to show collapse.

use super::Method;
use crate::decl::*;
use crate::labs::ssl::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::SimSiam {
        stop_gradient: knobs.value("stopgrad").as_bool(),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "simsiam",
        title: "SimSiam",
        paper: Some(Paper {
            title: "Exploring Simple Siamese Representation Learning",
            url: "https://arxiv.org/abs/2011.10566",
        }),
        explain: "A predictor on one view matches the other view's embedding through a stop-gradient; no EMA, no negatives. Switch the stop-gradient off and the encoder collapses to a constant.",
        knobs: vec![flag("stopgrad", "Stop-gradient", true, "Off: the gradient flows through the target branch too (the paper's collapse demonstration).")],
        no_claim: None,
    }
}
