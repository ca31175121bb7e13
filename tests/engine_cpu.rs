//! The CPU backend against central finite differences, for every op in the conformance suite,
//! plus second derivatives and the pieces of a training step.

use methodlab::engine::conformance::{build, cases, max_rel_err};
use methodlab::engine::{grad, nn, CpuExec, Entry, Graph, OptimizerKind, Program, Tensor};

/// Σ over runs of the loss at the current parameter values.
fn total_loss(exec: &mut CpuExec, loss: &Tensor) -> f64 {
    exec.run(0, 1).unwrap();
    exec.read(loss).unwrap().iter().map(|&v| v as f64).sum()
}

/// Central differences on at most `samples` entries of each input, against the analytic gradient.
fn check_fd(exec: &mut CpuExec, loss: &Tensor, inputs: &[Tensor], grads: &[Vec<f32>], name: &str) {
    let eps = 1e-2f32;
    for (k, x) in inputs.iter().enumerate() {
        let base = exec.read(x).unwrap();
        let n = base.len();
        let stride = (n / 40).max(1);
        for i in (0..n).step_by(stride) {
            let mut plus = base.clone();
            plus[i] += eps;
            exec.write(x, &plus).unwrap();
            let lp = total_loss(exec, loss);
            let mut minus = base.clone();
            minus[i] -= eps;
            exec.write(x, &minus).unwrap();
            let lm = total_loss(exec, loss);
            exec.write(x, &base).unwrap();
            let fd = ((lp - lm) / (2.0 * eps as f64)) as f32;
            let an = grads[k][i];
            // f32 rounding of the summed loss, amplified by 1/(2 eps), bounds what FD can resolve.
            let noise = (2e-6 * (lp.abs() + lm.abs()) / eps as f64) as f32;
            let err = (fd - an).abs() - noise;
            assert!(
                err < 5e-3 * an.abs().max(1.0),
                "{name}: d/dx{k}[{i}] analytic {an} vs finite difference {fd}"
            );
        }
    }
}

#[test]
fn every_op_gradient_matches_finite_differences() {
    for case in cases() {
        let built = build(&case).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let mut exec = CpuExec::new(&built.program).unwrap();
        exec.run(0, 1).unwrap();
        let out = exec.read(&built.output).unwrap();
        assert!(
            out.iter().all(|v| v.is_finite()),
            "{}: non-finite output {out:?}",
            case.name
        );
        if !case.differentiable {
            continue;
        }
        let grads: Vec<Vec<f32>> = built.grads.iter().map(|g| exec.read(g).unwrap()).collect();
        check_fd(&mut exec, &built.loss, &built.inputs, &grads, case.name);
    }
}

#[test]
fn second_derivative_matches_finite_differences() {
    // f(x) = Σ tanh(x)³ ⇒ f'(x) = 3 tanh² (1 - tanh²), f''(x) = 6t(1-t²)² - 6t³(1-t²)... checked
    // numerically: the gradient of Σ f'(x)·v is the Hessian-vector product diag(f'') v.
    let g = Graph::new(2, 3);
    let x = g
        .param(
            "x",
            &[2, 5],
            (0..10).map(|i| -1.2 + 0.25 * i as f32).collect(),
        )
        .unwrap();
    let f = x
        .tanh()
        .unwrap()
        .square()
        .unwrap()
        .mul(&x.tanh().unwrap())
        .unwrap()
        .sum_per_run()
        .unwrap();
    let dfdx = grad(&f, std::slice::from_ref(&x)).unwrap().remove(0);
    let v = g
        .input(
            "v",
            &[2, 5],
            (0..10).map(|i| 1.0 + 0.1 * i as f32).collect(),
        )
        .unwrap();
    let hv = grad(
        &dfdx.mul(&v).unwrap().sum_per_run().unwrap(),
        std::slice::from_ref(&x),
    )
    .unwrap()
    .remove(0);
    let program = Program::new(&g, vec![Entry::new("h").output(&dfdx).output(&hv)]).unwrap();
    let mut exec = CpuExec::new(&program).unwrap();
    exec.run(0, 1).unwrap();
    let hv_an = exec.read(&hv).unwrap();
    let base = exec.read(&x).unwrap();
    let vv: Vec<f32> = (0..10).map(|i| 1.0 + 0.1 * i as f32).collect();
    for i in 0..10 {
        let eps = 1e-2;
        let mut p = base.clone();
        p[i] += eps;
        exec.write(&x, &p).unwrap();
        exec.run(0, 1).unwrap();
        let gp = exec.read(&dfdx).unwrap()[i];
        p[i] -= 2.0 * eps;
        exec.write(&x, &p).unwrap();
        exec.run(0, 1).unwrap();
        let gm = exec.read(&dfdx).unwrap()[i];
        exec.write(&x, &base).unwrap();
        let fd = (gp - gm) / (2.0 * eps) * vv[i];
        assert!(
            (fd - hv_an[i]).abs() < 5e-3 * hv_an[i].abs().max(1.0),
            "H·v[{i}]: {} vs {fd}",
            hv_an[i]
        );
    }
}

