//! The imperfect-labels lab: learning when labels are wrong. Every training point keeps its true
//! label beside the given one, so the page can tell learning the pattern from memorising the
//! noise: accuracy against the given and the true labels, the share of wrong labels memorised,
//! the per-sample loss histogram (clean against mislabelled) and the loss's tail.

use super::{choice, float, int, log_float, LabDecl, Optimizer, OwnData, Preset};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "labels",
        title: "Imperfect labels",
        summary: "Some training labels are wrong. A network first learns what the clean ones \
                  share, then memorises the wrong ones one by one: its accuracy on the true \
                  labels peaks, then falls. Methods that trust small losses, robust losses and \
                  per-sample constraints change that story differently: compare them on the \
                  given labels, the true ones and the test set.",
        settings: vec![
            choice("scenario", "Data", data::Scenario::Digits, "The bundled 8×8 digits (10 classes, a fixed 75/25 split), or two moons in 2-D (300 training points) for pictures."),
            choice("noise", "Label noise", data::Noise::Symmetric, "How training labels go wrong: any other class at random, always the next class (a systematic confusion), or more often near the true boundary."),
            float("rate", "Noise rate", 0.0, 0.8, 0.4, "", "Share of training labels made wrong (on average, for instance-dependent noise)."),
            int("width", "Hidden units", 4, 256, 64, "", "Units in each hidden ReLU layer."),
            int("depth", "Hidden layers", 1, 3, 2, "", "Hidden layers of the MLP."),
            choice("optimizer", "Optimizer", Optimizer::Adam, "Adam, or SGD with momentum 0.9."),
            log_float("lr", "Learning rate", 1e-4, 0.5, 0.003, "Step size."),
            int("batch", "Batch size", 4, 256, 32, "", "Training points per step, drawn with replacement."),
            int("labelled", "Labelled per class", 1, 100, 4, "", "The semi-supervised methods see the labels of this many training points per class (drawn per seed); the rest are unlabelled for them."),
            int("steps", "Steps", 1, 100_000, 4000, "", "Training steps per run (about 42 steps an epoch on the digits at batch 32)."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["erm", "coteaching"],
        metrics: vec![
            "test_acc",
            "peak_test_acc",
            "train_acc_given",
            "train_acc_true",
            "memorised",
            "loss_q95",
            "pseudo_acc",
            "loss",
        ],
        presets: vec![
            Preset { id: "memorisation", title: "Memorisation at 40% noise: ERM against co-teaching", query: "" },
            Preset { id: "robust", title: "Robust losses and mixup at 40% noise", query: "methods=erm,mixup,aldr" },
            Preset { id: "pairflip", title: "Pair-flip noise: a systematic confusion", query: "noise=pairflip&rate=0.3&methods=erm,coteaching,aldr" },
            Preset { id: "tail", title: "Clean labels, every sample fit: Feasible Learning's tail", query: "noise=none&methods=erm,feasible" },
            Preset { id: "few-labels", title: "Four labels per class: pseudo-labels and confirmation bias", query: "noise=none&methods=labelled,pseudo,pseudo_mixup" },
            Preset { id: "moons", title: "Two moons with labels flipped near the boundary", query: "scenario=moons&noise=instance&rate=0.3&steps=3000&methods=erm,coteaching" },
        ],
        smoke: &[
            "width=8&depth=1&steps=10&batch=8&methods=erm,mixup,coteaching,aldr,feasible",
            // Two classes and a low threshold, so naive pseudo-labels act within 10 steps.
            "scenario=moons&width=8&depth=1&steps=10&batch=8&pseudo.threshold=0.5&methods=labelled,pseudo,pseudo_mixup",
        ],
        quick: "width=8&steps=8&runs=2",
        runs: crate::experiment::DEFAULT_RUNS,
        own_data: Some(OwnData { setting: "scenario", features: None, max_classes: crate::data::table::MAX_CLASSES }),
    }
}

pub mod claims;
pub mod data;
mod group;
pub mod methods;
pub mod model;
mod views;

pub use group::Group;
use views::views;

use crate::labs::LabDef;

/// Bins of the per-sample loss histogram, over [0, HIST_MAX] (larger losses in the last).
pub const HIST_BINS: usize = 30;
pub const HIST_MAX: f32 = 6.0;

/// The lab in the registry.
pub static LAB: LabDef<Group> = LabDef {
    declaration,
    total_steps: |exp| exp.read().u32("steps"),
    claims: claims::claims,
    group: |exp, method, gpu| Box::pin(Group::new(exp, method, gpu)),
    views: |shown, _, _| views(shown),
    views_split: true,
};
