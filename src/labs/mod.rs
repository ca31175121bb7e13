//! The labs: the registry (the one list of labs) and the two traits every lab implements.
//!
//! A lab is one folder here and one line in `LABS`. It implements [`Lab`]: its declaration, how
//! many steps an experiment takes, a run group for one method on a backend, and the views of a
//! session's groups. Its run groups implement [`RunGroup`], through which the driver, the page and
//! the CLI step, observe and report every lab alike. Nothing outside this file matches on a lab's
//! id.

pub mod basics;
pub mod continual;
pub mod groups;
pub mod labels;
pub mod merging;
pub mod meta;
pub mod mi;
pub mod ssl;
pub mod vae;

mod shown;
pub use shown::Shown;

use crate::claims::Claim;
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
pub static LABS: &[&dyn Lab] = &[
    &basics::LAB,
    &continual::LAB,
    &mi::LAB,
    &merging::LAB,
    &groups::LAB,
    &vae::LAB,
    &meta::LAB,
    &labels::LAB,
    &ssl::LAB,
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

/// A lab as the driver, the page and the CLI see it: object-safe, every lab alike. A lab gets it
/// from its [`LabDef`].
pub trait Lab: Sync {
    /// The id in links (`#/<id>?…`), from the declaration.
    fn id(&self) -> &'static str {
        self.declaration().id
    }
    /// Settings, methods, metrics and presets: what every generic part is derived from.
    fn declaration(&self) -> LabDecl;
    /// Training steps of a whole run of `exp`.
    fn total_steps(&self, exp: &Experiment) -> u32;
    /// Its papers' claims, each checked on its own link.
    fn claims(&self) -> Vec<Claim>;
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
    /// Whether the views of a session's methods split in parts, each part's built by a driver
    /// of its own, merge into the whole session's (`Views::merge`): the page then trains the
    /// parts in workers of their own. Not when a picture scales every run together.
    fn views_split(&self) -> bool;
}

/// Each group's latest picture (`RunGroup::picture`), by method.
pub type Pictures = [(String, Picture)];

/// A lab as its folder writes it: plain functions over its own run group type `G`, one
/// `pub static LAB: LabDef<Group>` in its `mod.rs`. The registry lists these; [`Lab`] is
/// implemented once, here, for all of them.
pub struct LabDef<G> {
    pub declaration: fn() -> LabDecl,
    /// Training steps of a whole run of an experiment.
    pub total_steps: fn(&Experiment) -> u32,
    pub claims: fn() -> Vec<Claim>,
    /// Method `method`'s group under every run of `exp`, on the GPU when a context is given
    /// (`|exp, method, gpu| Box::pin(Group::new(exp, method, gpu))`).
    pub group: for<'a> fn(
        exp: &'a Experiment,
        method: &'a str,
        gpu: Option<&'a GpuContext>,
    ) -> LocalFuture<'a, Result<G>>,
    /// What the page draws of the lab's groups in a session, with each group's latest
    /// picture by method.
    pub views: fn(&Shown<G>, &Experiment, &Pictures) -> Views,
    /// See [`Lab::views_split`].
    pub views_split: bool,
}

impl<G: RunGroup> Lab for LabDef<G> {
    fn declaration(&self) -> LabDecl {
        (self.declaration)()
    }
    fn total_steps(&self, exp: &Experiment) -> u32 {
        (self.total_steps)(exp)
    }
    fn claims(&self) -> Vec<Claim> {
        (self.claims)()
    }
    fn group<'a>(
        &'a self,
        exp: &'a Experiment,
        method: &'a str,
        gpu: Option<&'a GpuContext>,
    ) -> LocalFuture<'a, Result<Box<dyn RunGroup>>> {
        let group = (self.group)(exp, method, gpu);
        Box::pin(async move { Ok(Box::new(group.await?) as Box<dyn RunGroup>) })
    }
    fn views(
        &self,
        exp: &Experiment,
        groups: &[&dyn RunGroup],
        pictures: &[(String, Picture)],
    ) -> Views {
        let shown = Shown::of(&(self.declaration)(), groups, exp.seed);
        (self.views)(&shown, exp, pictures)
    }
    fn views_split(&self) -> bool {
        self.views_split
    }
}

/// What every run group holds, whatever its lab: its method, the steps taken, its compiled
/// program on a backend and its metric history. A lab's group keeps one and hands it to
/// [`RunGroup`], whose accessors read it.
pub struct Core {
    pub method: String,
    /// Training steps taken so far.
    pub step: u32,
    pub exec: Exec,
    pub history: History,
}

impl Core {
    /// Method `method`'s program `exec` before its first step, for `runs` runs.
    pub fn new(method: &str, exec: Exec, runs: usize) -> Core {
        Core {
            method: method.to_string(),
            step: 0,
            exec,
            history: History::new(runs),
        }
    }

