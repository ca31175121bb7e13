//! The meta-learning lab's sinusoid model (Finn et al. 2017, §5.1): a 1→40→40→1 ReLU network
//! meta-trained on tasks y = A·sin(x + φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[−5, 5], drawn on the
//! device from the step counter.
//!
//! MAML's inner loop is unrolled in the graph: each task's adapted weights θ − α∇L(θ) are tensors,
//! and the meta-gradient flows back through the inner gradient (second order), or not (FOMAML,
//! the inner gradient detached). Reptile moves θ towards each task's weights after k SGD steps;
//! the joint baseline fits every task's points at once. Evaluation adapts from θ on held-out
//! tasks, written into the program one at a time, for up to 10 SGD steps.

use crate::engine::{autodiff, rng, Graph, Result, Tensor};
use crate::experiment::Experiment;

/// Which tasks the lab meta-trains on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scenario {
    /// Finn et al.'s sine waves.
    Sinusoid,
    /// 5-way K-shot episodes of the bundled digits, base classes 0–4, novel 5–9.
    Digits,
}

impl crate::decl::Choice for Scenario {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("sinusoid", Scenario::Sinusoid),
        ("digits", Scenario::Digits),
    ];
}

#[derive(Clone, Debug)]
pub struct Recipe {
    pub scenario: Scenario,
    pub shots: usize,
    pub meta_batch: usize,
    pub hidden: usize,
    pub inner_lr: f32,
    pub meta_lr: f32,
    pub eval_tasks: usize,
    /// Novel episodes the few-shot accuracy is measured on.
    pub episodes: usize,
}

impl Recipe {
    pub fn from_settings(exp: &Experiment) -> Recipe {
        let s = exp.read();
        Recipe {
            scenario: s.choice("scenario"),
            shots: s.usize("shots"),
            meta_batch: s.usize("meta_batch"),
            hidden: s.usize("hidden"),
            inner_lr: s.f32("inner_lr"),
            meta_lr: s.f32("meta_lr"),
            eval_tasks: s.usize("eval_tasks"),
            episodes: s.usize("episodes"),
        }
    }
}

/// Amplitude and phase ranges of the task family, and the input range.
pub const AMPLITUDE: (f32, f32) = (0.1, 5.0);
pub const PHASE: (f32, f32) = (0.0, std::f32::consts::PI);
pub const X_RANGE: (f32, f32) = (-5.0, 5.0);
/// Adaptation steps at evaluation: MSE is read after 0, 1, …, EVAL_STEPS steps.
pub const EVAL_STEPS: usize = 10;
/// Query points of an evaluation task: a grid over the input range.
pub const GRID: usize = 101;

/// The network's parameters, [w1, b1, w2, b2, w3, b3], one set per run: weights from N(0, 0.01²)
/// and zero biases, as in the MAML authors' code, so that the first inner steps at α = 0.01 are
/// small.
pub fn init(g: &Graph, hidden: usize) -> Result<Vec<Tensor>> {
    let runs = g.runs();
    let layer = |name: &str, i: usize, o: usize| -> Result<[Tensor; 2]> {
        let w = g.param_normal(&format!("{name}.weight"), &[runs, i, o], 0.01)?;
        let b = g.param(&format!("{name}.bias"), &[runs, 1, o], vec![0.0; runs * o])?;
        Ok([w, b])
    };
    let mut p = Vec::new();
    p.extend(layer("l1", 1, hidden)?);
    p.extend(layer("l2", hidden, hidden)?);
    p.extend(layer("l3", hidden, 1)?);
    Ok(p)
}

/// The network at weights `p` on inputs x ([R|1, N, 1]): [R, N, 1].
pub fn forward(p: &[Tensor], x: &Tensor) -> Result<Tensor> {
    let h = x.matmul(&p[0])?.add(&p[1])?.relu()?;
    let h = h.matmul(&p[2])?.add(&p[3])?.relu()?;
    h.matmul(&p[4])?.add(&p[5])
}

/// Mean squared error per run: [R].
pub fn mse(p: &[Tensor], x: &Tensor, y: &Tensor) -> Result<Tensor> {
    forward(p, x)?.sub(y)?.square()?.mean_per_run()
}

