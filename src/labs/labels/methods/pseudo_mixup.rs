//! Pseudo-labelling against confirmation bias (Arazo et al.): soft pseudo-labels refreshed about once an epoch, mixup, and a minimum of labelled points per batch.

use super::{Batch, Loss, Method, Objective};
use crate::decl::*;
use crate::engine::Result;
use crate::labs::labels::model::{batch_mean, per_sample_ce};

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(MixupPseudo {
            min_labelled: knobs.usize("min_labelled"),
        })
    },
};

/// Soft pseudo-labels, each unlabelled point's last prediction (refreshed when it is drawn, so
/// about once an epoch), a batch with at least `min_labelled` labelled points, mixup (α = 1)
/// across the batch, and the paper's two regularisers: the batch's mean prediction kept near
/// uniform (weight 0.8) and each prediction's entropy low (0.4).
struct MixupPseudo {
    min_labelled: usize,
}

impl Objective for MixupPseudo {
    fn loss(&self, bt: &Batch) -> Result<Loss> {
        let (g, step) = (bt.g, Some(bt.step));
        let (n, c, b) = bt.sizes();
        let runs = bt.split.len();
        let labelled = bt.table("labelled", &|s| &s.0)?;
        let unlabelled = bt.table("unlabelled", &|s| &s.1)?;
        // At least one unlabelled point in the batch (batch ≥ 4 by the settings).
        let k = self.min_labelled.clamp(1, b.saturating_sub(1).max(1));
        let soft = g.state(
            "pseudo.soft",
            &[runs, n, c],
            vec![1.0 / c as f32; runs * n * c],
        )?;
        let il = bt.draw(&labelled, k)?;
        let iu = bt.draw(&unlabelled, b - k)?;
        let x =
            bt.x.gather_rows(&il)?
                .transpose()?
                .concat(&bt.x.gather_rows(&iu)?.transpose()?)?
                .transpose()?;
        let targets_u = soft.gather_rows(&iu)?;
        let y =
            bt.y.gather_rows(&il)?
                .transpose()?
                .concat(&targets_u.transpose()?)?
                .transpose()?;
        // Refresh the drawn points' soft labels with the current predictions (unmixed).
        let fresh = bt
            .net
            .forward(&bt.x.gather_rows(&iu)?)?
            .detach()?
            .softmax()?;
        let refreshed = soft.add(&fresh.sub(&targets_u)?.scatter_add_rows(&iu, n)?)?;
        // Mixup across the batch, λ ~ Beta(1, 1), with a second draw of the same batch.
        let lam = g.random_uniform(&[runs, b, 1], 0.0, 1.0, step)?;
        let other = g.scalar(1.0)?.sub(&lam)?;
        let perm = g.random_index(&[runs, b], b, step)?;
        let xm = x.mul(&lam)?.add(&x.gather_rows(&perm)?.mul(&other)?)?;
        let ym = y.mul(&lam)?.add(&y.gather_rows(&perm)?.mul(&other)?)?;
        let logits = bt.net.forward(&xm)?;
        let ce = batch_mean(&per_sample_ce(&logits, &ym)?)?;
        let probs = logits.softmax()?;
        // R_A: KL(uniform ‖ the batch's mean prediction); R_H: the predictions' entropy.
        let mean = probs.mean(1)?;
        let r_a = mean
            .add_scalar(1e-8)?
            .log()?
            .mul_scalar(-1.0 / c as f32)?
            .sum_per_run()?
            .add_scalar(-crate::engine::math::ln(c as f32))?;
        let r_h = probs
            .mul(&probs.add_scalar(1e-8)?.log()?)?
            .sum(2)?
            .neg()?
            .mean_per_run()?;
        Ok(Loss {
            value: ce.add(&r_a.mul_scalar(0.8)?)?.add(&r_h.mul_scalar(0.4)?)?,
            params: Vec::new(),
            assigns: vec![(soft, refreshed)],
        })
    }
    fn semi_supervised(&self) -> bool {
        true
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "pseudo_mixup",
        title: "Pseudo-labels + mixup",
        paper: Some(Paper {
            title: "Pseudo-Labeling and Confirmation Bias in Deep Semi-Supervised Learning",
            url: "https://arxiv.org/abs/1908.02983",
        }),
        explain: "Soft pseudo-labels (each unlabelled point's last predicted distribution, refreshed when it is drawn), every batch holding at least k labelled points, mixup (α = 1) across labelled and unlabelled points, and two regularisers: the batch's mean prediction near uniform, each prediction sharp. Mixup and the labelled minimum keep the network from confirming its own mistakes.",
        knobs: vec![int("min_labelled", "Labelled points per batch k", 1, 64, 8, "", "At least this many labelled points in every batch (the paper: 16 of 100).")],
        no_claim: None,
    }
}
