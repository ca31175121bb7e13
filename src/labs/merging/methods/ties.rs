//! TIES-merging: trim each task vector to its top-k entries, elect a sign, average the agreeing entries (`merge::ties`).

use super::Method;
use crate::decl::*;
use crate::labs::merging::Merge;

pub const METHOD: Method = Method { declaration, merge };

fn merge(knobs: &Knobs) -> Merge {
    Merge::Ties {
        keep: knobs.f32("keep"),
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "ties",
        title: "TIES",
        paper: Some(Paper { title: "TIES-Merging: Resolving Interference When Merging Models", url: "https://arxiv.org/abs/2306.01708" }),
        explain: "Trim each τₖ to its largest entries, elect a sign per weight, average only the agreeing ones.",
        knobs: vec![float("keep", "Keep k", 0.01, 0.99, 0.2, "", "Share of each tensor's entries kept by the trim, in [0, 1).")],
        no_claim: None,
    }
}