/// One SGD step on (x, y) from weights `p`; with `first_order` the gradient is a constant.
pub fn sgd_step(
    p: &[Tensor],
    x: &Tensor,
    y: &Tensor,
    lr: f32,
    first_order: bool,
) -> Result<Vec<Tensor>> {
    sgd_step_on(p, &|w: &[Tensor]| mse(w, x, y), lr, first_order)
}

/// One SGD step on `loss` from weights `p`: θ − lr·∇loss(θ), differentiable in `p` through the
/// gradient unless `first_order` makes the gradient a constant.
pub fn sgd_step_on(
    p: &[Tensor],
    loss: &dyn Fn(&[Tensor]) -> Result<Tensor>,
    lr: f32,
    first_order: bool,
) -> Result<Vec<Tensor>> {
    let grads = autodiff::grad(&loss(p)?, p)?;
    p.iter()
        .zip(grads)
        .map(|(w, gr)| {
            let gr = if first_order { gr.detach()? } else { gr };
            w.sub(&gr.mul_scalar(lr)?)
        })
        .collect()
}

/// MAML's loss on one task: the query MSE after `inner` SGD steps on the support points from
/// `p`, differentiable in `p` through the steps (with their second-order terms unless
/// `first_order`).
pub fn maml_loss(
    p: &[Tensor],
    [xs, ys, xq, yq]: [&Tensor; 4],
    inner: usize,
    lr: f32,
    first_order: bool,
) -> Result<Tensor> {
    let mut adapted = p.to_vec();
    for _ in 0..inner {
        adapted = sgd_step(&adapted, xs, ys, lr, first_order)?;
    }
    mse(&adapted, xq, yq)
}

/// One task's support and query points, drawn from the counter: (xs, ys, xq, yq), [R, n, 1].
pub fn task(g: &Graph, shots: usize, queries: usize, step: &Tensor) -> Result<[Tensor; 4]> {
    let runs = g.runs();
    let amp = g.random_uniform(&[runs, 1, 1], AMPLITUDE.0, AMPLITUDE.1, Some(step))?;
    let phase = g.random_uniform(&[runs, 1, 1], PHASE.0, PHASE.1, Some(step))?;
    let xs = g.random_uniform(&[runs, shots, 1], X_RANGE.0, X_RANGE.1, Some(step))?;
    let xq = g.random_uniform(&[runs, queries, 1], X_RANGE.0, X_RANGE.1, Some(step))?;
    let y = |x: &Tensor| x.add(&phase)?.sin()?.mul(&amp);
    Ok([xs.clone(), y(&xs)?, xq.clone(), y(&xq)?])
}

/// The mean over the recipe's `meta_batch` fresh tasks (each `shots` support and `queries`
/// query points, drawn in turn) of `term(task)`: [R].
pub fn over_tasks(
    g: &Graph,
    recipe: &Recipe,
    step: &Tensor,
    (shots, queries): (usize, usize),
    mut term: impl FnMut([Tensor; 4]) -> Result<Tensor>,
) -> Result<Tensor> {
    let mut total: Option<Tensor> = None;
    for _ in 0..recipe.meta_batch {
        let t = term(task(g, shots, queries, step)?)?;
        total = Some(match total {
            Some(sum) => sum.add(&t)?,
            None => t,
        });
    }
    total
        .expect("meta_batch ≥ 1")
        .mul_scalar(1.0 / recipe.meta_batch as f32)
}

/// The query grid over the input range.
pub fn grid() -> Vec<f32> {
    (0..GRID)
        .map(|i| X_RANGE.0 + (X_RANGE.1 - X_RANGE.0) * i as f32 / (GRID - 1) as f32)
        .collect()
}

