//! Transductive soft k-means: the pretrained embedding, then the support and query points clustered together from the prototypes.

use super::linear::Pretrained;
use super::Method;
use crate::decl::*;
use crate::labs::meta::fewshot::Rule;

pub const METHOD: Method = Method {
    declaration,
    algorithm: |knobs| {
        Box::new(Pretrained {
            rule: Rule::SoftKMeans {
                temperature: knobs.f32("temperature"),
            },
        })
    },
};

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "transductive",
        title: "Transductive soft k-means",
        paper: Some(Paper {
            title: "Transductive Few-Shot Learning: Clustering is All You Need?",
            url: "https://arxiv.org/abs/2106.09516",
        }),
        explain: "The pretrained embedding of Pretrain + linear, but the queries count too: soft k-means over support and query points together, started at the prototypes, with the shots' labels fixed. Ten rounds; each query takes its likeliest cluster. Digits only.",
        knobs: vec![log_float("temperature", "Temperature τ", 0.01, 1.0, 0.1, "Scales the squared distances (of unit-norm embeddings) in the soft assignments: small τ is hard k-means.")],
        no_claim: None,
    }
}
