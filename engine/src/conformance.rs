//! The op conformance suite, written once and run on every backend: native tests check the CPU
//! backend against finite differences and the GPU backend against the CPU; the wasm build runs the
//! same cases in the browser's WebGPU.
//!
//! A case builds a small graph of R = 2 runs whose inputs are parameters, and names one output. The
//! harness differentiates Σ output ⊙ w (w fixed random weights, so every entry of the gradient
//! matters) with respect to the inputs.

use super::error::Result;
use super::graph::{Graph, Tensor};
use super::nn;
use super::program::{Entry, Program};
use super::rng;

/// How inputs are drawn: away from kinks and outside domains where the op is not smooth.
#[derive(Clone, Copy, Debug)]
pub enum Domain {
    /// Uniform in [-2, 2].
    Any,
    /// Magnitudes in [0.3, 2], either sign: away from the kinks of relu, abs, sign and 1/x.
    AwayFromZero,
    /// In [0.3, 2].
    Positive,
}

pub struct Case {
    pub name: &'static str,
    /// Builds inputs (as parameters) and the output to check.
    pub build: fn(&Graph, &mut Inputs) -> Result<Tensor>,
    /// False for ops without a gradient (comparisons, random, argmax).
    pub differentiable: bool,
    /// Largest error a GPU may show against the CPU, relative to max(1, |value|): 1e-4 unless
    /// the op says otherwise (WGSL only promises sin/cos to an absolute 2⁻¹¹ on [-π, π]).
    pub tolerance: f32,
}

/// Makes parameter inputs with reproducible values in a domain.
pub struct Inputs {
    pub tensors: Vec<Tensor>,
    next: u32,
}

impl Inputs {
    pub fn new() -> Inputs {
        Inputs {
            tensors: Vec::new(),
            next: 0,
        }
    }
    pub fn make(&mut self, g: &Graph, dims: &[usize], domain: Domain) -> Result<Tensor> {
        self.next += 1;
        let n: usize = dims.iter().product();
        let data = (0..n)
            .map(|i| {
                let u = rng::uniform(1234, 900 + self.next, 0, i as u32);
                match domain {
                    Domain::Any => 4.0 * u - 2.0,
                    Domain::Positive => 0.3 + 1.7 * u,
                    Domain::AwayFromZero => {
                        let m = 0.3 + 1.7 * (2.0 * u - 1.0).abs();
                        if rng::bits(99, self.next, 0, i as u32) & 1 == 0 {
                            m
                        } else {
                            -m
                        }
                    }
                }
            })
            .collect();
        let t = g.param(&format!("x{}", self.next), dims, data)?;
        self.tensors.push(t.clone());
        Ok(t)
    }
    /// Integer-valued indices in [0, n), not differentiated.
    pub fn indices(&mut self, g: &Graph, dims: &[usize], n: usize) -> Result<Tensor> {
        self.next += 1;
        let count: usize = dims.iter().product();
        let data = (0..count)
            .map(|i| (rng::bits(77, self.next, 0, i as u32) % n as u32) as f32)
            .collect();
        g.input(&format!("idx{}", self.next), dims, data)
    }
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs::new()
    }
}

const R: usize = 2;

macro_rules! case {
    ($name:expr, $diff:expr, |$g:ident, $x:ident| $body:expr) => {
        case!($name, $diff, 1e-4, |$g, $x| $body)
    };
    ($name:expr, $diff:expr, $tol:expr, |$g:ident, $x:ident| $body:expr) => {
        Case {
            name: $name,
            differentiable: $diff,
            tolerance: $tol,
            build: {
                fn build($g: &Graph, $x: &mut Inputs) -> Result<Tensor> {
                    $body
                }
                build
            },
        }
    };
}

