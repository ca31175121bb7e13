//! Co-teaching: two networks, each trained on the samples its twin finds easy (small loss), the kept share falling from all to 1 − τ over the first epochs.

use super::{Batch, Loss, Method, Objective};
use crate::decl::*;
use crate::engine::Result;
use crate::engine::Tensor;
use crate::labs::labels::data::Noise;
use crate::labs::labels::model::{network, per_sample_ce};

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(CoTeaching {
            ramp_epochs: knobs.f32("ramp"),
        })
    },
};

/// Two networks; each trains on the other's share R(t) of small-loss samples in the batch,
/// R(t) = 1 − τ·min(t / T, 1) with τ the noise rate and T `ramp_epochs` epochs.
struct CoTeaching {
    ramp_epochs: f32,
}

impl Objective for CoTeaching {
    fn loss(&self, b: &Batch) -> Result<Loss> {
        let (n, c, size) = b.sizes();
        let recipe = b.recipe;
        let ramp = (self.ramp_epochs * n as f32 / size as f32).max(1.0);
        let twin = network(b.g, "twin", recipe, b.x.dims()[2], c)?;
        let la = per_sample_ce(&b.net.forward(b.xb)?, b.yb)?;
        let lb = per_sample_ce(&twin.forward(b.xb)?, b.yb)?;
        // The share kept: 1 − τ·min(t / T, 1), as a count of the batch; τ is the noise
        // rate, which is 0 when the labels are clean whatever the rate setting says.
        let tau = if recipe.noise == Noise::None {
            0.0
        } else {
            recipe.rate
        };
        let ramp = b.step.mul_scalar(1.0 / ramp)?.clamp(0.0, 1.0)?;
        let keep = ramp
            .mul_scalar(-tau)?
            .add_scalar(1.0)?
            .mul_scalar(size as f32)?;
        let keep = keep.reshape(&[1, 1, 1])?;
        // Each sample's rank in its batch by loss: how many samples have a smaller one.
        let small = |l: &Tensor| -> Result<Tensor> {
            let l = l.detach()?;
            let rank = l.transpose()?.lt(&l)?.sum(2)?;
            rank.lt(&keep)
        };
        let (keep_a, keep_b) = (small(&la)?, small(&lb)?);
        let masked = |l: &Tensor, m: &Tensor| -> Result<Tensor> {
            let kept = m.sum_per_run()?.add_scalar(1e-6)?;
            l.mul(m)?.sum_per_run()?.div(&kept)
        };
        // Each network learns from the samples its twin finds easy.
        Ok(Loss {
            value: masked(&la, &keep_b)?.add(&masked(&lb, &keep_a)?)?,
            params: twin.params(),
            assigns: Vec::new(),
        })
    }
}

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
