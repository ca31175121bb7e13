//! The generative latent lab's methods are training objectives (bounds and gradient
//! estimators), one file each: its declaration and its bound, built from the lab's log
//! importance weights (`model::log_weights`).

mod ciwae;
mod infovae;
mod iwae;
mod miwae;
mod piwae;
mod reinforce;
mod vae;

pub use super::model::{Batch, Bound};
use crate::decl::{Knobs, MethodDecl};
use crate::engine::Result;
use crate::experiment::Experiment;
use crate::labs::make_method;

/// A method: its declaration and the bound its knobs make.
pub struct Method {
    pub declaration: fn() -> MethodDecl,
    pub bound: fn(&Knobs) -> Box<dyn Bound>,
}

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    vae::METHOD,
    iwae::METHOD,
    miwae::METHOD,
    ciwae::METHOD,
    piwae::METHOD,
    infovae::METHOD,
    reinforce::METHOD,
];

/// Method `id`'s bound with `exp`'s knobs; an unknown id is an error naming the methods.
pub fn bound(id: &str, exp: &Experiment) -> Result<Box<dyn Bound>> {
    let (decl, make) = (
        |m: &Method| (m.declaration)(),
        |m: &Method, k: &Knobs| (m.bound)(k),
    );
    make_method(METHODS, decl, make, "vae", id, exp)
}
