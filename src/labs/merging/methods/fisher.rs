//! Fisher-weighted averaging: each entry weighted by its task's diagonal Fisher (`merge::fisher`).

use super::Method;
use crate::decl::*;
use crate::labs::merging::Merge;

pub const METHOD: Method = Method { declaration, merge };

fn merge(_knobs: &Knobs) -> Merge {
    Merge::Fisher
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "fisher",
        title: "Fisher averaging",
        paper: Some(Paper {
            title: "Merging Models with Fisher-Weighted Averaging",
            url: "https://arxiv.org/abs/2111.09832",
        }),
        explain: "Each weight averaged with the weights each model's diagonal Fisher gives it.",
        knobs: vec![],
        no_claim: None,
    }
}
