//! The graph: a flat list of nodes, each an `Op` over earlier nodes, with its shape checked when it is
//! added. Building a node never runs anything; backends compile a graph once and replay it.
//!
//! A `Tensor` is a cheap handle (graph + node index). Every builder returns `Result`, so a shape
//! mismatch is an `Err` naming the op and both shapes at the line that made it, never a panic later.

use super::error::{invalid, shape_err, EngineError, Result};
use super::op::{BinaryOp, Dist, LeafKind, Op, ReduceOp, SoftmaxKind, UnaryOp};
use super::rng;
use super::shape::{Shape, MAX_RANK};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub struct Node {
    pub op: Op,
    pub inputs: Vec<usize>,
    pub shape: Shape,
    /// Initial values of a leaf (`Input`, `Param`, `State`); `None` for every computed node.
    pub init: Option<Rc<Vec<f32>>>,
    pub label: String,
}

#[derive(Debug)]
pub struct GraphData {
    pub nodes: Vec<Node>,
    pub runs: usize,
    pub seed: u32,
    next_stream: u32,
    /// The seed of the draws made now, when not the graph's (`Graph::with_draw_seed`).
    draw_seed: Option<u32>,
}

/// A graph of R runs that share every op. Cloning shares the same graph.
#[derive(Clone, Debug)]
pub struct Graph(Rc<RefCell<GraphData>>);

/// A handle to one node of a graph.
#[derive(Clone, Debug)]
pub struct Tensor {
    graph: Graph,
    pub id: usize,
}

impl PartialEq for Tensor {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && Rc::ptr_eq(&self.graph.0, &other.graph.0)
    }
}

fn check_rank(op: &'static str, shape: &Shape) -> Result<()> {
    if shape.rank() == 0 || shape.rank() > MAX_RANK {
        return Err(invalid(
            op,
            format!("shape {shape} must have 1 to {MAX_RANK} axes"),
        ));
    }
    if shape.dims().contains(&0) {
        return Err(invalid(op, format!("shape {shape} has an empty axis")));
    }
    Ok(())
}

impl Graph {
    /// A graph of `runs` runs; run r draws its random numbers from seed `seed + r`.
    pub fn new(runs: usize, seed: u32) -> Graph {
        Graph(Rc::new(RefCell::new(GraphData {
            nodes: Vec::new(),
            runs: runs.max(1),
            seed,
            next_stream: 0,
            draw_seed: None,
        })))
    }

    /// Builds with `build`, whose random draws use `seed` in place of the graph's: run r draws
    /// from `rng::run_seed(seed, r)`. A draw of one run ([1, …]) is then the same whatever
    /// the graph's seed: data shared by every run (evaluation views, say), drawn alike by a
    /// slice of the runs seeded otherwise.
    pub fn with_draw_seed<T>(&self, seed: u32, build: impl FnOnce() -> T) -> T {
        let before = self.0.borrow_mut().draw_seed.replace(seed);
        let out = build();
        self.0.borrow_mut().draw_seed = before;
        out
    }

