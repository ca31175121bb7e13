//! PIWAE(M, K): the decoder trained on IWAE(M·K), the encoder on MIWAE(M, K), from the same samples (Rainforth et al.).

use super::{Batch, Bound, Method};
use crate::decl::*;
use crate::engine::{Result, Tensor};
use crate::labs::vae::model::{iwae, log_weights, Flow};

pub const METHOD: Method = Method {
    declaration,
    bound: |knobs| {
        Box::new(Piwae {
            m: knobs.usize("m"),
            k: knobs.usize("k"),
        })
    },
};

/// PIWAE(M, K): the decoder on IWAE(M·K), the encoder on MIWAE(M, K), same samples.
struct Piwae {
    m: usize,
    k: usize,
}

impl Bound for Piwae {
    fn samples(&self) -> usize {
        self.m * self.k
    }
    fn k(&self) -> usize {
        self.k
    }
    fn objective(&self, b: &Batch) -> Result<Tensor> {
        let s = self.samples();
        let decoder_flow = Flow {
            frozen_encoder: true,
            ..Flow::default()
        };
        let encoder_flow = Flow {
            frozen_decoder: true,
            ..Flow::default()
        };
        let for_decoder = log_weights(b.net, b.x, s, b.eps, decoder_flow)?.0;
        let for_encoder = log_weights(b.net, b.x, s, b.eps, encoder_flow)?.0;
        iwae(&for_decoder, s)?.add(&iwae(&for_encoder, self.k)?)
    }
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "piwae",
        title: "PIWAE(M, K)",
        paper: Some(Paper {
            title: "Tighter Variational Bounds are Not Necessarily Better",
            url: "https://arxiv.org/abs/1802.04537",
        }),
        explain: "Each network gets the bound that suits it: the tight one for the decoder, the high-SNR one for the encoder.",
        knobs: vec![int("m", "M", 1, 16, 8, "", "Bounds the encoder averages."), int("k", "K", 1, 64, 8, "", "Importance samples per bound.")],
        no_claim: None,
    }
}
