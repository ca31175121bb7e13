//! Dropout (Srivastava et al. 2014): while training, each hidden unit is zeroed with
//! probability p and the survivors scaled by 1/(1-p) (inverted dropout), so evaluation uses the
//! whole network unchanged.

use super::Method;
use crate::decl::*;
use crate::labs::basics::model::Recipe;

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    let p = knobs.f32("p");
    // Combined with the lab-wide dropout setting as independent drops: keep = (1-p₀)(1-p).
    recipe.dropout = 1.0 - (1.0 - recipe.dropout) * (1.0 - p);
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "dropout",
        title: "Dropout",
        paper: Some(Paper {
            title: "Dropout: A Simple Way to Prevent Neural Networks from Overfitting",
            url: "https://jmlr.org/papers/v15/srivastava14a.html",
        }),
        explain:
            "Random units off while training: a noisier training curve, a smaller train–test gap.",
        knobs: vec![float(
            "p",
            "Drop probability",
            0.0,
            0.9,
            0.2,
            "",
            "Chance each hidden unit is dropped.",
        )],
        no_claim: None,
    }
}
