//! The imperfect-labels lab's claims, over 5 seeds on the CPU, on the digits: 40 % symmetric
//! noise for memorisation, co-teaching and ALDR-KL; clean labels for Feasible Learning's tail;
//! 4 labels per class for pseudo-labelling.

use crate::claims::{mean_of, summary, Claim, Evidence, Finding, Outcome, Verdict};
use crate::decl::Paper;

/// 40 % symmetric noise: ERM, co-teaching and ALDR-KL.
const NOISY: &str = "noise=symmetric&rate=0.4&steps=4000&runs=5&methods=erm,coteaching,aldr";
/// Clean labels, a net too small to fit every digit (so there is a tail): ERM and Feasible
/// Learning. At the default width both fit every point (q95 ≈ 0.001).
const CLEAN: &str = "noise=none&width=8&depth=1&steps=2000&runs=5&methods=erm,feasible";

/// Four labels per class, clean: the semi-supervised methods.
const FEW: &str = "noise=none&labelled=4&steps=4000&runs=5&methods=labelled,pseudo,pseudo_mixup";

const ARAZO: Paper = Paper {
    title: "Pseudo-Labeling and Confirmation Bias in Deep Semi-Supervised Learning",
    url: "https://arxiv.org/abs/1908.02983",
};
const ZHANG: Paper = Paper {
    title: "Understanding Deep Learning Requires Rethinking Generalization",
    url: "https://arxiv.org/abs/1611.03530",
};
const COTEACHING: Paper = Paper {
    title: "Co-teaching: Robust Training of Deep Neural Networks with Extremely Noisy Labels",
    url: "https://arxiv.org/abs/1804.06872",
};
const FEASIBLE: Paper = Paper {
    title: "Feasible Learning",
    url: "https://arxiv.org/abs/2501.14912",
};
const ALDR: Paper = Paper {
    title: "Label Distributionally Robust Losses for Multi-class Classification: Consistency, Robustness and Adaptivity",
    url: "https://arxiv.org/abs/2112.14869",
};

pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "memorisation",
            text: "Networks fit wrong labels: at 40 % symmetric noise ERM's final test accuracy \
                   is at least 0.05 below its peak, and by the end it predicts more than half \
                   of the wrong labels as given.",
            paper: ZHANG,
            queries: &[NOISY],
            methods: &["erm"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: memorisation,
        },
        Claim {
            id: "coteaching-robust",
            text: "Co-teaching trains robustly under extremely noisy labels: at 40 % symmetric \
                   noise its final test accuracy is at least ERM's + 0.05, and it memorises \
                   fewer of the wrong labels.",
            paper: COTEACHING,
            queries: &[NOISY],
            methods: &["coteaching", "erm"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: coteaching_robust,
        },
        Claim {
            id: "aldr-robust",
            text: "ALDR-KL is robust to label noise: at 40 % symmetric noise its final test \
                   accuracy is at least ERM's + 0.03 (the direction is inferred from the \
                   paper's title, not quoted).",
            paper: ALDR,
            queries: &[NOISY],
            methods: &["aldr", "erm"],
            seeds: 5,
            // Not at the reference implementation's λ_ref = 1, where the loss behaves like
            // cross-entropy on the scaled logits and memorises as ERM does. Tried afterwards, on
            // 2 seeds and not selected on held-out data: λ_ref = 5 ends at 0.84 against 0.65.
            expect: Outcome::NotSupported,
            slow: false,
            check: aldr_robust,
        },
        Claim {
            id: "feasible-tail",
            text: "Feasible Learning improves the tail of the per-sample loss at a marginal \
                   cost: on clean labels, with a net too small to fit every digit, its \
                   95th-percentile training loss is at most 0.7 of ERM's, with test accuracy \
                   within 0.02 of ERM's.",
            paper: FEASIBLE,
            queries: &[CLEAN],
            methods: &["feasible", "erm"],
            seeds: 5,
            // Not reproduced: the 95th percentiles match ERM's (0.46–0.72 against 0.48–0.62 on
            // 3 seeds), at dual steps 0.1 and 1 alike.
            expect: Outcome::NotSupported,
            slow: false,
            check: feasible_tail,
        },
        Claim {
            id: "confirmation-bias",
            text: "Naive pseudo-labelling trains on its own mistakes: with 4 labels per class its \
                   accuracy on the unlabelled points stalls (it gains less than 0.02 over the \
                   second half of training), while soft pseudo-labels with mixup and a minimum \
                   of labelled points per batch end at least 0.03 above it in test accuracy, \
                   and above the labelled points alone.",
            paper: ARAZO,
            queries: &[FEW],
            methods: &["pseudo_mixup", "pseudo", "labelled"],
            seeds: 5,
            // Not by the 0.03 margin: naive's own labels stall (+0.007 over the second half)
            // and the recipe is ahead of both, but by +0.026 over naive (2 of 5 seeds reach
            // 0.03) and +0.070 over the labelled points. The moons setting was not tried.
            expect: Outcome::NotSupported,
            slow: false,
            check: confirmation_bias,
        },
    ]
}

