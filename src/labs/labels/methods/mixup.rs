//! Mixup on noisy labels: train on convex combinations of pairs of examples and of their given labels.

use super::Method;
use crate::decl::*;
use crate::labs::labels::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Mixup {
        alpha: knobs.f32("alpha"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "mixup",
        title: "Mixup",
        paper: Some(Paper {
            title: "mixup: Beyond Empirical Risk Minimization",
            url: "https://arxiv.org/abs/1710.09412",
        }),
        explain: "Each training example is λ·x + (1−λ)·x′ with label λ·y + (1−λ)·y′, λ ~ Beta(α, α): a wrong label is always mixed with another, so it is hard to memorise. The paper tests α = 8 and 32 under corrupted labels.",
        knobs: vec![log_float("alpha", "α", 0.1, 32.0, 8.0, "Beta(α, α): large α mixes pairs near half and half.")],
        no_claim: Some("The mixup paper's noisy-label result is on CIFAR-10 against dropout; this lab's claims compare against ERM for co-teaching and ALDR-KL, and mixup is shown beside them without a claim of its own here."),
    }
}
