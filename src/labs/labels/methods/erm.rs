//! Empirical risk minimisation: cross-entropy on the given labels, wrong ones included. The baseline.

use super::{Batch, Loss, Method, Objective};
use crate::decl::*;
use crate::engine::Result;
use crate::labs::labels::model::{batch_mean, per_sample_ce};

pub const METHOD: Method = Method {
    declaration,
    objective: |_| Box::new(Erm),
};

/// Cross-entropy on the given labels.
struct Erm;

impl Objective for Erm {
    fn loss(&self, b: &Batch) -> Result<Loss> {
        Ok(Loss::of(batch_mean(&per_sample_ce(
            &b.net.forward(b.xb)?,
            b.yb,
        )?)?))
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "erm",
        title: "ERM",
        paper: None,
        explain: "Plain cross-entropy on the labels as given. It learns the clean pattern first, then memorises the wrong labels one by one: its test accuracy peaks and falls.",
        knobs: vec![],
        no_claim: None,
    }
}