fn confirmation_bias(claim: &Claim, ev: &Evidence) -> Verdict {
    let acc = |m: &str| ev.finals(0, m, "test_acc");
    let (mix, naive, alone) = (acc("pseudo_mixup"), acc("pseudo"), acc("labelled"));
    // Naive's gain in pseudo-label accuracy from the middle of training to the end.
    let gain = ev.values(0, "pseudo", |r| {
        let h = r.history.get("pseudo_acc")?;
        Some(h.last()?.1 - h.get(h.len() / 2)?.1)
    });
    let mut per_seed = Finding::paired(&mix, &naive, |m, p| m - p, |m, p| m >= p + 0.03);
    let above = Finding::paired(&mix, &alone, |m, l| m - l, |m, l| m >= l);
    let stalls = Finding::paired(&gain, &gain, |g, _| g, |g, _| g < 0.02);
    for ((s, a), t) in per_seed.iter_mut().zip(&above).zip(&stalls) {
        s.agrees &= a.agrees && t.agrees;
    }
    claim.verdict(Finding {
        holds: mean_of(&gain) < 0.02
            && mean_of(&mix) >= mean_of(&naive) + 0.03
            && mean_of(&mix) >= mean_of(&alone),
        per_seed,
        effect: format!(
            "test accuracy: pseudo-labels + mixup {}, naive {}, labelled only {}; naive's \
             pseudo-label accuracy gains {} over the second half",
            summary(&mix),
            summary(&naive),
            summary(&alone),
            summary(&gain)
        ),
        sentence: format!(
            "Soft pseudo-labels with mixup end {:+.3} against naive pseudo-labels and {:+.3} \
             against the labelled points alone; naive's own labels improve by {:+.3} in the \
             second half.",
            mean_of(&mix) - mean_of(&naive),
            mean_of(&mix) - mean_of(&alone),
            mean_of(&gain)
        ),
    })
}

fn memorisation(claim: &Claim, ev: &Evidence) -> Verdict {
    let (last, peak, memorised) = (
        ev.finals(0, "erm", "test_acc"),
        ev.finals(0, "erm", "peak_test_acc"),
        ev.finals(0, "erm", "memorised"),
    );
    let mut per_seed = Finding::paired(&last, &peak, |l, p| p - l, |l, p| l <= p - 0.05);
    let over_half = Finding::paired(&memorised, &memorised, |m, _| m, |m, _| m > 0.5);
    for (s, t) in per_seed.iter_mut().zip(&over_half) {
        s.agrees &= t.agrees;
    }
    claim.verdict(Finding {
        holds: mean_of(&last) <= mean_of(&peak) - 0.05 && mean_of(&memorised) > 0.5,
        per_seed,
        effect: format!(
            "ERM's test accuracy: final {}, peak {}; wrong labels memorised {}",
            summary(&last),
            summary(&peak),
            summary(&memorised)
        ),
        sentence: format!(
            "ERM ends {:.3} below its best test accuracy, predicting {:.0} % of the wrong labels \
             as given.",
            mean_of(&peak) - mean_of(&last),
            100.0 * mean_of(&memorised)
        ),
    })
}

