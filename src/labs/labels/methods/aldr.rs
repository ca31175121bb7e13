//! ALDR-KL: the label-distributionally robust loss with a KL ball around the uniform label distribution, its radius (λ) set per sample from how confident the network is.

use super::Method;
use crate::decl::*;
use crate::labs::labels::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Aldr {
        margin: knobs.f32("margin"),
        lambda: knobs.f32("lambda"),
        alpha: knobs.f32("alpha"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "aldr",
        title: "ALDR-KL",
        paper: Some(Paper {
            title: "Label Distributionally Robust Losses for Multi-class Classification: Consistency, Robustness and Adaptivity",
            url: "https://arxiv.org/abs/2112.14869",
        }),
        explain: "λ·log mean_k exp((c·[k≠y] + z_k − z_y)/λ) on logits scaled to mean magnitude 1: the worst case over label distributions near uniform. Large λ tends to a mean over labels (robust, like MAE), small λ to the hinge-like max. Each sample's λ is set from its prediction's KL to uniform, λ_ref·(1 − KL/(α·log K)), kept per sample.",
        knobs: vec![
            float("margin", "Margin c", 0.0, 5.0, 1.0, "", "Added to every wrong class's logit difference."),
            log_float("lambda", "λ_ref", 0.1, 10.0, 1.0, "The largest λ, where the prediction is uniform."),
            float("alpha", "α", 1.1, 10.0, 2.0, "", "How far λ falls for a confident prediction: to λ_ref·(1 − 1/α) at a one-hot one."),
        ],
        no_claim: None,
    }
}
