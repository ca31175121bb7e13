//! Engine benchmark workloads, shared by `methodlab bench` and the page-level benchmark. They
//! print figures (steps per second, dispatches and bytes uploaded per step, readbacks per 1000
//! steps); nothing here asserts on speed.

use crate::data;
use crate::engine::{nn, Counters, EngineError, Entry, Graph, OptimizerKind, Program, Result};
use crate::experiment::Experiment;
use crate::labs;
use std::task::{Context, Poll, Waker};

/// The workloads a name stands for, as `Workload::NAMED` lists them.
pub type Workloads = fn() -> Vec<Workload>;

/// A training step to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// 2→64→64→2 relu MLP, cross-entropy, Adam, batch 128 sampled from 1,000 two-spiral points.
    Mlp2x64,
    /// 64→256→256→10 relu MLP, cross-entropy, Adam, batch 256 sampled from 4,096 clustered points.
    Mlp64x256,
    /// TensorFlow Playground's default-sized net: 2→64→64→1 tanh, MSE on ±1 labels, plain SGD,
    /// batch 32 over the Basics lab's spiral (Playground's data: 250 points on [-3, 3]²), the
    /// issue's comparison with Playground and TF.js.
    Playground,
    /// The mutual-information lab's step: a 2×256 separable critic (embedding 32) on d = 20
    /// correlated Gaussians, InfoNCE on a K × K score matrix, Adam.
    MiCritic { k: usize },
    /// The continual lab's training step of one method on Permuted-Digits (5 tasks, the lab's
    /// default 64-128-128-10 network, Adam, batch 32).
    Continual { method: &'static str },
    /// The meta-learning lab's meta-step of one method at the lab's defaults: sinusoids, K = 10,
    /// a meta-batch of 25 tasks, the 1-40-40-1 network (MAML's is the inner loop unrolled,
    /// second order); or, for a method that runs on the digits only, a 5-way 1-shot episode.
    Meta { method: &'static str, digits: bool },
}

impl Workload {
    pub const ALL: [Workload; 3] = [Workload::Mlp2x64, Workload::Mlp64x256, Workload::Playground];
    /// The MI lab's critic at the batch sizes its issue asks figures for.
    pub const MI: [Workload; 4] = [
        Workload::MiCritic { k: 64 },
        Workload::MiCritic { k: 128 },
        Workload::MiCritic { k: 256 },
        Workload::MiCritic { k: 512 },
    ];

    /// The names `bench --workload` takes, and the workloads each stands for.
    pub const NAMED: [(&'static str, Workloads); 7] = [
        ("all", || Workload::ALL.to_vec()),
        ("mlp2", || vec![Workload::Mlp2x64]),
        ("mlp64", || vec![Workload::Mlp64x256]),
        ("playground", || vec![Workload::Playground]),
        ("mi", || Workload::MI.to_vec()),
        ("continual", Workload::continual),
        ("meta", Workload::meta),
    ];

    /// The names `bench --workload` takes.
    pub fn names() -> Vec<&'static str> {
        Workload::NAMED.iter().map(|(name, _)| *name).collect()
    }

    /// The workloads a name of `NAMED` stands for.
    pub fn named(name: &str) -> Option<Vec<Workload>> {
        let (_, workloads) = Workload::NAMED.iter().find(|(n, _)| *n == name)?;
        Some(workloads())
    }

    /// Every continual-learning method.
    pub fn continual() -> Vec<Workload> {
        labs::continual::declaration()
            .methods
            .iter()
            .map(|m| Workload::Continual { method: m.id })
            .collect()
    }

    /// Every meta-learning method, on the scenario of the first of the lab's smoke settings that
    /// lists it (the declared place each method runs).
    pub fn meta() -> Vec<Workload> {
        let decl = labs::meta::declaration();
        let lists = |query: &str, id: &str| {
            query.split('&').any(|kv| {
                kv.strip_prefix("methods=")
                    .is_some_and(|list| list.split(',').any(|m| m == id))
            })
        };
        decl.methods
            .iter()
            .map(|m| Workload::Meta {
                method: m.id,
                digits: decl
                    .smoke
                    .iter()
                    .find(|q| lists(q, m.id))
                    .is_some_and(|q| q.contains("scenario=digits")),
            })
            .collect()
    }

    pub fn name(self) -> String {
        match self {
            Workload::Mlp2x64 => "mlp 2-64-64-2 b128".into(),
            Workload::Mlp64x256 => "mlp 64-256-256-10 b256".into(),
            Workload::Playground => "playground 2-64-64-1 tanh mse sgd b32".into(),
            Workload::MiCritic { k } => format!("mi infonce separable 2x256 K={k}"),
            Workload::Continual { method } => format!("continual permuted {method}"),
            Workload::Meta {
                method,
                digits: false,
            } => {
                format!("meta sinusoid K=10 T=25 {method}")
            }
            Workload::Meta {
                method,
                digits: true,
            } => format!("meta digits 5-way 1-shot {method}"),
        }
    }

    /// A lab's step: the link and method whose run group the lab builds it for.
    fn lab_step(self) -> Option<(String, &'static str)> {
        match self {
            Workload::MiCritic { k } => Some((
                format!("#/mi?v=1&first=6&levels=1&steps=20000&batch={k}"),
                "infonce",
            )),
            Workload::Continual { method } => {
                Some(("#/continual?v=1&scenario=permuted".into(), method))
            }
            Workload::Meta { method, digits } => Some((
                if digits {
                    "#/meta?v=1&scenario=digits&shots=1"
                } else {
                    "#/meta?v=1"
                }
                .into(),
                method,
            )),
            Workload::Mlp2x64 | Workload::Mlp64x256 | Workload::Playground => None,
        }
    }

    /// The program: entry 0 is one training step with a `loss` metric.
    pub fn program(self, runs: usize, seed: u32) -> Result<Program> {
        if let Some((link, method)) = self.lab_step() {
            return lab_program(&link, method, runs, seed);
        }
        let g = Graph::new(runs, seed);
        let step = g.step_counter()?;
        let (points, sizes, batch, act) = match self {
            Workload::Mlp2x64 => (
                data::two_spirals(1000, 0.05, seed),
                vec![2, 64, 64, 2],
                128,
                nn::Activation::Relu,
            ),
            Workload::Mlp64x256 => (
                data::gaussian_clusters(4096, 64, 10, seed),
                vec![64, 256, 256, 10],
                256,
                nn::Activation::Relu,
            ),
            _ => (
                data::playground(data::Playground::Spiral, 250, 0.0, seed),
                vec![2, 64, 64, 1],
                32,
                nn::Activation::Tanh,
            ),
        };
        let x = g.input("x", &[1, points.n, points.dims], points.x)?;
        let idx = g.random_index(&[runs, batch], points.n, Some(&step))?;
        let xb = x.gather_rows(&idx)?;
        let mlp = nn::Mlp::new(&g, "mlp", &sizes, act)?;
        let out = mlp.forward(&xb)?;
        let (loss, kind, lr) = if self == Workload::Playground {
            // Labels as ±1 targets, regression like the Playground's classification mode.
            let y = g.input(
                "y",
                &[1, points.n, 1],
                points.y.iter().map(|c| 2.0 * c - 1.0).collect(),
            )?;
            (
                nn::mse(&out, &y.gather_rows(&idx)?)?,
                OptimizerKind::sgd(0.0),
                0.03,
            )
        } else {
            let y = g.input("y", &[1, points.n, 1], points.y)?;
            let yb = y.gather_rows(&idx)?.reshape(&[runs, batch])?;
            (nn::cross_entropy(&out, &yb)?, OptimizerKind::adam(), 0.003)
        };
        let lr = g.per_run("lr", &[lr])?;
        let train =
            Entry::new("train")
                .metric("loss", &loss)
                .minimize(&loss, &mlp.params(), kind, &lr)?;
        Program::new(&g, vec![train])
    }
}

/// The program of method `method`'s run group on `link` with `runs` runs from `seed`, as its
/// lab builds it on the CPU (a lab's first entry is its training step).
fn lab_program(link: &str, method: &str, runs: usize, seed: u32) -> Result<Program> {
    let invalid = |detail: String| EngineError::Invalid {
        op: "bench",
        detail,
    };
    let (mut exp, problems) = Experiment::from_link(link, &labs::registry());
    if let Some(problem) = problems.first() {
        return Err(invalid(format!("{link}: {problem}")));
    }
    (exp.runs, exp.seed) = (runs as u32, seed);
    let mut group = labs::lab(&exp.lab)?.group(&exp, method, None);
    // On the CPU a group is built without waiting on anything: one poll finishes it.
    match group.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(group) => Ok(group?.exec().program().clone()),
        Poll::Pending => Err(invalid(format!("{link}: the group waited on a device"))),
    }
}

