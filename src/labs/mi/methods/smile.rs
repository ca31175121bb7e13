//! SMILE (Song & Ermon 2020, "Understanding the Limitations of Variational Mutual Information
//! Estimators"): train the critic with the Jensen–Shannon objective (as JS does), and read the MI
//! out with the Donsker–Varadhan form, its partition term clipped:
//!
//!   I_SMILE = E_p[F] − log E_{p(x)p(y)}[exp clip(F, −τ, τ)]
//!
//! Clipping bounds the variance of the partition estimate (the paper's Theorem: the variance of
//! any estimator of log E[e^F] grows like e^{I}) at the price of a bias; τ = ∞ is DV on the JS
//! critic. τ = 5 is the paper's usual choice.

use super::{Bound, Estimator, Method, Scores};
use crate::decl::*;
use crate::engine::Result;

pub fn bound(s: &Scores, tau: Option<f32>) -> Result<Bound> {
    let log_marginal = match tau {
        Some(tau) => s.log_marginal_of(&s.f.clamp(-tau, tau)?)?,
        None => s.log_marginal.clone(),
    };
    Ok(Bound {
        objective: s.js_objective()?,
        value: s.joint.sub(&log_marginal)?,
        assigns: Vec::new(),
    })
}

pub const METHOD: Method = Method {
    declaration,
    estimator,
};

/// The clip τ: a few values, so the control is a choice.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Clip {
    One,
    Five,
    None,
}

impl Choice for Clip {
    const OPTIONS: &'static [(&'static str, Self)] =
        &[("1", Clip::One), ("5", Clip::Five), ("inf", Clip::None)];
}

fn estimator(knobs: &Knobs) -> Estimator {
    let tau = match knobs.choice("tau") {
        Clip::One => Some(1.0),
        Clip::Five => Some(5.0),
        Clip::None => None,
    };
    Estimator::Smile { tau }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "smile",
        title: "SMILE",
        paper: Some(Paper {
            title: "Understanding the Limitations of Variational Mutual Information Estimators",
            url: "https://arxiv.org/abs/1910.06222",
        }),
        explain: "JS-trained critic, I = E_p[F] − log E_q[exp clip(F, −τ, τ)]. Smaller τ: lower \
                  variance, more bias; τ = inf is DV.",
        knobs: vec![choice(
            "tau",
            "Clip τ",
            Clip::Five,
            "Clip of the scores in the partition term.",
        )],
        no_claim: None,
    }
}
