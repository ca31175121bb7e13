//! The generative latent lab: variational autoencoders trained on different bounds (the ELBO,
//! IWAE, MIWAE, CIWAE, PIWAE), InfoVAE's MMD and the score-function estimator, on the bundled
//! digits (Bernoulli pixels) or a ring of eight Gaussians. It measures what the papers argue
//! about: the test log-likelihood, active latent units, the gradient's signal-to-noise ratio as
//! K grows, and the variance of reparameterised against score-function gradients.

use super::{choice, int, log_float, LabDecl, Preset};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "vae",
        title: "Generative latents",
        summary: "An encoder maps each digit to a Gaussian over a 2-D latent space and a decoder \
                  maps latents back. Train it on different bounds on log p(x), compare their test \
                  log-likelihoods, see the latent map and the decoded manifold, and measure how \
                  the gradient's signal-to-noise ratio changes with the number of samples K.",
        settings: vec![
            choice("data", "Data", model::DataSet::Digits, "The bundled 8×8 digits as Bernoulli pixels, or eight Gaussians on a ring (2-D, a Gaussian decoder)."),
            int("latent", "Latent dimensions", 1, 16, 2, "", "Dimensions of z. Pictures show the first two."),
            int("hidden", "Hidden units", 8, 256, 64, "", "Units in each of the two tanh layers of the encoder and of the decoder."),
            int("batch", "Batch", 1, 256, 32, "", "Data points per step."),
            log_float("lr", "Learning rate", 1e-4, 0.03, 0.003, "Adam's step size."),
            int("k_during", "K for the log-likelihood while training", 10, 5000, 100, "", "Importance samples of the IWAE estimate of test log p(x) at each observation (the paper's 1000 costs about as much as the training; 100 reads at most 0.07 nats below 1000 here)."),
            int("k_eval", "K for the final log-likelihood", 10, 5000, 1000, "", "Importance samples of the IWAE estimate of test log p(x) at the end of a run (5000 for the bounds' comparison)."),
            int("repeats", "Gradient estimates per probe", 2, 256, 32, "", "Repeated gradient estimates at the final weights, for the SNR and the variances."),
            int("steps", "Steps", 1, 100_000, 2000, "", "Training steps per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["vae", "iwae"],
        metrics: vec![
            "test_ll",
            "elbo",
            "kl",
            "train_bound",
            "active_units",
            "mmd",
            "snr_encoder",
            "snr_decoder",
            "snr_encoder/<k>",
            "snr_decoder/<k>",
            "grad_var/<estimator>",
        ],
        presets: vec![
            Preset { id: "iwae", title: "VAE against IWAE(50)", query: "" },
            Preset { id: "bounds", title: "Tighter is not better: IWAE, MIWAE, CIWAE, PIWAE at 64 samples", query: "methods=iwae,miwae,ciwae,piwae&iwae.k=64" },
            Preset { id: "estimators", title: "Reparameterisation against the score function", query: "methods=vae,reinforce" },
            Preset { id: "infovae", title: "InfoVAE's MMD on the latent map", query: "methods=vae,infovae" },
            Preset { id: "ring", title: "Eight Gaussians on a ring", query: "data=ring&methods=vae,iwae" },
        ],
        smoke: &["hidden=8&batch=4&k_during=10&k_eval=10&repeats=2&steps=10&iwae.k=4"],
        quick: "hidden=8&k_during=10&k_eval=10&repeats=2&steps=6&runs=2",
        runs: crate::experiment::DEFAULT_RUNS,
        own_data: None,
    }
}

pub mod claims;
mod group;
pub mod methods;
pub mod model;
pub mod pictures;
mod views;

pub use group::Group;
use views::views;

use crate::labs::LabDef;

/// A latent dimension is active when the variance of its posterior mean over the test set
/// exceeds this (Burda et al.).
pub const ACTIVE: f64 = 0.01;

/// The lab in the registry.
pub static LAB: LabDef<Group> = LabDef {
    declaration,
    total_steps: |exp| exp.read().u32("steps"),
    claims: claims::claims,
    group: |exp, method, gpu| Box::pin(Group::new(exp, method, gpu)),
    views: |shown, _, _| views(shown),
    views_split: true,
};
