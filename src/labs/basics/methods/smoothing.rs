//! Label smoothing (Szegedy et al. 2016): the target puts 1-ε on the true class and spreads ε
//! evenly over all classes.

use super::Method;
use crate::decl::*;
use crate::labs::basics::model::Recipe;

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    let epsilon = knobs.f32("epsilon");
    recipe.smoothing = epsilon;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "smoothing",
        title: "Label smoothing",
        paper: Some(Paper {
            title: "Rethinking the Inception Architecture for Computer Vision",
            url: "https://arxiv.org/abs/1512.00567",
        }),
        explain: "Soft targets: less confident outputs, a softer boundary heatmap.",
        knobs: vec![float(
            "epsilon",
            "ε",
            0.0,
            0.5,
            0.1,
            "",
            "Mass moved from the true class to all classes.",
        )],
        no_claim: None,
    }
}
