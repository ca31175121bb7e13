//! Reptile: k SGD steps on a task from θ, then θ moves towards the result (Nichol et al.), here through Adam.

use super::{Algorithm, Method};
use crate::decl::*;
use crate::engine::{Graph, Result, Tensor};
use crate::labs::meta::model::{mse, over_tasks, sgd_step, Recipe};

pub const METHOD: Method = Method {
    declaration,
    algorithm: |knobs| {
        Box::new(Reptile {
            inner: knobs.usize("inner"),
        })
    },
};

/// θ moves towards each task's weights after `inner` SGD steps.
struct Reptile {
    inner: usize,
}

impl Algorithm for Reptile {
    fn sinusoid(&self, g: &Graph, p: &[Tensor], recipe: &Recipe, step: &Tensor) -> Result<Tensor> {
        let mut reptile_target: Vec<Option<Tensor>> = vec![None; p.len()];
        // Reptile has no query split: its inner steps use all 2K of a task's points.
        let mean = over_tasks(g, recipe, step, (2 * recipe.shots, 1), |[x, y, _, _]| {
            // k SGD steps on the task's points from θ, no gradient through them.
            let mut w: Vec<Tensor> = p.iter().map(|t| t.detach()).collect::<Result<_>>()?;
            for _ in 0..self.inner {
                w = sgd_step(&w, &x, &y, recipe.inner_lr, true)?;
            }
            for (acc, wi) in reptile_target.iter_mut().zip(w) {
                *acc = Some(match acc.take() {
                    Some(a) => a.add(&wi)?,
                    None => wi,
                });
            }
            // Logged: the task's loss at θ.
            mse(p, &x, &y)?.detach()
        })?;
        // A surrogate whose gradient is θ − mean_t W_t: Reptile's direction, for the optimizer.
        let mut surrogate: Option<Tensor> = None;
        for (theta, target) in p.iter().zip(reptile_target) {
            let target = target
                .expect("meta_batch ≥ 1")
                .mul_scalar(1.0 / recipe.meta_batch as f32)?;
            let term = theta.mul(&theta.sub(&target)?.detach()?)?.sum_per_run()?;
            surrogate = Some(match surrogate {
                Some(s) => s.add(&term)?,
                None => term,
            });
        }
        // The logged value rides along with no gradient.
        let s = surrogate.expect("parameters");
        s.sub(&s.detach()?)?.add(&mean)
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "reptile",
        title: "Reptile",
        paper: Some(Paper {
            title: "On First-Order Meta-Learning Algorithms",
            url: "https://arxiv.org/abs/1803.02999",
        }),
        explain: "No query split and no second derivatives: the meta-direction is θ − W, W the task's weights after k SGD steps on its 2K points (averaged over the meta-batch).",
        knobs: vec![int("inner", "Inner steps k", 2, 20, 5, "", "SGD steps per task (k = 1 would be joint training).")],
        no_claim: Some("the Reptile paper claims results close to MAML on few-shot classification, not checked on sinusoids here"),
    }
}
