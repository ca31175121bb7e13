//! The merging lab's claims, on four rotated-digit tasks over 5 seeds (every merge reads the
//! same pre-training and fine-tunes: the same seed, the same data). λ is chosen on each task's
//! validation half and accuracy read on its test half.

use crate::claims::{mean_of, summary, Claim, Evidence, Finding, Outcome, Seeded, Verdict};
use crate::decl::Paper;

const MERGES: &str =
    "tasks=4&runs=5&methods=average,task_arithmetic,ties,breadcrumbs,fisher,regmean,magmax,dare";
const ALL: [&str; 8] = [
    "average",
    "task_arithmetic",
    "ties",
    "breadcrumbs",
    "fisher",
    "regmean",
    "magmax",
    "dare",
];
const TASKS: usize = 4;

pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "merges-beat-base",
            text: "Adding task vectors builds a model that does better on the tasks than the \
                   pre-trained one: every merge is at least 0.02 above the base on every task.",
            paper: Paper {
                title: "Editing Models with Task Arithmetic",
                url: "https://arxiv.org/abs/2212.04089",
            },
            queries: &[MERGES],
            methods: &ALL,
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: merges_beat_base,
        },
        Claim {
            id: "ties-beats-task-arithmetic",
            text: "Resolving interference (trim, elect sign, disjoint merge) beats task \
                   arithmetic when task vectors conflict: with most signs in conflict, TIES's \
                   normalised accuracy is at least 0.05 above task arithmetic's.",
            paper: Paper {
                title: "TIES-Merging: Resolving Interference When Merging Models",
                url: "https://arxiv.org/abs/2306.01708",
            },
            queries: &[MERGES],
            methods: &["ties", "task_arithmetic", "average"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: ties_beats_task_arithmetic,
        },
        Claim {
            id: "fisher-beats-average",
            text: "Fisher merging, weighting each parameter by its Fisher information, \
                   outperforms simple averaging: normalised accuracy at least 0.1 above it.",
            paper: Paper {
                title: "Merging Models with Fisher-Weighted Averaging",
                url: "https://arxiv.org/abs/2111.09832",
            },
            queries: &[MERGES],
            methods: &["fisher", "average"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: |c, ev| beats(c, ev, "fisher", "average", 0.1),
        },
        Claim {
            id: "regmean-beats-fisher",
            text: "Merging each linear layer as the least-squares fit of every model's outputs \
                   on its own inputs (RegMean, from each model's input Gram matrix) outperforms \
                   Fisher-weighted averaging: normalised accuracy at least 0.02 above it.",
            paper: Paper {
                title: "Dataless Knowledge Fusion by Merging Weights of Language Models",
                url: "https://arxiv.org/abs/2212.09849",
            },
            queries: &[MERGES],
            methods: &["regmean", "fisher"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: |c, ev| beats(c, ev, "regmean", "fisher", 0.02),
        },
        Claim {
            id: "magmax-beats-task-arithmetic",
            text: "Keeping, per parameter, the task vector entry of largest magnitude merges \
                   better than adding them: normalised accuracy at least 0.05 above task \
                   arithmetic's.",
            paper: Paper {
                title: "MagMax: Leveraging Model Merging for Seamless Continual Learning",
                url: "https://arxiv.org/abs/2407.06322",
            },
            queries: &[MERGES],
            methods: &["magmax", "task_arithmetic"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: |c, ev| beats(c, ev, "magmax", "task_arithmetic", 0.05),
        },
        Claim {
            id: "dare-drops-half",
            text: "Delta parameters are highly redundant: dropping half of each task vector's \
                   entries at random and rescaling the rest (DARE, p = 0.5) leaves task \
                   arithmetic's normalised accuracy within 0.03.",
            paper: Paper {
                title: "Language Models are Super Mario: Absorbing Abilities from Homologous Models as a Free Lunch",
                url: "https://arxiv.org/abs/2311.03099",
            },
            queries: &[MERGES],
            methods: &["dare", "task_arithmetic"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: dare_drops_half,
        },
    ]
}

/// Normalised accuracy of method `m` (its own key).
fn normalized(ev: &Evidence, m: &str) -> Vec<Seeded> {
    ev.finals(0, m, &format!("normalized_acc/{m}"))
}

/// `a`'s normalised accuracy is at least `margin` above `b`'s on the mean, paired by seed.
fn beats(claim: &Claim, ev: &Evidence, a: &str, b: &str, margin: f32) -> Verdict {
    let (x, y) = (normalized(ev, a), normalized(ev, b));
    let (p, q) = (mean_of(&x), mean_of(&y));
    claim.verdict(Finding {
        per_seed: Finding::paired(&x, &y, |u, v| u - v, |u, v| u > v),
        holds: p > q + margin,
        effect: format!(
            "normalised accuracy: {b} {}, {a} {}",
            summary(&y),
            summary(&x)
        ),
        sentence: format!("{a} is {:.3} above {b}.", p - q),
    })
}

fn dare_drops_half(claim: &Claim, ev: &Evidence) -> Verdict {
    let (dare, ta) = (normalized(ev, "dare"), normalized(ev, "task_arithmetic"));
    let (p, q) = (mean_of(&dare), mean_of(&ta));
    claim.verdict(Finding {
        per_seed: Finding::paired(&dare, &ta, |u, v| u - v, |u, v| (u - v).abs() < 0.05),
        holds: (p - q).abs() < 0.03,
        effect: format!(
            "normalised accuracy: task arithmetic {}, DARE {}",
            summary(&ta),
            summary(&dare)
        ),
        sentence: format!(
            "Dropping half of each task vector moves it by {:+.3}.",
            p - q
        ),
    })
}

fn merges_beat_base(claim: &Claim, ev: &Evidence) -> Verdict {
    // Per seed: the smallest margin over the base, over every merge and task.
    let margin = |m: &str, t: usize| {
        ev.values(0, m, move |r| {
            Some(
                r.final_values.get(&format!("task_acc/{m}/{t}"))?
                    - r.final_values.get(&format!("task_acc/base/{t}"))?,
            )
        })
    };
    let all: Vec<Vec<Seeded>> = ALL
        .iter()
        .flat_map(|m| (1..=TASKS).map(move |t| margin(m, t)))
        .collect();
    let seeds = all.first().map_or(0, |v| v.len());
    let smallest: Vec<Seeded> = (0..seeds)
        .map(|i| {
            let at: Vec<&Seeded> = all.iter().filter_map(|v| v.get(i)).collect();
            let failed = at.iter().find(|v| v.value.is_none());
            Seeded {
                seed: at[0].seed,
                value: match failed {
                    Some(_) => None,
                    None => at.iter().filter_map(|v| v.value).reduce(f32::min),
                },
                status: failed.map_or("ok".into(), |f| f.status.clone()),
            }
        })
        .collect();
    // The claim holds on the means: each merge's mean accuracy on each task over the base's.
    let mean_margins: Vec<(String, f32)> = ALL
        .iter()
        .flat_map(|m| (1..=TASKS).map(move |t| (format!("{m} task {t}"), mean_of(&margin(m, t)))))
        .collect();
    let (worst, least) =
        mean_margins
            .iter()
            .cloned()
            .fold((String::new(), f32::INFINITY), |a, b| {
                if b.1 < a.1 {
                    b
                } else {
                    a
                }
            });
    claim.verdict(Finding {
        per_seed: Finding::single(&smallest, |v| v > 0.02),
        holds: least > 0.02,
        effect: format!("smallest mean margin over the base: {worst} {least:+.3}"),
        sentence: format!(
            "Every merge beats the base on every task by at least {least:.3} on average."
        ),
    })
}

fn ties_beats_task_arithmetic(claim: &Claim, ev: &Evidence) -> Verdict {
    let (ties, ta) = (
        ev.finals(0, "ties", "normalized_acc/ties"),
        ev.finals(0, "task_arithmetic", "normalized_acc/task_arithmetic"),
    );
    let conflict = mean_of(&ev.finals(0, "average", "sign_conflict"));
    let (a, b) = (mean_of(&ties), mean_of(&ta));
    claim.verdict(Finding {
        per_seed: Finding::paired(&ties, &ta, |x, y| x - y, |x, y| x > y),
        holds: conflict > 0.5 && a > b + 0.05,
        effect: format!(
            "normalised accuracy: task arithmetic {}, TIES {}; sign conflict {conflict:.2}",
            summary(&ta),
            summary(&ties)
        ),
        sentence: format!(
            "TIES is {:.3} above task arithmetic with {:.0}% of signs in conflict.",
            a - b,
            conflict * 100.0
        ),
    })
}
