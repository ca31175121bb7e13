//! Dropout on the hidden layer and no weight decay: another regulariser, without the decay.

use super::Method;
use crate::decl::*;
use crate::labs::groups::model::Recipe;

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.weight_decay = 0.0;
    recipe.beta2 = 0.98;
    recipe.dropout = knobs.f32("p");
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "dropout",
        title: "Dropout, no weight decay",
        paper: None,
        explain: "Drops hidden units while training (Adam, no decay): a regulariser that does not \
                  shrink the weights.",
        knobs: vec![float(
            "p",
            "Drop rate",
            0.0,
            0.8,
            0.3,
            "",
            "Share of hidden units dropped each step.",
        )],
        no_claim: Some(
            "the grokking literature's other regulariser; the paper claims nothing of it",
        ),
    }
}
