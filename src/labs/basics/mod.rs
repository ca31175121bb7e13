//! The Basics lab: TensorFlow Playground's experiment (2-D data sets, an MLP, a decision
//! boundary), with methods compared side by side on their own seeds.

use super::{choice, flag, float, int, log_float, LabDecl, OwnData, Preset};
use crate::data::Playground;
use crate::engine::nn::Activation;
use model::{Loss, OptimizerChoice};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "basics",
        title: "Basics",
        summary: "Train a small network on 2-D data and watch its decision boundary form; compare \
                  regularisers, mixup, label smoothing and optimizers side by side.",
        settings: vec![
            choice("data", "Data set", Playground::Circle, "Classification: circle … checkerboard (skewed: two correlated Gaussian clusters, Oh & Yun's setting for mixup); regression: plane, bump."),
            float("noise", "Noise", 0.0, 0.5, 0.05, "", "Standard deviation of the noise added to each point."),
            int("train", "Training share", 10, 90, 50, "%", "Share of the points used for training; the rest are the test set."),
            int("points", "Points", 50, 2000, 500, "", "Points drawn for the data set."),
            flag("x1", "x₁", true, "Feed the first coordinate."),
            flag("x2", "x₂", true, "Feed the second coordinate."),
            flag("x1sq", "x₁²", false, "Feed the first coordinate squared."),
            flag("x2sq", "x₂²", false, "Feed the second coordinate squared."),
            flag("x1x2", "x₁x₂", false, "Feed the product of the coordinates."),
            flag("sinx1", "sin x₁", false, "Feed the sine of the first coordinate."),
            flag("sinx2", "sin x₂", false, "Feed the sine of the second coordinate."),
            int("layers", "Hidden layers", 0, 6, 2, "", "Hidden layers between inputs and output."),
            int("units", "Units per layer", 1, 64, 8, "", "Neurons in each hidden layer."),
            choice("activation", "Activation", Activation::Tanh, "Nonlinearity after each hidden layer."),
            choice("loss", "Loss", Loss::CrossEntropy, "Training loss for classification."),
            choice("optimizer", "Optimizer", OptimizerChoice::Sgd, "How the weights move."),
            log_float("lr", "Learning rate", 1e-4, 1.0, 0.03, "Step size of the optimizer."),
            int("batch", "Batch size", 1, 256, 10, "", "Points per training step."),
            float("l1", "L1", 0.0, 0.1, 0.0, "", "L1 penalty on every weight, for all methods."),
            float("l2", "L2", 0.0, 0.1, 0.0, "", "L2 penalty on every weight, for all methods."),
            float("dropout", "Dropout", 0.0, 0.9, 0.0, "", "Dropout on hidden units while training, for all methods."),
            int("steps", "Steps", 1, 100_000, 2000, "", "Training steps per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["plain"],
        metrics: vec!["train_loss", "test_loss", "train_acc", "test_acc", "bayes_gap", "weight_sq", "confidence"],
        presets: vec![
            Preset { id: "circle", title: "A circle, the default", query: "" },
            Preset {
                id: "spiral",
                title: "The spiral needs more than x₁ and x₂",
                query: "data=spiral&noise=0&x1sq=1&x2sq=1&sinx1=1&sinx2=1&layers=3&units=16&optimizer=adam&lr=0.01&steps=3000",
            },
            Preset {
                id: "overfit",
                title: "Noisy data: plain vs L2 vs dropout",
                query: "data=xor&noise=0.5&train=20&points=200&layers=3&units=32&optimizer=adam&lr=0.01&methods=plain,l2,dropout&l2.lambda=0.01",
            },
            Preset {
                id: "mixup",
                title: "Mixup finds the Bayes boundary, plain training does not",
                query: "data=skewed&noise=0&points=100&layers=0&lr=0.1&steps=3000&methods=plain,mixup",
            },
        ],
        smoke: &["points=50&steps=20"],
        quick: "points=50&steps=20&runs=2",
        runs: crate::experiment::DEFAULT_RUNS,
        own_data: Some(OwnData { setting: "data", features: Some(2), max_classes: 2 }),
    }
}

pub mod claims;
mod group;
pub mod methods;
pub mod model;
mod views;

pub use group::Group;
use views::views;

use crate::labs::LabDef;

/// The Basics lab in the registry.
pub static LAB: LabDef<Group> = LabDef {
    declaration,
    total_steps: |exp| exp.read().u32("steps"),
    claims: claims::claims,
    group: |exp, method, gpu| Box::pin(Group::new(exp, method, gpu)),
    views: |shown, _, pictures| views(shown, pictures),
    views_split: true,
};
