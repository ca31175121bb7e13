//! The group-operations lab's claims, over 5 seeds on the CPU, on C_59: half the table for
//! training, 1,500 full-batch steps at learning rate 0.01 (every seed generalises by step 850).

use crate::claims::{
    mean_of, summary, Claim, Evidence, Finding, Outcome, SeedVerdict, Seeded, Verdict,
};
use crate::decl::Paper;

const CYCLIC: &str = "p=59&train=0.5&lr=0.01&steps=1500&runs=5&methods=adamw,adam";
const SYMMETRIC: &str = "group=symmetric&train=0.5&lr=0.01&steps=2400&runs=5&methods=adamw";
const UNIVERSALITY: Paper = Paper {
    title: "A Toy Model of Universality: Reverse Engineering How Networks Learn Group Operations",
    url: "https://arxiv.org/abs/2302.03025",
};

pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "cyclic-few-irreps",
            text: "On C_59 with the paper's AdamW setting (weight decay 1, betas 0.9 and 0.98) \
                   every seed generalises (test accuracy ≥ 0.99), and its embeddings use a few \
                   representations: the 4 largest hold ≥ 0.9 of their variance.",
            paper: UNIVERSALITY,
            queries: &[CYCLIC],
            methods: &["adamw"],
            seeds: 5,
            // Every seed generalises, but its embeddings spread over 4-6 key frequencies of the
            // 29: the largest 4 hold 0.47-0.69, the largest 8 0.83-0.94 (at lr 0.003 and 8,000
            // steps, top-4 0.61). Not reproduced at this size (embedding 32, 128 hidden units).
            expect: Outcome::NotSupported,
            slow: false,
            check: cyclic_few_irreps,
        },
        Claim {
            id: "universality-weak",
            text: "Which representations a network learns is arbitrary: across 5 seeds on C_59 \
                   the sets of key frequencies are not all the same.",
            paper: UNIVERSALITY,
            queries: &[CYCLIC],
            methods: &["adamw"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: universality_weak,
        },
        Claim {
            id: "grokking",
            text: "Grokking needs the weight decay: in the same steps, Adam without it fits every \
                   training pair but its test accuracy stays at least 0.3 below AdamW's.",
            paper: Paper {
                title: "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
                url: "https://arxiv.org/abs/2201.02177",
            },
            queries: &[CYCLIC],
            methods: &["adamw", "adam"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: grokking,
        },
        Claim {
            id: "s5-two-irreps",
            text: "On S_5 the network generalises (test accuracy ≥ 0.95) and at most 2 irreps \
                   hold ≥ 0.8 of its embedding variance.",
            paper: UNIVERSALITY,
            queries: &[SYMMETRIC],
            methods: &["adamw"],
            seeds: 5,
            // 16.5 CPU-minutes here (release): test 1.000 in every seed, the 2 largest irreps
            // 0.83-0.96, different pairs per seed.
            expect: Outcome::Supported,
            slow: true,
            check: s5_two_irreps,
        },
    ]
}

/// AdamW's test accuracies, top-`n` shares, and per seed whether it both generalised (test
/// accuracy ≥ `floor`) and put ≥ `share` of its embedding variance in its `n` largest irreps.
/// A seed that did not generalise reads as minus its accuracy, which no share passes.
fn generalises_with_few(
    ev: &Evidence,
    floor: f32,
    n: usize,
    share: f32,
) -> (Vec<Seeded>, Vec<Seeded>, Vec<SeedVerdict>) {
    let test = ev.finals(0, "adamw", "test_acc");
    let top = ev.finals(0, "adamw", &format!("top_var/{n}"));
    let gated: Vec<Seeded> = test
        .iter()
        .zip(&top)
        .map(|(t, v)| Seeded {
            value: match (t.value, v.value) {
                (Some(t), Some(v)) => Some(if t >= floor { v } else { -t }),
                _ => None,
            },
            ..t.clone()
        })
        .collect();
    let per_seed = Finding::single(&gated, |v| v >= share);
    (test, top, per_seed)
}

