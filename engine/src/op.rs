//! The whole vocabulary of the engine: every kernel and every gradient rule is about one of these.
//!
//! Losses, activations with composite formulas and regularisers are built from these in Rust
//! (`nn.rs`); only what is here gets a WGSL kernel and a backward rule.

/// Elementwise maps of one operand. Codes are shared with `shaders/elementwise.wgsl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum UnaryOp {
    /// Copy, broadcasting the operand to the output shape (`expand`).
    Identity = 0,
    Neg = 1,
    Exp = 2,
    Log = 3,
    Tanh = 4,
    Relu = 5,
    Sigmoid = 6,
    Sqrt = 7,
    Abs = 8,
    Square = 9,
    /// 1 where x > 0, -1 where x < 0, else 0.
    Sign = 10,
    Floor = 11,
    Sin = 12,
    Cos = 13,
    Recip = 14,
    /// 1 where x > 0, else 0: the derivative mask of relu.
    Step = 15,
    /// Identity forward, no gradient backward (targets, moving averages).
    Detach = 16,
}

/// Elementwise maps of two operands with broadcasting. Comparisons give 1.0 / 0.0 masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum BinaryOp {
    Add = 0,
    Sub = 1,
    Mul = 2,
    Div = 3,
    Max = 4,
    Min = 5,
    Pow = 6,
    Lt = 7,
    Le = 8,
    Gt = 9,
    Ge = 10,
    Eq = 11,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ReduceOp {
    Sum = 0,
    Max = 1,
}

/// Numerically stable maps along the last axis (max subtracted first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum SoftmaxKind {
    Softmax = 0,
    LogSoftmax = 1,
    /// Keeps the last axis with extent 1.
    LogSumExp = 2,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dist {
    Uniform { low: f32, high: f32 },
    Normal { mean: f32, std: f32 },
}

/// Where a leaf's values come from and whether they persist between steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafKind {
    /// Data uploaded once when the program is built (a data set, a permutation).
    Input,
    /// Trainable persistent state, updated by an optimizer.
    Param,
    /// Persistent state written by an explicit assignment (step counter, EMA, replay buffer).
    State,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Leaf(LeafKind),
    /// A constant made on the device, nothing uploaded.
    Fill(f32),
    /// Counter-based random numbers: input 0 is a one-element counter (usually the step). Run r
    /// draws from `rng::run_seed(s, r)`, where `s` is `seed` if set (`Graph::with_draw_seed`),
    /// else the graph's.
    Random {
        dist: Dist,
        stream: u32,
        seed: Option<u32>,
    },
    Unary(UnaryOp),
    Clamp {
        min: f32,
        max: f32,
    },
    Binary(BinaryOp),
    /// `cond != 0 ? a : b`, inputs (cond, a, b), broadcasting.
    Select,
    /// Batched over the run axis: [R, m, k] x [R, k, n], either operand possibly transposed.
    MatMul {
        transpose_a: bool,
        transpose_b: bool,
    },
    /// Along `axis`, keeping it with extent 1.
    Reduce {
        op: ReduceOp,
        axis: usize,
    },
    Softmax(SoftmaxKind),
    /// src [R|1, N, D], indices [R, B] (as f32) -> [R, B, D].
    GatherRows,
    /// src [R, B, D], indices [R, B] -> [R, rows, D]: rows with the same index are summed.
    ScatterAddRows {
        rows: usize,
    },
    /// Two operands along the last axis.
    Concat,
    /// Along the last axis.
    Slice {
        start: usize,
        len: usize,
    },
    /// Swaps the last two axes.
    Transpose,
    /// Same data, another shape with the same number of elements.
    Reshape,
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Leaf(LeafKind::Input) => "input",
            Op::Leaf(LeafKind::Param) => "param",
            Op::Leaf(LeafKind::State) => "state",
            Op::Fill(_) => "fill",
            Op::Random { .. } => "random",
            Op::Unary(_) => "unary",
            Op::Clamp { .. } => "clamp",
            Op::Binary(_) => "binary",
            Op::Select => "select",
            Op::MatMul { .. } => "matmul",
            Op::Reduce { .. } => "reduce",
            Op::Softmax(_) => "softmax",
            Op::GatherRows => "gather_rows",
            Op::ScatterAddRows { .. } => "scatter_add_rows",
            Op::Concat => "concat",
            Op::Slice { .. } => "slice",
            Op::Transpose => "transpose",
            Op::Reshape => "reshape",
        }
    }
}
