//! The model-merging lab: pre-train a backbone on a base task, fine-tune it on K tasks (each
//! with its own head) from that shared start, and merge the fine-tuned backbones with each
//! method, sweeping λ, to see which tasks each merge keeps. Tasks are rotated or permuted
//! digits, or turned moons: the same classes, inputs that pull the first layers apart, so the
//! task vectors conflict.

pub mod aggregate;
pub mod claims;
mod group;
pub mod merge;
pub mod methods;
pub mod model;
mod views;

pub use group::Group;
use views::views;

use super::{choice, float, int, log_float, Choice, LabDecl, Preset};
use crate::data::tasks::{self as scenario};
use crate::engine::rng::mix64;
use crate::engine::{EngineError, Result};
use crate::experiment::Experiment;
use crate::labs::{find_method, unknown_method, LabDef};

/// λ values of every sweep: 0, 0.1, …, 1.5.
pub const LAMBDAS: [f32; 16] = [
    0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5,
];
/// Examples per Fisher estimate.
const FISHER_SAMPLES: u32 = 200;
/// Batches (of `model::GRAM_BATCH` examples) per RegMean Gram estimate: as many examples as
/// the Fisher's.
const GRAM_BATCHES: u32 = 4;

/// The task streams a merge is tried on: those of the continual lab whose tasks share classes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tasks {
    Rotated,
    Permuted,
    Moons,
}

impl Choice for Tasks {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("rotated", Tasks::Rotated),
        ("permuted", Tasks::Permuted),
        ("moons", Tasks::Moons),
    ];
}

impl Tasks {
    fn scenario(self) -> scenario::Scenario {
        match self {
            Tasks::Rotated => scenario::Scenario::Rotated,
            Tasks::Permuted => scenario::Scenario::Permuted,
            Tasks::Moons => scenario::Scenario::Moons,
        }
    }
}

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "merging",
        title: "Model merging",
        summary: "Fine-tune one pre-trained backbone on several tasks, then merge the fine-tunes \
                  into one model: task arithmetic, TIES, Breadcrumbs, Fisher averaging, MagMax and \
                  DARE, each with its λ swept. Who keeps which task?",
        settings: vec![
            choice("scenario", "Tasks", Tasks::Rotated, "rotated: digits turned further for each task; permuted: a pixel shuffle per task; moons: 2-D data turned per task. The base task is the unturned, unshuffled one."),
            int("tasks", "Tasks K", 2, 8, 4, "", "Fine-tuned tasks merged."),
            float("rotation", "Rotation per task", 0.0, 90.0, 45.0, "°", "How much further each task turns (rotated, moons)."),
            int("base_steps", "Pre-training steps", 1, 5000, 600, "", "Steps on the base task."),
            int("steps", "Fine-tuning steps", 1, 5000, 400, "", "Steps on each task, from the pre-trained backbone."),
            int("width", "Width", 8, 512, 128, "", "Units per backbone layer."),
            int("depth", "Depth", 1, 4, 2, "", "Backbone layers."),
            log_float("lr", "Learning rate", 1e-4, 1.0, 0.05, "SGD step size (no optimizer state to carry between fine-tunes)."),
            int("batch", "Batch size", 1, 256, 32, "", "Examples per step."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["task_arithmetic", "ties", "magmax"],
        metrics: vec![
            "task_acc/<model>/<task>",
            "normalized_acc/<model>",
            "lambda_sweep/<method>",
            "lambda_sweep_val/<method>",
            "sign_conflict",
            "grad_cosine/<i>-<j>",
            "best_lambda/<method>",
            "loss",
        ],
        presets: vec![
            Preset { id: "rotated", title: "Four rotated-digit tasks: TA vs TIES vs MagMax", query: "" },
            Preset {
                id: "all",
                title: "Every merge on the same fine-tunes",
                query: "methods=average,task_arithmetic,ties,breadcrumbs,fisher,regmean,magmax,dare",
            },
            Preset {
                id: "regmean",
                title: "RegMean: each layer fit to every model's outputs, against Fisher and TA",
                query: "methods=task_arithmetic,fisher,regmean",
            },
            Preset {
                id: "permuted",
                title: "Permuted digits: conflicts everywhere",
                query: "scenario=permuted&methods=task_arithmetic,ties,dare",
            },
            Preset {
                id: "multitask",
                title: "One multi-task model: sum vs PCGrad vs MGDA vs UPGrad",
                query: "methods=task_arithmetic,mt_sum,mt_pcgrad,mt_mgda,mt_upgrad",
            },
            Preset {
                id: "moons",
                title: "Turning moons, six tasks",
                query: "scenario=moons&tasks=6&rotation=30&width=32&methods=average,task_arithmetic,ties",
            },
        ],
        smoke: &["tasks=2&base_steps=10&steps=10&width=8"],
        quick: "tasks=2&base_steps=4&steps=2&runs=2",
        runs: crate::experiment::DEFAULT_RUNS,
        own_data: None,
    }
}

