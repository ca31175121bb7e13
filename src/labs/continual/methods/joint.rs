//! Joint training on every task so far: each task's batches are drawn from the union of its
//! training set and all earlier ones. Not a continual method (it keeps all the data): the upper
//! bound the others are compared to.

use super::{Hooks, Method};
use crate::decl::*;

pub const METHOD: Method = Method {
    declaration,
    make: |_| Box::new(Joint),
};

struct Joint;

impl Hooks for Joint {
    /// The training rows while task `t` trains: from the first task's start to task t's end.
    fn range(&self, offsets: &[usize], counts: &[usize], t: usize) -> [f32; 2] {
        [0.0, (offsets[t] + counts[t]) as f32]
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "joint",
        title: "Joint training (upper bound)",
        paper: None,
        explain: "Trains on every task so far at once; keeps all the data, so it is the bar the others aim at.",
        knobs: vec![],
        no_claim: None,
    }
}
