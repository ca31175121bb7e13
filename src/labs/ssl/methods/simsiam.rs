//! SimSiam: a predictor and a stop-gradient, which can be switched off to show collapse.

use super::{Loss, Method, Objective, Pair};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::ssl::model::cosine;

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(SimSiam {
            stop_gradient: knobs.value("stopgrad").as_bool(),
        })
    },
};

/// A predictor onto the other view's embedding, through a stop-gradient or not.
struct SimSiam {
    stop_gradient: bool,
}

impl Objective for SimSiam {
    fn loss(&self, p: &Pair) -> Result<Loss> {
        let predictor = p.head("predictor", p.dim)?;
        let z2 = p.z2()?;
        let target = |z: &Tensor| {
            if self.stop_gradient {
                z.detach()
            } else {
                Ok(z.clone())
            }
        };
        let term = |p: &Tensor, t: &Tensor| -> Result<Tensor> {
            cosine(&predictor.forward(p)?, &target(t)?)?
                .mul_scalar(-0.5)?
                .mean_per_run()
        };
        let value = term(p.z1, &z2)?.add(&term(&z2, p.z1)?)?;
        Ok(Loss {
            value,
            params: predictor.params(),
            assigns: Vec::new(),
        })
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "simsiam",
        title: "SimSiam",
        paper: Some(Paper {
            title: "Exploring Simple Siamese Representation Learning",
            url: "https://arxiv.org/abs/2011.10566",
        }),
        explain: "A predictor on one view matches the other view's embedding through a stop-gradient; no EMA, no negatives. Switch the stop-gradient off and the encoder collapses to a constant.",
        knobs: vec![flag("stopgrad", "Stop-gradient", true, "Off: the gradient flows through the target branch too (the paper's collapse demonstration).")],
        no_claim: None,
    }
}
