//! MAML: the inner SGD steps unrolled in the graph, the meta-gradient through them with its second-order terms.

use super::{Algorithm, Method, Reading};
use crate::decl::*;
use crate::engine::{Graph, Result, Tensor};
use crate::labs::meta::fewshot::{cross_entropy, draw, logits, permutations, Episodes};
use crate::labs::meta::model::{maml_loss, over_tasks, sgd_step_on, Recipe};

pub const METHOD: Method = Method {
    declaration,
    algorithm: |knobs| {
        Box::new(Maml {
            inner: knobs.usize("inner"),
            first_order: false,
        })
    },
};

/// `inner` SGD steps unrolled; `first_order` drops the inner gradient's dependence on θ
/// (first-order MAML).
pub struct Maml {
    pub inner: usize,
    pub first_order: bool,
}

impl Algorithm for Maml {
    fn sinusoid(&self, g: &Graph, p: &[Tensor], recipe: &Recipe, step: &Tensor) -> Result<Tensor> {
        let k = recipe.shots;
        over_tasks(g, recipe, step, (k, k), |[xs, ys, xq, yq]| {
            maml_loss(
                p,
                [&xs, &ys, &xq, &yq],
                self.inner,
                recipe.inner_lr,
                self.first_order,
            )
        })
    }
    /// The query loss after `inner` SGD steps on the support, over `meta_batch` episodes of
    /// permuted base classes.
    fn digits(&self, e: &Episodes) -> Result<Tensor> {
        let (g, m, recipe) = (e.g, e.per_class, e.recipe);
        let table = permutations(g)?;
        let mut total: Option<Tensor> = None;
        for _ in 0..recipe.meta_batch {
            let pick = g.random_index(&[g.runs(), 1], 120, Some(e.step))?;
            let perm = table.gather_rows(&pick)?;
            let xs = draw(g, e.pool, m, e.support_labels, &perm, e.step)?;
            let xq = draw(g, e.pool, m, e.query_labels, &perm, e.step)?;
            let mut w = e.p.to_vec();
            for _ in 0..self.inner {
                w = sgd_step_on(
                    &w,
                    &|w: &[Tensor]| cross_entropy(&logits(w, &xs)?, e.support_labels),
                    recipe.inner_lr,
                    self.first_order,
                )?;
            }
            let term = cross_entropy(&logits(&w, &xq)?, e.query_labels)?;
            total = Some(match total {
                Some(t) => t.add(&term)?,
                None => term,
            });
        }
        total
            .expect("meta_batch ≥ 1")
            .mul_scalar(1.0 / recipe.meta_batch as f32)
    }
    fn reads(&self) -> Reading {
        Reading::Adapt
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "maml",
        title: "MAML",
        paper: Some(Paper {
            title: "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks",
            url: "https://arxiv.org/abs/1703.03400",
        }),
        explain: "Learns weights θ such that θ − α∇L_task(θ) fits each new task: the meta-gradient differentiates through the inner gradient (Hessian–vector products).",
        knobs: vec![int("inner", "Inner steps (training)", 1, 5, 1, "", "SGD steps unrolled per task in each meta-step.")],
        no_claim: None,
    }
}
