//! SimCLR: contrastive NT-Xent loss over the batch's views, temperature τ.

use super::{Loss, Method, Objective, Pair};
use crate::decl::*;
use crate::engine::{Graph, Result, Tensor};
use crate::labs::ssl::model::{eye, normalise, stack_rows};

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(SimClr {
            tau: knobs.f32("tau"),
        })
    },
};

struct SimClr {
    tau: f32,
}

impl Objective for SimClr {
    fn loss(&self, p: &Pair) -> Result<Loss> {
        Ok(Loss::of(nt_xent(p.g, p.z1, &p.z2()?, self.tau)?))
    }
}

/// NT-Xent (SimCLR): each of the 2B views must pick its partner among the other 2B − 1 by
/// cosine similarity / τ.
fn nt_xent(g: &Graph, z1: &Tensor, z2: &Tensor, tau: f32) -> Result<Tensor> {
    let b = z1.dims()[1];
    let z = normalise(&stack_rows(z1, z2)?)?;
    let n = 2 * b;
    let self_mask = eye(g, n)?.mul_scalar(-1e9)?;
    let logits = z
        .matmul_t(&z, false, true)?
        .mul_scalar(1.0 / tau)?
        .add(&self_mask)?;
    let partner: Vec<f32> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            if j == (i + b) % n {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let partner = g.input("ssl.partners", &[1, n, n], partner)?;
    logits
        .log_softmax()?
        .mul(&partner)?
        .sum(2)?
        .neg()?
        .mean_per_run()
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "simclr",
        title: "SimCLR (NT-Xent)",
        paper: Some(Paper {
            title: "A Simple Framework for Contrastive Learning of Visual Representations",
            url: "https://arxiv.org/abs/2002.05709",
        }),
        explain: "Contrastive: each view must pick out its partner among every other view in the batch by cosine similarity at temperature τ. The other images are the negatives that keep the embeddings apart.",
        knobs: vec![log_float("tau", "Temperature τ", 0.01, 5.0, 0.2, "Lower τ sharpens the softmax over similarities (the paper uses 0.1–0.5).")],
        no_claim: Some("No claim of SimCLR's own paper is checked here: its headline is ImageNet accuracy. It is the method the RankMe, LiDAR and few-label claims (other papers) read."),
    }
}
