//! DARE: drop each task vector entry with probability p and rescale the rest by 1/(1 − p) (`merge::dare`).

use super::Method;
use crate::decl::*;
use crate::labs::merging::Merge;

pub const METHOD: Method = Method { declaration, merge };

fn merge(knobs: &Knobs) -> Merge {
    Merge::Dare { p: knobs.f32("p") }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "dare",
        title: "DARE",
        paper: Some(Paper { title: "Language Models are Super Mario: Absorbing Abilities from Homologous Models as a Free Lunch", url: "https://arxiv.org/abs/2311.03099" }),
        explain: "Drop each entry of τₖ with probability p and rescale the rest by 1/(1 − p), then add.",
        knobs: vec![float("p", "Drop p", 0.0, 0.99, 0.5, "", "Drop probability, in [0, 1).")],
        no_claim: None,
    }
}
