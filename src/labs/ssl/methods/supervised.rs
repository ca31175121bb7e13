//! The supervised reference: an encoder trained with every label.

use super::{Loss, Method, Objective, Pair};
use crate::data::digits::CLASSES;
use crate::decl::*;
use crate::engine::error::invalid;
use crate::engine::Result;
use crate::labs::ssl::model::Net;

pub const METHOD: Method = Method {
    declaration,
    objective: |_| Box::new(Supervised),
};

/// Cross-entropy on the labels through a linear head (digits only): the upper reference.
struct Supervised;

impl Objective for Supervised {
    fn loss(&self, p: &Pair) -> Result<Loss> {
        let Some(y) = p.labels else {
            return Err(invalid(
                "ssl",
                "the supervised reference needs labels: it runs on the digits only (scenario=digits)",
            ));
        };
        let linear = Net::new(p.g, "head", &[p.dim, CLASSES], false, true, 1.0)?;
        let value = linear
            .forward(&p.representation.forward(p.v1)?)?
            .log_softmax()?
            .mul(y)?
            .sum(2)?
            .neg()?
            .mean_per_run()?;
        Ok(Loss {
            value,
            params: linear.params(),
            assigns: Vec::new(),
        })
    }
    fn through_projector(&self) -> bool {
        false
    }
    fn labelled(&self) -> bool {
        true
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "supervised",
        title: "Supervised (upper reference)",
        paper: None,
        explain: "Cross-entropy on the digit labels through a linear head: what the encoder reaches with every label, the reference the self-supervised methods are measured against.",
        knobs: Vec::new(),
        no_claim: None,
    }
}
