//! Labelled-only: ERM on the labelled points alone, the reference the semi-supervised methods must beat.

use super::{Batch, Loss, Method, Objective};
use crate::decl::*;
use crate::engine::Result;
use crate::labs::labels::model::{batch_mean, per_sample_ce};

pub const METHOD: Method = Method {
    declaration,
    objective: |_| Box::new(LabelledOnly),
};

/// Cross-entropy on the labelled points alone.
struct LabelledOnly;

impl Objective for LabelledOnly {
    fn loss(&self, b: &Batch) -> Result<Loss> {
        let (_, _, size) = b.sizes();
        let labelled = b.table("labelled", &|s| &s.0)?;
        let i = b.draw(&labelled, size)?;
        Ok(Loss::of(batch_mean(&per_sample_ce(
            &b.net.forward(&b.x.gather_rows(&i)?)?,
            &b.y.gather_rows(&i)?,
        )?)?))
    }
    fn semi_supervised(&self) -> bool {
        true
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "labelled",
        title: "Labelled only",
        paper: None,
        explain: "Cross-entropy on the few labelled points (the setting's per-class count), ignoring the rest: what the unlabelled points have to improve on.",
        knobs: vec![],
        no_claim: None,
    }
}
