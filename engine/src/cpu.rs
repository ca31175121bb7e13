//! The CPU backend: plain Rust, the definition of every op's meaning and the oracle for every test.
//!
//! It compiles a `Program` the same way the GPU backend does (static nodes once, then a fixed list
//! of ops per entry) so the two count dispatches alike and replay the same sequence of numbers.

use super::error::{invalid, Result};
use super::graph::{Node, Tensor};
use super::math::{cos, exp, ln, pow, sin};
use super::op::{BinaryOp, Dist, LeafKind, Op, ReduceOp, SoftmaxKind, UnaryOp};
use super::plan::Plan;
use super::program::{open_window, Snapshot};
use super::program::{Counters, MetricWindow, OptimizerKind, Program};
use super::rng;
use super::shape::{Shape, MAX_RANK};
use matmul::matmul;

mod matmul;

pub struct CpuExec {
    program: Program,
    plan: Plan,
    nodes: Vec<Node>,
    values: Vec<Vec<f32>>,
    /// Optimizer moments per entry, per parameter: `moments[entry][k]` holds `kind.moments()` slabs.
    moments: Vec<Vec<Vec<f32>>>,
    metric_sums: Vec<Vec<f64>>,
    metric_steps: Vec<u64>,
    counters: Counters,
    seed: u32,
}

