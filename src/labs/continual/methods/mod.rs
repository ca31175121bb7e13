//! The continual lab's methods. Each file holds one method: its declaration and its `Hooks`:
//! what it adds to the training step (`graph`) and what it does between tasks.

pub mod center;
pub mod ewc;
pub mod joint;
pub mod lwf;
pub mod magmax;
pub mod naive;
pub mod replay;
pub mod spectral;
pub mod upgd;

pub use super::model::{zeros_like, Ctx, Hook, Hooks, NoHooks, Phase};
use crate::decl::{find_method, Knobs, MethodDecl};
use crate::engine::Result;
use crate::experiment::Experiment;
use crate::labs::unknown_method;

/// A continual method: its declaration, and the hooks its knobs make.
pub struct Method {
    pub declaration: fn() -> MethodDecl,
    pub make: fn(&Knobs) -> Box<dyn Hooks>,
}

/// Every method, in the page's order. A new method is a file and a line here.
pub const METHODS: &[Method] = &[
    naive::METHOD,
    joint::METHOD,
    ewc::METHOD,
    ewc::ONLINE,
    lwf::METHOD,
    replay::METHOD,
    magmax::METHOD,
    spectral::METHOD,
    upgd::METHOD,
    center::METHOD,
];

/// The method `id` with the experiment's knobs; an unknown id is an error naming the methods.
pub fn make(id: &str, exp: &Experiment) -> Result<Box<dyn Hooks>> {
    let chosen =
        find_method(METHODS, |m| (m.declaration)(), "continual", id).map_err(unknown_method)?;
    Ok((chosen.make)(&exp.knobs(&(chosen.declaration)())))
}
