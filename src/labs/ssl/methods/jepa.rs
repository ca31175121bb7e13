//! JEPA-style self-distillation: predict the target encoder's latent of the other view.

use super::{Loss, Method, Objective, Pair};
use crate::decl::*;
use crate::engine::Result;
use crate::labs::ssl::model::ema_target;

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(Jepa {
            momentum: knobs.f32("momentum"),
        })
    },
};

/// Predict the target encoder's embedding of view 2 from view 1 (squared error); the target is
/// an EMA of the encoder (`momentum` 0: the encoder itself behind a stop-gradient).
struct Jepa {
    momentum: f32,
}

impl Objective for Jepa {
    fn loss(&self, p: &Pair) -> Result<Loss> {
        let predictor = p.head("predictor", p.dim)?;
        let mut assigns = Vec::new();
        let target = if self.momentum > 0.0 {
            let (target, moves) = ema_target(p.g, p.encoder, self.momentum)?;
            assigns = moves;
            target
        } else {
            p.encoder.map(|w| w.detach())?
        };
        let t2 = target.forward(p.v2)?.detach()?;
        let value = predictor
            .forward(p.z1)?
            .sub(&t2)?
            .square()?
            .sum(2)?
            .mean_per_run()?;
        Ok(Loss {
            value,
            params: predictor.params(),
            assigns,
        })
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "jepa",
        title: "JEPA (self-distillation)",
        paper: Some(Paper {
            title: "How JEPA Avoids Noisy Features: The Implicit Bias of Deep Linear Self Distillation Networks",
            url: "https://arxiv.org/abs/2407.03475",
        }),
        explain: "Predicts, in latent space, the target encoder's embedding of view 2 from view 1 (squared error). The target is an EMA of the encoder; at momentum 0 it is the encoder itself behind a stop-gradient, as in the paper's analysis.",
        knobs: vec![float("momentum", "EMA momentum", 0.0, 0.9999, 0.99, "", "0: the target is the current encoder behind a stop-gradient.")],
        no_claim: None,
    }
}
