//! Pseudo-labelling against confirmation bias (Arazo et al.): soft pseudo-labels refreshed about once an epoch, mixup, and a minimum of labelled points per batch.

use super::Method;
use crate::decl::*;
use crate::labs::labels::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::MixupPseudo {
        min_labelled: knobs.usize("min_labelled"),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "pseudo_mixup",
        title: "Pseudo-labels + mixup",
        paper: Some(Paper {
            title: "Pseudo-Labeling and Confirmation Bias in Deep Semi-Supervised Learning",
            url: "https://arxiv.org/abs/1908.02983",
        }),
        explain: "Soft pseudo-labels (each unlabelled point's last predicted distribution, refreshed when it is drawn), every batch holding at least k labelled points, mixup (α = 1) across labelled and unlabelled points, and two regularisers: the batch's mean prediction near uniform, each prediction sharp. Mixup and the labelled minimum keep the network from confirming its own mistakes.",
        knobs: vec![int("min_labelled", "Labelled points per batch k", 1, 64, 8, "", "At least this many labelled points in every batch (the paper: 16 of 100).")],
        no_claim: None,
    }
}