/// Every op, and the composed losses, as cases.
pub fn cases() -> Vec<Case> {
    use Domain::*;
    vec![
        case!("neg", true, |g, x| x.make(g, &[R, 3, 4], Any)?.neg()),
        case!("exp", true, |g, x| x.make(g, &[R, 3, 4], Any)?.exp()),
        case!("log", true, |g, x| x.make(g, &[R, 3, 4], Positive)?.log()),
        case!("tanh", true, |g, x| x.make(g, &[R, 3, 4], Any)?.tanh()),
        case!("relu", true, |g, x| x
            .make(g, &[R, 3, 4], AwayFromZero)?
            .relu()),
        case!("sigmoid", true, |g, x| x
            .make(g, &[R, 3, 4], Any)?
            .sigmoid()),
        case!("gelu", true, |g, x| x.make(g, &[R, 3, 4], Any)?.gelu()),
        case!("sqrt", true, |g, x| x.make(g, &[R, 3, 4], Positive)?.sqrt()),
        case!("abs", true, |g, x| x
            .make(g, &[R, 3, 4], AwayFromZero)?
            .abs()),
        case!("square", true, |g, x| x.make(g, &[R, 3, 4], Any)?.square()),
        // WGSL's sin and cos are accurate to an absolute 2⁻¹¹ ≈ 4.9e-4 (SwiftShader uses it all).
        case!("sin", true, 1e-3, |g, x| x.make(g, &[R, 3, 4], Any)?.sin()),
        case!("cos", true, 1e-3, |g, x| x.make(g, &[R, 3, 4], Any)?.cos()),
        case!("recip", true, |g, x| x
            .make(g, &[R, 3, 4], AwayFromZero)?
            .recip()),
        case!("sign_floor_step", false, |g, x| {
            let a = x.make(g, &[R, 3, 4], AwayFromZero)?;
            a.sign()?.add(&a.floor()?)?.add(&a.step_mask()?)
        }),
        case!("clamp", true, |g, x| x
            .make(g, &[R, 3, 4], AwayFromZero)?
            .clamp(-1.0, 1.0)),
        case!("expand", true, |g, x| x
            .make(g, &[R, 1, 4], Any)?
            .expand(&[R, 3, 4])),
        case!("add_broadcast", true, |g, x| {
            let a = x.make(g, &[R, 3, 4], Any)?;
            a.add(&x.make(g, &[R, 1, 4], Any)?)
        }),
        case!("sub_per_run_scalar", true, |g, x| {
            let a = x.make(g, &[R, 3, 4], Any)?;
            a.sub(&x.make(g, &[R], Any)?)
        }),
        case!("mul_shared_over_runs", true, |g, x| {
            let a = x.make(g, &[R, 3, 4], Any)?;
            a.mul(&x.make(g, &[1, 3, 4], Any)?)
        }),
        case!("div", true, |g, x| {
            let a = x.make(g, &[R, 3, 4], Any)?;
            a.div(&x.make(g, &[R, 3, 1], AwayFromZero)?)
        }),
        case!("max_min", true, |g, x| {
            // b = a + offset with |offset| ≥ 0.3: no ties for finite differences to straddle.
            let a = x.make(g, &[R, 3, 4], Any)?;
            let b = a.add(&x.make(g, &[R, 3, 4], AwayFromZero)?)?;
            a.maximum(&b)?.mul(&a.minimum(&b)?.add_scalar(3.0)?)
        }),
        case!("pow", true, |g, x| {
            let a = x.make(g, &[R, 3, 4], Positive)?;
            a.pow(&x.make(g, &[R, 1, 4], Any)?)
        }),
        case!("compare", false, |g, x| {
            let a = x.make(g, &[R, 3, 4], Any)?;
            let b = x.make(g, &[R, 1, 4], Any)?;
            let m = a
                .lt(&b)?
                .add(&a.le(&b)?.mul_scalar(2.0)?)?
                .add(&a.gt(&b)?.mul_scalar(4.0)?)?;
            m.add(&a.ge(&b)?.mul_scalar(8.0)?)?
                .add(&a.eq_mask(&a)?.mul_scalar(16.0)?)
        }),
        case!("select", true, |g, x| {
            let c = x.make(g, &[R, 3, 4], Any)?.gt(&g.scalar(0.0)?)?;
            let a = x.make(g, &[R, 3, 4], Any)?;
            let b = x.make(g, &[R, 1, 4], Any)?;
            Tensor::select(&c, &a, &b)
        }),
        case!("matmul", true, |g, x| x
            .make(g, &[R, 3, 5], Any)?
            .matmul(&x.make(g, &[R, 5, 4], Any)?)),
        case!("matmul_ta", true, |g, x| {
            x.make(g, &[R, 5, 3], Any)?
                .matmul_t(&x.make(g, &[R, 5, 4], Any)?, true, false)
        }),
        case!("matmul_tb", true, |g, x| {
            x.make(g, &[R, 3, 5], Any)?
                .matmul_t(&x.make(g, &[R, 4, 5], Any)?, false, true)
        }),
        case!("matmul_ta_tb", true, |g, x| {
            x.make(g, &[R, 5, 3], Any)?
                .matmul_t(&x.make(g, &[R, 4, 5], Any)?, true, true)
        }),
        case!("matmul_shared_lhs", true, |g, x| x
            .make(g, &[1, 3, 5], Any)?
            .matmul(&x.make(g, &[R, 5, 4], Any)?)),
        case!("matmul_large", true, |g, x| x
            .make(g, &[R, 37, 70], Any)?
            .matmul(&x.make(g, &[R, 70, 33], Any)?)),
        case!("sum_axis1", true, |g, x| x.make(g, &[R, 3, 4], Any)?.sum(1)),
        case!("sum_axis2", true, |g, x| x.make(g, &[R, 3, 4], Any)?.sum(2)),
        case!("sum_runs", true, |g, x| x.make(g, &[R, 3, 4], Any)?.sum(0)),
        case!("mean", true, |g, x| x.make(g, &[R, 3, 4], Any)?.mean(1)),
        case!("max_axis", true, |g, x| x.make(g, &[R, 3, 4], Any)?.max(2)),
        case!("softmax", true, |g, x| x
            .make(g, &[R, 3, 5], Any)?
            .mul_scalar(3.0)?
            .softmax()),
        case!("log_softmax", true, |g, x| x
            .make(g, &[R, 3, 5], Any)?
            .mul_scalar(3.0)?
            .log_softmax()),
        case!("logsumexp", true, |g, x| x
            .make(g, &[R, 3, 5], Any)?
            .mul_scalar(3.0)?
            .logsumexp()),
        case!("softmax_extreme", false, |g, x| x
            .make(g, &[R, 3, 5], Any)?
            .mul_scalar(400.0)?
            .log_softmax()),
        case!("gather_rows", true, |g, x| {
            let src = x.make(g, &[R, 6, 3], Any)?;
            src.gather_rows(&x.indices(g, &[R, 8], 6)?)
        }),
        case!("gather_shared", true, |g, x| {
            let src = x.make(g, &[1, 6, 3], Any)?;
            src.gather_rows(&x.indices(g, &[R, 8], 6)?)
        }),
        case!("scatter_add_rows", true, |g, x| {
            let src = x.make(g, &[R, 8, 3], Any)?;
            src.scatter_add_rows(&x.indices(g, &[R, 8], 5)?, 5)
        }),
        case!("concat", true, |g, x| x
            .make(g, &[R, 3, 2], Any)?
            .concat(&x.make(g, &[R, 3, 4], Any)?)),
        case!("slice", true, |g, x| x
            .make(g, &[R, 3, 6], Any)?
            .slice(1, 3)),
        case!("transpose", true, |g, x| x
            .make(g, &[R, 3, 5], Any)?
            .transpose()),
        case!("reshape", true, |g, x| x
            .make(g, &[R, 3, 4], Any)?
            .reshape(&[R, 12])?
            .mul_scalar(2.0)),
        case!("argmax", false, |g, x| x
            .make(g, &[R, 4, 5], Any)?
            .argmax_last()),
        case!("random_uniform", false, |g, _x| {
            let c = g.scalar(5.0)?;
            g.random_uniform(&[R, 7, 3], -1.0, 2.0, Some(&c))
        }),
        // Box–Muller goes through log and WGSL's cos (absolute 2⁻¹¹), scaled by a radius up to ~6
        // and the std of 2: normal draws agree across devices to ~5e-3, uniform draws exactly.
        case!("random_normal", false, 1e-2, |g, _x| {
            let c = g.scalar(5.0)?;
            g.random_normal(&[R, 7, 3], 0.5, 2.0, Some(&c))
        }),
        case!("cross_entropy", true, |g, x| {
            let logits = x.make(g, &[R, 6, 4], Any)?;
            nn::cross_entropy(&logits, &x.indices(g, &[1, 6], 4)?)
        }),
        case!("cross_entropy_soft", true, |g, x| {
            let logits = x.make(g, &[R, 6, 4], Any)?;
            let targets = x.make(g, &[R, 6, 4], Any)?.softmax()?;
            nn::cross_entropy_soft(&logits, &targets)
        }),
        case!("mse", true, |g, x| nn::mse(
            &x.make(g, &[R, 6, 2], Any)?,
            &x.make(g, &[1, 6, 2], Any)?
        )),
        case!("kl", true, |g, x| {
            let p = x.make(g, &[R, 6, 4], Any)?.log_softmax()?;
            let q = x.make(g, &[R, 6, 4], Any)?.log_softmax()?;
            nn::kl_div_log(&p, &q)
        }),
        // Fusion patterns (the GPU backend computes each in one or two generated kernels):
        // a tree of maps with broadcast operands and a value read twice, ...
        case!("fused_tree", true, |g, x| {
            let a = x.make(g, &[R, 5, 7], Any)?;
            let b = x.make(g, &[1, 5, 1], Any)?;
            let c = x.make(g, &[R, 1, 7], Any)?;
            let t = a.mul(&b)?.add(&c)?;
            let v = t.tanh()?.sub(&a)?.clamp(-0.5, 0.7)?;
            Tensor::select(&a.gt(&c)?, &v, &t.square()?)
        }),
        // ... a product with a bias and activation in its store, odd sizes, shared weights ...
        case!("fused_matmul_bias", true, |g, x| {
            let h = x.make(g, &[R, 13, 6], Any)?;
            let w = x.make(g, &[1, 6, 9], Any)?;
            let bias = x.make(g, &[1, 1, 9], Any)?;
            let s = x.make(g, &[R, 13, 1], Any)?;
            h.matmul(&w)?.add(&bias)?.tanh()?.mul(&s)
        }),
        // ... a transposed product whose operand the epilogue reads again.
        case!("fused_matmul_ta", true, |g, x| {
            let a = x.make(g, &[R, 6, 7], Any)?;
            let b = x.make(g, &[R, 6, 7], Any)?;
            a.matmul_t(&b, true, false)?
                .sigmoid()?
                .mul(&a.matmul_t(&b, true, false)?.tanh()?)
        }),
        // ... maps only a reduction reads, computed in its load (through a reshape in every
        // case's Σ output ⊙ w), before a mean's scale, and under a maximum.
        case!("fused_reduce_input", true, |g, x| {
            let a = x.make(g, &[R, 7, 5], Any)?;
            let b = x.make(g, &[1, 7, 1], Any)?;
            a.sub(&b)?.square()?.mean(1)
        }),
        case!("fused_reduce_max", false, |g, x| {
            let a = x.make(g, &[R, 4, 9], Any)?;
            let c = x.make(g, &[R, 4, 1], Any)?;
            a.mul(&c)?.tanh()?.max(2)
        }),
        // ... and two gathers by one index (a batch's inputs and targets), one source shared
        // by every run, in one dispatch.
        case!("fused_gather_pair", true, |g, x| {
            let idx = x.indices(g, &[R, 5], 7)?;
            let a = x.make(g, &[R, 7, 3], Any)?;
            let b = x.make(g, &[1, 7, 2], Any)?;
            let rows_a = a.gather_rows(&idx)?.sum(2)?;
            rows_a.mul(&b.gather_rows(&idx)?.sum(2)?)
        }),
        // ... and a layer whose bias is also pulled by a penalty (EWC's quadratic): the bias
        // gradient's sum over the batch is then the core of the kernel that adds the penalty's
        // gradient, so the weight gradient's product must not also claim it as its sibling.
        case!("fused_penalised_layer", true, |g, x| {
            let h = x.make(g, &[R, 5, 3], Any)?;
            let w = x.make(g, &[R, 3, 4], Any)?;
            let b = x.make(g, &[R, 1, 4], Any)?;
            let a = x.make(g, &[R, 1, 4], Positive)?;
            let data = h.matmul(&w)?.add(&b)?.tanh()?.sum_per_run()?;
            data.add(&a.mul(&b.square()?)?.sum_per_run()?)
        }),
        case!("mlp", true, |g, x| {
            let input = x.make(g, &[1, 5, 3], Any)?;
            let mlp = nn::Mlp::new(g, "mlp", &[3, 8, 2], nn::Activation::Tanh)?;
            mlp.forward(&input)
        }),
    ]
}

