//! AdamW with weight decay 1 and betas (0.9, 0.98): the universality paper's setting, under which
//! the network generalises long after it has fit the training pairs.

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
        id: "adamw",
        title: "AdamW, weight decay 1",
        paper: Some(Paper {
            title: "A Toy Model of Universality: Reverse Engineering How Networks Learn Group Operations",
            url: "https://arxiv.org/abs/2302.03025",
        }),
        explain: "Decoupled weight decay keeps shrinking the weights after the training pairs are \
                  fit, until a few representations of the group carry the answer: test accuracy \
                  follows, late.",
        knobs: vec![log_float("wd", "Weight decay", 1e-3, 3.0, 1.0, "Decoupled weight decay (θ ← θ − lr·wd·θ each step).")],
        no_claim: None,
    }
}
