//! InfoNCE (van den Oord et al. 2018, "Representation Learning with Contrastive Predictive
//! Coding"; analysed in Poole et al. 2019, "On Variational Bounds of Mutual Information"):
//!
//!   I_NCE = log K + (1/K) Σᵢ [F(xᵢ, yᵢ) − log Σⱼ exp F(xᵢ, yⱼ)]
//!
//! Each xᵢ must pick its own yᵢ out of K candidates. The bound is low-variance but can never
//! exceed log K, so at high MI it saturates there: the lab's log K line.

use super::{Bound, Estimator, Method, Scores};
use crate::decl::*;
use crate::engine::Result;

pub fn bound(s: &Scores) -> Result<Bound> {
    let value = s
        .joint
        .sub(&s.row_lse)?
        .add_scalar(crate::engine::math::ln(s.k as f32))?;
    Ok(Bound {
        objective: value.clone(),
        value,
        assigns: Vec::new(),
    })
}

pub const METHOD: Method = Method {
    declaration,
    estimator,
};

fn estimator(_knobs: &Knobs) -> Estimator {
    Estimator::InfoNce
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "infonce",
        title: "InfoNCE",
        paper: Some(Paper {
            title: "Representation Learning with Contrastive Predictive Coding",
            url: "https://arxiv.org/abs/1807.03748",
        }),
        explain:
            "I = log K + mean [F(xᵢ, yᵢ) − log Σⱼ exp F(xᵢ, yⱼ)]. Low variance, but never above \
                  log K: watch it flatten at the dashed line.",
        knobs: vec![],
        no_claim: None,
    }
}