impl CpuExec {
    pub fn new(program: &Program) -> Result<CpuExec> {
        let plan = Plan::new(program)?;
        let nodes = program.graph.with_nodes(|n| n.to_vec());
        let mut values: Vec<Vec<f32>> = nodes
            .iter()
            .map(|n| match &n.init {
                Some(data) => data.as_ref().clone(),
                None => Vec::new(),
            })
            .collect();
        let seed = program.graph.seed();
        for &id in &plan.prologue {
            let out = eval(&nodes, &values, id, seed)?;
            values[id] = out;
        }
        let moments = program
            .entries
            .iter()
            .map(|e| match &e.update {
                Some(u) => u
                    .params
                    .iter()
                    .map(|p| vec![0.0; p.shape().numel() * u.kind.moments()])
                    .collect(),
                None => Vec::new(),
            })
            .collect();
        let metric_sums = program
            .entries
            .iter()
            .map(|e| vec![0.0; e.metrics.len() * program.graph.runs()])
            .collect();
        Ok(CpuExec {
            metric_steps: vec![0; program.entries.len()],
            program: program.clone(),
            plan,
            nodes,
            values,
            moments,
            metric_sums,
            counters: Counters::default(),
            seed,
        })
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Runs entry `entry` `steps` times.
    pub fn run(&mut self, entry: usize, steps: u32) -> Result<()> {
        if entry >= self.program.entries.len() {
            return Err(invalid("run", format!("no entry {entry}")));
        }
        for _ in 0..steps {
            self.step(entry)?;
        }
        Ok(())
    }

    fn step(&mut self, entry: usize) -> Result<()> {
        let runs = self.program.graph.runs();
        for &id in &self.plan.entries[entry].ops {
            let mut out = std::mem::take(&mut self.values[id]);
            eval_into(&self.nodes, &self.values, id, self.seed, &mut out)?;
            self.values[id] = out;
            self.counters.dispatches += 1;
        }
        let e = &self.program.entries[entry];
        // Metrics: per-run sums, read as means.
        if !e.metrics.is_empty() {
            let sums = &mut self.metric_sums[entry];
            for (m, (_, t)) in e.metrics.iter().enumerate() {
                let v = &self.values[t.id];
                for r in 0..runs {
                    sums[m * runs + r] += v[if v.len() == 1 { 0 } else { r }] as f64;
                }
            }
            self.metric_steps[entry] += 1;
            self.counters.dispatches += e.metrics.len() as u64;
        }
        if let Some(u) = &e.update {
            let t = self.values[self.program.step.id][0] + 1.0;
            // Taken out and put back (not cloned: no allocation a step); a learning rate is a
            // leaf, never one of the parameters or gradients written here.
            let lr = std::mem::take(&mut self.values[u.lr.id]);
            for (k, (p, g)) in u.params.iter().zip(&u.grads).enumerate() {
                let grad = std::mem::take(&mut self.values[g.id]);
                let theta = &mut self.values[p.id];
                let per_run = p.shape().per_run();
                optimizer_step(
                    &u.kind,
                    theta,
                    &grad,
                    &mut self.moments[entry][k],
                    &lr,
                    per_run,
                    t,
                );
                self.values[g.id] = grad;
            }
            self.values[u.lr.id] = lr;
            self.counters.dispatches += 1;
        }
        // Assignments: every value read before any state is written.
        let fresh: Vec<Vec<f32>> = e
            .assigns
            .iter()
            .map(|(_, v)| self.values[v.id].clone())
            .collect();
        for ((state, _), v) in e.assigns.iter().zip(fresh) {
            self.values[state.id] = v;
            self.counters.dispatches += 1;
        }
        if e.advances_step {
            self.values[self.program.step.id][0] += 1.0;
            self.counters.dispatches += 1;
        }
        self.counters.steps += 1;
        Ok(())
    }

    /// The current values of `t` (a leaf, or a node an entry computed), row-major.
    pub fn read(&self, t: &Tensor) -> Result<Vec<f32>> {
        match self.values.get(t.id) {
            Some(v) if !v.is_empty() => Ok(v.clone()),
            _ => Err(invalid(
                "read",
                format!("node {} has not been computed by any entry yet", t.id),
            )),
        }
    }

    /// Overwrites a leaf's values (new data, a merged model, a reset).
    pub fn write(&mut self, t: &Tensor, data: &[f32]) -> Result<()> {
        let node = &self.nodes[t.id];
        if !matches!(node.op, Op::Leaf(_)) || data.len() != node.shape.numel() {
            return Err(invalid(
                "write",
                format!("node {} is not a leaf of {} values", t.id, data.len()),
            ));
        }
        self.values[t.id] = data.to_vec();
        self.counters.upload_bytes += 4 * data.len() as u64;
        // Static nodes may depend on it: recompute them.
        for &id in &self.plan.prologue {
            let out = eval(&self.nodes, &self.values, id, self.seed)?;
            self.values[id] = out;
        }
        Ok(())
    }

    /// Every leaf's values and every optimizer moment: what the next step reads. Refused while a
    /// metric window is open, since its sums would not move with the state.
    pub fn snapshot(&self) -> Result<Snapshot> {
        if let Some(k) = self.metric_steps.iter().position(|&n| n > 0) {
            return Err(open_window(&self.program, k));
        }
        let leaves = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| matches!(n.op, Op::Leaf(_)))
            .map(|(id, _)| (id, self.values[id].clone()))
            .collect();
        Ok(Snapshot {
            leaves,
            moments: self.moments.clone(),
        })
    }

    /// Continues from `snapshot`, taken from this program on any backend.
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<()> {
        snapshot.check(&self.program)?;
        for (id, v) in &snapshot.leaves {
            self.values[*id] = v.clone();
            self.counters.upload_bytes += 4 * v.len() as u64;
        }
        self.moments = snapshot.moments.clone();
        for &id in &self.plan.prologue {
            let out = eval(&self.nodes, &self.values, id, self.seed)?;
            self.values[id] = out;
        }
        Ok(())
    }

    /// Means of each metric over the steps since the last call; `None` if no step ran.
    pub fn take_metrics(&mut self, entry: usize) -> Option<MetricWindow> {
        let steps = self.metric_steps[entry];
        if steps == 0 {
            return None;
        }
        let e = &self.program.entries[entry];
        let runs = self.program.graph.runs();
        let sums = &mut self.metric_sums[entry];
        let values = (0..e.metrics.len())
            .map(|m| {
                (0..runs)
                    .map(|r| (sums[m * runs + r] / steps as f64) as f32)
                    .collect()
            })
            .collect();
        sums.iter_mut().for_each(|s| *s = 0.0);
        self.metric_steps[entry] = 0;
        self.counters.readbacks += 1;
        Some(MetricWindow {
            step: self.values[self.program.step.id][0] as u64,
            steps,
            names: e.metrics.iter().map(|(n, _)| n.clone()).collect(),
            values,
        })
    }
}

