//! The labs: the registry (the one list of labs) and the two traits every lab implements.
//!
//! A lab is one folder here and one line in `LABS`. It implements [`Lab`]: its declaration, how
//! many steps an experiment takes, a run group for one method on a backend, and the views of a
//! session's groups. Its run groups implement [`RunGroup`], through which the driver, the page and
//! the CLI step, observe and report every lab alike. Nothing outside this file matches on a lab's
//! id.

pub mod basics;
pub mod continual;
pub mod merging;
pub mod mi;

pub use crate::decl::*;
use crate::engine::gpu::GpuContext;
use crate::engine::{EngineError, Exec, Result};
use crate::experiment::Experiment;
use crate::history::{History, RunReport};
use crate::views::{Picture, Views};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;

/// A boxed future that stays on its thread: the GPU context is not `Send`, and in the browser
/// nothing is.
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Every lab, in the order the page lists them. The first is the default.
pub static LABS: [&dyn Lab; 4] = [
    &basics::Basics,
    &continual::Continual,
    &mi::Mi,
    &merging::Merging,
];

/// Every lab's declaration, in the registry's order.
pub fn registry() -> Vec<LabDecl> {
    LABS.iter().map(|l| l.declaration()).collect()
}

/// The lab with id `id`, or an error naming the labs there are.
pub fn lab(id: &str) -> Result<&'static dyn Lab> {
    LABS.iter()
        .copied()
        .find(|l| l.id() == id)
        .ok_or_else(|| EngineError::Invalid {
            op: "lab",
            detail: format!(
                "no lab {id:?} (labs: {})",
                LABS.iter().map(|l| l.id()).collect::<Vec<_>>().join(", ")
            ),
        })
}

/// A lab: its data, its model, its evaluation, and its table of methods.
pub trait Lab: Sync {
    /// The id in links (`#/<id>?…`), from the declaration.
    fn id(&self) -> &'static str {
        self.declaration().id
    }
    /// Settings, methods, metrics and presets: what every generic part is derived from.
    fn declaration(&self) -> LabDecl;
    /// Training steps of a whole run of `exp`.
    fn total_steps(&self, exp: &Experiment) -> u32;
    /// Builds method `method`'s run group (all of the experiment's runs) on a backend: the GPU
    /// when a context is given. An unknown method is an error naming the lab's methods.
    fn group<'a>(
        &'a self,
        exp: &'a Experiment,
        method: &'a str,
        gpu: Option<&'a GpuContext>,
    ) -> LocalFuture<'a, Result<Box<dyn RunGroup>>>;
    /// What the page draws of a session's groups (all of this lab, in the page's order).
    /// `pictures` holds each group's latest picture, by method.
    fn views(
        &self,
        exp: &Experiment,
        groups: &[&dyn RunGroup],
        pictures: &[(String, Picture)],
    ) -> Views;
}

/// One method of a lab under all of an experiment's runs (seeds): a compiled program on one
/// backend, its step and its metric history.
pub trait RunGroup: Any {
    fn method(&self) -> &str;
    /// Training steps taken so far.
    fn step(&self) -> u32;
    fn exec(&self) -> &Exec;
    fn history(&self) -> &History;
    /// Queues `steps` training steps (the GPU runs them asynchronously); a lab with phases
    /// waits for the device at a phase's end to do its bookkeeping.
    fn train(&mut self, steps: u32) -> LocalFuture<'_, Result<()>>;
    /// Records the metrics at the current step (an evaluation pass, or the training windows).
    fn observe(&mut self) -> LocalFuture<'_, Result<()>>;
    /// How many steps apart the headless runner observes, for `total` steps.
    fn observe_every(&self, total: u32) -> u32;
    /// The lab's costly picture of run 0 (the Basics boundary and network), if it has one.
    fn picture(&mut self) -> LocalFuture<'_, Result<Option<Picture>>> {
        Box::pin(async { Ok(None) })
    }
    /// Itself, for its lab's views to see its own type.
    fn as_any(&self) -> &dyn Any;
    /// Each run's report so far.
    fn reports(&self, seed: u32) -> Vec<RunReport> {
        self.history().reports(self.method(), seed)
    }
}

/// A lab's `Lab::group`: its group type's constructor, boxed.
pub fn boxed<'a, G: RunGroup>(
    group: impl Future<Output = Result<G>> + 'a,
) -> LocalFuture<'a, Result<Box<dyn RunGroup>>> {
    Box::pin(async move { Ok(Box::new(group.await?) as Box<dyn RunGroup>) })
}

/// A lab's own groups among a session's (its views see its own type), each with its colour:
/// its method's place in the lab's list, so a method keeps its colour whichever others are on.
pub fn own_groups<'g, G: RunGroup>(
    lab: &LabDecl,
    groups: &[&'g dyn RunGroup],
) -> (Vec<&'g G>, Vec<usize>) {
    groups
        .iter()
        .filter_map(|g| {
            let own = g.as_any().downcast_ref::<G>()?;
            let colour = lab.methods.iter().position(|m| m.id == g.method());
            Some((own, colour.unwrap_or(0)))
        })
        .unzip()
}

/// The error for a method id a lab does not have.
pub fn unknown_method(detail: String) -> EngineError {
    EngineError::Invalid {
        op: "method",
        detail,
    }
}

/// Implements `RunGroup`'s plain accessors for a lab's group struct with fields `method`,
/// `step`, `exec` and `history`; the lab writes the rest.
#[macro_export]
macro_rules! run_group_fields {
    () => {
        fn method(&self) -> &str {
            &self.method
        }
        fn step(&self) -> u32 {
            self.step
        }
        fn exec(&self) -> &$crate::engine::Exec {
            &self.exec
        }
        fn history(&self) -> &$crate::history::History {
            &self.history
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    };
}
