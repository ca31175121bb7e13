//! The continual-learning lab: Avalanche's summaries on a hand-made accuracy matrix, the masks
//! and merges the methods rely on, and the claims of the methods' papers on the digits streams
//! (CPU backend, 5 seeds, each comparison with its margin).

use methodlab::experiment::Experiment;
use methodlab::labs::continual::methods::{ewc, magmax, replay};
use methodlab::labs::continual::summary;

#[test]
fn summaries_follow_avalanches_definitions() {
    // Rows: before training, after task 1, 2, 3.
    let r = vec![
        vec![0.1, 0.2, 0.3],
        vec![0.9, 0.25, 0.35],
        vec![0.7, 0.8, 0.4],
        vec![0.6, 0.5, 0.95],
    ];
    let close = |a: f32, b: f32| (a - b).abs() < 1e-6;
    assert!(close(summary::avg_acc(&r), (0.6 + 0.5 + 0.95) / 3.0));
    // BWT: (R[3][0] − R[1][0] + R[3][1] − R[2][1]) / 2.
    assert!(close(summary::bwt(&r), ((0.6 - 0.9) + (0.5 - 0.8)) / 2.0));
    // Forgetting: best earlier accuracy minus the final one, tasks 1 and 2.
    assert!(close(
        summary::forgetting(&r),
        ((0.9 - 0.6) + (0.8 - 0.5)) / 2.0
    ));
    // FWT: R[j−1][j] − R[0][j] for tasks 2 and 3.
    assert!(close(summary::fwt(&r), ((0.25 - 0.2) + (0.4 - 0.3)) / 2.0));
    // Learning accuracy: the diagonal, R[1][0], R[2][1], R[3][2].
    assert!(close(summary::learn_acc(&r), (0.9 + 0.8 + 0.95) / 3.0));
}

#[test]
fn ewc_consolidation_sums_fishers_and_online_decays_them() {
    let (a, b) = ewc::consolidate(&[1.0, 2.0], &[0.5, 1.0], &[3.0, 4.0], &[2.0, -1.0], None);
    assert_eq!(a, vec![4.0, 6.0]);
    assert_eq!(b, vec![0.5 + 6.0, 1.0 - 4.0]);
    let (a, b) = ewc::consolidate(
        &[1.0, 2.0],
        &[9.0, 9.0],
        &[3.0, 4.0],
        &[2.0, -1.0],
        Some(0.5),
    );
    assert_eq!(a, vec![3.5, 5.0]);
    assert_eq!(b, vec![7.0, -5.0]);
}

#[test]
fn magmax_keeps_the_largest_change_per_weight() {
    let mut merged = vec![0.0; 4];
    magmax::fold(&mut merged, &[0.5, -0.1, 0.0, 2.0]);
    magmax::fold(&mut merged, &[-0.7, 0.05, 0.3, -1.0]);
    assert_eq!(merged, vec![-0.7, -0.1, 0.3, 2.0]);
}

#[test]
fn the_reservoir_keeps_a_uniform_sample_of_the_stream() {
    // 1000 offers into 100 slots, many times: every offer ends up kept about 10% of the time.
    let mut kept = vec![0u32; 1000];
    for trial in 0..400u64 {
        let mut buffer = Vec::new();
        let mut state = trial.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut rng = |seen: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % seen
        };
        replay::offer(&mut buffer, 100, 0, 0..1000, &mut rng);
        for &row in &buffer {
            kept[row as usize] += 1;
        }
    }
    let first: u32 = kept[..500].iter().sum();
    let last: u32 = kept[500..].iter().sum();
    // 20,000 kept in all; each half expects 20,000 / 2 with a standard deviation near 70.
    assert!(
        (first as i64 - last as i64).abs() < 600,
        "{first} vs {last}"
    );
}

#[test]
fn bad_settings_name_themselves() {
    let labs = methodlab::labs::registry();
    let lab = labs.iter().find(|l| l.id == "continual").unwrap();
    let error = |link: &str| {
        let (exp, problems) = Experiment::from_link(link, &labs);
        assert!(problems.is_empty(), "{problems:?}");
        pollster::block_on(methodlab::runner::run_headless(&exp, lab, None, Some(1)))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(error("#/continual?v=1&tasks=6").contains("tasks = 6"));
    assert!(error("#/continual?v=1&methods=replay&replay.buffer=20000")
        .contains("replay.buffer = 20000"));
    // Out-of-range values are the link's problems, named with their range.
    let (_, problems) = Experiment::from_link("#/continual?v=1&steps=0&ewc.lambda=-1", &labs);
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        text.iter()
            .any(|p| p.contains("steps") && p.contains("[1, 5000]")),
        "{text:?}"
    );
    assert!(text.iter().any(|p| p.contains("lambda")), "{text:?}");
}

/// The accuracy matrix is reported whole: (T + 1) rows (before training, then after each task)
/// of T columns.
#[test]
fn the_accuracy_matrix_is_t_plus_one_by_t() {
    let labs = methodlab::labs::registry();
    let lab = labs.iter().find(|l| l.id == "continual").unwrap();
    let (exp, problems) = Experiment::from_link(
        "#/continual?v=1&scenario=permuted&steps=5&runs=1&methods=naive",
        &labs,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let report =
        pollster::block_on(methodlab::runner::run_headless(&exp, lab, None, None)).unwrap();
    let matrix = &report.runs[0].matrices["acc_matrix"];
    assert_eq!(matrix.len(), 6);
    assert!(matrix.iter().all(|row| row.len() == 5));
}
