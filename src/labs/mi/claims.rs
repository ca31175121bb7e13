//! The MI lab's claims, on Poole et al.'s staircase (d = 20, K = 64; levels at 2 and 10 nats,
//! 4,000 steps each) with a 2×64 separable critic, over 3 seeds, and InfoNCE on one and two
//! copies of a 2-nat problem. The per-level statistics are over each level's second half.

use crate::claims::{mean_of, summary, Claim, Evidence, Finding, Outcome, Seeded, Verdict};
use crate::decl::Paper;

const STAIRCASE: &str = "hidden=64&steps=4000&first=2&stride=8&levels=2&lr=0.0005&runs=3&methods=infonce,nwj,dv,js,smile";
const POOLE: Paper = Paper {
    title: "On Variational Bounds of Mutual Information",
    url: "https://arxiv.org/abs/1905.06922",
};
const SMILE: Paper = Paper {
    title: "Understanding the Limitations of Variational Mutual Information Estimators",
    url: "https://arxiv.org/abs/1910.06222",
};
/// log K at K = 64.
const LOG_K: f32 = 4.158_883;

pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "infonce-log-k",
            text: "The InfoNCE bound, I ≥ log N − L_N, can never exceed log N (Poole et al. 2019, \
                   eq. 12): never above log 64 at any step, and at 10 nats it sits within 0.3 of \
                   that ceiling.",
            paper: Paper {
                title: "Representation Learning with Contrastive Predictive Coding",
                url: "https://arxiv.org/abs/1807.03748",
            },
            queries: &[STAIRCASE],
            methods: &["infonce"],
            seeds: 3,
            expect: Outcome::Supported,
            slow: false,
            check: infonce_log_k,
        },
        Claim {
            id: "low-mi-accurate",
            text: "At low MI every estimator is accurate: at 2 nats each is within half a nat \
                   of the truth.",
            paper: POOLE,
            queries: &[STAIRCASE],
            methods: &["infonce", "nwj", "dv", "js", "smile"],
            seeds: 3,
            expect: Outcome::Supported,
            slow: false,
            check: low_mi_accurate,
        },
        Claim {
            id: "mine-accurate",
            text: "MINE estimates mutual information accurately (its estimator is strongly \
                   consistent): at 2 nats within half a nat of the truth.",
            paper: Paper {
                title: "MINE: Mutual Information Neural Estimation",
                url: "https://arxiv.org/abs/1801.04062",
            },
            queries: &[STAIRCASE],
            methods: &["dv"],
            seeds: 3,
            expect: Outcome::Supported,
            slow: false,
            check: mine_accurate,
        },
        Claim {
            id: "nwj-variance",
            text: "The variance of NWJ-type estimators grows exponentially with the true MI \
                   (Theorem 2): at 10 nats NWJ's variance is at least 10 × InfoNCE's.",
            paper: SMILE,
            queries: &[STAIRCASE],
            methods: &["nwj", "infonce"],
            seeds: 3,
            expect: Outcome::Supported,
            slow: false,
            check: nwj_variance,
        },
        Claim {
            id: "smile-clip",
            text: "Clipping the critic's scores (SMILE, τ = 5) reduces the variance: at 10 nats \
                   SMILE's variance is below NWJ's.",
            paper: SMILE,
            queries: &[STAIRCASE],
            methods: &["smile", "nwj"],
            seeds: 3,
            expect: Outcome::Supported,
            slow: false,
            check: smile_clip,
        },
        Claim {
            id: "infonce-not-additive",
            text: "Self-consistency fails for InfoNCE: on two independent copies of the \
                   problem the true MI doubles (2 → 4 nats), but InfoNCE's estimate is below \
                   1.5 × its estimate on one copy.",
            paper: SMILE,
            queries: &[ONE_COPY, TWO_COPIES],
            methods: &["infonce"],
            seeds: 3,
            expect: Outcome::Supported,
            slow: false,
            check: infonce_not_additive,
        },
    ]
}

/// One copy of the problem at 2 nats (d = 20), and two independent copies of it (d = 40, 4
/// nats: each dimension's correlation the same), InfoNCE alone, one level of 4,000 steps.
const ONE_COPY: &str = "steps=4000&first=2&levels=1&runs=3&methods=infonce";
const TWO_COPIES: &str = "dim=40&steps=4000&first=4&levels=1&runs=3&methods=infonce";

fn infonce_not_additive(claim: &Claim, ev: &Evidence) -> Verdict {
    let one = ev.finals(0, "infonce", "level/0/mean");
    let two = ev.finals(1, "infonce", "level/0/mean");
    let (a, b) = (mean_of(&one), mean_of(&two));
    claim.verdict(Finding {
        per_seed: Finding::paired(&two, &one, |t, o| t / o, |t, o| t < 1.5 * o),
        holds: b < 1.5 * a,
        effect: format!(
            "InfoNCE: one copy (2 nats) {}, two copies (4 nats) {}",
            summary(&one),
            summary(&two)
        ),
        sentence: format!(
            "Doubling the MI takes InfoNCE's estimate × {:.2}, not × 2.",
            b / a
        ),
    })
}

