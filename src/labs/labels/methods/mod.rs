//! The imperfect-labels lab's methods, one file each: its declaration and its loss on the step's
//! batch. The lab builds the data, the network and the batch (`Batch`); what a method adds (a
//! twin network, per-sample state) it builds itself.

mod aldr;
mod coteaching;
mod erm;
mod feasible;
mod labelled_only;
mod mixup;
mod pseudo;
mod pseudo_mixup;

pub use super::model::{Batch, Objective};
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
    erm::METHOD,
    mixup::METHOD,
    coteaching::METHOD,
    aldr::METHOD,
    feasible::METHOD,
    labelled_only::METHOD,
    pseudo::METHOD,
    pseudo_mixup::METHOD,
];

/// Method `id`'s objective with `exp`'s knobs; an unknown id is an error naming the methods.
pub fn objective(id: &str, exp: &Experiment) -> Result<Box<dyn Objective>> {
    let (decl, make) = (
        |m: &Method| (m.declaration)(),
        |m: &Method, k: &Knobs| (m.objective)(k),
    );
    make_method(METHODS, decl, make, "labels", id, exp)
}
