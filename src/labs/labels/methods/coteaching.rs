//! Co-teaching: two networks, each trained on the samples its twin finds easy (small loss), the kept share falling from all to 1 − τ over the first epochs.

use super::Method;
use crate::decl::*;
use crate::labs::labels::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::CoTeaching {
        ramp_epochs: knobs.f32("ramp"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "coteaching",
        title: "Co-teaching",
        paper: Some(Paper {
            title: "Co-teaching: Robust Training of Deep Neural Networks with Extremely Noisy Labels",
            url: "https://arxiv.org/abs/1804.06872",
        }),
        explain: "Networks learn clean patterns before they memorise noise, so early on a small loss means a probably-right label. Each of two networks ranks the batch by its own loss and hands its twin the smallest 1 − τ·min(t/T, 1) share to learn from (τ is the noise rate, assumed known as in the paper).",
        knobs: vec![float("ramp", "Ramp T (epochs)", 1.0, 50.0, 10.0, "", "Epochs over which the kept share falls from 1 to 1 − τ (the paper's T_k = 10).")],
        no_claim: None,
    }
}
