//! Mixup on noisy labels: train on convex combinations of pairs of examples and of their given labels.

use super::{Batch, Loss, Method, Objective};
use crate::decl::*;
use crate::engine::Result;
use crate::labs::labels::model::{batch_mean, per_sample_ce, BETA_TABLE};

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(Mixup {
            alpha: knobs.f32("alpha"),
        })
    },
};

/// Cross-entropy on convex combinations of two examples and their given labels,
/// λ ~ Beta(α, α).
struct Mixup {
    alpha: f32,
}

impl Objective for Mixup {
    fn loss(&self, b: &Batch) -> Result<Loss> {
        let (g, step) = (b.g, Some(b.step));
        let (n, _, size) = b.sizes();
        let runs = b.split.len();
        let idx2 = g.random_index(&[runs, size], n, step)?;
        let table = g.input(
            "beta_quantiles",
            &[1, BETA_TABLE, 1],
            crate::labs::basics::model::beta_quantiles(self.alpha as f64, BETA_TABLE),
        )?;
        let lam = table.gather_rows(&g.random_index(&[runs, size], BETA_TABLE, step)?)?;
        let other = g.scalar(1.0)?.sub(&lam)?;
        let x = b.xb.mul(&lam)?.add(&b.x.gather_rows(&idx2)?.mul(&other)?)?;
        let y = b.yb.mul(&lam)?.add(&b.y.gather_rows(&idx2)?.mul(&other)?)?;
        Ok(Loss::of(batch_mean(&per_sample_ce(
            &b.net.forward(&x)?,
            &y,
        )?)?))
    }
}

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
