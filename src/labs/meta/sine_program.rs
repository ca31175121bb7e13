//! The sine waves' program: a method's meta-objective (`Algorithm::sinusoid`) trained on fresh
//! tasks each step, and the evaluation that adapts to held-out waves. The model's parts
//! (network, tasks, SGD steps) are in `model.rs`.

use super::methods::Algorithm;
use super::model::{forward, grid, init, mse, sgd_step, Recipe, EVAL_STEPS, GRID};
use crate::engine::{Entry, Graph, OptimizerKind, Program, Result, Tensor};

pub struct Built {
    pub program: Program,
    /// The evaluation task's inputs, written before each run of the eval entry.
    pub support_x: Tensor,
    pub support_y: Tensor,
    pub query_y: Tensor,
    /// [R, EVAL_STEPS + 1]: query MSE after 0..=EVAL_STEPS steps.
    pub curve: Tensor,
    /// [R, GRID, 3]: predictions on the grid before adapting, after 1 step and after
    /// EVAL_STEPS.
    pub predictions: Tensor,
}

pub const TRAIN: usize = 0;
pub const EVAL: usize = 1;

pub fn build(recipe: &Recipe, algorithm: &dyn Algorithm, runs: usize, seed: u32) -> Result<Built> {
    let g = Graph::new(runs, seed);
    let step = g.step_counter()?;
    let p = init(&g, recipe.hidden)?;
    let loss = algorithm.sinusoid(&g, &p, recipe, &step)?;
    let lr = g.per_run("meta_lr", &[recipe.meta_lr])?;
    let train = Entry::new("train").metric("meta_loss", &loss).minimize(
        &loss,
        &p,
        OptimizerKind::adam(),
        &lr,
    )?;

    // Evaluation: one held-out task at a time (written in), adapted from θ by plain SGD.
    let k = recipe.shots;
    let support_x = g.input("eval.support.x", &[1, k, 1], vec![0.0; k])?;
    let support_y = g.input("eval.support.y", &[1, k, 1], vec![0.0; k])?;
    let query_x = g.input("eval.query.x", &[1, GRID, 1], grid())?;
    let query_y = g.input("eval.query.y", &[1, GRID, 1], vec![0.0; GRID])?;
    let mut w = p.clone();
    let mut curve = mse(&w, &query_x, &query_y)?.reshape(&[runs, 1])?;
    let mut predictions = forward(&w, &query_x)?;
    for s in 1..=EVAL_STEPS {
        w = sgd_step(&w, &support_x, &support_y, recipe.inner_lr, true)?;
        curve = curve.concat(&mse(&w, &query_x, &query_y)?.reshape(&[runs, 1])?)?;
        if s == 1 || s == EVAL_STEPS {
            predictions = predictions.concat(&forward(&w, &query_x)?)?;
        }
    }
    let curve = curve.detach()?;
    let predictions = predictions.detach()?;
    let eval = Entry::new("eval").output(&curve).output(&predictions);
    Ok(Built {
        program: Program::new(&g, vec![train, eval])?,
        support_x,
        support_y,
        query_y,
        curve,
        predictions,
    })
}
