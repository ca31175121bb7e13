//! Pretrain + linear (Tian et al. 2020): a plain 5-way classifier on the base classes; on a novel episode, logistic regression on the shots' normalised embeddings.

use super::{Algorithm, Method, Reading};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::meta::fewshot::{cross_entropy, logits, Episodes, Rule, BATCH, WAYS};

pub const METHOD: Method = Method {
    declaration,
    algorithm: |_| Box::new(Pretrained { rule: Rule::Linear }),
};

/// A plain classifier on the base classes (batches of `BATCH` images), its embedding read by
/// `rule` on a novel episode.
pub struct Pretrained {
    pub rule: Rule,
}

impl Algorithm for Pretrained {
    fn digits(&self, e: &Episodes) -> Result<Tensor> {
        let (g, m) = (e.g, e.per_class);
        let runs = g.runs();
        let class = g.random_index(&[runs, BATCH], WAYS, Some(e.step))?;
        let within = g.random_index(&[runs, BATCH], m, Some(e.step))?;
        let x = e
            .pool
            .gather_rows(&class.mul_scalar(m as f32)?.add(&within)?)?;
        let onehot = class.reshape(&[runs, BATCH, 1])?.eq_mask(e.identity)?;
        cross_entropy(&logits(e.p, &x)?, &onehot)
    }
    fn reads(&self) -> Reading {
        Reading::Rule(self.rule)
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "linear",
        title: "Pretrain + linear",
        paper: Some(Paper {
            title: "Rethinking Few-Shot Image Classification: a Good Embedding Is All You Need?",
            url: "https://arxiv.org/abs/2003.11539",
        }),
        explain: "No episodes: an ordinary classifier of the base digits, whose penultimate layer is the embedding. A new episode fits a logistic regression (L2, C = 1) on its shots' L2-normalised embeddings. Digits only.",
        knobs: vec![],
        no_claim: None,
    }
}
