//! The random-encoder reference: no training at all.

use super::{Loss, Method, Objective, Pair};
use crate::decl::*;
use crate::engine::Result;

pub const METHOD: Method = Method {
    declaration,
    objective: |_| Box::new(Random),
};

/// The encoder stays at its random initialisation: the lower reference.
struct Random;

impl Objective for Random {
    fn loss(&self, p: &Pair) -> Result<Loss> {
        Ok(Loss::of(p.g.zeros(&[p.g.runs()])?))
    }
    fn trains(&self) -> bool {
        false
    }
    fn through_projector(&self) -> bool {
        false
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "random",
        title: "Random encoder (lower reference)",
        paper: None,
        explain: "The encoder stays at its random initialisation: what a probe gets from untrained features.",
        knobs: Vec::new(),
        no_claim: None,
    }
}
