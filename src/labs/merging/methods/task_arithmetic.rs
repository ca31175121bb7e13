//! Task arithmetic: θ₀ + λ·Σ τₖ, computed by `merge::sum`.

use super::Method;
use crate::decl::*;
use crate::labs::merging::Merge;

pub const METHOD: Method = Method { declaration, merge };

fn merge(_knobs: &Knobs) -> Merge {
    Merge::TaskArithmetic
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "task_arithmetic",
        title: "Task arithmetic",
        paper: Some(Paper {
            title: "Editing Models with Task Arithmetic",
            url: "https://arxiv.org/abs/2212.04089",
        }),
        explain: "θ₀ + λ·Σ τₖ: conflicting entries cancel or pile up; the λ curve peaks between.",
        knobs: vec![],
        no_claim: None,
    }
}
