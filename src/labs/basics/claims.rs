//! The Basics lab's claims, each on its own link over 5 seeds, paired by seed (the same data and
//! initial weights for both methods; only the method differs).

use crate::claims::{mean_of, summary, Claim, Evidence, Finding, Outcome, Verdict};
use crate::decl::Paper;

const MIXUP: Paper = Paper {
    title: "Provable Benefit of Mixup for Finding Optimal Decision Boundaries",
    url: "https://arxiv.org/abs/2306.00267",
};

pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "l2-small-weights",
            text: "A weight penalty keeps the weights small (the sum of squared weights at the \
                   end: L2 below 0.7 × plain training's).",
            paper: Paper {
                title: "A Simple Weight Decay Can Improve Generalization",
                url: "https://papers.nips.cc/paper/563-a-simple-weight-decay-can-improve-generalization",
            },
            queries: &["data=xor&noise=0.3&steps=1500&runs=5&methods=plain,l2&l2.lambda=0.01"],
            methods: &["plain", "l2"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: l2_small_weights,
        },
        Claim {
            id: "dropout-gap",
            text: "Dropout \"significantly reduces overfitting\": on a noisy circle with few \
                   training points, the train − test accuracy gap narrows by at least 0.03.",
            paper: Paper {
                title: "Dropout: A Simple Way to Prevent Neural Networks from Overfitting",
                url: "https://jmlr.org/papers/v15/srivastava14a.html",
            },
            queries: &["noise=0.5&train=20&points=300&layers=3&units=32&optimizer=adam&lr=0.01&runs=5&methods=plain,dropout&dropout.p=0.3"],
            methods: &["plain", "dropout"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: dropout_gap,
        },
        Claim {
            id: "smoothing-confidence",
            text: "Label smoothing makes the model \"less confident\" (mean |2p − 1| over the \
                   square at least 0.05 lower) while it still classifies well (test accuracy \
                   above 0.9).",
            paper: Paper {
                title: "Rethinking the Inception Architecture for Computer Vision",
                url: "https://arxiv.org/abs/1512.00567",
            },
            queries: &["runs=5&methods=plain,smoothing"],
            methods: &["plain", "smoothing"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: smoothing_confidence,
        },
        Claim {
            id: "adam-early",
            text: "Adam makes faster early progress than SGD: after 200 steps its training loss \
                   is below half of SGD's.",
            paper: Paper {
                title: "Adam: A Method for Stochastic Optimization",
                url: "https://arxiv.org/abs/1412.6980",
            },
            queries: &["steps=200&runs=5&methods=plain,adam"],
            methods: &["plain", "adam"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: adam_early,
        },
        Claim {
            id: "mixup-bayes",
            text: "On separable skewed Gaussian clusters, plain training's boundary drifts from \
                   the Bayes-optimal one and mixup's does not (paraphrased from the abstract): \
                   mixup's share of the square off the Bayes boundary is below ¼ of plain's, \
                   and below it in every seed.",
            paper: MIXUP,
            queries: &["data=skewed&noise=0&points=100&layers=0&lr=0.1&steps=3000&runs=5&methods=plain,mixup"],
            methods: &["plain", "mixup"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: mixup_bayes,
        },
        Claim {
            id: "mixup-separability",
            text: "The curse of separability (paraphrased): the more separable the classes, the \
                   further plain training drifts. With noise 0.3 plain's off-Bayes share is \
                   below 0.75 × its share without noise, and mixup's stays below half of plain's.",
            paper: MIXUP,
            queries: &[
                "data=skewed&noise=0&points=100&layers=0&lr=0.1&steps=3000&runs=5&methods=plain,mixup",
                "data=skewed&noise=0.3&points=100&layers=0&lr=0.1&steps=3000&runs=5&methods=plain,mixup",
            ],
            methods: &["plain", "mixup"],
            seeds: 5,
            expect: Outcome::Supported,
            slow: false,
            check: mixup_separability,
        },
    ]
}

fn l2_small_weights(claim: &Claim, ev: &Evidence) -> Verdict {
    let (plain, l2) = (
        ev.finals(0, "plain", "weight_sq"),
        ev.finals(0, "l2", "weight_sq"),
    );
    let (a, b) = (mean_of(&plain), mean_of(&l2));
    claim.verdict(Finding {
        per_seed: Finding::paired(&l2, &plain, |x, y| x / y, |x, y| x < y),
        holds: b < 0.7 * a,
        effect: format!("Σw²: plain {}, L2 {}", summary(&plain), summary(&l2)),
        sentence: format!("L2's weights end at {:.2} × plain's squared size.", b / a),
    })
}

fn dropout_gap(claim: &Claim, ev: &Evidence) -> Verdict {
    let gap = |m: &str| {
        ev.values(0, m, |r| {
            Some(r.final_values.get("train_acc")? - r.final_values.get("test_acc")?)
        })
    };
    let (plain, dropout) = (gap("plain"), gap("dropout"));
    let (a, b) = (mean_of(&plain), mean_of(&dropout));
    claim.verdict(Finding {
        per_seed: Finding::paired(&dropout, &plain, |x, y| x - y, |x, y| x < y),
        holds: b < a - 0.03,
        effect: format!(
            "train − test accuracy: plain {}, dropout {}",
            summary(&plain),
            summary(&dropout)
        ),
        sentence: format!("Dropout's gap is {:.3} smaller than plain's.", a - b),
    })
}

fn smoothing_confidence(claim: &Claim, ev: &Evidence) -> Verdict {
    let (plain, smooth) = (
        ev.finals(0, "plain", "confidence"),
        ev.finals(0, "smoothing", "confidence"),
    );
    let accuracy = mean_of(&ev.finals(0, "smoothing", "test_acc"));
    let (a, b) = (mean_of(&plain), mean_of(&smooth));
    claim.verdict(Finding {
        per_seed: Finding::paired(&smooth, &plain, |x, y| x - y, |x, y| x < y),
        holds: b < a - 0.05 && accuracy > 0.9,
        effect: format!(
            "mean |2p − 1|: plain {}, smoothing {}; smoothing's test accuracy {accuracy:.3}",
            summary(&plain),
            summary(&smooth)
        ),
        sentence: format!(
            "Smoothing is {:.3} less confident over the square, at test accuracy {accuracy:.3}.",
            a - b
        ),
    })
}

fn adam_early(claim: &Claim, ev: &Evidence) -> Verdict {
    let (sgd, adam) = (
        ev.finals(0, "plain", "train_loss"),
        ev.finals(0, "adam", "train_loss"),
    );
    let (a, b) = (mean_of(&sgd), mean_of(&adam));
    claim.verdict(Finding {
        per_seed: Finding::paired(&adam, &sgd, |x, y| x / y, |x, y| x < y),
        holds: b < 0.5 * a,
        effect: format!(
            "train loss after 200 steps: SGD {}, Adam {}",
            summary(&sgd),
            summary(&adam)
        ),
        sentence: format!("Adam's loss is {:.2} × SGD's after 200 steps.", b / a),
    })
}

fn mixup_bayes(claim: &Claim, ev: &Evidence) -> Verdict {
    let (plain, mixup) = (
        ev.finals(0, "plain", "bayes_gap"),
        ev.finals(0, "mixup", "bayes_gap"),
    );
    let (a, b) = (mean_of(&plain), mean_of(&mixup));
    let per_seed = Finding::paired(&mixup, &plain, |x, y| x - y, |x, y| x < y);
    let every = per_seed.iter().all(|s| s.agrees);
    claim.verdict(Finding {
        per_seed,
        holds: b < 0.25 * a && every,
        effect: format!(
            "share off the Bayes boundary: plain {}, mixup {}",
            summary(&plain),
            summary(&mixup)
        ),
        sentence: format!(
            "Mixup's boundary is off Bayes on {:.2} × plain's share.",
            b / a
        ),
    })
}

fn mixup_separability(claim: &Claim, ev: &Evidence) -> Verdict {
    let (plain, plain_noisy, mixup_noisy) = (
        ev.finals(0, "plain", "bayes_gap"),
        ev.finals(1, "plain", "bayes_gap"),
        ev.finals(1, "mixup", "bayes_gap"),
    );
    let (a, b, c) = (
        mean_of(&plain),
        mean_of(&plain_noisy),
        mean_of(&mixup_noisy),
    );
    claim.verdict(Finding {
        per_seed: Finding::paired(&plain_noisy, &plain, |x, y| x - y, |x, y| x < y),
        holds: b < 0.75 * a && c < 0.5 * b,
        effect: format!(
            "plain off Bayes: noise 0 {}, noise 0.3 {}; mixup at noise 0.3 {}",
            summary(&plain),
            summary(&plain_noisy),
            summary(&mixup_noisy)
        ),
        sentence: format!(
            "With noise plain drifts {:.2} × as far; mixup stays at {:.2} × plain.",
            b / a,
            c / b
        ),
    })
}
