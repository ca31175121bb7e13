//! MINE (Belghazi et al. 2018, "Mutual Information Neural Estimation"): the Donsker–Varadhan
//! bound
//!
//!   I_DV = E_p[F] − log E_{p(x)p(y)}[exp F]
//!
//! trained with MINE's bias-corrected gradient. The gradient of log E[e^F] is E[∇F·e^F] / E[e^F];
//! on a minibatch the denominator is biased, so MINE replaces it by a moving average
//! m ← (1 − α)·m + α·mean(e^F) (started at 1, as MINE's reference code does). The surrogate
//! objective E_p[F] − mean(e^F)/m, with m held constant, has exactly that gradient. The estimate
//! reported is I_DV on the batch.

use super::{Bound, Estimator, Method, Scores};
use crate::decl::*;
use crate::engine::Result;

pub fn bound(s: &Scores, alpha: f32) -> Result<Bound> {
    let g = s.f.graph();
    let runs = g.runs();
    let average = g.state("mine.moving_average", &[runs], vec![1.0; runs])?;
    let partition = s.log_marginal.exp()?;
    let next = average
        .mul_scalar(1.0 - alpha)?
        .add(&partition.detach()?.mul_scalar(alpha)?)?;
    let objective = s.joint.sub(&partition.div(&next.detach()?)?)?;
    Ok(Bound {
        objective,
        value: s.joint.sub(&s.log_marginal)?,
        assigns: vec![(average, next)],
    })
}

pub const METHOD: Method = Method {
    declaration,
    estimator,
};

fn estimator(knobs: &Knobs) -> Estimator {
    Estimator::Dv {
        alpha: knobs.f32("alpha"),
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "dv",
        title: "DV / MINE",
        paper: Some(Paper {
            title: "MINE: Mutual Information Neural Estimation",
            url: "https://arxiv.org/abs/1801.04062",
        }),
        explain:
            "I = E_p[F] − log E_q[exp F], trained with MINE's moving average in the gradient. \
                  Tighter than NWJ, just as noisy at high MI.",
        knobs: vec![float(
            "alpha",
            "Moving-average rate α",
            0.001,
            1.0,
            0.01,
            "",
            "m ← (1 − α)·m + α·mean(exp F).",
        )],
        no_claim: None,
    }
}
