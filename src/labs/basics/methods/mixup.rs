//! Mixup (Zhang et al. 2018; analysed by Oh & Yun 2023, "Provable Benefit of Mixup for Finding
//! Optimal Decision Boundaries"): each training example is λ·(xᵢ, yᵢ) + (1-λ)·(xⱼ, yⱼ) with j a
//! second random example and λ ~ Beta(α, α) drawn per example. Labels mix as one-hot vectors, so
//! the loss is cross-entropy against soft targets.
//!
//! NOTE: λ is drawn by inverse-CDF lookup in a 1024-entry table of Beta(α, α) quantiles built
//! when the graph is (exact up to the table's resolution), since the engine's RNG has no Beta.

use super::Method;
use crate::decl::*;
use crate::labs::basics::model::Recipe;

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    let alpha = knobs.f32("alpha");
    recipe.mixup_alpha = Some(alpha);
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "mixup",
        title: "Mixup",
        paper: Some(Paper {
            title: "Provable Benefit of Mixup for Finding Optimal Decision Boundaries",
            url: "https://arxiv.org/abs/2306.00267",
        }),
        explain: "Trains on convex mixes of point pairs and their labels. On well-separated skewed \
                  clusters plain training's boundary drifts toward the widest-margin line, away from \
                  the Bayes-optimal one (dashed); mixup's stays on it. Less noise, more separable \
                  data: plain drifts further (the curse of separability).",
        knobs: vec![float("alpha", "α", 0.05, 4.0, 1.0, "", "Mixing weights are drawn from Beta(α, α).")],
        no_claim: None,
    }
}