/// A merge method with its knobs.
#[derive(Clone, Debug, PartialEq)]
pub enum Merge {
    Average,
    TaskArithmetic,
    Ties {
        keep: f32,
    },
    Breadcrumbs {
        top: f32,
        bottom: f32,
    },
    Fisher,
    /// Per linear layer, the least-squares merge of the models' outputs on their own inputs
    /// (`merge::regmean`); biases averaged.
    RegMean {
        alpha: f32,
    },
    MagMax,
    Dare {
        p: f32,
    },
    /// Not a merge: one model trained on every task at once, the task gradients combined.
    MultiTask(Aggregator),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Aggregator {
    Sum,
    PcGrad,
    Mgda,
    UpGrad,
}

impl Merge {
    /// The merge method `id` stands for, with the experiment's knobs; an unknown id is an
    /// error naming the lab's methods.
    pub fn from_method(id: &str, exp: &Experiment) -> Result<Merge> {
        let chosen = find_method(methods::METHODS, |m| (m.declaration)(), "merging", id)
            .map_err(unknown_method)?;
        Ok((chosen.merge)(&exp.knobs(&(chosen.declaration)())))
    }
    /// Whether the merged task vector is scaled by a swept λ.
    pub fn has_lambda(&self) -> bool {
        !matches!(
            self,
            Merge::Average | Merge::Fisher | Merge::RegMean { .. } | Merge::MultiTask(_)
        )
    }
    /// The merged task vector of one tensor of one run.
    pub fn apply(&self, taus: &[&[f32]], fishers: &[&[f32]], salt: u64) -> Vec<f32> {
        match self {
            Merge::Average => merge::average(taus),
            Merge::TaskArithmetic => merge::sum(taus),
            Merge::Ties { keep } => merge::ties(taus, *keep),
            Merge::Breadcrumbs { top, bottom } => merge::breadcrumbs(taus, *top, *bottom),
            Merge::Fisher => merge::fisher(taus, fishers),
            // RegMean merges a layer's weight matrix as a whole (`Group::merge_all` calls
            // `merge::regmean` with the Grams); what reaches here, the biases, is averaged.
            Merge::RegMean { .. } => merge::average(taus),
            Merge::MagMax => merge::magmax(taus),
            Merge::Dare { p } => merge::dare(taus, *p, &|k, i| {
                (mix64(salt ^ ((k as u64) << 40) ^ i as u64) >> 40) as f32 / (1u64 << 24) as f32
            }),
            // Multi-task models are trained, not merged: the sum stands in for the unused merge.
            Merge::MultiTask(_) => merge::sum(taus),
        }
    }
}

fn invalid(detail: String) -> EngineError {
    EngineError::Invalid {
        op: "merging",
        detail,
    }
}

/// Accuracies per run, per task, on each task's two held-out halves.
#[derive(Clone, Debug, Default)]
pub struct Held {
    /// What is reported.
    pub test: Vec<Vec<f32>>,
    /// What choices (λ) are made on.
    pub val: Vec<Vec<f32>>,
}

/// The model-merging lab in the registry.
pub static LAB: LabDef<Group> = LabDef {
    declaration,
    total_steps: |exp| {
        // Pre-training, then each fine-tune; a multi-task phase of the same length when any
        // multi-task method is on (the merges wait through it).
        let s = exp.read();
        let multitask = exp.methods.iter().any(|m| m.id.starts_with("mt_"));
        s.u32("base_steps") + s.u32("steps") * s.u32("tasks") * if multitask { 2 } else { 1 }
    },
    claims: claims::claims,
    group: |exp, method, gpu| Box::pin(Group::new(exp, method, gpu)),
    views: |shown, exp, _| views(shown, exp),
    views_split: true,
};
