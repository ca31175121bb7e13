//! Multi-task training with PCGrad's gradient projection (`aggregate.rs`).

use super::Method;
use crate::decl::*;
use crate::labs::merging::{Aggregator, Merge};

pub const METHOD: Method = Method { declaration, merge };

fn merge(_knobs: &Knobs) -> Merge {
    Merge::MultiTask(Aggregator::PcGrad)
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "mt_pcgrad",
        title: "Multi-task: PCGrad",
        paper: Some(Paper { title: "Gradient Surgery for Multi-Task Learning", url: "https://arxiv.org/abs/2001.06782" }),
        explain: "Each task gradient loses its component along any other it conflicts with, then they are added.",
        knobs: vec![],
        no_claim: Some(
            "Not measured yet: the multi-task phase shows each aggregator's training and the task gradients' cosine, but no setting here has yet been run that separates the aggregators from summed gradients.",
        ),
    }
}
