//! Masked reconstruction in pixel space (MAE-style).

use super::{Loss, Method, Objective, Pair};
use crate::data::digits::PIXELS;
use crate::decl::*;
use crate::engine::Result;

pub const METHOD: Method = Method {
    declaration,
    objective: |knobs| {
        Box::new(Mae {
            mask: knobs.f32("mask"),
        })
    },
};

/// Masked reconstruction in pixel space (digits), or view 2 from view 1 (toys).
struct Mae {
    mask: f32,
}

impl Objective for Mae {
    fn loss(&self, p: &Pair) -> Result<Loss> {
        let decoder = p.head("decoder", p.inputs)?;
        let value = if p.digits {
            let dims = p.v1.dims();
            let hidden =
                p.g.random_uniform(&[dims[0], dims[1], PIXELS], 0.0, 1.0, Some(p.step))?
                    .lt(&p.g.scalar(self.mask)?)?;
            let seen = p.v1.mul(&hidden.mul_scalar(-1.0)?.add_scalar(1.0)?)?;
            let error = decoder
                .forward(&p.representation.forward(&seen)?)?
                .sub(p.v1)?
                .square()?
                .mul(&hidden)?;
            error
                .sum_per_run()?
                .div(&hidden.sum_per_run()?.add_scalar(1.0)?)?
        } else {
            decoder
                .forward(p.z1)?
                .sub(p.v2)?
                .square()?
                .sum(2)?
                .mean_per_run()?
        };
        Ok(Loss {
            value,
            params: decoder.params(),
            assigns: Vec::new(),
        })
    }
    fn through_projector(&self) -> bool {
        false
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "mae",
        title: "MAE (masked reconstruction)",
        paper: Some(Paper {
            title: "Masked Autoencoders Are Scalable Vision Learners",
            url: "https://arxiv.org/abs/2111.06377",
        }),
        explain: "Reconstructs what is hidden in pixel space: on the digits, the masked pixels of a view from the rest; on the two-feature toy, view 2 from view 1 (the JEPA paper's MAE).",
        knobs: vec![float("mask", "Mask ratio", 0.05, 0.95, 0.5, "", "Share of pixels hidden (digits).")],
        no_claim: Some("No claim of the MAE paper is checked here: its headline is ImageNet fine-tuning accuracy. It is the reconstruction side of the JEPA paper's claim."),
    }
}
