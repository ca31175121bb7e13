//! ALDR-KL: the label-distributionally robust loss with a KL ball around the uniform label distribution, its radius (λ) set per sample from how confident the network is.

use super::{Batch, Loss, Method, Objective};
use crate::decl::*;
use crate::engine::Result;
use crate::labs::labels::model::batch_mean;

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(Aldr {
            margin: knobs.f32("margin"),
            lambda: knobs.f32("lambda"),
            alpha: knobs.f32("alpha"),
        })
    },
};

/// ALDR-KL: the label-distributionally robust loss with a per-sample λᵢ set in closed form from
/// the prediction's KL to uniform: margin c, reference λ, and α.
struct Aldr {
    margin: f32,
    lambda: f32,
    alpha: f32,
}

impl Objective for Aldr {
    fn loss(&self, b: &Batch) -> Result<Loss> {
        let (n, c, _) = b.sizes();
        let (runs, lambda) = (b.split.len(), self.lambda);
        let state =
            b.g.state("aldr.lambda", &[runs, n, 1], vec![lambda; runs * n])?;
        let logits = b.net.forward(b.xb)?;
        // Logits scaled to mean absolute value 1, as the reference implementation does.
        let scale = logits.abs()?.mean(2)?.add_scalar(1e-6)?;
        let z = logits.div(&scale)?;
        let lam_old = state.gather_rows(b.idx)?.clamp(0.05 * lambda, lambda)?;
        let p = z.div(&lam_old)?.detach()?.softmax()?;
        let logk = crate::engine::math::ln(c as f32);
        let kl = p
            .mul(&p.mul_scalar(c as f32)?.add_scalar(1e-12)?.log()?)?
            .sum(2)?;
        let lam = kl
            .mul_scalar(-lambda / (self.alpha * logk))?
            .add_scalar(lambda)?
            .clamp(0.05 * lambda, lambda)?
            .detach()?;
        // λ·log mean_k exp((c·[k ≠ y] + z_k − z_y)/λ)
        let zy = z.mul(b.yb)?.sum(2)?;
        let diff =
            b.yb.mul_scalar(-self.margin)?
                .add_scalar(self.margin)?
                .add(&z)?
                .sub(&zy)?;
        let inner = diff.div(&lam)?.logsumexp()?.add_scalar(-logk)?;
        let delta = lam.sub(&lam_old)?;
        let moved = state.add(&delta.scatter_add_rows(b.idx, n)?)?;
        Ok(Loss {
            value: batch_mean(&inner.mul(&lam)?)?,
            params: Vec::new(),
            assigns: vec![(state, moved)],
        })
    }
}

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