#[test]
fn one_step_lookahead_gradient_matches_finite_differences() {
    // MAML's inner step: θ' = θ - α ∇L_a(θ); d L_b(θ') / dθ needs ∇² L_a, so this checks that the
    // gradient graph is itself differentiable.
    let g = Graph::new(1, 5);
    let xa = g
        .input(
            "xa",
            &[1, 6, 3],
            (0..18).map(|i| (i as f32 * 0.37).sin()).collect(),
        )
        .unwrap();
    let ya = g
        .input(
            "ya",
            &[1, 6, 1],
            (0..6).map(|i| (i as f32 * 0.9).cos()).collect(),
        )
        .unwrap();
    let xb = g
        .input(
            "xb",
            &[1, 6, 3],
            (0..18).map(|i| (i as f32 * 0.21).cos()).collect(),
        )
        .unwrap();
    let yb = g
        .input(
            "yb",
            &[1, 6, 1],
            (0..6).map(|i| (i as f32 * 0.5).sin()).collect(),
        )
        .unwrap();
    let w = g.param("w", &[1, 3, 1], vec![0.3, -0.2, 0.5]).unwrap();
    let predict = |x: &Tensor, w: &Tensor| x.matmul(w).unwrap().tanh().unwrap();
    let la = nn::mse(&predict(&xa, &w), &ya).unwrap();
    let ga = grad(&la, std::slice::from_ref(&w)).unwrap().remove(0);
    let w_fast = w.sub(&ga.mul_scalar(0.5).unwrap()).unwrap();
    let lb = nn::mse(&predict(&xb, &w_fast), &yb).unwrap();
    let meta = grad(&lb, std::slice::from_ref(&w)).unwrap().remove(0);
    let program = Program::new(&g, vec![Entry::new("m").output(&lb).output(&meta)]).unwrap();
    let mut exec = CpuExec::new(&program).unwrap();
    exec.run(0, 1).unwrap();
    let an = exec.read(&meta).unwrap();
    let base = exec.read(&w).unwrap();
    for i in 0..3 {
        let eps = 1e-2;
        let mut p = base.clone();
        p[i] += eps;
        exec.write(&w, &p).unwrap();
        exec.run(0, 1).unwrap();
        let lp = exec.read(&lb).unwrap()[0];
        p[i] -= 2.0 * eps;
        exec.write(&w, &p).unwrap();
        exec.run(0, 1).unwrap();
        let lm = exec.read(&lb).unwrap()[0];
        exec.write(&w, &base).unwrap();
        let fd = (lp - lm) / (2.0 * eps);
        assert!(
            (fd - an[i]).abs() < 2e-3,
            "meta-gradient[{i}]: analytic {} vs finite difference {fd}",
            an[i]
        );
    }
}

