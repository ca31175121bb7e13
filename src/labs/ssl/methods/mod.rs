//! The self-supervised lab's methods, one file each: its declaration and its objective, the loss
//! it trains the encoder with. The lab builds the data, the views and the encoder, and hands
//! each objective a [`Pair`]; what the objective adds (a predictor, an EMA target, a decoder)
//! it builds itself.

mod barlow;
mod byol;
mod jepa;
mod mae;
mod random;
mod simclr;
mod simsiam;
mod supervised;
mod vicreg;

pub use super::model::{Objective, Pair};
use crate::decl::{Knobs, MethodDecl};
use crate::engine::Result;
use crate::experiment::Experiment;
use crate::labs::make_method;
pub use crate::labs::Loss;

/// A method: its declaration and the objective its knobs make.
pub struct Method {
    pub declaration: fn() -> MethodDecl,
    pub objective: fn(&Knobs) -> Box<dyn Objective>,
}

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    simclr::METHOD,
    barlow::METHOD,
    vicreg::METHOD,
    byol::METHOD,
    simsiam::METHOD,
    jepa::METHOD,
    mae::METHOD,
    supervised::METHOD,
    random::METHOD,
];

/// Method `id`'s objective with `exp`'s knobs; an unknown id is an error naming the methods.
pub fn objective(id: &str, exp: &Experiment) -> Result<Box<dyn Objective>> {
    let (decl, make) = (
        |m: &Method| (m.declaration)(),
        |m: &Method, k: &Knobs| (m.objective)(k),
    );
    make_method(METHODS, decl, make, "ssl", id, exp)
}
