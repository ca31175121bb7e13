//! Multi-task training with the task gradients summed (not a merge: the reference).

use super::Method;
use crate::decl::*;
use crate::labs::merging::{Aggregator, Merge};

pub const METHOD: Method = Method { declaration, merge };

fn merge(_knobs: &Knobs) -> Merge {
    Merge::MultiTask(Aggregator::Sum)
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "mt_sum",
        title: "Multi-task: sum of gradients",
        paper: None,
        explain:
            "One model, all tasks at once from the pre-trained backbone, the task gradients added \
                  (linear scalarisation). Same step budget as all the fine-tunes together.",
        knobs: vec![],
        no_claim: None,
    }
}
