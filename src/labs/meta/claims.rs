//! The meta-learning lab's claims, over 5 seeds on the CPU: sinusoids with K = 10, a meta-batch
//! of 25 tasks, 5,000 meta-steps (15,000 for first-order MAML; the paper trains for 70,000),
//! scored on 100 held-out tasks;
//! and 5-way 1-shot novel digits, 300 steps on the base classes, scored on 600 episodes.

use crate::claims::{mean_of, summary, Claim, Evidence, Finding, Outcome, Verdict};
use crate::decl::Paper;

/// MAML against the pretrained model: the default link's 5,000 steps.
const SINUSOID: &str = "runs=5&methods=maml,pretrained";
/// First-order MAML converges later: 15,000 steps (minutes of CPU, a slow claim).
const FIRST_ORDER: &str = "steps=15000&runs=5&methods=maml,fomaml";
/// The digits claims' link: the few-shot preset, every digits method.
const DIGITS: &str = "scenario=digits&shots=1&hidden=80&meta_lr=0.001&inner_lr=0.1&meta_batch=4&steps=300&runs=5&methods=linear,protonet,maml,transductive";
const TIAN: Paper = Paper {
    title: "Rethinking Few-Shot Image Classification: a Good Embedding Is All You Need?",
    url: "https://arxiv.org/abs/2003.11539",
};
const ZIKO: Paper = Paper {
    title: "Transductive Few-Shot Learning: Clustering is All You Need?",
    url: "https://arxiv.org/abs/2106.09516",
};
const MAML: Paper = Paper {
    title: "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks",
    url: "https://arxiv.org/abs/1703.03400",
};

pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "maml-adapts",
            text: "On sinusoids with K = 10, MAML's held-out MSE after 1 and after 10 gradient \
                   steps is at most half the pretrained model's, which barely adapts.",
            paper: MAML,
            queries: &[SINUSOID],
            methods: &["maml", "pretrained"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: maml_adapts,
        },
        Claim {
            id: "first-order-close",
            text: "First-order MAML comes close to MAML: its held-out MSE after 10 steps is at \
                   most 1.5 times MAML's.",
            paper: MAML,
            queries: &[FIRST_ORDER],
            methods: &["maml", "fomaml"],
            seeds: 5,
            // Holds on the mean at 15,000 steps (1.26×; 4 of 5 seeds within 1.5×), not yet at
            // 6,000 (1.77×: first-order MAML converges later).
            expect: Outcome::Supported,
            slow: true,
            check: first_order_close,
        },
        Claim {
            id: "good-embedding",
            text: "A good embedding is all you need: on 5-way 1-shot novel digits, a classifier \
                   pretrained on the base classes and read by logistic regression is at least as \
                   accurate as MAML, and within 0.01 of ProtoNet or better (the paper: it \
                   \"outperforms\" meta-learning).",
            paper: TIAN,
            queries: &[DIGITS],
            methods: &["linear", "maml", "protonet"],
            seeds: 5,
            // 0.576 against MAML's 0.556 and ProtoNet's 0.562 (600 episodes, ±0.008). Every
            // learned embedding is worse than its own untrained net (0.59–0.63 at step 0): five
            // base classes are too few to learn features that carry to new digits.
            expect: Outcome::Supported,
            slow: false,
            check: good_embedding,
        },
        Claim {
            id: "transductive-helps",
            text: "Clustering the queries with the shots helps: transductive soft k-means is at \
                   least 0.02 more accurate than ProtoNet with 15 queries a class (the direction \
                   is inferred from the title).",
            paper: ZIKO,
            queries: &[DIGITS],
            methods: &["transductive", "protonet"],
            seeds: 5,
            // Not reproduced: 0.554 against ProtoNet's 0.562. On the same pretrained embedding
            // soft k-means (τ = 0.1, chosen beforehand) also trails logistic regression (0.576).
            expect: Outcome::NotSupported,
            slow: false,
            check: transductive_helps,
        },
    ]
}

