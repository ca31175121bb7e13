//! Each Basics method's headline claim, over 5 seeds on the CPU backend, each comparison with
//! its margin: the same data and initial weights for both sides, only the method differs.

use methodlab::experiment::Experiment;
use methodlab::labs::basics::Group;
use methodlab::labs::registry;

/// Method `method`'s group for `link`, trained `steps` steps and evaluated.
fn trained(link: &str, method: &str, steps: u32) -> Group {
    let labs = registry();
    let (mut exp, problems) = Experiment::from_link(link, &labs);
    assert!(problems.is_empty(), "{problems:?}");
    exp.runs = 5;
    pollster::block_on(async {
        let mut g = Group::new(&exp, method, None).await.unwrap();
        g.train(steps).unwrap();
        g.evaluate().await.unwrap();
        g
    })
}

fn last(g: &Group, metric: &str) -> f32 {
    let b = g.history.band(metric);
    b.last().unwrap().mean
}

/// Every run's grid, [R × GRID²].
fn grid(g: &mut Group) -> Vec<f32> {
    pollster::block_on(g.grid()).unwrap()
}

#[test]
fn l2_keeps_the_weights_small() {
    let link = "#/basics?v=1&data=xor&noise=0.3&methods=plain,l2&l2.lambda=0.01";
    let norm = |g: &mut Group| -> f32 {
        let weights = g.built.weights.clone();
        weights
            .iter()
            .map(|w| {
                let values = pollster::block_on(g.exec.read(w)).unwrap();
                values.iter().map(|v| v * v).sum::<f32>()
            })
            .sum()
    };
    let (mut plain, mut l2) = (trained(link, "plain", 1500), trained(link, "l2", 1500));
    let (a, b) = (norm(&mut plain), norm(&mut l2));
    assert!(b < 0.7 * a, "Σw² over 5 runs: L2 {b} vs plain {a}");
}

#[test]
fn dropout_narrows_the_train_test_gap_on_noisy_data() {
    // A noisy circle, 60 training points, a 3×32 net: plain training fits the noise.
    let link = "#/basics?v=1&noise=0.5&train=20&points=300&layers=3&units=32&optimizer=adam&lr=0.01&methods=plain,dropout&dropout.p=0.3";
    let gap = |g: &Group| last(g, "train_acc") - last(g, "test_acc");
    let (plain, dropout) = (trained(link, "plain", 2000), trained(link, "dropout", 2000));
    assert!(
        gap(&dropout) < gap(&plain) - 0.03,
        "train − test accuracy: dropout {} vs plain {}",
        gap(&dropout),
        gap(&plain)
    );
}

#[test]
fn label_smoothing_makes_the_model_less_confident() {
    let link = "#/basics?v=1&methods=plain,smoothing";
    let confidence = |g: &mut Group| {
        let p = grid(g);
        p.iter().map(|&q| (2.0 * q - 1.0).abs()).sum::<f32>() / p.len() as f32
    };
    let (mut plain, mut smooth) = (
        trained(link, "plain", 2000),
        trained(link, "smoothing", 2000),
    );
    let (a, b) = (confidence(&mut plain), confidence(&mut smooth));
    assert!(
        b < a - 0.05,
        "mean |2p − 1| over the grid: smoothing {b} vs plain {a}"
    );
    assert!(last(&smooth, "test_acc") > 0.9);
}

#[test]
fn adam_makes_faster_early_progress_than_sgd() {
    // The default circle: SGD at the settings' 0.03, Adam at its own default 0.01.
    let link = "#/basics?v=1&methods=plain,adam";
    let (sgd, adam) = (trained(link, "plain", 200), trained(link, "adam", 200));
    let (a, b) = (last(&sgd, "train_loss"), last(&adam, "train_loss"));
    assert!(
        b < 0.5 * a,
        "train loss after 200 steps: Adam {b} vs SGD {a}"
    );
}

#[test]
fn mixup_finds_the_bayes_boundary_where_plain_training_does_not() {
    // Oh & Yun 2023: on separable classes N(±μ, Σ) with μ not an eigenvector of Σ, plain
    // logistic training heads for the max-margin direction, mixup's minimiser stays near the
    // Bayes-optimal Σ⁻¹μ. A linear model on the skewed clusters, 50 training points; the figure
    // is the share of the [-3, 3]² grid classified differently from the Bayes rule (here plain
    // 0.11–0.16 per seed, mixup 0.014–0.024).
    let base = "#/basics?v=1&data=skewed&points=100&layers=0&lr=0.1&methods=plain,mixup";
    let gap = |noise: f32, method: &str| -> Vec<f32> {
        let g = trained(&format!("{base}&noise={noise}"), method, 3000);
        g.history
            .runs
            .iter()
            .map(|r| r["bayes_gap"].last().unwrap().1)
            .collect()
    };
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (plain, mixup) = (gap(0.0, "plain"), gap(0.0, "mixup"));
    assert!(
        mean(&mixup) < 0.25 * mean(&plain),
        "off-Bayes share: mixup {mixup:?} vs plain {plain:?}"
    );
    assert!(
        mixup.iter().zip(&plain).all(|(m, p)| m < p),
        "off-Bayes share per seed: mixup {mixup:?} vs plain {plain:?}"
    );
    // The curse of separability: with noise the classes overlap more and plain drifts less.
    let (plain_noisy, mixup_noisy) = (gap(0.3, "plain"), gap(0.3, "mixup"));
    assert!(
        mean(&plain_noisy) < 0.75 * mean(&plain),
        "plain off-Bayes share: noise 0.3 {plain_noisy:?} vs noise 0 {plain:?}"
    );
    assert!(mean(&mixup_noisy) < 0.5 * mean(&plain_noisy));
}
