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

use super::model::Net;
use crate::decl::{Knobs, MethodDecl};
use crate::engine::{Result, Tensor};
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

/// What a method trains with: a bound on log p(x) to maximise, or a surrogate whose gradient
/// estimates one's.
pub trait Bound {
    /// Reparameterised samples per data point per step.
    fn samples(&self) -> usize;
    /// The K of the IWAE-type bound it trains (1 for the ELBO family): where its own gradient
    /// SNR is read.
    fn k(&self) -> usize {
        1
    }
    /// The objective per run [R] on the batch.
    fn objective(&self, batch: &Batch) -> Result<Tensor>;
}

/// One training step's batch and its noise.
pub struct Batch<'a> {
    pub net: &'a Net,
    /// The data points [R, N, D].
    pub x: &'a Tensor,
    /// Standard normal noise [R, N·samples, latent].
    pub eps: &'a Tensor,
    /// The step counter, for draws of its own.
    pub step: &'a Tensor,
}
