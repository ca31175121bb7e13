//! NWJ (Nguyen, Wainwright & Jordan 2010; "f-GAN KL" in Poole et al. 2019):
//!
//!   I_NWJ = E_p[F] − e⁻¹ · E_{p(x)p(y)}[exp F]
//!
//! A tight bound at F = 1 + log p(y|x)/p(y), but the exponential of the scores makes its
//! variance grow exponentially with the true MI: the noisy curve at the top of the staircase.

use super::{Bound, Estimator, Method, Scores, POOLE};
use crate::decl::*;
use crate::engine::Result;

pub fn bound(s: &Scores) -> Result<Bound> {
    let value = s.joint.sub(&s.log_marginal.add_scalar(-1.0)?.exp()?)?;
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
    Estimator::Nwj
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "nwj",
        title: "NWJ",
        paper: Some(POOLE),
        explain: "I = E_p[F] − e⁻¹·E_q[exp F]. Unbiased at the optimum, but its variance grows \
                  exponentially with the true MI.",
        knobs: vec![],
        no_claim: None,
    }
}
