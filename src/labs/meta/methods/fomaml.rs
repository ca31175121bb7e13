//! First-order MAML: the same inner loop, the inner gradient's dependence on θ dropped.

use super::maml::Maml;
use super::Method;
use crate::decl::*;

pub const METHOD: Method = Method {
    declaration,
    algorithm: |knobs| {
        Box::new(Maml {
            inner: knobs.usize("inner"),
            first_order: true,
        })
    },
};

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "fomaml",
        title: "First-order MAML",
        paper: Some(Paper {
            title: "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks",
            url: "https://arxiv.org/abs/1703.03400",
        }),
        explain: "Treats the inner gradient as a constant: the meta-gradient is the query loss's gradient at the adapted weights. No second derivatives.",
        knobs: vec![int("inner", "Inner steps (training)", 1, 5, 1, "", "SGD steps per task in each meta-step.")],
        no_claim: None,
    }
}