fn good_embedding(claim: &Claim, ev: &Evidence) -> Verdict {
    let acc = |m: &str| ev.finals(0, m, "fewshot_acc");
    let (linear, maml, proto) = (acc("linear"), acc("maml"), acc("protonet"));
    let mut per_seed = Finding::paired(&linear, &maml, |l, m| l - m, |l, m| l >= m);
    let against_proto = Finding::paired(&linear, &proto, |l, p| l - p, |l, p| l >= p - 0.01);
    for (s, t) in per_seed.iter_mut().zip(&against_proto) {
        s.agrees &= t.agrees;
    }
    claim.verdict(Finding {
        holds: mean_of(&linear) >= mean_of(&maml) && mean_of(&linear) >= mean_of(&proto) - 0.01,
        per_seed,
        effect: format!(
            "novel 5-way 1-shot accuracy: pretrain + linear {}, MAML {}, ProtoNet {}",
            summary(&linear),
            summary(&maml),
            summary(&proto)
        ),
        sentence: format!(
            "Pretrain + linear is {:+.3} against MAML and {:+.3} against ProtoNet.",
            mean_of(&linear) - mean_of(&maml),
            mean_of(&linear) - mean_of(&proto)
        ),
    })
}

fn transductive_helps(claim: &Claim, ev: &Evidence) -> Verdict {
    let (soft, proto) = (
        ev.finals(0, "transductive", "fewshot_acc"),
        ev.finals(0, "protonet", "fewshot_acc"),
    );
    let per_seed = Finding::paired(&soft, &proto, |s, p| s - p, |s, p| s >= p + 0.02);
    claim.verdict(Finding {
        holds: mean_of(&soft) >= mean_of(&proto) + 0.02,
        per_seed,
        effect: format!(
            "novel 5-way 1-shot accuracy: transductive soft k-means {}, ProtoNet {}",
            summary(&soft),
            summary(&proto)
        ),
        sentence: format!(
            "Clustering the queries too is {:+.3} against ProtoNet's prototypes.",
            mean_of(&soft) - mean_of(&proto)
        ),
    })
}

fn maml_adapts(claim: &Claim, ev: &Evidence) -> Verdict {
    let (m1, p1) = (
        ev.finals(0, "maml", "mse_after/1"),
        ev.finals(0, "pretrained", "mse_after/1"),
    );
    let (m10, p10) = (
        ev.finals(0, "maml", "mse_after/10"),
        ev.finals(0, "pretrained", "mse_after/10"),
    );
    let after10 = Finding::paired(&m10, &p10, |m, p| m / p, |m, p| m <= 0.5 * p);
    let mut per_seed = Finding::paired(&m1, &p1, |m, p| m / p, |m, p| m <= 0.5 * p);
    for (s, t) in per_seed.iter_mut().zip(&after10) {
        s.agrees &= t.agrees;
    }
    claim.verdict(Finding {
        holds: per_seed.iter().all(|s| s.agrees),
        per_seed,
        effect: format!(
            "MSE after 1 step: MAML {}, pretrained {}; after 10: {} and {}",
            summary(&m1),
            summary(&p1),
            summary(&m10),
            summary(&p10)
        ),
        sentence: format!(
            "After one step on 10 points MAML's MSE is {:.2} of the pretrained model's, after \
             ten {:.2}.",
            mean_of(&m1) / mean_of(&p1),
            mean_of(&m10) / mean_of(&p10)
        ),
    })
}

fn first_order_close(claim: &Claim, ev: &Evidence) -> Verdict {
    let (maml, fomaml) = (
        ev.finals(0, "maml", "mse_after/10"),
        ev.finals(0, "fomaml", "mse_after/10"),
    );
    let per_seed = Finding::paired(&fomaml, &maml, |f, m| f / m, |f, m| f <= 1.5 * m);
    claim.verdict(Finding {
        holds: mean_of(&fomaml) <= 1.5 * mean_of(&maml),
        per_seed,
        effect: format!(
            "MSE after 10 steps: FOMAML {}, MAML {}",
            summary(&fomaml),
            summary(&maml)
        ),
        sentence: format!(
            "First-order MAML's MSE after 10 steps is {:.2}× second-order MAML's.",
            mean_of(&fomaml) / mean_of(&maml)
        ),
    })
}
