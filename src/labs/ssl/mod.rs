//! The self-supervised lab: representation learning without labels. Joint-embedding methods
//! (contrastive, redundancy reduction, EMA and predictor, self-distillation) and masked
//! reconstruction train an encoder on two views of each image; a linear probe, RankMe, LiDAR, the
//! embedding spectrum, alignment and uniformity say what they learned. Two Gaussian toys show
//! the theory papers' pictures: the stepwise spectrum of Barlow Twins and JEPA's bias towards
//! predictive features.

use super::{choice, flag, float, int, log_float, LabDecl, Preset};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "ssl",
        title: "Self-supervised learning",
        summary: "No labels: an encoder learns from two augmented views of each digit. \
                  Contrastive, redundancy-reduction, predictor and masked-reconstruction \
                  objectives each shape the embedding differently. A linear probe measures \
                  what it is worth; RankMe and LiDAR guess that without labels; the \
                  covariance spectrum shows the dimensions being learned, on a toy one at a \
                  time.",
        settings: vec![
            choice("scenario", "Data", model::Scenario::Digits, "The 8×8 digits with augmented views; a Gaussian toy with a chosen covariance spectrum (the stepwise picture); or a two-feature Gaussian toy (JEPA against MAE)."),
            int("dim", "Embedding dimensions", 2, 128, 32, "", "Width of the encoder's output, where the objective acts and the probes read."),
            int("width", "Hidden units", 8, 512, 128, "", "Units of each hidden ReLU layer (digits; and the predictor's and decoder's hidden layer)."),
            int("depth", "Depth", 1, 4, 1, "", "Hidden layers on the digits; weight matrices of the deep linear encoder on the toys."),
            choice("optimizer", "Optimizer", super::Optimizer::Adam, "Adam, or plain gradient descent (the toys' theory)."),
            log_float("lr", "Learning rate", 1e-5, 1.0, 0.001, "Step size."),
            int("batch", "Batch size", 8, 256, 64, "", "Images (or toy samples) per step; each gives two views."),
            log_float("init", "Initial scale", 1e-4, 2.0, 1.0, "Multiplies the initial weights' standard deviation (1: He or 1/√fan-in). The toys' theory needs a small start."),
            int("shift", "Shift (pixels)", 0, 2, 1, "", "Largest shift of a view, each axis."),
            float("rotate", "Rotation (°)", 0.0, 30.0, 10.0, "°", "A view turns by −r, 0 or +r degrees."),
            float("cutout", "Cutout probability", 0.0, 1.0, 0.5, "", "Chance that a view has a 3×3 square blanked."),
            float("pixel_noise", "Pixel noise", 0.0, 0.5, 0.1, "", "Standard deviation of Gaussian noise added to each pixel of a view."),
            flag("projector", "Projector", true, "An MLP head (dim → width → dim) between the representation and the objective, on the digits; the probes, RankMe and LiDAR read the representation before it."),
            float("decay", "Spectrum decay", 0.2, 0.95, 0.6, "", "The spectrum toy's input variances fall as decayᵏ."),
            int("steps", "Steps", 1, 100_000, 1500, "", "Training steps per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["simclr", "vicreg", "random"],
        metrics: vec![
            "probe_acc",
            "probe_acc_few",
            "probe_raw_few",
            "rankme",
            "lidar",
            "alignment",
            "uniformity",
            "embed_std",
            "loss",
            "eig/<k>",
            "t_half/<k>",
            "feature/<A|B>",
        ],
        presets: vec![
            Preset { id: "compare", title: "SimCLR and VICReg against a random encoder", query: "" },
            Preset { id: "all", title: "Every self-supervised method on the digits", query: "runs=2&methods=simclr,barlow,vicreg,byol,simsiam,jepa,mae" },
            Preset { id: "references", title: "The supervised and random references", query: "methods=supervised,simclr,random" },
            Preset { id: "collapse", title: "SimSiam without its stop-gradient collapses", query: "methods=simsiam,random&simsiam.stopgrad=false" },
            Preset { id: "stepwise", title: "Barlow Twins learns the spectrum one direction at a time", query: STEPWISE },
            Preset { id: "jepa-mae", title: "JEPA learns the predictive feature first, MAE the loud one", query: TWO_FEATURE },
        ],
        smoke: &[
            "dim=4&width=8&batch=8&steps=4&methods=simclr,barlow,vicreg,byol,simsiam,jepa,mae,supervised,random",
            "scenario=spectrum&dim=4&batch=8&steps=4&methods=barlow,simclr",
            "scenario=twofeature&dim=2&depth=2&batch=8&steps=4&methods=jepa,mae",
        ],
        quick: "width=8&steps=6&runs=2",
        runs: crate::experiment::DEFAULT_RUNS,
        own_data: None,
    }
}

/// The stepwise paper's setting: a linear encoder from a small start, the unstandardised
/// ‖C − I‖², plain gradient descent.
macro_rules! stepwise {
    () => {
        "scenario=spectrum&dim=6&optimizer=sgd&lr=0.02&init=0.001&batch=128&steps=3000&methods=barlow&barlow.standardise=false&barlow.lambda=1"
    };
}
pub const STEPWISE: &str = stepwise!();
/// The JEPA paper's setting: deep linear encoders from a small start, plain gradient descent,
/// the target the encoder itself behind a stop-gradient.
macro_rules! two_feature {
    () => {
        "scenario=twofeature&dim=2&depth=3&optimizer=sgd&lr=0.1&init=0.5&batch=128&steps=5000&methods=jepa,mae&jepa.momentum=0"
    };
}
pub const TWO_FEATURE: &str = two_feature!();

pub mod claims;
pub mod data;
pub use methodlab_measures as measures;
mod group;
pub mod methods;
pub mod model;
mod views;

pub use group::Group;
use views::views;

use crate::labs::LabDef;

/// Labels per class of the few-label probe.
pub const FEW_PER_CLASS: usize = 10;
/// Ridge penalty of the all-label probe (× n), fixed: never chosen on the test set.
const RIDGE: f64 = 1e-3;
/// L2 penalty and steps of the few-label logistic probe, fixed likewise.
const FEW_L2: f64 = 1e-2;
const FEW_STEPS: usize = 300;
/// Eigenvalues recorded per observation (the largest).
const MAX_EIGS: usize = 32;

/// The lab in the registry.
pub static LAB: LabDef<Group> = LabDef {
    declaration,
    total_steps: |exp| exp.read().u32("steps"),
    claims: claims::claims,
    group: |exp, method, gpu| Box::pin(Group::new(exp, method, gpu)),
    views: |shown, _, _| views(shown),
    // The alignment–uniformity scatter scales every run of every method together.
    views_split: false,
};
