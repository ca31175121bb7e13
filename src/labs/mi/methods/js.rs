//! JS (Poole et al. 2019, "On Variational Bounds of Mutual Information", §2.3; Hjelm et al.
//! 2019): train the critic with the Jensen–Shannon f-GAN objective
//!
//!   E_p[−softplus(−F)] − E_{p(x)p(y)}[softplus(F)],
//!
//! whose optimum is F* = log p(y|x)/p(y), then read the MI out with NWJ at the critic 1 + F
//! (NWJ's optimal critic is 1 + log p(y|x)/p(y)):
//!
//!   I_JS = 1 + E_p[F] − E_{p(x)p(y)}[exp F]
//!
//! The JS objective trains stably; the readout keeps NWJ's variance at high MI.
//!
//! NOTE: the paper's Colab evaluates `nwj_lower_bound(F)`, i.e. NWJ at F rather than 1 + F,
//! which at the JS optimum reads I − 1/e. We use the shifted critic the derivation calls for.

use super::{Bound, Estimator, Method, Scores, POOLE};
use crate::decl::*;
use crate::engine::Result;

pub fn bound(s: &Scores) -> Result<Bound> {
    let value = s.joint.add_scalar(1.0)?.sub(&s.log_marginal.exp()?)?;
    Ok(Bound {
        objective: s.js_objective()?,
        value,
        assigns: Vec::new(),
    })
}

pub const METHOD: Method = Method {
    declaration,
    estimator,
};

fn estimator(_knobs: &Knobs) -> Estimator {
    Estimator::Js
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "js",
        title: "JS",
        paper: Some(POOLE),
        explain:
            "Critic trained with the Jensen–Shannon objective, MI read out with NWJ at 1 + F: \
                  stable training, NWJ's variance.",
        knobs: vec![],
        no_claim: None,
    }
}
