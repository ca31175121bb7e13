//! Weight averaging (model soups): θ₀ + (1/K)·Σ τₖ, computed by `merge::average`.

use super::Method;
use crate::decl::*;
use crate::labs::merging::Merge;

pub const METHOD: Method = Method { declaration, merge };

fn merge(_knobs: &Knobs) -> Merge {
    Merge::Average
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "average",
        title: "Weight averaging",
        paper: Some(Paper { title: "Model soups: averaging weights of multiple fine-tuned models improves accuracy without increasing inference time", url: "https://arxiv.org/abs/2203.05482" }),
        explain: "θ₀ + (1/K)·Σ τₖ: no knob; every task vector diluted K times.",
        knobs: vec![],
        no_claim: Some(
            "Model soups average fine-tunes of one task; here each fine-tune learns a different task, so the soup's claim does not apply. Averaging's gain over the base is checked in merges-beat-base.",
        ),
    }
}
