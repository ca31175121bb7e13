//! The generative latent lab's claims, over 5 seeds on the CPU, on the digits with an 8-D latent
//! space, 2,000 Adam steps of batch 32 at learning rate 0.003.

use crate::claims::{mean_of, summary, Claim, Evidence, Finding, Outcome, Seeded, Verdict};
use crate::decl::Paper;

const BASE: &str = "latent=8&steps=2000&runs=5&methods=vae,iwae";
const BOUNDS: &str =
    "latent=8&steps=2000&runs=5&k_eval=5000&methods=iwae,miwae,ciwae,piwae&iwae.k=64";
const IWAE: Paper = Paper {
    title: "Importance Weighted Autoencoders",
    url: "https://arxiv.org/abs/1509.00519",
};
const TIGHTER: Paper = Paper {
    title: "Tighter Variational Bounds are Not Necessarily Better",
    url: "https://arxiv.org/abs/1802.04537",
};

pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "iwae-richer",
            text: "IWAE with K = 50 reaches a higher test log-likelihood than the VAE in every \
                   seed, with at least as many active latent units: \"richer latent space \
                   representations\".",
            paper: IWAE,
            queries: &[BASE],
            methods: &["vae", "iwae"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: iwae_richer,
        },
        Claim {
            id: "encoder-snr",
            text: "The encoder's gradient SNR falls as K grows (at K = 64 at most half of K = 1) \
                   and the decoder's rises: the theory gives √(M/K) and √(MK).",
            paper: TIGHTER,
            queries: &[BASE],
            methods: &["iwae"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: encoder_snr,
        },
        Claim {
            id: "alternatives",
            text: "At the same 64 samples per point, at least one of MIWAE(8, 8), CIWAE(½) and \
                   PIWAE(8, 8) reaches an IWAE-5000 test log-likelihood at least IWAE(64)'s.",
            paper: TIGHTER,
            queries: &[BOUNDS],
            methods: &["iwae", "miwae", "ciwae", "piwae"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: true,
            check: alternatives,
        },
        Claim {
            id: "reparam-variance",
            text: "At the same weights, the reparameterised gradient of the ELBO has at most a \
                   tenth of the score-function estimator's variance (our margin, not the \
                   paper's).",
            paper: Paper {
                title: "Auto-Encoding Variational Bayes",
                url: "https://arxiv.org/abs/1312.6114",
            },
            queries: &[BASE],
            methods: &["vae"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: reparam_variance,
        },
    ]
}

fn iwae_richer(claim: &Claim, ev: &Evidence) -> Verdict {
    let (vae, iwae) = (
        ev.finals(0, "vae", "test_ll"),
        ev.finals(0, "iwae", "test_ll"),
    );
    let (vae_units, iwae_units) = (
        ev.finals(0, "vae", "active_units"),
        ev.finals(0, "iwae", "active_units"),
    );
    // Per seed: IWAE's gain in nats, agreeing when it is positive and its active units are at
    // least the VAE's.
    let units_ok: Vec<bool> = iwae_units
        .iter()
        .zip(&vae_units)
        .map(|(i, v)| matches!((i.value, v.value), (Some(i), Some(v)) if i >= v))
        .collect();
    let mut per_seed = Finding::paired(&iwae, &vae, |i, v| i - v, |i, v| i > v);
    for (s, ok) in per_seed.iter_mut().zip(&units_ok) {
        s.agrees &= ok;
    }
    claim.verdict(Finding {
        holds: per_seed.iter().all(|s| s.agrees),
        per_seed,
        effect: format!(
            "test log p(x): IWAE(50) {}, VAE {}; active units {} vs {}",
            summary(&iwae),
            summary(&vae),
            summary(&iwae_units),
            summary(&vae_units)
        ),
        sentence: format!(
            "IWAE(50) gains {:.2} nats of test log-likelihood over the VAE and keeps {:.1} of 8 \
             latent units active, against {:.1}.",
            mean_of(&iwae) - mean_of(&vae),
            mean_of(&iwae_units),
            mean_of(&vae_units)
        ),
    })
}

/// log₁₀(SNR at 64 / SNR at 1) / log₁₀ 64: the slope per decade of K.
fn slope(at1: &[Seeded], at64: &[Seeded]) -> f32 {
    (mean_of(at64) / mean_of(at1)).log10() / 64f32.log10()
}

fn encoder_snr(claim: &Claim, ev: &Evidence) -> Verdict {
    let enc1 = ev.finals(0, "iwae", "snr_encoder/1");
    let enc64 = ev.finals(0, "iwae", "snr_encoder/64");
    let dec1 = ev.finals(0, "iwae", "snr_decoder/1");
    let dec64 = ev.finals(0, "iwae", "snr_decoder/64");
    let decoder_rises: Vec<bool> = dec64
        .iter()
        .zip(&dec1)
        .map(|(a, b)| matches!((a.value, b.value), (Some(a), Some(b)) if a > b))
        .collect();
    let mut per_seed = Finding::paired(&enc64, &enc1, |a, b| a / b, |a, b| a <= 0.5 * b);
    for (s, ok) in per_seed.iter_mut().zip(&decoder_rises) {
        s.agrees &= ok;
    }
    claim.verdict(Finding {
        holds: per_seed.iter().all(|s| s.agrees),
        per_seed,
        effect: format!(
            "encoder SNR {} at K = 1, {} at K = 64; decoder {} and {}",
            summary(&enc1),
            summary(&enc64),
            summary(&dec1),
            summary(&dec64)
        ),
        sentence: format!(
            "Per decade of K the encoder's SNR changes by 10^{:.2} and the decoder's by 10^{:.2} \
             (theory: 10^−0.5 and 10^+0.5).",
            slope(&enc1, &enc64),
            slope(&dec1, &dec64)
        ),
    })
}

fn alternatives(claim: &Claim, ev: &Evidence) -> Verdict {
    let iwae = ev.finals(0, "iwae", "test_ll");
    let others: Vec<(&str, Vec<Seeded>)> = ["miwae", "ciwae", "piwae"]
        .iter()
        .map(|m| (*m, ev.finals(0, m, "test_ll")))
        .collect();
    // Per seed: the best alternative's margin over IWAE(64).
    let best: Vec<Seeded> = iwae
        .iter()
        .enumerate()
        .map(|(i, s)| Seeded {
            value: others
                .iter()
                .filter_map(|(_, v)| v.get(i).and_then(|x| x.value))
                .reduce(f32::max),
            ..s.clone()
        })
        .collect();
    let per_seed = Finding::paired(&best, &iwae, |b, i| b - i, |b, i| b >= i);
    let best_mean = others
        .iter()
        .map(|(m, v)| (*m, mean_of(v)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let (name, mean) = best_mean.unwrap_or(("none", f32::NAN));
    claim.verdict(Finding {
        holds: mean >= mean_of(&iwae),
        per_seed,
        effect: format!(
            "IWAE-5000 test log p(x): IWAE(64) {}, {}",
            summary(&iwae),
            others
                .iter()
                .map(|(m, v)| format!("{m} {}", summary(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        sentence: format!(
            "The best alternative, {name}, reaches {mean:.3} nats against IWAE(64)'s {:.3}.",
            mean_of(&iwae)
        ),
    })
}

fn reparam_variance(claim: &Claim, ev: &Evidence) -> Verdict {
    let reparam = ev.finals(0, "vae", "grad_var/reparam");
    let score = ev.finals(0, "vae", "grad_var/score");
    let per_seed = Finding::paired(&reparam, &score, |r, s| r / s, |r, s| r <= 0.1 * s);
    claim.verdict(Finding {
        holds: per_seed.iter().all(|s| s.agrees),
        per_seed,
        effect: format!(
            "summed gradient variance: reparameterised {}, score function {}",
            summary(&reparam),
            summary(&score)
        ),
        sentence: format!(
            "The score-function estimator's variance is {:.0}× the reparameterised one's.",
            mean_of(&score) / mean_of(&reparam)
        ),
    })
}
