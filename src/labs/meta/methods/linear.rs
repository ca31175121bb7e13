//! Pretrain + linear (Tian et al. 2020): a plain 5-way classifier on the base classes; on a novel episode, logistic regression on the shots' normalised embeddings.

use super::Method;
use crate::decl::*;
use crate::labs::meta::fewshot::Rule;
use crate::labs::meta::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, _knobs: &Knobs) {
    recipe.kind = Kind::Supervised(Rule::Linear);
}

pub const METHOD: Method = Method { declaration, apply };

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