/// A case built into a program: entry 0 computes the output, Σ output ⊙ w, and its gradients.
pub struct Built {
    pub graph: Graph,
    pub program: Program,
    pub inputs: Vec<Tensor>,
    pub output: Tensor,
    pub loss: Tensor,
    pub grads: Vec<Tensor>,
}

pub fn build(case: &Case) -> Result<Built> {
    let graph = Graph::new(R, 42);
    let mut inputs = Inputs::new();
    let output = (case.build)(&graph, &mut inputs)?;
    let dims = output.dims();
    let n: usize = dims.iter().product();
    let w = graph.input(
        "w",
        &dims,
        (0..n)
            .map(|i| 0.5 + rng::uniform(7, 7, 0, i as u32))
            .collect(),
    )?;
    let loss = output.mul(&w)?.sum_per_run()?;
    let grads = if case.differentiable {
        super::grad(&loss, &inputs.tensors)?
    } else {
        vec![]
    };
    let mut entry = Entry::new("check").output(&output).output(&loss);
    for g in &grads {
        entry = entry.output(g);
    }
    let program = Program::new(&graph, vec![entry])?;
    Ok(Built {
        graph,
        program,
        inputs: inputs.tensors,
        output,
        loss,
        grads,
    })
}

/// Largest |a - b| / max(1, |b|) over two slices, with NaN counted as infinitely wrong.
pub fn max_rel_err(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            if x.is_nan() || y.is_nan() {
                if x.is_nan() && y.is_nan() {
                    0.0
                } else {
                    f32::INFINITY
                }
            } else if x == y {
                0.0
            } else {
                (x - y).abs() / y.abs().max(1.0)
            }
        })
        .fold(0.0, f32::max)
}
