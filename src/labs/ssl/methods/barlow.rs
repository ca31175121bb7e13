//! Barlow Twins: the views' cross-correlation matrix pushed to the identity.

use super::Method;
use crate::decl::*;
use crate::labs::ssl::model::{Kind, Recipe};

fn apply(recipe: &mut Recipe, knobs: &Knobs) {
    recipe.kind = Kind::Barlow {
        lambda: knobs.f32("lambda"),
        standardise: knobs.value("standardise").as_bool(),
    };
}

pub const METHOD: Method = Method { declaration, apply };

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "barlow",
        title: "Barlow Twins",
        paper: Some(Paper {
            title: "Barlow Twins: Self-Supervised Learning via Redundancy Reduction",
            url: "https://arxiv.org/abs/2103.03230",
        }),
        explain: "Makes the cross-correlation matrix of the two views' embeddings the identity: each dimension agrees across views (diagonal 1) and carries no other dimension's information (off-diagonal 0, weighted by λ).",
        knobs: vec![log_float("lambda", "Off-diagonal λ", 1e-4, 10.0, 0.02, "Weight of the redundancy-reduction terms (the paper: 5·10⁻³ at 8,192 dimensions; 1 is the stepwise paper's ‖C − I‖²)."), flag("standardise", "Standardise", true, "Standardise each dimension over the batch before correlating (the paper). Off: the plain symmetrised cross-covariance, as the stepwise paper analyses.")],
        no_claim: Some("No claim of the Barlow Twins paper is checked here: its headline is ImageNet accuracy. It is the method the stepwise claim (another paper) reads."),
    }
}