fn s5_two_irreps(claim: &Claim, ev: &Evidence) -> Verdict {
    let (test, top2, per_seed) = generalises_with_few(ev, 0.95, 2, 0.8);
    claim.verdict(Finding {
        holds: per_seed.iter().all(|s| s.agrees),
        per_seed,
        effect: format!(
            "test accuracy {}, top-2 share {}",
            summary(&test),
            summary(&top2)
        ),
        sentence: format!(
            "Test accuracy {:.3} on average; the 2 largest irreps hold {:.2} of the embedding \
             variance.",
            mean_of(&test),
            mean_of(&top2)
        ),
    })
}

fn cyclic_few_irreps(claim: &Claim, ev: &Evidence) -> Verdict {
    let (test, top4, per_seed) = generalises_with_few(ev, 0.99, 4, 0.9);
    let top8 = ev.finals(0, "adamw", "top_var/8");
    claim.verdict(Finding {
        holds: per_seed.iter().all(|s| s.agrees),
        per_seed,
        effect: format!(
            "test accuracy {}, top-4 share {} (top-8 {})",
            summary(&test),
            summary(&top4),
            summary(&top8)
        ),
        sentence: format!(
            "Test accuracy {:.3} on average; the 4 largest representations hold {:.2} of the \
             embedding variance, the 8 largest {:.2}.",
            mean_of(&test),
            mean_of(&top4),
            mean_of(&top8)
        ),
    })
}

fn universality_weak(claim: &Claim, ev: &Evidence) -> Verdict {
    let runs = ev.runs(0, "adamw");
    let sets: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let mut k = r.lists.get("key_reps").cloned().unwrap_or_default();
            k.sort();
            k
        })
        .collect();
    // Per seed: whether its set differs from the first seed's (the first compared with the
    // second), so a claim of "not all the same" holds when any seed differs.
    let values: Vec<Seeded> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let other = if i == 0 { sets.get(1) } else { sets.first() };
            Seeded {
                seed: r.seed,
                value: (r.status.is_ok() && !sets[i].is_empty())
                    .then(|| other.is_some_and(|o| *o != sets[i]) as u8 as f32),
                status: r.status.to_string(),
            }
        })
        .collect();
    let per_seed = Finding::single(&values, |v| v > 0.5);
    let distinct = {
        let mut s = sets.clone();
        s.sort();
        s.dedup();
        s.len()
    };
    claim.verdict(Finding {
        holds: distinct > 1,
        per_seed,
        effect: format!("{distinct} distinct key sets in {} seeds", sets.len()),
        sentence: format!(
            "Key frequencies per seed: {}.",
            sets.iter()
                .map(|s| format!("{{{}}}", s.join(", ")))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

fn grokking(claim: &Claim, ev: &Evidence) -> Verdict {
    let decayed = ev.finals(0, "adamw", "test_acc");
    let plain = ev.finals(0, "adam", "test_acc");
    let fits = ev.finals(0, "adam", "train_acc");
    let per_seed = Finding::paired(&decayed, &plain, |d, p| d - p, |d, p| d - p >= 0.3);
    let all_fit = fits.iter().all(|s| s.value.is_some_and(|v| v >= 0.999));
    claim.verdict(Finding {
        holds: all_fit && per_seed.iter().all(|s| s.agrees),
        per_seed,
        effect: format!(
            "test accuracy: AdamW {}, Adam {}; Adam's train accuracy {}",
            summary(&decayed),
            summary(&plain),
            summary(&fits)
        ),
        sentence: format!(
            "Adam without decay fits the training pairs (train accuracy {:.3}) and reaches test \
             accuracy {:.3}, against AdamW's {:.3}.",
            mean_of(&fits),
            mean_of(&plain),
            mean_of(&decayed)
        ),
    })
}
