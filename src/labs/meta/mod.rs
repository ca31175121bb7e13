//! The few-shot and meta-learning lab: MAML through second-order gradients, first-order MAML,
//! Reptile and a jointly pretrained model on Finn et al.'s sinusoid regression. What each
//! initialisation is worth is measured by adapting it to held-out tasks from K shots.

use super::{choice, int, log_float, LabDecl, Preset};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "meta",
        title: "Meta-learning",
        summary: "Each task is a sine wave with its own amplitude and phase, seen through K \
                  points. MAML learns weights from which one gradient step on K points fits a \
                  new wave; a model pretrained on all waves at once learns their average, a flat \
                  line, and barely adapts. Compare them on held-out waves after 0, 1 and 10 \
                  steps. The digits scenario asks the few-shot question: learn on the digits \
                  0–4, then tell 5–9 apart from K examples each. Is meta-learning needed, or \
                  is a good embedding all you need?",
        settings: vec![
            choice("scenario", "Tasks", model::Scenario::Sinusoid, "Sine waves (Finn et al.), or 5-way K-shot episodes of digits: base classes 0–4 for training, novel 5–9 for testing."),
            int("shots", "Shots K", 1, 20, 10, "", "Points of a task (or images per class of an episode) seen before predicting the rest: K = 5 or 10 for waves, 1 or 5 for digits."),
            int("meta_batch", "Tasks per meta-step", 1, 50, 25, "", "Fresh tasks drawn on the device at every step."),
            int("hidden", "Hidden units", 4, 80, 40, "", "Units in each of the two ReLU layers."),
            log_float("inner_lr", "Inner learning rate α", 1e-3, 0.1, 0.01, "SGD's step size when adapting to a task, in training and at evaluation."),
            log_float("meta_lr", "Meta learning rate", 1e-4, 1e-2, 1e-3, "Adam's step size for the meta-update."),
            int("eval_tasks", "Held-out tasks", 1, 500, 100, "", "Sine waves the initialisations are adapted to and scored on (the same for every seed and method)."),
            int("episodes", "Novel episodes", 1, 2000, 600, "", "Digits: 5-way episodes of the novel classes, 15 queries a class, the final accuracy is averaged over (the same for every seed and method; the first 100 while training)."),
            int("steps", "Meta-steps", 1, 100_000, 5000, "", "Meta-updates per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["maml", "pretrained"],
        metrics: vec![
            "mse_after/<k>",
            "mse_zero",
            "meta_loss",
            "fewshot_acc",
            "fewshot_ci",
        ],
        presets: vec![
            Preset { id: "maml", title: "MAML against a pretrained model (Finn et al., Figure 2)", query: "" },
            Preset { id: "first-order", title: "Second order or not: MAML, FOMAML, Reptile", query: "methods=maml,fomaml,reptile" },
            Preset { id: "five-shot", title: "Five shots", query: "shots=5&methods=maml,fomaml,pretrained" },
            Preset { id: "digits", title: "Novel digits from one shot: a good embedding against meta-learning (Tian et al.)", query: DIGITS },
            Preset { id: "digits-transductive", title: "Novel digits: the queries cluster too (transductive soft k-means)", query: "scenario=digits&shots=1&hidden=80&meta_lr=0.001&steps=300&methods=protonet,linear,transductive" },
        ],
        smoke: &[
            "meta_batch=2&hidden=8&eval_tasks=2&steps=10&methods=maml,fomaml,reptile,pretrained",
            "scenario=digits&shots=1&meta_batch=2&hidden=8&episodes=5&steps=2&methods=maml,fomaml,protonet,linear,transductive",
        ],
        quick: "meta_batch=2&hidden=8&eval_tasks=3&episodes=3&steps=6&runs=2",
        runs: crate::experiment::DEFAULT_RUNS,
        own_data: None,
    }
}

/// The few-shot digits preset: 5-way 1-shot. MAML at meta-batch 4 with an inner step of 0.1
/// (the sine waves' 0.01 barely moves a classifier). 300 steps: longer, every learned
/// embedding transfers worse still (the curves fall from the untrained net's accuracy).
pub const DIGITS: &str = "scenario=digits&shots=1&hidden=80&meta_lr=0.001&inner_lr=0.1&meta_batch=4&steps=300&methods=linear,protonet,maml";

pub mod claims;
pub mod digit_program;
pub mod fewshot;
mod group;
pub mod methods;
pub mod model;
pub mod sine_program;
mod views;

pub use group::Group;
use views::views;

use crate::labs::LabDef;

/// Novel episodes scored at the observations before the last (all of them at the last).
pub const PROGRESS_EPISODES: usize = 100;

/// The lab in the registry.
pub static LAB: LabDef<Group> = LabDef {
    declaration,
    total_steps: |exp| exp.read().u32("steps"),
    claims: claims::claims,
    group: |exp, method, gpu| Box::pin(Group::new(exp, method, gpu)),
    views: |shown, _, _| views(shown),
    views_split: true,
};
