//! MagMax (Marczak et al. 2024, "MagMax: Leveraging Model Merging for Seamless Continual
//! Learning"): fine-tune sequentially, each task starting from the previous task's weights; after
//! task t the model used is θ₀ + λ·MagMax(τ₁ … τₜ), where τₖ = θₖ − θ₀ are the task vectors
//! from the start θ₀ and MagMax keeps, per parameter, the τₖ entry of largest magnitude (the
//! authors' code uses λ = 0.5).
//!
//! NOTE: the paper starts from a pre-trained model; here θ₀ is the network's initialisation.

use super::{Hook, Hooks, Method, Phase};
use crate::decl::*;

/// Folds task vector `tau` into the running max-magnitude merge.
pub fn fold(merged: &mut [f32], tau: &[f32]) {
    for (m, &t) in merged.iter_mut().zip(tau) {
        if t.abs() > m.abs() {
            *m = t;
        }
    }
}

pub const METHOD: Method = Method {
    declaration,
    make: |knobs| {
        Box::new(MagMax {
            lambda: knobs.f32("lambda"),
            theta0: Vec::new(),
            merged: Vec::new(),
            tuned: Vec::new(),
        })
    },
};

/// Fine-tunes in sequence like naive; at each task's end the merge is what gets scored.
struct MagMax {
    /// Scale of the merged task vector.
    lambda: f32,
    /// The starting weights and the running merged task vector, per parameter.
    theta0: Vec<Vec<f32>>,
    merged: Vec<Vec<f32>>,
    /// The fine-tuned weights while the merge is scored.
    tuned: Vec<Vec<f32>>,
}

impl Hooks for MagMax {
    fn start<'a>(&'a mut self, at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async move {
            for p in &at.built.params {
                self.theta0.push(at.exec.read(p).await?);
            }
            self.merged = self.theta0.iter().map(|t| vec![0.0; t.len()]).collect();
            Ok(())
        })
    }
    /// Folds this task's vector into the merge and puts θ₀ + λ·merge in place for scoring.
    fn end_task<'a>(&'a mut self, at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async move {
            self.tuned.clear();
            for (i, p) in at.built.params.iter().enumerate() {
                let theta = at.exec.read(p).await?;
                let tau: Vec<f32> = theta
                    .iter()
                    .zip(&self.theta0[i])
                    .map(|(a, b)| a - b)
                    .collect();
                fold(&mut self.merged[i], &tau);
                let merged: Vec<f32> = self.theta0[i]
                    .iter()
                    .zip(&self.merged[i])
                    .map(|(a, b)| a + self.lambda * b)
                    .collect();
                at.exec.write(p, &merged)?;
                self.tuned.push(theta);
            }
            Ok(())
        })
    }
    /// Goes on fine-tuning from this task's weights.
    fn scored<'a>(&'a mut self, at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async move {
            for (p, theta) in at.built.params.iter().zip(&self.tuned) {
                at.exec.write(p, theta)?;
            }
            Ok(())
        })
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "magmax",
        title: "MagMax",
        paper: Some(Paper {
            title: "MagMax: Leveraging Model Merging for Seamless Continual Learning",
            url: "https://arxiv.org/abs/2407.06322",
        }),
        explain:
            "Fine-tunes in sequence, then evaluates the merge that keeps, per weight, the largest \
                  change any task made.",
        knobs: vec![float(
            "lambda",
            "λ",
            0.0,
            2.0,
            0.5,
            "",
            "Scale of the merged task vector.",
        )],
        no_claim: None,
    }
}
