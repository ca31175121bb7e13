//! Naive pseudo-labelling: the network's confident predictions on unlabelled points become hard labels it trains on.

use super::{Batch, Loss, Method, Objective};
use crate::decl::*;
use crate::engine::Result;
use crate::labs::labels::model::{batch_mean, per_sample_ce};

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(NaivePseudo {
            threshold: knobs.f32("threshold"),
        })
    },
};

/// A labelled batch, plus an unlabelled one trained on its own confident predictions: the
/// argmax as a hard label wherever the top probability exceeds `threshold`.
struct NaivePseudo {
    threshold: f32,
}

impl Objective for NaivePseudo {
    fn loss(&self, b: &Batch) -> Result<Loss> {
        let (_, _, size) = b.sizes();
        let labelled = b.table("labelled", &|s| &s.0)?;
        let unlabelled = b.table("unlabelled", &|s| &s.1)?;
        let i = b.draw(&labelled, size)?;
        let supervised = batch_mean(&per_sample_ce(
            &b.net.forward(&b.x.gather_rows(&i)?)?,
            &b.y.gather_rows(&i)?,
        )?)?;
        let u = b.draw(&unlabelled, size)?;
        let logits = b.net.forward(&b.x.gather_rows(&u)?)?;
        let p = logits.detach()?.softmax()?;
        let confident = p.max(2)?.gt(&b.g.scalar(self.threshold)?)?;
        let hard = logits.detach()?.argmax_last()?.eq_mask(b.classes)?;
        let kept = confident.sum_per_run()?.add_scalar(1e-6)?;
        let pseudo = per_sample_ce(&logits, &hard)?
            .mul(&confident)?
            .sum_per_run()?
            .div(&kept)?;
        Ok(Loss::of(supervised.add(&pseudo)?))
    }
    fn semi_supervised(&self) -> bool {
        true
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "pseudo",
        title: "Naive pseudo-labels",
        paper: None,
        explain: "Each step: a labelled batch, and an unlabelled batch whose points the network is sure of (top probability above the threshold) labelled with its own argmax. Its mistakes become training labels: confirmation bias.",
        knobs: vec![float("threshold", "Confidence threshold", 0.5, 0.999, 0.95, "", "Top probability above which a prediction becomes a label.")],
        no_claim: None,
    }
}