/// One optimizer step on one parameter tensor, in place. `t` is the 1-based step number.
pub fn optimizer_step(
    kind: &OptimizerKind,
    theta: &mut [f32],
    grad: &[f32],
    moments: &mut [f32],
    lr: &[f32],
    per_run: usize,
    t: f32,
) {
    let n = theta.len();
    // Adam's bias corrections: one step number for every element, so computed once.
    let corrections = match *kind {
        OptimizerKind::Adam { beta1, beta2, .. } => (1.0 - pow(beta1, t), 1.0 - pow(beta2, t)),
        OptimizerKind::Sgd { .. } => (1.0, 1.0),
    };
    let (first, second) = moments.split_at_mut(n.min(moments.len()));
    // One run's slab at a time, with its learning rate and the optimizer's kind chosen outside
    // the element loop (which then vectorises); each element's arithmetic is the definition's.
    let slabs = theta
        .chunks_mut(per_run.max(1))
        .zip(grad.chunks(per_run.max(1)))
        .enumerate();
    for (r, (theta, grad)) in slabs {
        let lr = lr[if lr.len() == 1 {
            0
        } else {
            r.min(lr.len() - 1)
        }];
        let at = r * per_run..r * per_run + theta.len();
        match *kind {
            OptimizerKind::Sgd {
                momentum,
                weight_decay,
            } => {
                for ((theta, &g), v) in theta.iter_mut().zip(grad).zip(&mut first[at]) {
                    let g = g + weight_decay * *theta;
                    *v = momentum * *v + g;
                    *theta -= lr * *v;
                }
            }
            OptimizerKind::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
                decoupled,
            } => {
                let (m, v) = (&mut first[at.clone()], &mut second[at]);
                for (((theta, &g), m), v) in theta.iter_mut().zip(grad).zip(m).zip(v) {
                    let mut g = g;
                    if decoupled {
                        *theta -= lr * weight_decay * *theta;
                    } else {
                        g += weight_decay * *theta;
                    }
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    let m_hat = *m / corrections.0;
                    let v_hat = *v / corrections.1;
                    *theta -= lr * m_hat / (v_hat.sqrt() + eps);
                }
            }
        }
    }
}

/// tanh from one `exp`, several times faster than libm's `tanhf` and within 2·10⁻⁶ relative of it
/// (the GPU's tanh differs by as much): 1 - 2/(e^{2x} + 1) away from zero, and the odd Taylor series to
/// x⁹ on |x| ≤ 0.1, where the next term (≈ 9·10⁻¹⁴) is below f32 resolution.
/// Both sides are computed and one kept, so a loop of these vectorises where `exp` does (wasm).
#[inline]
pub fn tanh(x: f32) -> f32 {
    let x2 = x * x;
    let series = x
        * (1.0
            + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0)))));
    let far = 1.0 - 2.0 / (exp(2.0 * x) + 1.0);
    if x.abs() <= 0.1 {
        series
    } else {
        far
    }
}

#[inline]
pub fn unary(op: UnaryOp, x: f32) -> f32 {
    match op {
        UnaryOp::Identity | UnaryOp::Detach => x,
        UnaryOp::Neg => -x,
        UnaryOp::Exp => exp(x),
        UnaryOp::Log => ln(x),
        UnaryOp::Tanh => tanh(x),
        UnaryOp::Relu => x.max(0.0),
        // NOTE: written as 1/(1+e^-x) for x ≥ 0 and e^x/(1+e^x) below, so neither form overflows.
        // One exp for both forms (e^-|x|), so a loop of these vectorises where `exp` does.
        UnaryOp::Sigmoid => {
            let e = exp(-x.abs());
            if x >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            }
        }
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Abs => x.abs(),
        UnaryOp::Square => x * x,
        UnaryOp::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        UnaryOp::Floor => x.floor(),
        UnaryOp::Sin => sin(x),
        UnaryOp::Cos => cos(x),
        UnaryOp::Recip => 1.0 / x,
        UnaryOp::Step => (x > 0.0) as u8 as f32,
    }
}