/// Each run's `level/<k>/<what>`.
fn level(ev: &Evidence, method: &str, k: usize, what: &str) -> Vec<Seeded> {
    ev.finals(0, method, &format!("level/{k}/{what}"))
}

/// Each run's variance at level k (the square of its spread there).
fn variance(ev: &Evidence, method: &str, k: usize) -> Vec<Seeded> {
    ev.values(0, method, |r| {
        r.final_values.get(&format!("level/{k}/std")).map(|s| s * s)
    })
}

fn infonce_log_k(claim: &Claim, ev: &Evidence) -> Verdict {
    // The highest estimate anywhere in each run, and where it ends at 10 nats.
    let highest = ev.values(0, "infonce", |r| {
        r.history
            .get("mi_estimate")?
            .iter()
            .map(|&(_, v)| v)
            .reduce(f32::max)
    });
    let top = level(ev, "infonce", 1, "mean");
    let at_top = mean_of(&top);
    let per_seed = Finding::single(&highest, |v| v <= LOG_K + 1e-4);
    let every = per_seed.iter().all(|s| s.agrees);
    claim.verdict(Finding {
        per_seed,
        holds: every && (at_top - LOG_K).abs() < 0.3,
        effect: format!(
            "highest estimate {}, at 10 nats {} (log K = {LOG_K:.3})",
            summary(&highest),
            summary(&top)
        ),
        sentence: format!(
            "InfoNCE stays under log K and reads {at_top:.2} at 10 nats, {:.2} below the ceiling.",
            LOG_K - at_top
        ),
    })
}

fn low_mi_accurate(claim: &Claim, ev: &Evidence) -> Verdict {
    let methods = ["infonce", "nwj", "dv", "js", "smile"];
    let errors: Vec<(&str, f32)> = methods
        .iter()
        .map(|m| (*m, mean_of(&level(ev, m, 0, "mean")) - 2.0))
        .collect();
    // Per seed: the worst estimator's error at 2 nats.
    let worst: Vec<Seeded> = level(ev, "infonce", 0, "mean")
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at: Vec<Seeded> = methods
                .iter()
                .filter_map(|m| level(ev, m, 0, "mean").get(i).cloned())
                .collect();
            let failed = at.iter().find(|v| v.value.is_none());
            Seeded {
                seed: s.seed,
                value: match failed {
                    Some(_) => None,
                    None => at
                        .iter()
                        .filter_map(|v| v.value)
                        .map(|v| (v - 2.0).abs())
                        .reduce(f32::max),
                },
                status: failed.map_or("ok".into(), |f| f.status.clone()),
            }
        })
        .collect();
    claim.verdict(Finding {
        per_seed: Finding::single(&worst, |e| e < 0.5),
        holds: errors.iter().all(|(_, e)| e.abs() < 0.5),
        effect: errors
            .iter()
            .map(|(m, e)| format!("{m} {e:+.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        sentence: format!(
            "The largest error at 2 nats is {:.2} nats.",
            errors.iter().map(|(_, e)| e.abs()).fold(0.0, f32::max)
        ),
    })
}

fn mine_accurate(claim: &Claim, ev: &Evidence) -> Verdict {
    let at_two = level(ev, "dv", 0, "mean");
    let error = mean_of(&at_two) - 2.0;
    claim.verdict(Finding {
        per_seed: Finding::single(&at_two, |v| (v - 2.0).abs() < 0.5),
        holds: error.abs() < 0.5,
        effect: format!("MINE at 2 nats: {}", summary(&at_two)),
        sentence: format!("MINE is {error:+.2} nats off the truth at 2 nats."),
    })
}

fn nwj_variance(claim: &Claim, ev: &Evidence) -> Verdict {
    let (nwj, nce) = (variance(ev, "nwj", 1), variance(ev, "infonce", 1));
    let (a, b) = (mean_of(&nwj), mean_of(&nce));
    claim.verdict(Finding {
        per_seed: Finding::paired(&nwj, &nce, |x, y| x / y, |x, y| x >= 10.0 * y),
        holds: a >= 10.0 * b,
        effect: format!(
            "variance at 10 nats: InfoNCE {}, NWJ {}",
            summary(&nce),
            summary(&nwj)
        ),
        sentence: format!("NWJ's variance is {:.0} × InfoNCE's at 10 nats.", a / b),
    })
}

fn smile_clip(claim: &Claim, ev: &Evidence) -> Verdict {
    let (smile, nwj) = (variance(ev, "smile", 1), variance(ev, "nwj", 1));
    let (a, b) = (mean_of(&smile), mean_of(&nwj));
    claim.verdict(Finding {
        per_seed: Finding::paired(&smile, &nwj, |x, y| x / y, |x, y| x < y),
        holds: a < b,
        effect: format!(
            "variance at 10 nats: NWJ {}, SMILE {}",
            summary(&nwj),
            summary(&smile)
        ),
        sentence: format!("SMILE's variance is {:.2} × NWJ's at 10 nats.", a / b),
    })
}
