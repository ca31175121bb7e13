//! The mutual-information lab: each estimator's formula and gradient on hand-made score
//! matrices, and the claims of Poole et al. (2019) and Song & Ermon (2020) on the staircase.

use methodlab::engine::{grad, CpuExec, Entry, Graph, Program, Tensor};
use methodlab::labs::mi::methods::{bound, Estimator, Scores};

const ESTIMATORS: [Estimator; 6] = [
    Estimator::InfoNce,
    Estimator::Nwj,
    Estimator::Dv { alpha: 0.1 },
    Estimator::Js,
    Estimator::Smile { tau: Some(1.0) },
    Estimator::Smile { tau: None },
];

/// A fixed 2-run, K = 4 score matrix with a spread of values.
fn scores() -> Vec<f32> {
    (0..32)
        .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.21 + if i % 5 == 0 { 1.5 } else { 0.0 })
        .collect()
}

/// (objective, estimate, ∂objective/∂F) of `e` on `f`, through the CPU backend.
fn evaluate(e: &Estimator, f: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let g = Graph::new(2, 1);
    let t = g.param("f", &[2, 4, 4], f.to_vec()).unwrap();
    let b = bound(e, &Scores::new(&t).unwrap()).unwrap();
    let d = grad(&b.objective, std::slice::from_ref(&t)).unwrap();
    let entry = Entry::new("e")
        .output(&b.objective)
        .output(&b.value)
        .output(&d[0]);
    let mut exec = CpuExec::new(&Program::new(&g, vec![entry]).unwrap()).unwrap();
    exec.run(0, 1).unwrap();
    let read = |x: &Tensor| exec.read(x).unwrap();
    (read(&b.objective), read(&b.value), read(&d[0]))
}

fn direct(e: &Estimator, f: &[f32], k: usize) -> Vec<f64> {
    (0..f.len() / (k * k))
        .map(|r| {
            let at = |i: usize, j: usize| f[r * k * k + i * k + j] as f64;
            let joint = (0..k).map(|i| at(i, i)).sum::<f64>() / k as f64;
            let off_mean = |h: &dyn Fn(f64) -> f64| {
                let mut s = 0.0;
                for i in 0..k {
                    for j in 0..k {
                        if i != j {
                            s += h(at(i, j));
                        }
                    }
                }
                s / (k * (k - 1)) as f64
            };
            match e {
                Estimator::InfoNce => {
                    (k as f64).ln() + joint
                        - (0..k)
                            .map(|i| (0..k).map(|j| at(i, j).exp()).sum::<f64>().ln())
                            .sum::<f64>()
                            / k as f64
                }
                Estimator::Nwj => joint - off_mean(&|v| (v - 1.0).exp()),
                Estimator::Dv { .. } | Estimator::Smile { tau: None } => {
                    joint - off_mean(&|v| v.exp()).ln()
                }
                Estimator::Js => 1.0 + joint - off_mean(&|v| v.exp()),
                Estimator::Smile { tau: Some(t) } => {
                    let t = *t as f64;
                    joint - off_mean(&|v| v.clamp(-t, t).exp()).ln()
                }
            }
        })
        .collect()
}

#[test]
fn every_estimate_is_its_formula() {
    let f = scores();
    for e in &ESTIMATORS {
        let (_, value, _) = evaluate(e, &f);
        for (got, want) in value.iter().zip(direct(e, &f, 4)) {
            assert!(
                (*got as f64 - want).abs() < 1e-4 * want.abs().max(1.0),
                "{e:?}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn every_objective_gradient_matches_finite_differences() {
    let f = scores();
    // MINE's surrogate holds its moving average constant: checked against its formula below.
    for e in ESTIMATORS
        .iter()
        .filter(|e| !matches!(e, Estimator::Dv { .. }))
    {
        let (_, _, analytic) = evaluate(e, &f);
        let eps = 1e-2f32;
        for i in 0..f.len() {
            let (mut plus, mut minus) = (f.clone(), f.clone());
            plus[i] += eps;
            minus[i] -= eps;
            let sum = |v: Vec<f32>| v.iter().map(|&x| x as f64).sum::<f64>();
            let fd = (sum(evaluate(e, &plus).0) - sum(evaluate(e, &minus).0)) / (2.0 * eps as f64);
            assert!(
                (fd - analytic[i] as f64).abs() < 2e-3 * fd.abs().max(1.0),
                "{e:?}: ∂/∂F[{i}] analytic {} vs finite difference {fd}",
                analytic[i]
            );
        }
    }
}

/// MINE's gradient: ∂/∂F[i, i] = 1/K, ∂/∂F[i, j≠i] = −exp F[i, j] / (K(K − 1)·m), where m is the
/// moving average after this step's update, m = (1 − α)·1 + α·mean_{i≠j} exp F.
#[test]
fn mine_gradient_uses_the_moving_average() {
    let (f, k, alpha) = (scores(), 4usize, 0.1f64);
    let (_, _, analytic) = evaluate(
        &Estimator::Dv {
            alpha: alpha as f32,
        },
        &f,
    );
    for r in 0..2 {
        let at = |i: usize, j: usize| f[r * 16 + i * k + j] as f64;
        let mut partition = 0.0;
        for i in 0..k {
            for j in 0..k {
                if i != j {
                    partition += at(i, j).exp() / (k * (k - 1)) as f64;
                }
            }
        }
        let m = (1.0 - alpha) + alpha * partition;
        for i in 0..k {
            for j in 0..k {
                let want = if i == j {
                    1.0 / k as f64
                } else {
                    -at(i, j).exp() / ((k * (k - 1)) as f64 * m)
                };
                let got = analytic[r * 16 + i * k + j] as f64;
                assert!(
                    (got - want).abs() < 1e-5,
                    "run {r} [{i},{j}]: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn impossible_settings_get_clear_messages() {
    use methodlab::experiment::Experiment;
    let labs = methodlab::labs::registry();
    let lab = labs.iter().find(|l| l.id == "mi").unwrap();
    let run = |link: &str| {
        let (exp, problems) = Experiment::from_link(link, &labs);
        let result = pollster::block_on(methodlab::runner::run_headless(&exp, lab, None, Some(1)));
        (problems, result.err().map(|e| e.to_string()))
    };
    // ρ would round to 1: 40 nats over one dimension.
    let (_, err) = run("#/mi?v=1&dim=1&first=40&levels=1");
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("ρ") && e.contains("raise d")),
        "{err:?}"
    );
    // K < 2 and d = 0 are outside the settings' ranges: named, and the defaults used instead.
    let (problems, _) = run("#/mi?v=1&batch=1&dim=0&steps=2");
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        text.iter()
            .any(|p| p.contains("batch") && p.contains("[2, 512]")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|p| p.contains("dim") && p.contains("[1, 128]")),
        "{text:?}"
    );
    // A joint critic too large for a WebGPU buffer.
    let (_, err) = run("#/mi?v=1&critic=joint&batch=512&hidden=512");
    assert!(
        err.as_deref().is_some_and(|e| e.contains("joint critic")),
        "{err:?}"
    );
}