#[inline]
pub fn binary(op: BinaryOp, a: f32, b: f32) -> f32 {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        // NOTE: max/min propagate NaN (f32::max would drop it and hide a diverged run).
        BinaryOp::Max => {
            if a.is_nan() || b.is_nan() {
                f32::NAN
            } else if a >= b {
                a
            } else {
                b
            }
        }
        BinaryOp::Min => {
            if a.is_nan() || b.is_nan() {
                f32::NAN
            } else if a <= b {
                a
            } else {
                b
            }
        }
        BinaryOp::Pow => pow(a, b),
        BinaryOp::Lt => (a < b) as u8 as f32,
        BinaryOp::Le => (a <= b) as u8 as f32,
        BinaryOp::Gt => (a > b) as u8 as f32,
        BinaryOp::Ge => (a >= b) as u8 as f32,
        BinaryOp::Eq => (a == b) as u8 as f32,
    }
}

/// Calls `f(out_index, [offset into each operand])` for every element of `out`, with broadcasting.
/// Offsets are stepped incrementally axis by axis: no per-element multiply-add over the rank.
#[inline(always)]
fn for_each_broadcast<const N: usize>(
    out: &Shape,
    operands: [&Shape; N],
    mut f: impl FnMut(usize, [usize; N]),
) {
    let dims = out.padded_max();
    let strides: [[usize; MAX_RANK]; N] =
        operands.map(|s| s.broadcast_strides(out).map(|v| v as usize));
    let mut i = 0;
    for a in 0..dims[0] {
        for b in 0..dims[1] {
            for c in 0..dims[2] {
                let base: [usize; N] = std::array::from_fn(|k| {
                    a * strides[k][0] + b * strides[k][1] + c * strides[k][2]
                });
                let step: [usize; N] = std::array::from_fn(|k| strides[k][3]);
                for d in 0..dims[3] {
                    f(i, std::array::from_fn(|k| base[k] + d * step[k]));
                    i += 1;
                }
            }
        }
    }
}

/// `out = f(x, y)` with broadcasting, by the fastest loop the shapes allow: same shapes, a scalar
/// operand (either side), rows of `y` repeated along `x` (a bias), or the general strided walk. A macro, so the
/// loops are compiled where they are written (see [`map1`]).
macro_rules! binary_loop {
    ($out:expr, $shape:expr, $x:expr, $sx:expr, $y:expr, $sy:expr, |$p:ident, $q:ident| $body:expr) => {{
        let (out, shape, x, sx, y, sy): (&mut [f32], &Shape, &[f32], &Shape, &[f32], &Shape) =
            ($out, $shape, $x, $sx, $y, $sy);
        if sx == shape && sy == shape {
            map2!(out, x, y, |$p, $q| $body);
        } else if sy.numel() == 1 {
            let $q = y[0];
            if sx == shape {
                map1!(out, x, |$p| $body);
            } else {
                for_each_broadcast(shape, [sx], |i, [a]| {
                    let $p = x[a];
                    out[i] = $body;
                });
            }
        } else if sx.numel() == 1 && sy == shape {
            // A scalar first operand (1 − y² in tanh's derivative).
            let $p = x[0];
            map1!(out, y, |$q| $body);
        } else if sx == shape
            && sy.rank() == shape.rank()
            && sy.dims()[1..shape.rank() - 1].iter().all(|&d| d == 1)
            && sy.last() == shape.last()
        {
            // y is [R|1, 1, …, n] against x [R, …, n]: one row of y per run, repeated.
            let n = shape.last();
            let per_run = shape.per_run();
            for (r, (o_run, x_run)) in out.chunks_mut(per_run).zip(x.chunks(per_run)).enumerate() {
                let row = &y[if sy.runs() == 1 { 0 } else { r * n }..][..n];
                for (o_row, x_row) in o_run.chunks_mut(n).zip(x_run.chunks(n)) {
                    map2!(o_row, x_row, row, |$p, $q| $body);
                }
            }
        } else if shape.runs() > 1
            && [sx, sy].iter().all(|s| {
                s.dims()[1..] == shape.dims()[1..] && (s.runs() == 1 || s.runs() == shape.runs())
            })
        {
            // Each operand is per run or one slab shared by every run (data every run reads).
            let per_run = shape.per_run();
            let slab = |s: &Shape, r: usize| -> std::ops::Range<usize> {
                if s.runs() == 1 {
                    0..per_run
                } else {
                    r * per_run..(r + 1) * per_run
                }
            };
            for (r, o) in out.chunks_mut(per_run).enumerate() {
                let (xs, ys) = (&x[slab(sx, r)], &y[slab(sy, r)]);
                map2!(o, xs, ys, |$p, $q| $body);
            }
        } else {
            for_each_broadcast(shape, [sx, sy], |i, [a, c]| {
                let ($p, $q) = (x[a], y[c]);
                out[i] = $body;
            });
        }
    }};
}

