//! Prototypical networks: episodes of the base classes, each query classified by its nearest class mean of the support embeddings.

use super::{Algorithm, Method};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::meta::fewshot::{
    cross_entropy, draw, embed, mean_per_class, squared_distances, Episodes,
};

pub const METHOD: Method = Method {
    declaration,
    algorithm: |_| Box::new(ProtoNet),
};

/// Episodic training by class prototypes.
struct ProtoNet;

impl Algorithm for ProtoNet {
    fn digits(&self, e: &Episodes) -> Result<Tensor> {
        let (g, m) = (e.g, e.per_class);
        let support = embed(
            e.p,
            &draw(g, e.pool, m, e.support_labels, e.identity, e.step)?,
        )?;
        let query = embed(
            e.p,
            &draw(g, e.pool, m, e.query_labels, e.identity, e.step)?,
        )?;
        let prototypes = mean_per_class(g, &support, e.recipe.shots)?;
        let logits = squared_distances(&query, &prototypes)?.neg()?;
        cross_entropy(&logits, e.query_labels)
    }
}

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