fn coteaching_robust(claim: &Claim, ev: &Evidence) -> Verdict {
    let acc = |m: &str| ev.finals(0, m, "test_acc");
    let mem = |m: &str| ev.finals(0, m, "memorised");
    let (co, erm) = (acc("coteaching"), acc("erm"));
    let (co_mem, erm_mem) = (mem("coteaching"), mem("erm"));
    let mut per_seed = Finding::paired(&co, &erm, |c, e| c - e, |c, e| c >= e + 0.05);
    let fewer = Finding::paired(&co_mem, &erm_mem, |c, e| c - e, |c, e| c < e);
    for (s, t) in per_seed.iter_mut().zip(&fewer) {
        s.agrees &= t.agrees;
    }
    claim.verdict(Finding {
        holds: mean_of(&co) >= mean_of(&erm) + 0.05 && mean_of(&co_mem) < mean_of(&erm_mem),
        per_seed,
        effect: format!(
            "final test accuracy: co-teaching {}, ERM {}; memorised {} against {}",
            summary(&co),
            summary(&erm),
            summary(&co_mem),
            summary(&erm_mem)
        ),
        sentence: format!(
            "Co-teaching ends {:+.3} against ERM in test accuracy and memorises {:.0} % of the \
             wrong labels against ERM's {:.0} %.",
            mean_of(&co) - mean_of(&erm),
            100.0 * mean_of(&co_mem),
            100.0 * mean_of(&erm_mem)
        ),
    })
}

fn aldr_robust(claim: &Claim, ev: &Evidence) -> Verdict {
    let (aldr, erm) = (
        ev.finals(0, "aldr", "test_acc"),
        ev.finals(0, "erm", "test_acc"),
    );
    let per_seed = Finding::paired(&aldr, &erm, |a, e| a - e, |a, e| a >= e + 0.03);
    claim.verdict(Finding {
        holds: mean_of(&aldr) >= mean_of(&erm) + 0.03,
        per_seed,
        effect: format!(
            "final test accuracy: ALDR-KL {}, ERM {}",
            summary(&aldr),
            summary(&erm)
        ),
        sentence: format!(
            "ALDR-KL ends {:+.3} against ERM in test accuracy at 40 % noise.",
            mean_of(&aldr) - mean_of(&erm)
        ),
    })
}

fn feasible_tail(claim: &Claim, ev: &Evidence) -> Verdict {
    let q = |m: &str| ev.finals(0, m, "loss_q95");
    let acc = |m: &str| ev.finals(0, m, "test_acc");
    let (fq, eq) = (q("feasible"), q("erm"));
    let (fa, ea) = (acc("feasible"), acc("erm"));
    let mut per_seed = Finding::paired(&fq, &eq, |f, e| f / e, |f, e| f <= 0.7 * e);
    let close = Finding::paired(&fa, &ea, |f, e| f - e, |f, e| f >= e - 0.02);
    for (s, t) in per_seed.iter_mut().zip(&close) {
        s.agrees &= t.agrees;
    }
    claim.verdict(Finding {
        holds: mean_of(&fq) <= 0.7 * mean_of(&eq) && mean_of(&fa) >= mean_of(&ea) - 0.02,
        per_seed,
        effect: format!(
            "loss q95: Feasible {}, ERM {}; test accuracy {} against {}",
            summary(&fq),
            summary(&eq),
            summary(&fa),
            summary(&ea)
        ),
        sentence: format!(
            "Feasible Learning's 95th-percentile loss is {:.2} of ERM's, at {:+.3} test \
             accuracy.",
            mean_of(&fq) / mean_of(&eq),
            mean_of(&fa) - mean_of(&ea)
        ),
    })
}
