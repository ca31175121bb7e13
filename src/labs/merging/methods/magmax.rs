//! MagMax: per entry, the task vector entry of largest magnitude (`merge::magmax`).

use super::Method;
use crate::decl::*;
use crate::labs::merging::Merge;

pub const METHOD: Method = Method { declaration, merge };

fn merge(_knobs: &Knobs) -> Merge {
    Merge::MagMax
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "magmax",
        title: "MagMax",
        paper: Some(Paper {
            title: "MagMax: Leveraging Model Merging for Seamless Continual Learning",
            url: "https://arxiv.org/abs/2407.06322",
        }),
        explain: "Per weight, the task vector entry of largest magnitude.",
        knobs: vec![],
        no_claim: None,
    }
}
