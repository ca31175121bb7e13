//! The continual-learning lab: a stream of tasks (Split-, Permuted- and Rotated-Digits, and
//! rotating two moons), one network trained on them in turn, and the accuracy matrix R whose row
//! i holds every task's test accuracy after task i (row 0 before any training), with Avalanche's
//! summaries of it.

pub mod claims;
mod group;
pub mod methods;
pub mod model;
pub mod summary;
mod views;

pub use group::Group;
use views::views;

use super::{choice, float, int, log_float, LabDecl, Optimizer, Preset};
use crate::data::tasks::Scenario;
use crate::engine::EngineError;
use crate::labs::LabDef;
use model::Recipe;

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "continual",
        title: "Continual learning",
        summary: "One network learns a stream of tasks: watch naive fine-tuning forget the old \
                  ones, and each remedy hold on to them, or not. Data: the UCI 8×8 digits \
                  (Alpaydin & Kaynak, CC BY 4.0).",
        settings: vec![
            choice("scenario", "Scenario", Scenario::SplitClass, "split-class: one head, classes arrive two at a time; split-task: a head per task; permuted / rotated: the same ten digits with shuffled or turned pixels; random-labels: 256 digits given new random labels each task, to memorise (a test of plasticity); moons: 2-D data turning each task."),
            int("tasks", "Tasks", 1, 20, 5, "", "Tasks in the stream (Split-Digits: at most 5)."),
            int("steps", "Steps per task", 1, 5000, 300, "", "Training steps on each task."),
            int("width", "Width", 8, 512, 128, "", "Units per hidden layer."),
            int("depth", "Depth", 1, 4, 2, "", "Hidden layers."),
            choice("optimizer", "Optimizer", Optimizer::Adam, "How the weights move (UPGD is its own optimizer)."),
            log_float("lr", "Learning rate", 1e-4, 1.0, 0.001, "Step size."),
            int("batch", "Batch size", 1, 256, 32, "", "Examples per step (replay adds as many from its buffer)."),
            float("rotation", "Rotation per task", 0.0, 90.0, 30.0, "°", "How much further each task turns (rotated digits, moons)."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["naive", "replay", "ewc"],
        metrics: vec![
            "acc_matrix",
            "avg_acc",
            "bwt",
            "forgetting",
            "fwt",
            "learn_acc",
            "loss",
            "task_acc/<j>",
        ],
        presets: vec![
            Preset { id: "forget", title: "Watch naive forget (and joint not)", query: "methods=naive,joint" },
            Preset {
                id: "class-il",
                title: "Replay vs EWC on class-incremental digits",
                query: "methods=naive,ewc,lwf,replay",
            },
            Preset {
                id: "permuted",
                title: "Permuted digits: EWC and replay vs naive",
                query: "scenario=permuted&methods=naive,ewc,replay&ewc.lambda=10000",
            },
            Preset {
                id: "plasticity",
                title: "Plasticity over 20 permutations",
                query: "scenario=permuted&tasks=20&steps=800&width=32&lr=0.01&methods=naive,spectral",
            },
            Preset {
                id: "random-labels",
                title: "Memorise random labels 20 times: naive stops learning",
                query: "scenario=random-labels&tasks=20&steps=800&width=64&lr=0.003&methods=naive,spectral",
            },
            Preset {
                id: "moons",
                title: "Turning moons: boundaries after each task",
                query: "scenario=moons&tasks=4&rotation=45&width=32&lr=0.1&methods=naive,replay",
            },
        ],
        smoke: &["tasks=3&steps=10&width=8"],
        quick: "tasks=2&steps=4&runs=1",
        runs: crate::experiment::DEFAULT_RUNS,
        own_data: None,
    }
}

fn invalid(detail: String) -> EngineError {
    EngineError::Invalid {
        op: "continual",
        detail,
    }
}

/// The continual-learning lab in the registry.
pub static LAB: LabDef<Group> = LabDef {
    declaration,
    total_steps: |exp| Recipe::from_settings(exp).total_steps(),
    claims: claims::claims,
    group: |exp, method, gpu| Box::pin(Group::new(exp, method, gpu)),
    views: |shown, exp, _| views(shown, exp),
    views_split: true,
};
