//! Naive fine-tuning: train on each task in turn with nothing to protect the old ones. The
//! baseline whose forgetting every other method is measured against.

use super::{Method, NoHooks};
use crate::decl::*;

pub const METHOD: Method = Method {
    declaration,
    make: |_| Box::new(NoHooks),
};

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "naive",
        title: "Naive fine-tuning",
        paper: None,
        explain:
            "Each task in turn, nothing kept: the old tasks' curves fall as each new task trains.",
        knobs: vec![],
        no_claim: None,
    }
}
