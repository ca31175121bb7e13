//! The mutual-information lab: variational estimators of I(x; y) on the correlated-Gaussian
//! staircase, where the truth is known exactly. x ~ N(0, I_d) and y = ρx + √(1 − ρ²)·ε, so
//! I(x; y) = −(d/2)·log(1 − ρ²); the true MI steps up level by level and each estimator's
//! critic chases it (Poole et al. 2019, Fig. 2; Song & Ermon 2020, Fig. 1).

pub mod claims;
mod group;
pub mod methods;
pub mod model;
mod views;

pub use group::Group;
use views::views;

pub use model::Recipe;

use super::{choice, flag, float, int, log_float, LabDecl, Preset};
use crate::labs::LabDef;

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "mi",
        title: "Mutual information",
        summary: "Estimate I(x; y) of correlated Gaussians whose true MI steps up a staircase: \
                  InfoNCE saturates at log K, NWJ and MINE get noisy as MI grows, SMILE's clip \
                  trades variance for bias. The default is a quick look (1,000 steps a level: NWJ \
                  still reads about 1.5 of the first level's 2 nats); the staircase preset is Poole \
                  et al.'s setting, 4,000 steps a level.",
        settings: vec![
            int("dim", "Dimension d", 1, 128, 20, "", "x and y are d-dimensional; I(x; y) = −(d/2)·log(1 − ρ²)."),
            float("first", "First level", 0.0, 40.0, 2.0, "nats", "True MI of the staircase's first level."),
            float("stride", "Level step", 0.0, 20.0, 2.0, "nats", "How much the true MI rises at each level."),
            int("levels", "Levels", 1, 10, 5, "", "Steps of the staircase."),
            int("steps", "Steps per level", 2, 20_000, 1000, "", "Training steps at each level; statistics use the last half."),
            int("batch", "Batch K", 2, 512, 64, "", "Pairs per step; the K × K score matrix has K joint and K(K − 1) independent pairs."),
            choice("critic", "Critic", model::Critic::Separable, "Separable g(x)ᵀh(y), or one MLP on [x, y] for every pair."),
            int("hidden", "Hidden units", 4, 512, 256, "", "Width of the critic's hidden layers."),
            int("layers", "Hidden layers", 1, 4, 2, "", "Depth of the critic's MLPs."),
            int("embed", "Embedding", 1, 128, 32, "", "Output size of g and h in the separable critic."),
            log_float("lr", "Learning rate", 1e-5, 0.1, 5e-4, "Adam's step size."),
            flag("cubic", "Cubic y", false, "Use y³ instead of y: the MI is unchanged, the critic's task harder."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["infonce", "nwj", "smile"],
        metrics: vec!["mi_estimate", "true_mi", "level/<level>/mean", "level/<level>/std"],
        presets: vec![
            Preset {
                id: "staircase",
                title: "The staircase: 2 to 10 nats, as in Poole et al.",
                query: "steps=4000",
            },
            Preset {
                id: "quick",
                title: "A quick look: narrow critic, 500 steps a level",
                query: "hidden=64&steps=500&lr=0.001&methods=infonce,nwj,dv,js,smile",
            },
            Preset {
                id: "ceiling",
                title: "InfoNCE's ceiling: K = 16 vs the truth",
                query: "batch=16&hidden=64&steps=800&lr=0.001&methods=infonce,smile",
            },
            Preset {
                id: "clip",
                title: "High MI: NWJ and MINE against SMILE's clip",
                query: "first=6&levels=3&hidden=64&steps=1000&lr=0.001&methods=nwj,dv,smile",
            },
            Preset {
                id: "cubic",
                title: "Cubic y: the same MI, a harder critic",
                query: "cubic=1&hidden=64&steps=1000&lr=0.001",
            },
        ],
        smoke: &["levels=2&steps=10&batch=8&hidden=8&embed=4"],
        quick: "levels=2&steps=10&batch=8&hidden=8&embed=4&runs=2",
        runs: crate::experiment::DEFAULT_RUNS,
        own_data: None,
    }
}

/// The mutual-information lab in the registry.
pub static LAB: LabDef<Group> = LabDef {
    declaration,
    total_steps: |exp| Recipe::from_settings(exp).total_steps(),
    claims: claims::claims,
    group: |exp, method, gpu| Box::pin(Group::new(exp, method, gpu)),
    views: |shown, exp, _| views(shown, exp),
    views_split: true,
};