    pub fn runs(&self) -> usize {
        self.0.borrow().runs
    }
    pub fn seed(&self) -> u32 {
        self.0.borrow().seed
    }
    pub fn len(&self) -> usize {
        self.0.borrow().nodes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn node(&self, id: usize) -> Node {
        self.0.borrow().nodes[id].clone()
    }
    pub fn same(&self, other: &Graph) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
    /// Borrow every node at once (backends compile from this).
    pub fn with_nodes<T>(&self, f: impl FnOnce(&[Node]) -> T) -> T {
        f(&self.0.borrow().nodes)
    }

    /// A fresh random stream id: each random op and each random init gets its own, in build order,
    /// so the same build code gives the same numbers.
    pub fn next_stream(&self) -> u32 {
        let mut g = self.0.borrow_mut();
        g.next_stream += 1;
        g.next_stream
    }

    /// Sets every node at once (`slice`: a copy of another graph's nodes, cut to fewer runs).
    pub(crate) fn replace_nodes(&self, nodes: Vec<Node>) {
        self.0.borrow_mut().nodes = nodes;
    }

    /// The handle of node `id`.
    pub fn tensor(&self, id: usize) -> Tensor {
        Tensor {
            graph: self.clone(),
            id,
        }
    }

    pub(crate) fn push(&self, op: Op, inputs: &[&Tensor], shape: Shape) -> Result<Tensor> {
        let name = op.name();
        for t in inputs {
            if !t.graph.same(self) {
                return Err(EngineError::ForeignTensor { op: name });
            }
        }
        check_rank(name, &shape)?;
        self.push_node(Node {
            op,
            inputs: inputs.iter().map(|t| t.id).collect(),
            shape,
            init: None,
            label: String::new(),
        })
    }

    fn push_node(&self, node: Node) -> Result<Tensor> {
        let mut g = self.0.borrow_mut();
        g.nodes.push(node);
        Ok(Tensor {
            graph: self.clone(),
            id: g.nodes.len() - 1,
        })
    }

    fn leaf(&self, kind: LeafKind, label: &str, dims: &[usize], data: Vec<f32>) -> Result<Tensor> {
        let op = Op::Leaf(kind);
        let shape = Shape::new(dims);
        check_rank(op.name(), &shape)?;
        if data.len() != shape.numel() {
            return Err(shape_err(
                op.name(),
                format!("{label}: {} values given for shape {shape}", data.len()),
            ));
        }
        let runs = self.runs();
        if shape.runs() != 1 && shape.runs() != runs {
            return Err(shape_err(
                op.name(),
                format!("{label}: run axis of {shape} must be 1 or {runs}"),
            ));
        }
        self.push_node(Node {
            op,
            inputs: vec![],
            shape,
            init: Some(Rc::new(data)),
            label: label.into(),
        })
    }

    /// Data uploaded once when the program is built. A run axis of 1 shares it across runs.
    pub fn input(&self, label: &str, dims: &[usize], data: Vec<f32>) -> Result<Tensor> {
        self.leaf(LeafKind::Input, label, dims, data)
    }
    /// A trainable tensor with initial values.
    pub fn param(&self, label: &str, dims: &[usize], data: Vec<f32>) -> Result<Tensor> {
        self.leaf(LeafKind::Param, label, dims, data)
    }
    /// Persistent non-trainable state, changed only by an assignment in a program.
    pub fn state(&self, label: &str, dims: &[usize], data: Vec<f32>) -> Result<Tensor> {
        self.leaf(LeafKind::State, label, dims, data)
    }
    /// A per-run scalar `[R]` (learning rate, λ, temperature): one value per run, or one for all.
    pub fn per_run(&self, label: &str, values: &[f32]) -> Result<Tensor> {
        let runs = self.runs();
        let data = match values.len() {
            1 => vec![values[0]; runs],
            n if n == runs => values.to_vec(),
            n => {
                return Err(invalid(
                    "per_run",
                    format!("{label}: {n} values for {runs} runs (give 1 or {runs})"),
                ))
            }
        };
        self.input(label, &[runs], data)
    }

    /// A parameter drawn from N(0, std²) per run, from the graph's seed and a fresh stream.
    pub fn param_normal(&self, label: &str, dims: &[usize], std: f32) -> Result<Tensor> {
        let shape = Shape::new(dims);
        check_rank("param", &shape)?;
        let stream = self.next_stream();
        let seed = self.seed();
        let per_run = shape.per_run();
        let mut data = Vec::with_capacity(shape.numel());
        for r in 0..shape.runs() {
            let s = rng::run_seed(seed, r);
            data.extend((0..per_run).map(|i| std * rng::normal(s, stream, 0, i as u32)));
        }
        self.param(label, dims, data)
    }
    /// A parameter drawn from U(-bound, bound) per run.
    pub fn param_uniform(&self, label: &str, dims: &[usize], bound: f32) -> Result<Tensor> {
        let shape = Shape::new(dims);
        check_rank("param", &shape)?;
        let stream = self.next_stream();
        let seed = self.seed();
        let per_run = shape.per_run();
        let mut data = Vec::with_capacity(shape.numel());
        for r in 0..shape.runs() {
            let s = rng::run_seed(seed, r);
            data.extend(
                (0..per_run).map(|i| bound * (2.0 * rng::uniform(s, stream, 0, i as u32) - 1.0)),
            );
        }
        self.param(label, dims, data)
    }
    /// He (Kaiming) normal init for a `[R, fan_in, fan_out]` weight: std = √(2 / fan_in), for relu.
    pub fn param_he(&self, label: &str, dims: &[usize]) -> Result<Tensor> {
        let fan_in = *dims.get(1).unwrap_or(&1) as f32;
        self.param_normal(label, dims, (2.0 / fan_in).sqrt())
    }
    /// Xavier (Glorot) uniform init for a `[R, fan_in, fan_out]` weight: bound = √(6 / (in + out)).
    pub fn param_xavier(&self, label: &str, dims: &[usize]) -> Result<Tensor> {
        let fan_in = *dims.get(1).unwrap_or(&1) as f32;
        let fan_out = *dims.last().unwrap_or(&1) as f32;
        self.param_uniform(label, dims, (6.0 / (fan_in + fan_out)).sqrt())
    }

    /// A constant made on the device: nothing is uploaded.
    pub fn fill(&self, dims: &[usize], value: f32) -> Result<Tensor> {
        self.push(Op::Fill(value), &[], Shape::new(dims))
    }
    pub fn zeros(&self, dims: &[usize]) -> Result<Tensor> {
        self.fill(dims, 0.0)
    }
    pub fn ones(&self, dims: &[usize]) -> Result<Tensor> {
        self.fill(dims, 1.0)
    }
    /// A scalar constant `[1]` that broadcasts against anything.
    pub fn scalar(&self, value: f32) -> Result<Tensor> {
        self.fill(&[1], value)
    }

    fn random(&self, dims: &[usize], dist: Dist, counter: Option<&Tensor>) -> Result<Tensor> {
        let counter = match counter {
            Some(c) => c.clone(),
            None => self.scalar(0.0)?,
        };
        if counter.shape().numel() != 1 {
            return Err(shape_err(
                "random",
                format!("counter must have one element, got {}", counter.shape()),
            ));
        }
        let stream = self.next_stream();
        let seed = self.0.borrow().draw_seed;
        self.push(
            Op::Random { dist, stream, seed },
            &[&counter],
            Shape::new(dims),
        )
    }
    /// Uniform in [low, high), a fresh stream, drawn anew for each value of `counter` (e.g. the step).
    pub fn random_uniform(
        &self,
        dims: &[usize],
        low: f32,
        high: f32,
        counter: Option<&Tensor>,
    ) -> Result<Tensor> {
        if low.is_nan() || high.is_nan() || low >= high {
            return Err(invalid(
                "random_uniform",
                format!("low {low} must be below high {high}"),
            ));
        }
        self.random(dims, Dist::Uniform { low, high }, counter)
    }
    /// Normal with the given mean and standard deviation.
    pub fn random_normal(
        &self,
        dims: &[usize],
        mean: f32,
        std: f32,
        counter: Option<&Tensor>,
    ) -> Result<Tensor> {
        if std.is_nan() || std < 0.0 {
            return Err(invalid("random_normal", format!("std {std} must be ≥ 0")));
        }
        self.random(dims, Dist::Normal { mean, std }, counter)
    }
    /// Integers in [0, n) as f32 (row indices for batch sampling).
    pub fn random_index(
        &self,
        dims: &[usize],
        n: usize,
        counter: Option<&Tensor>,
    ) -> Result<Tensor> {
        if n == 0 || n > (1 << 24) {
            return Err(invalid(
                "random_index",
                format!("n = {n} must be in 1..=2^24"),
            ));
        }
        // NOTE: uniform < 1 - 2^-24, so u·n < n and floor never reaches n.
        self.random_uniform(dims, 0.0, n as f32, counter)?.floor()
    }
}

impl Tensor {
    pub fn graph(&self) -> &Graph {
        &self.graph
    }
    pub fn shape(&self) -> Shape {
        self.graph.0.borrow().nodes[self.id].shape.clone()
    }
    pub fn dims(&self) -> Vec<usize> {
        self.shape().0
    }
    pub fn op(&self) -> Op {
        self.graph.0.borrow().nodes[self.id].op.clone()
    }
    /// Names the tensor (shown in errors and GPU labels).
    pub fn named(self, label: &str) -> Tensor {
        self.graph.0.borrow_mut().nodes[self.id].label = label.into();
        self
    }

    fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        self.graph.push(Op::Unary(op), &[self], self.shape())
    }
    pub fn neg(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Neg)
    }
    pub fn exp(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Exp)
    }
    pub fn log(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Log)
    }
    pub fn tanh(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Tanh)
    }
    pub fn relu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Relu)
    }
    pub fn sigmoid(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sigmoid)
    }
    pub fn sqrt(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sqrt)
    }
    pub fn abs(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Abs)
    }
    pub fn square(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Square)
    }
    pub fn sign(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sign)
    }
    pub fn floor(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Floor)
    }
    pub fn sin(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sin)
    }
    pub fn cos(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Cos)
    }
    pub fn recip(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Recip)
    }
    /// 1 where x > 0, else 0.
    pub fn step_mask(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Step)
    }
    /// The same values, with no gradient flowing back through them.
    pub fn detach(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Detach)
    }
    /// GELU, tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), composed so it has every derivative.
    pub fn gelu(&self) -> Result<Tensor> {
        let g = &self.graph;
        let cube = self.square()?.mul(self)?;
        let inner = self
            .add(&cube.mul(&g.scalar(0.044715)?)?)?
            .mul(&g.scalar((2.0 / std::f32::consts::PI).sqrt())?)?;
        let gate = inner.tanh()?.add(&g.scalar(1.0)?)?;
        self.mul(&gate)?.mul(&g.scalar(0.5)?)
    }
    pub fn clamp(&self, min: f32, max: f32) -> Result<Tensor> {
        if min.is_nan() || max.is_nan() || min > max {
            return Err(invalid(
                "clamp",
                format!("min {min} must not exceed max {max}"),
            ));
        }
        self.graph
            .push(Op::Clamp { min, max }, &[self], self.shape())
    }
    /// Broadcasts to `dims` (copying).
    pub fn expand(&self, dims: &[usize]) -> Result<Tensor> {
        let target = Shape::new(dims);
        let out = Shape::broadcast("expand", &self.shape(), &target)?;
        if out != target {
            return Err(shape_err(
                "expand",
                format!("{} does not expand to {target}", self.shape()),
            ));
        }
        self.graph
            .push(Op::Unary(UnaryOp::Identity), &[self], target)
    }

    pub fn binary(&self, op: BinaryOp, other: &Tensor) -> Result<Tensor> {
        let name = match op {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Max => "max",
            BinaryOp::Min => "min",
            BinaryOp::Pow => "pow",
            _ => "compare",
        };
        let shape = Shape::broadcast(name, &self.shape(), &other.shape())?;
        self.graph.push(Op::Binary(op), &[self, other], shape)
    }
    pub fn add(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Add, o)
    }
    pub fn sub(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Sub, o)
    }
    pub fn mul(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Mul, o)
    }
    pub fn div(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Div, o)
    }
    pub fn maximum(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Max, o)
    }
    pub fn minimum(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Min, o)
    }
    pub fn pow(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Pow, o)
    }
    pub fn lt(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Lt, o)
    }
    pub fn le(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Le, o)
    }
    pub fn gt(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Gt, o)
    }
    pub fn ge(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Ge, o)
    }
    pub fn eq_mask(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Eq, o)
    }
    pub fn add_scalar(&self, v: f32) -> Result<Tensor> {
        self.add(&self.graph.scalar(v)?)
    }
    pub fn mul_scalar(&self, v: f32) -> Result<Tensor> {
        self.mul(&self.graph.scalar(v)?)
    }

    /// `cond != 0 ? a : b`, all three broadcasting together.
    pub fn select(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        let ab = Shape::broadcast("select", &a.shape(), &b.shape())?;
        let shape = Shape::broadcast("select", &cond.shape(), &ab)?;
        cond.graph.push(Op::Select, &[cond, a, b], shape)
    }

    /// Batched matrix product over the run axis; a run axis of 1 broadcasts.
    pub fn matmul(&self, o: &Tensor) -> Result<Tensor> {
        self.matmul_t(o, false, false)
    }
    /// `op(a) · op(b)` where op transposes the last two axes when asked.
    pub fn matmul_t(&self, o: &Tensor, transpose_a: bool, transpose_b: bool) -> Result<Tensor> {
        let (a, b) = (self.shape(), o.shape());
        if a.rank() != 3 || b.rank() != 3 {
            return Err(shape_err(
                "matmul",
                format!("{a} x {b}: both operands must be [R, rows, cols]"),
            ));
        }
        let (m, ka) = if transpose_a {
            (a.0[2], a.0[1])
        } else {
            (a.0[1], a.0[2])
        };
        let (kb, n) = if transpose_b {
            (b.0[2], b.0[1])
        } else {
            (b.0[1], b.0[2])
        };
        if ka != kb {
            return Err(shape_err(
                "matmul",
                format!(
                    "{a}{} x {b}{}: inner sizes {ka} and {kb} differ",
                    if transpose_a { "ᵀ" } else { "" },
                    if transpose_b { "ᵀ" } else { "" }
                ),
            ));
        }
        let runs = Shape::broadcast("matmul", &Shape::new(&[a.0[0]]), &Shape::new(&[b.0[0]]))
            .map_err(|_| shape_err("matmul", format!("{a} x {b}: run axes differ")))?
            .0[0];
        self.graph.push(
            Op::MatMul {
                transpose_a,
                transpose_b,
            },
            &[self, o],
            Shape::new(&[runs, m, n]),
        )
    }

    fn reduce(&self, op: ReduceOp, axis: usize) -> Result<Tensor> {
        let s = self.shape();
        if axis >= s.rank() {
            return Err(invalid(
                "reduce",
                format!("axis {axis} of {s}: must be below {}", s.rank()),
            ));
        }
        let mut dims = s.0.clone();
        dims[axis] = 1;
        self.graph
            .push(Op::Reduce { op, axis }, &[self], Shape(dims))
    }
    /// Sum along `axis`, keeping it with extent 1. Axis 0 sums over runs.
    pub fn sum(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::Sum, axis)
    }
    pub fn max(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::Max, axis)
    }
    pub fn mean(&self, axis: usize) -> Result<Tensor> {
        let n = self.shape().0.get(axis).copied().unwrap_or(1) as f32;
        self.sum(axis)?.mul_scalar(1.0 / n)
    }
    /// Sum of each run's elements: `[R, ...] -> [R]`.
    pub fn sum_per_run(&self) -> Result<Tensor> {
        let s = self.shape();
        if s.rank() == 1 {
            return Ok(self.clone());
        }
        self.reshape(&[s.runs(), s.per_run()])?
            .sum(1)?
            .reshape(&[s.runs()])
    }
    /// Mean of each run's elements: `[R, ...] -> [R]`.
    pub fn mean_per_run(&self) -> Result<Tensor> {
        let n = self.shape().per_run() as f32;
        self.sum_per_run()?.mul_scalar(1.0 / n)
    }
    /// Index of the largest entry along the last axis, as f32, keeping the axis with extent 1.
    /// No gradient; ties pick the first.
    pub fn argmax_last(&self) -> Result<Tensor> {
        let s = self.shape();
        let last = s.rank() - 1;
        let n = s.last();
        let max = self.max(last)?;
        let hit = self.ge(&max)?; // 1 at every maximum
                                  // First maximum: smallest index i with hit; take max over hit·(n - i), then n - that.
        let mut rev = Vec::with_capacity(n);
        for i in 0..n {
            rev.push((n - i) as f32);
        }
        let mut dims = vec![1; s.rank()];
        dims[last] = n;
        let ramp = self.graph.input("argmax_ramp", &dims, rev)?;
        let best = hit.mul(&ramp)?.max(last)?;
        self.graph.scalar(n as f32)?.sub(&best)?.detach()
    }

    fn softmax_kind(&self, kind: SoftmaxKind) -> Result<Tensor> {
        let mut dims = self.dims();
        if kind == SoftmaxKind::LogSumExp {
            *dims.last_mut().unwrap() = 1;
        }
        self.graph.push(Op::Softmax(kind), &[self], Shape(dims))
    }
    /// Softmax along the last axis.
    pub fn softmax(&self) -> Result<Tensor> {
        self.softmax_kind(SoftmaxKind::Softmax)
    }
    pub fn log_softmax(&self) -> Result<Tensor> {
        self.softmax_kind(SoftmaxKind::LogSoftmax)
    }
    /// log Σ exp along the last axis, keeping it with extent 1.
    pub fn logsumexp(&self) -> Result<Tensor> {
        self.softmax_kind(SoftmaxKind::LogSumExp)
    }

    /// Rows of `self` ([R|1, N, D]) picked by `indices` ([R, B], integer-valued f32): [R, B, D].
    pub fn gather_rows(&self, indices: &Tensor) -> Result<Tensor> {
        let (s, i) = (self.shape(), indices.shape());
        if s.rank() != 3 || i.rank() != 2 {
            return Err(shape_err(
                "gather_rows",
                format!("source {s} must be [R, N, D] and indices {i} [R, B]"),
            ));
        }
        let runs = Shape::broadcast(
            "gather_rows",
            &Shape::new(&[s.0[0]]),
            &Shape::new(&[i.0[0]]),
        )
        .map_err(|_| {
            shape_err(
                "gather_rows",
                format!("source {s} and indices {i}: run axes differ"),
            )
        })?
        .0[0];
        self.graph.push(
            Op::GatherRows,
            &[self, indices],
            Shape::new(&[runs, i.0[1], s.0[2]]),
        )
    }
    /// Adds row b of `self` ([R, B, D]) into row `indices[b]` of a zero [R, rows, D].
    pub fn scatter_add_rows(&self, indices: &Tensor, rows: usize) -> Result<Tensor> {
        let (s, i) = (self.shape(), indices.shape());
        if s.rank() != 3 || i.rank() != 2 || i.0[1] != s.0[1] || (i.0[0] != s.0[0] && i.0[0] != 1) {
            return Err(shape_err(
                "scatter_add_rows",
                format!("source {s} must be [R, B, D] and indices {i} [R|1, B]"),
            ));
        }
        if rows == 0 {
            return Err(invalid("scatter_add_rows", "rows must be ≥ 1"));
        }
        self.graph.push(
            Op::ScatterAddRows { rows },
            &[self, indices],
            Shape::new(&[s.0[0], rows, s.0[2]]),
        )
    }

    /// Joins along the last axis; every other axis must match exactly.
    pub fn concat(&self, o: &Tensor) -> Result<Tensor> {
        let (a, b) = (self.shape(), o.shape());
        if a.rank() != b.rank() || a.0[..a.rank() - 1] != b.0[..b.rank() - 1] {
            return Err(shape_err(
                "concat",
                format!("{a} and {b} differ outside the last axis"),
            ));
        }
        let mut dims = a.0.clone();
        *dims.last_mut().unwrap() += b.last();
        self.graph.push(Op::Concat, &[self, o], Shape(dims))
    }
    /// `len` entries of the last axis from `start`.
    pub fn slice(&self, start: usize, len: usize) -> Result<Tensor> {
        let s = self.shape();
        if len == 0 || start + len > s.last() {
            return Err(invalid(
                "slice",
                format!("[{start}, {}) of last axis of {s}", start + len),
            ));
        }
        let mut dims = s.0.clone();
        *dims.last_mut().unwrap() = len;
        self.graph
            .push(Op::Slice { start, len }, &[self], Shape(dims))
    }
    /// Swaps the last two axes.
    pub fn transpose(&self) -> Result<Tensor> {
        let s = self.shape();
        if s.rank() < 3 {
            return Err(shape_err(
                "transpose",
                format!("{s} needs two axes after the run axis"),
            ));
        }
        let mut dims = s.0.clone();
        let r = dims.len();
        dims.swap(r - 1, r - 2);
        self.graph.push(Op::Transpose, &[self], Shape(dims))
    }
    /// Same elements in another shape; the run axis must stay.
    pub fn reshape(&self, dims: &[usize]) -> Result<Tensor> {
        let s = self.shape();
        let t = Shape::new(dims);
        if t.numel() != s.numel() || t.0.first() != s.0.first() {
            return Err(shape_err("reshape", format!("{s} cannot become {t}")));
        }
        if t == s {
            return Ok(self.clone());
        }
        self.graph.push(Op::Reshape, &[self], t)
    }
}
