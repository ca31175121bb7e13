//! Multi-task training with UPGrad (Jacobian descent, `aggregate.rs`).

use super::Method;
use crate::decl::*;
use crate::labs::merging::{Aggregator, Merge};

pub const METHOD: Method = Method { declaration, merge };

fn merge(_knobs: &Knobs) -> Merge {
    Merge::MultiTask(Aggregator::UpGrad)
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "mt_upgrad",
        title: "Multi-task: UPGrad",
        paper: Some(Paper { title: "Jacobian Descent for Multi-Objective Optimization", url: "https://arxiv.org/abs/2406.16232" }),
        explain: "Each task gradient projected onto the dual cone of all of them, then averaged: never against any task.",
        knobs: vec![],
        no_claim: Some(
            "Not measured yet: the multi-task phase shows each aggregator's training and the task gradients' cosine, but no setting here has yet been run that separates the aggregators from summed gradients.",
        ),
    }
}
