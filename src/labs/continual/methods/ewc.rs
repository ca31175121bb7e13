//! Elastic Weight Consolidation (Kirkpatrick et al. 2017, "Overcoming catastrophic forgetting in
//! neural networks"): after each task t, a diagonal Fisher Fₜ of the model at θ*ₜ; while later
//! tasks train, the loss gains (λ/2) Σₜ Σᵢ Fₜ,ᵢ (θᵢ − θ*ₜ,ᵢ)².
//!
//! Online EWC (Schwarz et al. 2018, "Progress & Compress"): one running Fisher F̃ ← γF̃ + Fₜ and
//! one anchor, the parameters after the latest task: (λ/2) Σᵢ F̃ᵢ (θᵢ − θ*ᵢ)².
//!
//! Both penalties are quadratics in θ, so the device keeps them as A = Σ F (or F̃) and B = Σ F θ*
//! (or F̃ θ*): the penalty is (λ/2) Σᵢ (Aᵢθᵢ² − 2Bᵢθᵢ) up to a constant.
//!
//! NOTE: the Fisher is the empirical one: squared gradients of the log-likelihood of the true
//! label, one example at a time, averaged over `FISHER_SAMPLES` training examples of the task.

use super::{zeros_like, Ctx, Hook, Hooks, Method, Phase};
use crate::decl::*;
use crate::engine::{grad, nn, Entry, Result, Tensor};

/// Examples per Fisher estimate.
pub const FISHER_SAMPLES: u32 = 200;

pub const METHOD: Method = Method {
    declaration,
    make: |knobs| Box::new(Ewc::new(knobs.f32("lambda"), None)),
};

pub const ONLINE: Method = Method {
    declaration: online_declaration,
    make: |knobs| Box::new(Ewc::new(knobs.f32("lambda"), Some(knobs.f32("gamma")))),
};

/// EWC with λ; `online: Some(γ)` is online EWC.
struct Ewc {
    lambda: f32,
    online: Option<f32>,
    state: Option<State>,
}

struct State {
    a: Vec<Tensor>,
    b: Vec<Tensor>,
    /// Σ g² accumulated by the Fisher entry.
    fisher: Vec<Tensor>,
}

impl Ewc {
    fn new(lambda: f32, online: Option<f32>) -> Ewc {
        Ewc {
            lambda,
            online,
            state: None,
        }
    }
}

impl Hooks for Ewc {
    fn graph(&mut self, ctx: &mut Ctx) -> Result<()> {
        self.state = Some(graph(ctx, self.lambda)?);
        Ok(())
    }
    /// This task's Fisher at its weights, folded into the penalty's A and B.
    fn end_task<'a>(&'a mut self, at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async move {
            let Some(s) = &self.state else {
                return Ok(());
            };
            for f in &s.fisher {
                at.exec.write(f, &vec![0.0; f.shape().numel()])?;
            }
            at.exec.run(at.built.entry("fisher")?, FISHER_SAMPLES)?;
            for (i, p) in at.built.params.iter().enumerate() {
                let theta = at.exec.read(p).await?;
                let a = at.exec.read(&s.a[i]).await?;
                let b = at.exec.read(&s.b[i]).await?;
                let f: Vec<f32> = at
                    .exec
                    .read(&s.fisher[i])
                    .await?
                    .iter()
                    .map(|v| v / FISHER_SAMPLES as f32)
                    .collect();
                let (a, b) = consolidate(&a, &b, &f, &theta, self.online);
                at.exec.write(&s.a[i], &a)?;
                at.exec.write(&s.b[i], &b)?;
            }
            Ok(())
        })
    }
}

