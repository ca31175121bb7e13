//! Feasible Learning: every training sample's loss should be at most ε; a dual variable per sample grows while its constraint is violated and weights its loss.

use super::Method;
use crate::decl::*;
use crate::labs::labels::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Feasible {
        epsilon: knobs.f32("epsilon"),
        dual_lr: knobs.f32("dual_lr"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "feasible",
        title: "Feasible Learning",
        paper: Some(Paper {
            title: "Feasible Learning",
            url: "https://arxiv.org/abs/2501.14912",
        }),
        explain: "Instead of the mean loss, ask that every sample's loss be at most ε. The Lagrangian weights each sample's loss by its dual variable λᵢ (from 1), and λᵢ ← max(0, λᵢ + η·(ℓᵢ − ε)) each time the sample is drawn: hard samples gain weight until they are fit, so the loss's tail shrinks.",
        knobs: vec![
            log_float("epsilon", "ε", 1e-3, 1.0, 0.05, "The per-sample bound on the cross-entropy."),
            log_float("dual_lr", "Dual step η", 1e-3, 10.0, 0.1, "Gradient ascent's step on the duals."),
        ],
        no_claim: None,
    }
}
