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

use super::model::{Built, Net, Recipe};
use crate::data::tasks::Stream;
use crate::decl::{find_method, Knobs, MethodDecl};
use crate::engine::{Entry, Exec, Graph, Result, Tensor};
use crate::experiment::Experiment;
use crate::labs::{unknown_method, LocalFuture};

/// What the training graph is built from, and what a method adds to it.
pub struct Ctx<'a> {
    pub g: &'a Graph,
    pub recipe: &'a Recipe,
    pub stream: &'a Stream,
    pub net: &'a Net,
    pub params: &'a [Tensor],
    pub step: &'a Tensor,
    pub x_train: &'a Tensor,
    pub y_train: &'a Tensor,
    /// [1, 2]: offset and count of the current task's training rows.
    pub range: &'a Tensor,
    pub train_mask: &'a Tensor,
    /// [1, N, C]: each training example's own head.
    pub row_masks: &'a Tensor,
    pub xb: &'a Tensor,
    pub yb: &'a Tensor,
    pub features: &'a Tensor,
    /// Masked to the batch's heads.
    pub logits: &'a Tensor,
    pub raw_logits: &'a Tensor,
    /// The loss to minimise, [R]: the data loss plus what methods add.
    pub loss: Tensor,
    pub assigns: Vec<(Tensor, Tensor)>,
    /// Extra entries (EWC's Fisher pass).
    pub entries: Vec<Entry>,
    /// Parameter assignments that replace the optimizer (UPGD).
    pub update: Option<Vec<(Tensor, Tensor)>>,
}

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

/// What the run group lends a method at a task boundary: the device, the program's handles, the
/// stream, and which task.
pub struct Phase<'g> {
    pub exec: &'g mut Exec,
    pub built: &'g Built,
    pub stream: &'g Stream,
    /// The task that is about to train (`begin_task`) or has just trained (`end_task`).
    pub task: usize,
    pub seed: u32,
    pub runs: usize,
}

/// A future a hook returns.
pub type Hook<'a> = LocalFuture<'a, Result<()>>;

/// What a method changes. Every hook defaults to changing nothing: naive fine-tuning is the
/// method with no hooks.
pub trait Hooks {
    /// Whether its knobs fit the stream (replay's buffer), or why not.
    fn check(&self, _stream: &Stream) -> std::result::Result<(), String> {
        Ok(())
    }
    /// What it adds to the training step (a penalty, a replayed batch, its own update); it
    /// keeps the handles of the device state it updates between tasks.
    fn graph(&mut self, _ctx: &mut Ctx) -> Result<()> {
        Ok(())
    }
    /// The training rows `[offset, count]` while task `t` trains: the task's own by default.
    fn range(&self, offsets: &[usize], counts: &[usize], t: usize) -> [f32; 2] {
        [offsets[t] as f32, counts[t] as f32]
    }
    /// Once, before the first task trains (MagMax keeps the starting weights).
    fn start<'a>(&'a mut self, _at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async { Ok(()) })
    }
    /// Before task `at.task` (after the first) trains: LwF's teacher, frozen centres.
    fn begin_task<'a>(&'a mut self, _at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async { Ok(()) })
    }
    /// After task `at.task` trained, before it is scored: EWC's Fisher, replay's buffer,
    /// MagMax's merge in place of the weights.
    fn end_task<'a>(&'a mut self, _at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async { Ok(()) })
    }
    /// After the task's end was scored (MagMax puts the fine-tuned weights back).
    fn scored<'a>(&'a mut self, _at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async { Ok(()) })
    }
}

/// Naive fine-tuning's hooks, and any method's that needs none.
pub struct NoHooks;
impl Hooks for NoHooks {}

/// Zeros shaped like `t`, as a state.
pub fn zeros_like(g: &Graph, label: &str, t: &Tensor) -> Result<Tensor> {
    let dims = t.dims();
    g.state(label, &dims, vec![0.0; t.shape().numel()])
}
