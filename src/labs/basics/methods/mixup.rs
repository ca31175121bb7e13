//! Mixup (Zhang et al. 2018; analysed by Oh & Yun 2023, "Provable Benefit of Mixup for Finding
//! Optimal Decision Boundaries"): each training example is λ·(xᵢ, yᵢ) + (1-λ)·(xⱼ, yⱼ) with j a
//! second random example and λ ~ Beta(α, α) drawn per example. Labels mix as one-hot vectors, so
//! the loss is cross-entropy against soft targets.
//!
//! NOTE: λ is drawn by inverse-CDF lookup in a 1024-entry table of Beta(α, α) quantiles built
//! when the graph is (exact up to the table's resolution), since the engine's RNG has no Beta.

use super::super::model::Recipe;

pub fn apply(recipe: &mut Recipe, alpha: f32) {
    recipe.mixup_alpha = Some(alpha);
}
