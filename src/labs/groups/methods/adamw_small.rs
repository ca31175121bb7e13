//! AdamW with a small weight decay: between the two, to see how the decay sets the delay.

use super::Method;
use crate::decl::*;
use crate::labs::groups::model::Recipe;

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.weight_decay = knobs.f32("wd");
    recipe.beta2 = 0.98;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "adamw_small",
        title: "AdamW, small weight decay",
        paper: None,
        explain: "A tenth of the paper's decay: the weights shrink slower, and generalisation \
                  comes later.",
        knobs: vec![log_float(
            "wd",
            "Weight decay",
            1e-4,
            1.0,
            0.1,
            "Decoupled weight decay.",
        )],
        no_claim: Some(
            "a comparison point between the paper's decay and none; no paper claim of its own",
        ),
    }
}
