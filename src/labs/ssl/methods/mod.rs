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

use super::model::Net;
use crate::decl::{Knobs, MethodDecl};
use crate::engine::{Graph, Result, Tensor};
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

/// What a method trains the encoder with.
pub trait Objective {
    /// The loss of one step on the batch's two views, and what else it trains.
    fn loss(&self, pair: &Pair) -> Result<Loss>;
    /// Whether the loss reads the projector's output (the joint-embedding methods), or the
    /// representation's through a head of its own (MAE and the references).
    fn through_projector(&self) -> bool {
        true
    }
    /// Whether it reads the batch's labels (the supervised reference).
    fn labelled(&self) -> bool {
        false
    }
    /// Whether anything trains (not for the random reference).
    fn trains(&self) -> bool {
        true
    }
}

/// What an objective sees of one training step.
pub struct Pair<'a> {
    pub g: &'a Graph,
    /// The step counter, for draws that change every step.
    pub step: &'a Tensor,
    /// The network the objective trains: the representation, then the projector where the
    /// objective reads it.
    pub encoder: &'a Net,
    /// The representation the measures read (the encoder without its projector).
    pub representation: &'a Net,
    /// The batch's two views [R, B, inputs], and the encoder's output on the first.
    pub v1: &'a Tensor,
    pub v2: &'a Tensor,
    pub z1: &'a Tensor,
    /// One-hot labels of the batch [R, B, C], for a `labelled` objective on the digits.
    pub labels: Option<&'a Tensor>,
    /// The digits (images: MLP heads, masked pixels), not a toy.
    pub digits: bool,
    /// Widths of the inputs, the embedding and a head's hidden layer; the toys' weight scale.
    pub inputs: usize,
    pub dim: usize,
    pub width: usize,
    pub init: f32,
}

impl Pair<'_> {
    /// A head from the embedding onto `out` units: an MLP on the digits, one linear map on the
    /// toys.
    pub fn head(&self, label: &str, out: usize) -> Result<Net> {
        if self.digits {
            Net::new(self.g, label, &[self.dim, self.width, out], true, true, 1.0)
        } else {
            Net::new(self.g, label, &[self.dim, out], false, false, self.init)
        }
    }
    /// The encoder's output on the second view.
    pub fn z2(&self) -> Result<Tensor> {
        self.encoder.forward(self.v2)
    }
}
