//! The group-operations lab: small networks learning a finite group's multiplication table
//! (Chughtai, Chan & Nanda 2023, "A Toy Model of Universality"), grokking on a log-step axis, and
//! what they learned, read off the embeddings as shares of variance per irreducible representation.

use super::{choice, int, log_float, LabDecl, Preset};
use crate::decl::float;

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "groups",
        title: "Group operations",
        summary: "A one-hidden-layer network learns a group's multiplication table from a share \
                  of it. Watch it fit the training pairs at once and generalise much later \
                  (grokking), then see which irreducible representations its embeddings use: a \
                  few, and different ones per seed.",
        settings: vec![
            choice("group", "Group", model::GroupKind::Cyclic, "C_p (addition mod p), the dihedral group D_n of order 2n, or S_5 (120 permutations)."),
            int("p", "p (C_p)", 5, 113, 59, "", "Order of the cyclic group."),
            int("n", "n (D_n)", 3, 60, 12, "", "The dihedral group D_n has 2n elements."),
            float("train", "Training share", 0.1, 0.9, 0.5, "", "Share of all |G|² ordered pairs used for training, fixed per seed; the rest are the test set."),
            int("embed", "Embedding width", 4, 128, 32, "", "Width of each of the two learned embeddings (a and b)."),
            int("width", "Hidden units", 8, 256, 128, "", "ReLU units in the hidden layer."),
            log_float("lr", "Learning rate", 1e-4, 0.1, 0.01, "Adam's step size (full batch). At 0.003 the same runs generalise about four times later."),
            int("steps", "Steps", 1, 100_000, 1000, "", "Full-batch training steps per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["adamw", "adam"],
        metrics: vec![
            "train_acc",
            "test_acc",
            "train_loss",
            "test_loss",
            "step_to_099",
            "top_var/<n>",
            "irrep_var/<name>",
            "char_sim/<name>",
            "key_reps",
        ],
        presets: vec![
            Preset { id: "grokking", title: "Grokking on C_59: AdamW vs Adam", query: "" },
            Preset { id: "decay", title: "How much decay: 1, 0.1 and none", query: "methods=adamw,adamw_small,adam" },
            Preset { id: "dropout", title: "Dropout instead of decay", query: "methods=adamw,dropout" },
            Preset { id: "dihedral", title: "The dihedral group D_12", query: "group=dihedral&methods=adamw" },
            Preset { id: "s5", title: "S_5: 120 permutations (slow: minutes)", query: "group=symmetric&steps=2400&runs=1&methods=adamw" },
        ],
        smoke: &["p=7&embed=8&width=16&steps=20"],
        quick: "p=11&n=5&embed=8&width=16&steps=4&runs=2",
        runs: 1,
        own_data: None,
    }
}

pub mod algebra;
pub mod claims;
mod group;
pub mod methods;
pub mod model;
mod views;

pub use group::Group;
use views::views;

use crate::labs::LabDef;

/// A representation counts as key when it holds at least this share of the embedding variance.
pub const KEY_SHARE: f64 = 0.1;

/// The lab in the registry.
pub static LAB: LabDef<Group> = LabDef {
    declaration,
    total_steps: |exp| exp.read().u32("steps"),
    claims: claims::claims,
    group: |exp, method, gpu| Box::pin(Group::new(exp, method, gpu)),
    views: |shown, _, _| views(shown),
    views_split: true,
};
