//! The meta-learning lab's methods, one file each: its declaration and how it meta-trains on
//! each scenario (an [`Algorithm`]), built from the lab's networks, task draws and inner SGD
//! steps (`model`, `fewshot`).

mod fomaml;
mod linear;
mod maml;
mod pretrained;
mod protonet;
mod reptile;
mod transductive;

use super::fewshot::{Episodes, Rule};
use super::model::Recipe;
use crate::decl::{Knobs, MethodDecl};
use crate::engine::error::invalid;
use crate::engine::{Graph, Result, Tensor};
use crate::experiment::Experiment;
use crate::labs::make_method;

/// A method: its declaration and the algorithm its knobs make.
pub struct Method {
    pub declaration: fn() -> MethodDecl,
    pub algorithm: fn(&Knobs) -> Box<dyn Algorithm>,
}

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    maml::METHOD,
    fomaml::METHOD,
    reptile::METHOD,
    pretrained::METHOD,
    protonet::METHOD,
    linear::METHOD,
    transductive::METHOD,
];

/// Method `id`'s algorithm with `exp`'s knobs; an unknown id is an error naming the methods.
pub fn algorithm(id: &str, exp: &Experiment) -> Result<Box<dyn Algorithm>> {
    let (decl, make) = (
        |m: &Method| (m.declaration)(),
        |m: &Method, k: &Knobs| (m.algorithm)(k),
    );
    make_method(METHODS, decl, make, "meta", id, exp)
}

/// How a method meta-trains on each scenario, and how its few-shot accuracy is read.
pub trait Algorithm {
    /// The meta-objective of one step on the sine waves (to minimise, per run), over the
    /// recipe's `meta_batch` fresh tasks, at weights `p`.
    fn sinusoid(
        &self,
        _g: &Graph,
        _p: &[Tensor],
        _recipe: &Recipe,
        _step: &Tensor,
    ) -> Result<Tensor> {
        Err(invalid("meta", "this method needs scenario=digits"))
    }
    /// The training loss of one step on the digits' base classes.
    fn digits(&self, _e: &Episodes) -> Result<Tensor> {
        Err(invalid(
            "meta",
            "this method runs on the sinusoid scenario only",
        ))
    }
    /// How a novel episode is classified: by adapting the network, or by a rule on its
    /// embedding.
    fn reads(&self) -> Reading {
        Reading::Rule(Rule::Prototypes)
    }
}

/// How a method's few-shot accuracy is read on a novel episode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reading {
    /// SGD steps from the meta-learned weights on the support (MAML).
    Adapt,
    /// A rule on the embedding (the embedding methods).
    Rule(Rule),
}
