//! SimCLR: contrastive NT-Xent loss over the batch's views, temperature τ.

use super::Method;
use crate::decl::*;
use crate::labs::ssl::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::SimClr {
        tau: knobs.f32("tau"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "simclr",
        title: "SimCLR (NT-Xent)",
        paper: Some(Paper {
            title: "A Simple Framework for Contrastive Learning of Visual Representations",
            url: "https://arxiv.org/abs/2002.05709",
        }),
        explain: "Contrastive: each view must pick out its partner among every other view in the batch by cosine similarity at temperature τ. The other images are the negatives that keep the embeddings apart.",
        knobs: vec![log_float("tau", "Temperature τ", 0.01, 5.0, 0.2, "Lower τ sharpens the softmax over similarities (the paper uses 0.1–0.5).")],
        no_claim: Some("No claim of SimCLR's own paper is checked here: its headline is ImageNet accuracy. It is the method the RankMe, LiDAR and few-label claims (other papers) read."),
    }
}