#[test]
fn shape_mismatch_is_an_error_naming_op_and_shapes() {
    let g = Graph::new(2, 0);
    let a = g.zeros(&[2, 3, 4]).unwrap();
    let b = g.zeros(&[2, 5, 6]).unwrap();
    let e = a.matmul(&b).unwrap_err().to_string();
    assert!(
        e.contains("matmul") && e.contains("[2, 3, 4]") && e.contains("[2, 5, 6]"),
        "{e}"
    );
    let e = a.add(&b).unwrap_err().to_string();
    assert!(
        e.contains("add") && e.contains("[2, 3, 4]") && e.contains("[2, 5, 6]"),
        "{e}"
    );
    assert!(a.slice(3, 2).is_err());
    assert!(a.sum(7).is_err());
    assert!(
        g.param("p", &[3, 2], vec![0.0; 6]).is_err(),
        "run axis 3 in a graph of 2 runs"
    );
    let other = Graph::new(2, 0);
    assert!(a.add(&other.zeros(&[2, 3, 4]).unwrap()).is_err());
}

#[test]
fn optimizers_follow_their_update_rules() {
    // One parameter, loss = θ²/2 per run ⇒ gradient θ. Two runs with different learning rates.
    for (kind, expect) in [
        // SGD momentum 0.9: v1 = θ0, θ1 = θ0 - lr θ0; v2 = 0.9 v1 + θ1, θ2 = θ1 - lr v2
        (
            OptimizerKind::sgd(0.9),
            Box::new(|lr: f32, t0: f32| {
                let t1 = t0 - lr * t0;
                let v2 = 0.9 * t0 + t1;
                t1 - lr * v2
            }) as Box<dyn Fn(f32, f32) -> f32>,
        ),
        // Adam's first two steps with bias correction move by ≈ lr each while g keeps its sign.
        (
            OptimizerKind::adam(),
            Box::new(|lr: f32, t0: f32| {
                let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
                let (mut m, mut v, mut th) = (0.0f32, 0.0f32, t0);
                for t in 1..=2 {
                    let gr = th;
                    m = b1 * m + (1.0 - b1) * gr;
                    v = b2 * v + (1.0 - b2) * gr * gr;
                    let mh = m / (1.0 - b1.powi(t));
                    let vh = v / (1.0 - b2.powi(t));
                    th -= lr * mh / (vh.sqrt() + eps);
                }
                th
            }),
        ),
    ] {
        let g = Graph::new(2, 0);
        let theta = g.param("theta", &[2, 1], vec![1.0, 2.0]).unwrap();
        let lr = g.per_run("lr", &[0.1, 0.01]).unwrap();
        let loss = theta.square().unwrap().mul_scalar(0.5).unwrap();
        let entry = Entry::new("train")
            .minimize(&loss, std::slice::from_ref(&theta), kind.clone(), &lr)
            .unwrap();
        let mut exec = CpuExec::new(&Program::new(&g, vec![entry]).unwrap()).unwrap();
        exec.run(0, 2).unwrap();
        let got = exec.read(&theta).unwrap();
        let want = [expect(0.1, 1.0), expect(0.01, 2.0)];
        assert!(
            max_rel_err(&got, &want) < 1e-6,
            "{kind:?}: {got:?} vs {want:?}"
        );
    }
}

#[test]
fn rng_streams_are_reproducible_and_independent_of_run_count() {
    let draw = |runs: usize, seed: u32| {
        let g = Graph::new(runs, seed);
        let step = g.step_counter().unwrap();
        let u = g
            .random_uniform(&[runs, 100], 0.0, 1.0, Some(&step))
            .unwrap();
        let p = Program::new(&g, vec![Entry::new("d").output(&u).advancing_step()]).unwrap();
        let mut e = CpuExec::new(&p).unwrap();
        e.run(0, 3).unwrap();
        e.read(&u).unwrap()
    };
    let four = draw(4, 10);
    let one = draw(1, 12);
    assert_eq!(
        &four[200..300],
        &one[..],
        "run 2 of seed 10 = run 0 of seed 12"
    );
    assert_eq!(draw(4, 10), four);
    let mean: f32 = four.iter().sum::<f32>() / 400.0;
    assert!((mean - 0.5).abs() < 0.05, "uniform mean {mean}");
}

