//! Feasible Learning: every training sample's loss should be at most ε; a dual variable per sample grows while its constraint is violated and weights its loss.

use super::{Batch, Loss, Method, Objective};
use crate::decl::*;
use crate::engine::Result;
use crate::labs::labels::model::{batch_mean, per_sample_ce};

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(Feasible {
            epsilon: knobs.f32("epsilon"),
            dual_lr: knobs.f32("dual_lr"),
        })
    },
};

/// ℓᵢ ≤ ε for every sample, a dual variable per sample raised by gradient ascent at `dual_lr`
/// where the constraint is violated; the primal weights each sample's loss by its dual.
struct Feasible {
    epsilon: f32,
    dual_lr: f32,
}

impl Objective for Feasible {
    fn loss(&self, b: &Batch) -> Result<Loss> {
        let (n, _, _) = b.sizes();
        let runs = b.split.len();
        let duals =
            b.g.state("feasible.dual", &[runs, n, 1], vec![1.0; runs * n])?;
        let l = per_sample_ce(&b.net.forward(b.xb)?, b.yb)?;
        let dual = duals.gather_rows(b.idx)?;
        let ascent = l
            .detach()?
            .add_scalar(-self.epsilon)?
            .mul_scalar(self.dual_lr)?;
        let next = duals.add(&ascent.scatter_add_rows(b.idx, n)?)?.relu()?;
        Ok(Loss {
            value: batch_mean(&l.mul(&dual.detach()?)?)?,
            params: Vec::new(),
            assigns: vec![(duals, next)],
        })
    }
}

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