/// One row of benchmark output.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Figure {
    pub backend: String,
    pub workload: String,
    pub runs: usize,
    pub steps_per_s: f64,
    pub dispatches_per_step: f64,
    pub upload_bytes_per_step: f64,
    pub readbacks_per_1000: f64,
    /// Mean loss over the last readback window, per run averaged: shows the step really trains.
    pub last_loss: f32,
}

/// What a timed run saw: steps and seconds, the backend's counters around the timed part, and
/// the mean loss of the last metric window.
#[derive(Clone, Copy, Debug)]
pub struct Measurement {
    pub steps: u64,
    pub seconds: f64,
    pub before: Counters,
    pub after: Counters,
    pub last_loss: f32,
}

impl Figure {
    /// Dispatches per step as people read them: a whole number, or "1/N" when one dispatch runs
    /// N steps (the step kernel).
    pub fn dispatches(&self) -> String {
        let d = self.dispatches_per_step;
        if d >= 1.0 || d <= 0.0 {
            format!("{d:.0}")
        } else {
            format!("1/{:.0}", 1.0 / d)
        }
    }

    pub fn new(backend: &str, workload: Workload, runs: usize, m: Measurement) -> Figure {
        let measured = (m.after.steps - m.before.steps).max(1) as f64;
        Figure {
            backend: backend.into(),
            workload: workload.name(),
            runs,
            steps_per_s: m.steps as f64 / m.seconds,
            dispatches_per_step: (m.after.dispatches - m.before.dispatches) as f64 / measured,
            upload_bytes_per_step: (m.after.upload_bytes - m.before.upload_bytes) as f64 / measured,
            readbacks_per_1000: 1000.0 * (m.after.readbacks - m.before.readbacks) as f64 / measured,
            last_loss: m.last_loss,
        }
    }
}

