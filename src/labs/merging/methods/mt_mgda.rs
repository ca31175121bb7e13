//! Multi-task training with MGDA's min-norm combination (`aggregate.rs`).

use super::Method;
use crate::decl::*;
use crate::labs::merging::{Aggregator, Merge};

pub const METHOD: Method = Method { declaration, merge };

fn merge(_knobs: &Knobs) -> Merge {
    Merge::MultiTask(Aggregator::Mgda)
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "mt_mgda",
        title: "Multi-task: MGDA",
        paper: Some(Paper { title: "Multi-Task Learning as Multi-Objective Optimization", url: "https://arxiv.org/abs/1810.04650" }),
        explain: "The minimum-norm point of the gradients' convex hull: a step no task objects to, often a short one.",
        knobs: vec![],
        no_claim: Some(
            "Not measured yet: the multi-task phase shows each aggregator's training and the task gradients' cosine, but no setting here has yet been run that separates the aggregators from summed gradients.",
        ),
    }
}