    /// The `train` of a run group without phases: queues `steps` steps of entry `entry` (the
    /// GPU runs them asynchronously) and counts them.
    pub fn train(&mut self, entry: usize, steps: u32) -> LocalFuture<'static, Result<()>> {
        let done = self.exec.run(entry, steps).map(|()| self.step += steps);
        Box::pin(async move { done })
    }
}

/// One method of a lab under all of an experiment's runs (seeds): a compiled program on one
/// backend, its step and its metric history (its [`Core`]), and how it trains and observes.
pub trait RunGroup: Any {
    fn core(&self) -> &Core;
    fn core_mut(&mut self) -> &mut Core;
    /// Queues `steps` training steps (the GPU runs them asynchronously); a lab with phases
    /// waits for the device at a phase's end to do its bookkeeping.
    fn train(&mut self, steps: u32) -> LocalFuture<'_, Result<()>>;
    /// Records the metrics at the current step (an evaluation pass, or the training windows).
    fn observe(&mut self) -> LocalFuture<'_, Result<()>>;
    /// How many steps apart the headless runner observes, for `total` steps.
    fn observe_every(&self, total: u32) -> u32;
    /// Once, when the group has taken the experiment's last step and been observed there:
    /// summaries that are costly to take at every observation.
    fn finish(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    /// The lab's costly picture of run 0 (the Basics boundary and network), if it has one.
    fn picture(&mut self) -> LocalFuture<'_, Result<Option<Picture>>> {
        Box::pin(async { Ok(None) })
    }

    fn method(&self) -> &str {
        &self.core().method
    }
    /// Training steps taken so far.
    fn step(&self) -> u32 {
        self.core().step
    }
    fn exec(&self) -> &Exec {
        &self.core().exec
    }
    /// The program's run, to move to another backend (`Exec::move_to`) between observations.
    fn exec_mut(&mut self) -> &mut Exec {
        &mut self.core_mut().exec
    }
    fn history(&self) -> &History {
        &self.core().history
    }
    /// Its history, to draw with the runs of other slices of the session appended
    /// (`Driver::views_with`).
    fn history_mut(&mut self) -> &mut History {
        &mut self.core_mut().history
    }
    /// Each run's report so far.
    fn reports(&self, seed: u32) -> Vec<RunReport> {
        self.history().reports(self.method(), seed)
    }
}

/// A method's loss [R] and what it adds to the step (the labs whose methods are losses).
pub struct Loss {
    pub value: crate::engine::Tensor,
    /// Parameters it trains besides the lab's network (a predictor, a decoder, a twin).
    pub params: Vec<crate::engine::Tensor>,
    /// Device state it moves each step (an EMA target, per-sample state), with the new value.
    pub assigns: Vec<(crate::engine::Tensor, crate::engine::Tensor)>,
}

impl Loss {
    /// A loss on the lab's network's parameters only.
    pub fn of(value: crate::engine::Tensor) -> Loss {
        Loss {
            value,
            params: Vec::new(),
            assigns: Vec::new(),
        }
    }
}

/// Method `id` of a lab's method `table` made with `exp`'s knobs (`decl` reads an entry's
/// declaration, `make` builds from it); an unknown id is an error naming the lab's methods.
pub fn make_method<M, T>(
    table: &[M],
    decl: impl Fn(&M) -> MethodDecl,
    make: impl Fn(&M, &Knobs) -> T,
    lab: &str,
    id: &str,
    exp: &Experiment,
) -> Result<T> {
    let method = find_method(table, &decl, lab, id).map_err(unknown_method)?;
    Ok(make(method, &exp.knobs(&decl(method))))
}

/// The optimizer of the labs that offer Adam or plain SGD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimizer {
    Adam,
    Sgd,
}

impl Choice for Optimizer {
    const OPTIONS: &'static [(&'static str, Self)] =
        &[("adam", Optimizer::Adam), ("sgd", Optimizer::Sgd)];
}

/// A method that is a change to its lab's recipe: its declaration and what it sets, given its
/// knobs (the groups, generative and meta-learning labs).
pub struct RecipeMethod<R: 'static> {
    pub declaration: fn() -> MethodDecl,
    pub apply: fn(&mut R, &Knobs),
}

/// `recipe` as method `id` of `lab`'s `methods` sets it with `exp`'s knobs; an unknown id is an
/// error naming the lab's methods.
pub fn apply_method<R>(
    methods: &[RecipeMethod<R>],
    lab: &str,
    id: &str,
    exp: &Experiment,
    mut recipe: R,
) -> Result<R> {
    let chosen = find_method(methods, |m| (m.declaration)(), lab, id).map_err(unknown_method)?;
    (chosen.apply)(&mut recipe, &exp.knobs(&(chosen.declaration)()));
    Ok(recipe)
}

/// The error for a method id a lab does not have.
pub fn unknown_method(detail: String) -> EngineError {
    EngineError::Invalid {
        op: "method",
        detail,
    }
}