/// Mean over runs of one metric's window values.
/// A GPU profile (kernel, workgroups, ms per dispatch, as `GpuExec::profile` gives) summed by
/// kernel, largest first, as a text table.
pub fn profile_table(title: &str, dispatches: &[(&str, u32, f64)]) -> String {
    let mut by_kernel: Vec<(&str, usize, u32, f64)> = Vec::new();
    for &(kernel, groups, ms) in dispatches {
        match by_kernel.iter_mut().find(|k| k.0 == kernel) {
            Some(k) => (k.1, k.2, k.3) = (k.1 + 1, k.2.max(groups), k.3 + ms),
            None => by_kernel.push((kernel, 1, groups, ms)),
        }
    }
    by_kernel.sort_by(|a, b| b.3.total_cmp(&a.3));
    let total: f64 = by_kernel.iter().map(|k| k.3).sum();
    let mut out = format!(
        "{title}: {:.1} µs per step in dispatches alone\n",
        total * 1e3
    );
    for (kernel, count, groups, ms) in by_kernel {
        out += &format!(
            "  {kernel:<22} {count:>3}× max {groups:>6} groups {:>9.1} µs {:>5.1}%\n",
            ms * 1e3,
            100.0 * ms / total
        );
    }
    out
}

pub fn mean(values: &[f32]) -> f32 {
    values.iter().sum::<f32>() / values.len().max(1) as f32
}

/// The first metric's mean over `windows` (their runs and steps), or NaN for none.
pub fn windows_mean(windows: &[crate::engine::MetricWindow]) -> f32 {
    let steps: u64 = windows.iter().map(|w| w.steps).sum();
    let total: f64 = windows
        .iter()
        .map(|w| mean(&w.values[0]) as f64 * w.steps as f64)
        .sum();
    if steps == 0 {
        f32::NAN
    } else {
        (total / steps as f64) as f32
    }
}

/// Runs `step(n)` with growing n until `budget_s` seconds have passed (at least one step after a
/// warm-up step), and returns (steps, seconds). `now` is a clock in seconds.
pub fn time_steps(
    budget_s: f64,
    now: &dyn Fn() -> f64,
    step: &mut dyn FnMut(u32) -> Result<()>,
) -> Result<(u64, f64)> {
    step(1)?;
    let start = now();
    let mut done = 0u64;
    let mut n = 1u32;
    loop {
        step(n)?;
        done += n as u64;
        let elapsed = now() - start;
        if elapsed >= budget_s {
            return Ok((done, elapsed));
        }
        // Aim the next batch at the remaining time, at most doubling.
        let per_step = elapsed / done as f64;
        let want = ((budget_s - elapsed) / per_step.max(1e-9)).ceil() as u64;
        n = want.clamp(1, 2 * n as u64).min(100_000) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::Workload;

    /// Every workload a name stands for builds its program (the meta lab's digits-only methods
    /// once failed `bench --workload meta`).
    #[test]
    fn every_named_workload_builds() {
        for name in Workload::names() {
            for w in Workload::named(name).unwrap() {
                if let Err(e) = w.program(2, 1) {
                    panic!("{name}: {}: {e}", w.name());
                }
            }
        }
    }
}