/// Held-out task `i`: amplitude, phase and its `shots` support inputs, the same for every seed
/// and method (drawn on the host from seed 0).
pub fn held_out(i: usize, shots: usize) -> (f32, f32, Vec<f32>) {
    let u = |stream: u32, j: usize| rng::uniform(0, stream, i as u32, j as u32);
    let amp = AMPLITUDE.0 + (AMPLITUDE.1 - AMPLITUDE.0) * u(501, 0);
    let phase = PHASE.0 + (PHASE.1 - PHASE.0) * u(502, 0);
    let xs = (0..shots)
        .map(|j| X_RANGE.0 + (X_RANGE.1 - X_RANGE.0) * u(503, j))
        .collect();
    (amp, phase, xs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cpu::CpuExec;
    use crate::engine::{Entry, Program};

    /// MAML's meta-gradient (second order) against central finite differences of the meta-loss
    /// on a tiny net and a fixed task, in f64 sums of f32 evaluations; FOMAML's differs from it.
    #[test]
    fn the_maml_meta_gradient_matches_finite_differences_and_fomaml_differs() {
        let g = Graph::new(1, 3);
        let p = init(&g, 3).unwrap();
        let data = |label: &str, v: Vec<f32>| g.input(label, &[1, v.len(), 1], v).unwrap();
        let xs = data("xs", vec![-1.5, -0.3, 0.8, 2.0]);
        let ys = data("ys", vec![0.9, -0.4, 1.1, 0.2]);
        let xq = data("xq", vec![-1.0, 0.1, 1.4]);
        let yq = data("yq", vec![0.5, -0.2, 0.7]);
        let task = [&xs, &ys, &xq, &yq];
        // A large inner step, so the second-order term is not negligible.
        let lr = 0.3;
        let loss = maml_loss(&p, task, 2, lr, false).unwrap();
        let loss_fo = maml_loss(&p, task, 2, lr, true).unwrap();
        let second = autodiff::grad(&loss, &p).unwrap();
        let first = autodiff::grad(&loss_fo, &p).unwrap();
        let mut entry = Entry::new("probe").output(&loss);
        for t in second.iter().chain(&first) {
            entry = entry.output(t);
        }
        let program = Program::new(&g, vec![entry]).unwrap();
        let mut exec = CpuExec::new(&program).unwrap();
        // Weights of order 1, so the net is far from linear.
        let mut values: Vec<Vec<f32>> = p
            .iter()
            .enumerate()
            .map(|(k, t)| {
                (0..t.shape().numel())
                    .map(|i| 0.7 * rng::normal(11, k as u32, 0, i as u32))
                    .collect()
            })
            .collect();
        for (t, v) in p.iter().zip(&values) {
            exec.write(t, v).unwrap();
        }
        exec.run(0, 1).unwrap();
        let read = |exec: &CpuExec, ts: &[Tensor]| -> Vec<f32> {
            ts.iter().flat_map(|t| exec.read(t).unwrap()).collect()
        };
        let analytic = read(&exec, &second);
        let first_order = read(&exec, &first);
        let h = 1e-2f32;
        let mut numeric = Vec::new();
        for k in 0..p.len() {
            for i in 0..values[k].len() {
                let mut at = |delta: f32, exec: &mut CpuExec| -> f64 {
                    values[k][i] += delta;
                    exec.write(&p[k], &values[k]).unwrap();
                    values[k][i] -= delta;
                    exec.run(0, 1).unwrap();
                    exec.read(&loss).unwrap()[0] as f64
                };
                let up = at(h, &mut exec);
                let down = at(-h, &mut exec);
                exec.write(&p[k], &values[k]).unwrap();
                numeric.push(((up - down) / (2.0 * h as f64)) as f32);
            }
        }
        let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
        let diff = |a: &[f32], b: &[f32]| -> f64 {
            let d: Vec<f32> = a.iter().zip(b).map(|(x, y)| x - y).collect();
            norm(&d) / norm(b)
        };
        let err = diff(&analytic, &numeric);
        assert!(
            err < 1e-2,
            "MAML vs finite differences: relative error {err}"
        );
        let gap = diff(&first_order, &numeric);
        eprintln!("relative error: MAML {err:.2e}, FOMAML {gap:.2e}");
        assert!(
            gap > 10.0 * err && gap > 0.05,
            "FOMAML is as close as MAML: {gap} vs {err}"
        );
    }
}
