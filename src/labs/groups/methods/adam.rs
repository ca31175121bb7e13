//! Adam with no weight decay: the same optimizer with nothing pushing the weights to a simple
//! solution after the training pairs are memorised.

use super::Method;
use crate::decl::*;
use crate::labs::groups::model::Recipe;

fn apply(recipe: &mut Recipe, _knobs: &Knobs) {
    recipe.weight_decay = 0.0;
    recipe.beta2 = 0.98;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "adam",
        title: "Adam, no weight decay",
        paper: Some(Paper {
            title: "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
            url: "https://arxiv.org/abs/2201.02177",
        }),
        explain: "Fits the training pairs as fast as AdamW does; with no decay, what generalises \
                  comes much later, if at all.",
        knobs: vec![],
        no_claim: None,
    }
}
