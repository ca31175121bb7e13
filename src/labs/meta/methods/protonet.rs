//! Prototypical networks: episodes of the base classes, each query classified by its nearest class mean of the support embeddings.

use super::Method;
use crate::decl::*;
use crate::labs::meta::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, _knobs: &Knobs) {
    recipe.kind = Kind::ProtoNet;
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "protonet",
        title: "ProtoNet",
        paper: Some(Paper {
            title: "Prototypical Networks for Few-shot Learning",
            url: "https://arxiv.org/abs/1703.05175",
        }),
        explain: "Trains the embedding on episodes like the test's: each class is the mean of its shots' embeddings, and a query's logits are minus its squared distances to them. Digits only.",
        knobs: vec![],
        no_claim: Some("Snell et al.'s headline compares ProtoNet with matching networks, which this lab does not have; here ProtoNet is the episodic reference the good-embedding and transductive claims read."),
    }
}
