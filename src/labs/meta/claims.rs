//! The meta-learning lab's claims, over 5 seeds on the CPU: sinusoids with K = 10, a meta-batch
//! of 25 tasks, 15,000 meta-steps (the paper trains for 70,000), scored on 100 held-out tasks.

use crate::claims::{mean_of, summary, Claim, Evidence, Finding, Outcome, Verdict};
use crate::decl::Paper;

const SINUSOID: &str = "steps=15000&runs=5&methods=maml,fomaml,pretrained";
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
            queries: &[SINUSOID],
            methods: &["maml", "fomaml"],
            seeds: 5,
            // Holds on the mean at 15,000 steps (1.26×; 4 of 5 seeds within 1.5×), not yet at
            // 6,000 (1.77×: first-order MAML converges later).
            expect: Outcome::Supported,
            slow: false,
            check: first_order_close,
        },
    ]
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
