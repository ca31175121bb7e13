//! The Basics lab run headless on the CPU backend: it learns, it reproduces, it reports divergence.

use methodlab::experiment::Experiment;
use methodlab::history::{ExperimentReport, RunStatus};
use methodlab::labs::registry;
use methodlab::runner::run_headless;

fn run(link: &str, steps: Option<u32>) -> ExperimentReport {
    let labs = registry();
    let (exp, problems) = Experiment::from_link(link, &labs);
    assert!(problems.is_empty(), "{problems:?}");
    let lab = labs.iter().find(|l| l.id == exp.lab).unwrap();
    pollster::block_on(run_headless(&exp, lab, None, steps)).unwrap()
}

#[test]
fn plain_training_separates_the_circle() {
    let report = run("#/basics?v=1&runs=5", None);
    assert_eq!(report.runs.len(), 5);
    for r in &report.runs {
        assert!(r.status.is_ok(), "{}", r.status);
        assert!(
            r.final_values["test_acc"] >= 0.9,
            "seed {}: test accuracy {}",
            r.seed,
            r.final_values["test_acc"]
        );
        let losses = &r.history["train_loss"];
        assert!(
            losses.last().unwrap().1 < 0.5 * losses[0].1,
            "seed {}: loss {:?} → {:?}",
            r.seed,
            losses[0],
            losses.last()
        );
    }
}

#[test]
fn the_same_link_gives_bit_identical_losses() {
    let link = "#/basics?v=1&seed=11&methods=plain,dropout,mixup&data=xor&noise=0.2";
    let (a, b) = (run(link, Some(100)), run(link, Some(100)));
    for (x, y) in a.runs.iter().zip(&b.runs) {
        let bits =
            |h: &Vec<(u64, f32)>| h.iter().map(|(s, v)| (*s, v.to_bits())).collect::<Vec<_>>();
        assert_eq!(x.history["train_loss"].len(), 101);
        assert_eq!(
            bits(&x.history["train_loss"]),
            bits(&y.history["train_loss"]),
            "{} seed {}",
            x.method,
            x.seed
        );
    }
    // And another seed gives other numbers.
    let c = run(
        "#/basics?v=1&seed=12&methods=plain,dropout,mixup&data=xor&noise=0.2",
        Some(100),
    );
    assert_ne!(
        a.runs[0].history["train_loss"],
        c.runs[0].history["train_loss"]
    );
}

#[test]
fn a_diverging_method_is_marked_and_the_others_go_on() {
    // Linear regression on the plane with SGD+momentum at lr 1 overshoots; Adam at 0.01 does not.
    let report = run(
        "#/basics?v=1&runs=2&methods=plain,adam&data=plane&layers=0&optimizer=momentum&lr=1",
        Some(300),
    );
    for r in &report.runs {
        match r.method.as_str() {
            "plain" => assert!(
                matches!(r.status, RunStatus::Diverged { .. }),
                "{}",
                r.status
            ),
            _ => {
                assert!(r.status.is_ok(), "{}", r.status);
                assert!(r.final_values["test_loss"].is_finite());
            }
        }
    }
}
