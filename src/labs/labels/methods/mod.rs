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

use super::model::{Recipe, Split};
use crate::decl::{Knobs, MethodDecl};
use crate::engine::nn::Mlp;
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

/// What a method trains the network with.
pub trait Objective {
    /// The loss of one step, and what else it trains.
    fn loss(&self, batch: &Batch) -> Result<Loss>;
    /// Whether it learns from the labelled subset and the unlabelled rest.
    fn semi_supervised(&self) -> bool {
        false
    }
}

/// What a method sees of one training step.
pub struct Batch<'a> {
    pub g: &'a Graph,
    /// The step counter, for draws that change every step.
    pub step: &'a Tensor,
    pub recipe: &'a Recipe,
    pub net: &'a Mlp,
    /// The training points [1, N, D] and each run's given labels, one-hot [R, N, C].
    pub x: &'a Tensor,
    pub y: &'a Tensor,
    /// The step's batch: rows [R, B], their points and given labels.
    pub idx: &'a Tensor,
    pub xb: &'a Tensor,
    pub yb: &'a Tensor,
    /// Per run, the labelled subset and the unlabelled rest.
    pub split: &'a [Split],
    /// The class indices 0 … C − 1, [1, 1, C].
    pub classes: &'a Tensor,
}

impl Batch<'_> {
    /// Training points N, classes C and batch size B.
    pub fn sizes(&self) -> (usize, usize, usize) {
        let (x, y) = (self.x.dims(), self.y.dims());
        (x[1], y[2], self.recipe.batch)
    }
    /// The per-run index table `pick` chooses (the labelled subset or the unlabelled rest), as
    /// device data [R, len, 1].
    pub fn table(&self, label: &str, pick: &dyn Fn(&Split) -> &Vec<usize>) -> Result<Tensor> {
        let len = pick(&self.split[0]).len().max(1);
        let values: Vec<f32> = self
            .split
            .iter()
            .flat_map(|s| {
                let v = pick(s);
                (0..len).map(move |i| v.get(i).copied().unwrap_or(0) as f32)
            })
            .collect();
        self.g.input(label, &[self.split.len(), len, 1], values)
    }
    /// `count` indices per run drawn from a `table`: [R, count].
    pub fn draw(&self, table: &Tensor, count: usize) -> Result<Tensor> {
        let (runs, len) = (self.split.len(), table.dims()[1]);
        let pos = self.g.random_index(&[runs, count], len, Some(self.step))?;
        table.gather_rows(&pos)?.reshape(&[runs, count])
    }
}