#[test]
fn fast_tanh_matches_libm() {
    let mut worst = 0.0f32;
    for i in -200_000..=200_000 {
        let x = i as f32 * 1e-4;
        let (a, b) = (methodlab::engine::cpu::tanh(x), x.tanh());
        worst = worst.max((a - b).abs() / b.abs().max(f32::MIN_POSITIVE));
    }
    assert!(worst < 2e-6, "worst relative error {worst:e}");
    assert_eq!(methodlab::engine::cpu::tanh(100.0), 1.0);
    assert_eq!(methodlab::engine::cpu::tanh(-100.0), -1.0);
    assert!(methodlab::engine::cpu::tanh(f32::NAN).is_nan());
}

#[test]
fn a_diverging_run_is_flagged_and_the_others_go_on() {
    // Gradient descent on θ²/2 with lr 1e3 overshoots by ~1000× a step: infinite, then NaN.
    let g = Graph::new(3, 0);
    let theta = g.param("theta", &[3, 1], vec![1.0, 1.0, 1.0]).unwrap();
    let lr = g.per_run("lr", &[0.1, 1e3, 0.5]).unwrap();
    let loss = theta
        .square()
        .unwrap()
        .mul_scalar(0.5)
        .unwrap()
        .sum_per_run()
        .unwrap();
    let e = Entry::new("t")
        .metric("loss", &loss)
        .minimize(
            &loss,
            std::slice::from_ref(&theta),
            OptimizerKind::sgd(0.0),
            &lr,
        )
        .unwrap();
    let mut exec = CpuExec::new(&Program::new(&g, vec![e]).unwrap()).unwrap();
    exec.run(0, 50).unwrap();
    let w = exec.take_metrics(0).unwrap();
    assert_eq!(w.diverged(), vec![false, true, false], "{:?}", w.values);
    exec.run(0, 10).unwrap();
    let w = exec.take_metrics(0).unwrap();
    assert!(
        w.values[0][0] < 1e-3 && w.values[0][2] < 1e-3,
        "healthy runs kept training: {:?}",
        w.values
    );
}

/// `bench --threads` trains a group's runs as slices on threads: every slice reports, the
/// figure names its threads and counts every slice's dispatches, and a bad count is refused.
#[test]
fn bench_cuts_the_runs_over_threads() {
    let bench = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_methodlab"))
            .args(["bench", "--backend", "cpu", "--workload", "playground"])
            .args(["--seconds", "0.02", "--format", "json"])
            .args(args)
            .output()
            .expect("the CLI runs")
    };
    let figures = |args: &[&str]| -> Vec<serde_json::Value> {
        let out = bench(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("bench prints JSON")
    };
    let one = &figures(&["--runs", "4"])[0];
    let two = &figures(&["--runs", "4", "--threads", "2"])[0];
    assert_eq!(one["backend"], "cpu");
    assert_eq!(two["backend"], "cpu, 2 threads");
    // Each slice makes the whole program's dispatches for its runs.
    let per_step = |f: &serde_json::Value| f["dispatches_per_step"].as_f64().unwrap();
    assert_eq!(per_step(two), 2.0 * per_step(one));
    assert!(two["last_loss"].as_f64().unwrap().is_finite());
    // One run cannot be cut: the single-thread figure.
    assert_eq!(
        figures(&["--runs", "1", "--threads", "2"])[0]["backend"],
        "cpu"
    );
    assert!(!bench(&["--threads", "0"]).status.success());
}