fn graph(ctx: &mut Ctx, lambda: f32) -> Result<State> {
    let g = ctx.g;
    let runs = g.runs();
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut fisher = Vec::new();
    let mut penalty: Option<Tensor> = None;
    for (i, p) in ctx.params.iter().enumerate() {
        let ai = zeros_like(g, &format!("ewc.a.{i}"), p)?;
        let bi = zeros_like(g, &format!("ewc.b.{i}"), p)?;
        let term = ai
            .mul(&p.square()?)?
            .sub(&bi.mul(p)?.mul_scalar(2.0)?)?
            .sum_per_run()?;
        penalty = Some(match penalty {
            Some(s) => s.add(&term)?,
            None => term,
        });
        fisher.push(zeros_like(g, &format!("ewc.fisher.{i}"), p)?);
        a.push(ai);
        b.push(bi);
    }
    if let Some(p) = penalty {
        ctx.loss = ctx.loss.add(&p.mul_scalar(lambda / 2.0)?)?;
    }
    // The Fisher pass: one example of the current task per step, its squared gradient added up.
    let counter = g.state("ewc.counter", &[1], vec![0.0])?;
    let idx = g
        .random_uniform(&[runs, 1], 0.0, 1.0, Some(&counter))?
        .mul(&ctx.range.slice(1, 1)?)?
        .floor()?
        .add(&ctx.range.slice(0, 1)?)?;
    let x = ctx.x_train.gather_rows(&idx)?;
    let y = ctx.y_train.gather_rows(&idx)?.reshape(&[runs, 1])?;
    let (_, logits) = ctx.net.forward(&x, None)?;
    let mask = ctx.row_masks.gather_rows(&idx)?.mul(ctx.train_mask)?;
    let loss = nn::cross_entropy(&super::super::model::masked(&logits, &mask)?, &y)?;
    let grads = grad(&loss, ctx.params)?;
    let mut entry = Entry::new("fisher").assign(&counter, &counter.add_scalar(1.0)?);
    for (f, gi) in fisher.iter().zip(&grads) {
        entry = entry.assign(f, &f.add(&gi.square()?)?);
    }
    ctx.entries.push(entry);
    Ok(State { a, b, fisher })
}

/// The new (A, B) after a task, from the old ones, this task's Fisher and parameters.
pub fn consolidate(
    a: &[f32],
    b: &[f32],
    fisher: &[f32],
    theta: &[f32],
    online: Option<f32>,
) -> (Vec<f32>, Vec<f32>) {
    match online {
        None => (
            a.iter().zip(fisher).map(|(a, f)| a + f).collect(),
            b.iter()
                .zip(fisher)
                .zip(theta)
                .map(|((b, f), t)| b + f * t)
                .collect(),
        ),
        Some(gamma) => {
            let a: Vec<f32> = a.iter().zip(fisher).map(|(a, f)| gamma * a + f).collect();
            let b = a.iter().zip(theta).map(|(a, t)| a * t).collect();
            (a, b)
        }
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "ewc",
        title: "EWC",
        paper: Some(Paper { title: "Overcoming catastrophic forgetting in neural networks", url: "https://arxiv.org/abs/1612.00796" }),
        explain: "A quadratic pull toward each old task's weights, weighted by the diagonal Fisher: strong on \
                  permuted digits, weak when classes arrive one head at a time.",
        knobs: vec![log_float("lambda", "λ", 1.0, 1e6, 1000.0, "Strength of the pull.")],
        no_claim: None,
    }
}

fn online_declaration() -> MethodDecl {
    MethodDecl {
        id: "online_ewc",
        title: "Online EWC",
        paper: Some(Paper {
            title: "Progress & Compress: A scalable framework for continual learning",
            url: "https://arxiv.org/abs/1805.06370",
        }),
        explain: "One running Fisher that decays by γ, anchored at the latest weights.",
        knobs: vec![
            log_float("lambda", "λ", 1.0, 1e6, 1000.0, "Strength of the pull."),
            float(
                "gamma",
                "γ",
                0.0,
                1.0,
                0.9,
                "",
                "Decay of the running Fisher.",
            ),
        ],
        no_claim: None,
    }
}