/// Evaluates node `id` from the current values of its inputs into a new vector.
pub fn eval(nodes: &[Node], values: &[Vec<f32>], id: usize, seed: u32) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    eval_into(nodes, values, id, seed, &mut out)?;
    Ok(out)
}

/// Evaluates node `id` into `out`, reusing its allocation (`values[id]` itself is not read).
/// On x86-64 with AVX2 the same code compiled for AVX2 runs (chosen at run time, like the
/// products): wider vectors for the elementwise maps, the same IEEE operations element by element
/// (no FMA), so the same bits.
pub fn eval_into(
    nodes: &[Node],
    values: &[Vec<f32>],
    id: usize,
    seed: u32,
    out: &mut Vec<f32>,
) -> Result<()> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { eval_avx2(nodes, values, id, seed, out) };
        }
    }
    eval_body(nodes, values, id, seed, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn eval_avx2(
    nodes: &[Node],
    values: &[Vec<f32>],
    id: usize,
    seed: u32,
    out: &mut Vec<f32>,
) -> Result<()> {
    eval_body(nodes, values, id, seed, out)
}

/// `out[i] = f(x[i])` as an index loop: inlined where it is written (a generic iterator
/// adapter may be compiled apart, without the caller's target features).
macro_rules! map1 {
    ($out:expr, $x:expr, |$v:ident| $body:expr) => {{
        let (out, x) = ($out, $x);
        let x = &x[..out.len()];
        for i in 0..out.len() {
            let $v = x[i];
            out[i] = $body;
        }
    }};
}

/// `out[i] = f(x[i], y[i])`, as [`map1`].
macro_rules! map2 {
    ($out:expr, $x:expr, $y:expr, |$p:ident, $q:ident| $body:expr) => {{
        let (out, x, y) = ($out, $x, $y);
        let (x, y) = (&x[..out.len()], &y[..out.len()]);
        for i in 0..out.len() {
            let ($p, $q) = (x[i], y[i]);
            out[i] = $body;
        }
    }};
}

#[inline(always)]
fn eval_body(
    nodes: &[Node],
    values: &[Vec<f32>],
    id: usize,
    seed: u32,
    out: &mut Vec<f32>,
) -> Result<()> {
    let node = &nodes[id];
    let shape = &node.shape;
    let input = |k: usize| -> &[f32] { &values[node.inputs[k]] };
    let in_shape = |k: usize| -> &Shape { &nodes[node.inputs[k]].shape };
    // Every op below writes each output (ScatterAddRows zeroes its own first), so a buffer of
    // the right length from the last step is reused as it is: no memset a step.
    if out.len() != shape.numel() {
        out.clear();
        out.resize(shape.numel(), 0.0);
    }
    let out = out.as_mut_slice();
    match &node.op {
        Op::Leaf(_) => out.copy_from_slice(&values[id]),
        Op::Fill(v) => out.iter_mut().for_each(|o| *o = *v),
        Op::Random {
            dist,
            stream,
            seed: own,
        } => {
            let counter = input(0)[0] as u32;
            let per_run = shape.per_run();
            for r in 0..shape.runs() {
                let s = rng::run_seed(own.unwrap_or(seed), r);
                for j in 0..per_run {
                    out[r * per_run + j] = match *dist {
                        Dist::Uniform { low, high } => {
                            low + (high - low) * rng::uniform(s, *stream, counter, j as u32)
                        }
                        Dist::Normal { mean, std } => {
                            mean + std * rng::normal(s, *stream, counter, j as u32)
                        }
                    };
                }
            }
        }
        Op::Unary(u) => {
            let x = input(0);
            let same = in_shape(0) == shape;
            // One monomorphised loop per op, so the match is outside the loop and simple maps
            // vectorise.
            macro_rules! each_unary {
                ($($op:ident),*) => {
                    match u {
                        $(UnaryOp::$op => {
                            if same {
                                map1!(&mut *out, x, |v| unary(UnaryOp::$op, v));
                            } else {
                                for_each_broadcast(shape, [in_shape(0)], |i, [a]| {
                                    out[i] = unary(UnaryOp::$op, x[a])
                                });
                            }
                        })*
                    }
                };
            }
            each_unary!(
                Identity, Neg, Exp, Log, Tanh, Relu, Sigmoid, Sqrt, Abs, Square, Sign, Floor, Sin,
                Cos, Recip, Step, Detach
            );
        }
        Op::Clamp { min, max } => {
            for (o, &v) in out.iter_mut().zip(input(0)) {
                // NOTE: NaN stays NaN so divergence is still seen.
                *o = if v < *min {
                    *min
                } else if v > *max {
                    *max
                } else {
                    v
                };
            }
        }
        Op::Binary(b) => {
            let (x, y) = (input(0), input(1));
            let (sx, sy) = (in_shape(0), in_shape(1));
            macro_rules! each_binary {
                ($($op:ident),*) => {
                    match b {
                        $(BinaryOp::$op => binary_loop!(
                            out, shape, x, sx, y, sy, |p, q| binary(BinaryOp::$op, p, q)
                        ),)*
                    }
                };
            }
            each_binary!(Add, Sub, Mul, Div, Max, Min, Pow, Lt, Le, Gt, Ge, Eq);
        }
        Op::Select => {
            let (c, x, y) = (input(0), input(1), input(2));
            for_each_broadcast(
                shape,
                [in_shape(0), in_shape(1), in_shape(2)],
                |i, [p, q, s]| {
                    out[i] = if c[p] != 0.0 { x[q] } else { y[s] };
                },
            );
        }
        Op::MatMul {
            transpose_a,
            transpose_b,
        } => {
            matmul(
                input(0),
                in_shape(0),
                *transpose_a,
                input(1),
                in_shape(1),
                *transpose_b,
                out,
                shape,
            );
        }
        Op::Reduce { op, axis } => {
            let x = input(0);
            let dims = in_shape(0).dims();
            let len = dims[*axis];
            let inner: usize = dims[axis + 1..].iter().product();
            let start = match op {
                ReduceOp::Sum => 0.0f32,
                ReduceOp::Max => f32::NEG_INFINITY,
            };
            let fold = |acc: f32, v: f32| match op {
                ReduceOp::Sum => acc + v,
                ReduceOp::Max => binary(BinaryOp::Max, acc, v),
            };
            // Each output folds its k in ascending order (the definition). Along the last axis
            // that is one contiguous row an output; along any other, whole rows of outputs are
            // folded with one row of the input at a time, so the loop is contiguous and
            // vectorises, in the same order for every output.
            if len == 0 || inner == 0 {
                out.fill(start);
            } else if inner == 1 {
                for (o, row) in out.iter_mut().zip(x.chunks_exact(len.max(1))) {
                    *o = row.iter().fold(start, |acc, &v| fold(acc, v));
                }
            } else {
                for (o, block) in out.chunks_exact_mut(inner).zip(x.chunks_exact(len * inner)) {
                    o.fill(start);
                    for row in block.chunks_exact(inner) {
                        o.iter_mut().zip(row).for_each(|(a, &v)| *a = fold(*a, v));
                    }
                }
            }
        }
        Op::Softmax(kind) => {
            let x = input(0);
            let n = in_shape(0).last();
            for (row, xr) in x.chunks(n).enumerate() {
                let max = xr
                    .iter()
                    .fold(f32::NEG_INFINITY, |m, &v| binary(BinaryOp::Max, m, v));
                let sum: f32 = xr.iter().map(|&v| exp(v - max)).sum();
                match kind {
                    SoftmaxKind::Softmax => {
                        for k in 0..n {
                            out[row * n + k] = exp(xr[k] - max) / sum;
                        }
                    }
                    SoftmaxKind::LogSoftmax => {
                        let lse = max + ln(sum);
                        for k in 0..n {
                            out[row * n + k] = xr[k] - lse;
                        }
                    }
                    SoftmaxKind::LogSumExp => out[row] = max + ln(sum),
                }
            }
        }
        Op::GatherRows => {
            let (src, idx) = (input(0), input(1));
            let (ss, is) = (in_shape(0), in_shape(1));
            let (n, d) = (ss.0[1], ss.0[2]);
            let b = is.0[1];
            for r in 0..shape.runs() {
                let rs = if ss.runs() == 1 { 0 } else { r };
                let ri = if is.runs() == 1 { 0 } else { r };
                for k in 0..b {
                    // NOTE: indices are clamped into range, as the GPU's robust access would.
                    let row = (idx[ri * b + k].max(0.0) as usize).min(n - 1);
                    let from = (rs * n + row) * d;
                    let to = (r * b + k) * d;
                    out[to..to + d].copy_from_slice(&src[from..from + d]);
                }
            }
        }
        Op::ScatterAddRows { rows } => {
            let (src, idx) = (input(0), input(1));
            let (ss, is) = (in_shape(0), in_shape(1));
            let (b, d) = (ss.0[1], ss.0[2]);
            out.fill(0.0);
            for r in 0..shape.runs() {
                let ri = if is.runs() == 1 { 0 } else { r };
                for k in 0..b {
                    let row = idx[ri * b + k];
                    // Indices outside [0, rows) are dropped.
                    if row < 0.0 || row as usize >= *rows {
                        continue;
                    }
                    let to = (r * rows + row as usize) * d;
                    let from = (r * b + k) * d;
                    for j in 0..d {
                        out[to + j] += src[from + j];
                    }
                }
            }
        }
        Op::Concat => {
            let (x, y) = (input(0), input(1));
            let (la, lb) = (in_shape(0).last(), in_shape(1).last());
            for (row, o) in out.chunks_mut(la + lb).enumerate() {
                o[..la].copy_from_slice(&x[row * la..(row + 1) * la]);
                o[la..].copy_from_slice(&y[row * lb..(row + 1) * lb]);
            }
        }
        Op::Slice { start, len } => {
            let x = input(0);
            let n = in_shape(0).last();
            for (row, o) in out.chunks_mut(*len).enumerate() {
                o.copy_from_slice(&x[row * n + start..row * n + start + len]);
            }
        }
        Op::Transpose => {
            let x = input(0);
            let d = in_shape(0).dims();
            let (rows, cols) = (d[d.len() - 2], d[d.len() - 1]);
            for (b, o) in out.chunks_mut(rows * cols).enumerate() {
                let xb = &x[b * rows * cols..(b + 1) * rows * cols];
                for i in 0..rows {
                    for j in 0..cols {
                        o[j * rows + i] = xb[i * cols + j];
                    }
                }
            }
        }
        Op::Reshape => out.copy_from_slice(input(0)),
    }
    Ok(())
}

/// Is `node` a leaf of the given kind?
pub fn is_leaf(node: &Node, kind: LeafKind) -> bool {
    node.op == Op::Leaf(kind)
}
