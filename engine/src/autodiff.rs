//! Reverse-mode autodiff. Backward is one exhaustive match over `Op`, written in tensor ops and always
//! accumulating, so the gradient is itself a graph: differentiate it again for second derivatives
//! (second-order MAML, gradient penalties) or replay it on any backend.

use super::error::{invalid, Result};
use super::graph::{Graph, Tensor};
use super::op::{BinaryOp, Op, ReduceOp, SoftmaxKind, UnaryOp};
use super::shape::Shape;

/// Sums `g` down to `shape`, undoing the broadcast that stretched an operand of `shape` to `g`'s.
pub fn sum_to(g: &Tensor, shape: &Shape) -> Result<Tensor> {
    let gs = g.shape();
    if &gs == shape {
        return Ok(g.clone());
    }
    let rank = gs.rank();
    let target = shape.padded(rank);
    let mut out = g.clone();
    for (axis, (&want, &have)) in target.iter().zip(gs.dims()).enumerate() {
        if want == 1 && have != 1 {
            out = out.sum(axis)?;
        }
    }
    out.reshape(shape.dims())
}

/// Gradients of Σ(every element of `loss`) with respect to each of `wrt`, as new nodes of the graph.
///
/// Summing over the run axis makes each run's gradient its own: runs share no parameters unless a
/// parameter has a run axis of 1, and then its gradient is the sum over runs, as it should be.
/// A tensor in `wrt` that `loss` does not depend on gets a zero gradient.
pub fn grad(loss: &Tensor, wrt: &[Tensor]) -> Result<Vec<Tensor>> {
    let graph = loss.graph().clone();
    for w in wrt {
        if !w.graph().same(&graph) {
            return Err(invalid("grad", "a tensor in wrt belongs to another graph"));
        }
    }
    let n = loss.id + 1;
    // needs[i]: node i depends on some wrt tensor, so gradients must flow into it.
    let mut needs = vec![false; n];
    for w in wrt {
        if w.id < n {
            needs[w.id] = true;
        }
    }
    let nodes = graph.with_nodes(|nodes| nodes[..n].to_vec());
    for i in 0..n {
        if !needs[i] && nodes[i].inputs.iter().any(|&j| needs[j]) && differentiable(&nodes[i].op) {
            needs[i] = true;
        }
    }
    let mut grads: Vec<Option<Tensor>> = vec![None; n];
    grads[loss.id] = Some(graph.ones(loss.shape().dims())?);
    for i in (0..n).rev() {
        let Some(g) = grads[i].clone() else { continue };
        if !needs[i] {
            continue;
        }
        let node = &nodes[i];
        let y = tensor(&graph, i);
        let x: Vec<Tensor> = node.inputs.iter().map(|&j| tensor(&graph, j)).collect();
        let want: Vec<bool> = node.inputs.iter().map(|&j| needs[j]).collect();
        let contributions = backward(&graph, &node.op, &g, &y, &x, &want)?;
        for (k, c) in contributions.into_iter().enumerate() {
            let Some(c) = c else { continue };
            let j = node.inputs[k];
            if !needs[j] {
                continue;
            }
            let c = sum_to(&c, &nodes[j].shape)?;
            grads[j] = Some(match grads[j].take() {
                Some(acc) => acc.add(&c)?,
                None => c,
            });
        }
    }
    wrt.iter()
        .map(|w| match grads.get(w.id).cloned().flatten() {
            Some(g) => Ok(g),
            None => graph.zeros(w.shape().dims()),
        })
        .collect()
}

fn tensor(graph: &Graph, id: usize) -> Tensor {
    graph.tensor(id)
}

fn differentiable(op: &Op) -> bool {
    !matches!(
        op,
        Op::Leaf(_)
            | Op::Fill(_)
            | Op::Random { .. }
            | Op::Unary(UnaryOp::Sign | UnaryOp::Floor | UnaryOp::Step | UnaryOp::Detach)
            | Op::Binary(BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq)
    )
}

/// The contribution of upstream gradient `g` (shaped like output `y`) to each input `x[k]`, before
/// `sum_to` undoes broadcasting. `want[k]` says whether input k needs one at all.
fn backward(
    graph: &Graph,
    op: &Op,
    g: &Tensor,
    y: &Tensor,
    x: &[Tensor],
    want: &[bool],
) -> Result<Vec<Option<Tensor>>> {
    let one = || graph.scalar(1.0);
    let w = |k: usize| want.get(k).copied().unwrap_or(false);
    Ok(match op {
        Op::Leaf(_) | Op::Fill(_) | Op::Random { .. } => vec![],
        Op::Unary(u) => {
            let a = &x[0];
            vec![match u {
                UnaryOp::Identity => Some(g.clone()),
                UnaryOp::Neg => Some(g.neg()?),
                // d/dx eˣ = eˣ = y
                UnaryOp::Exp => Some(g.mul(y)?),
                // d/dx ln x = 1/x
                UnaryOp::Log => Some(g.div(a)?),
                // d/dx tanh x = 1 - tanh² x
                UnaryOp::Tanh => Some(g.mul(&one()?.sub(&y.square()?)?)?),
                // relu'(x) = [x > 0] = [relu(x) > 0], taken from the output as PyTorch does
                // (relu'(0) is 0 there too): then nothing but the relu reads the pre-activation,
                // and the GPU computes the bias add and relu in the product's store instead of
                // storing the sum for the backward pass and dispatching the relu on its own.
                UnaryOp::Relu => Some(g.mul(&y.step_mask()?)?),
                // σ' = σ(1 - σ)
                UnaryOp::Sigmoid => Some(g.mul(&y.mul(&one()?.sub(y)?)?)?),
                // d/dx √x = 1 / (2√x)
                UnaryOp::Sqrt => Some(g.div(&y.mul_scalar(2.0)?)?),
                // |x|' = sign x (0 at 0)
                UnaryOp::Abs => Some(g.mul(&a.sign()?)?),
                UnaryOp::Square => Some(g.mul(&a.mul_scalar(2.0)?)?),
                UnaryOp::Sin => Some(g.mul(&a.cos()?)?),
                UnaryOp::Cos => Some(g.mul(&a.sin()?)?.neg()?),
                // d/dx 1/x = -1/x² = -y²
                UnaryOp::Recip => Some(g.mul(&y.square()?)?.neg()?),
                UnaryOp::Sign | UnaryOp::Floor | UnaryOp::Step | UnaryOp::Detach => None,
            }]
        }
        Op::Clamp { min, max } => {
            // Gradient passes where min ≤ x ≤ max.
            let a = &x[0];
            let inside = a
                .ge(&graph.scalar(*min)?)?
                .mul(&a.le(&graph.scalar(*max)?)?)?;
            vec![Some(g.mul(&inside)?)]
        }
        Op::Binary(b) => {
            let (a, c) = (&x[0], &x[1]);
            match b {
                BinaryOp::Add => vec![Some(g.clone()), Some(g.clone())],
                BinaryOp::Sub => vec![Some(g.clone()), if w(1) { Some(g.neg()?) } else { None }],
                BinaryOp::Mul => vec![
                    if w(0) { Some(g.mul(c)?) } else { None },
                    if w(1) { Some(g.mul(a)?) } else { None },
                ],
                // d(a/c)/da = 1/c, d(a/c)/dc = -a/c² = -y/c
                BinaryOp::Div => vec![
                    if w(0) { Some(g.div(c)?) } else { None },
                    if w(1) {
                        Some(g.mul(y)?.div(c)?.neg()?)
                    } else {
                        None
                    },
                ],
                // NOTE: at a tie the whole gradient goes to the first operand.
                BinaryOp::Max => vec![
                    if w(0) { Some(g.mul(&a.ge(c)?)?) } else { None },
                    if w(1) { Some(g.mul(&a.lt(c)?)?) } else { None },
                ],
                BinaryOp::Min => vec![
                    if w(0) { Some(g.mul(&a.le(c)?)?) } else { None },
                    if w(1) { Some(g.mul(&a.gt(c)?)?) } else { None },
                ],
                // d(aᶜ)/da = c·a^(c-1), d(aᶜ)/dc = aᶜ·ln a
                BinaryOp::Pow => vec![
                    if w(0) {
                        Some(g.mul(c)?.mul(&a.pow(&c.sub(&one()?)?)?)?)
                    } else {
                        None
                    },
                    if w(1) {
                        Some(g.mul(y)?.mul(&a.log()?)?)
                    } else {
                        None
                    },
                ],
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq => vec![],
            }
        }
        Op::Select => {
            let zero = graph.scalar(0.0)?;
            vec![
                None,
                if w(1) {
                    Some(Tensor::select(&x[0], g, &zero)?)
                } else {
                    None
                },
                if w(2) {
                    Some(Tensor::select(&x[0], &zero, g)?)
                } else {
                    None
                },
            ]
        }
        Op::MatMul {
            transpose_a,
            transpose_b,
        } => {
            let (a, b) = (&x[0], &x[1]);
            // C = op(A)·op(B); each case below is dL/dA and dL/dB for that op pair.
            let (ga, gb) = match (transpose_a, transpose_b) {
                // C = A B:     dA = G Bᵀ,     dB = Aᵀ G
                (false, false) => (
                    if w(0) {
                        Some(g.matmul_t(b, false, true)?)
                    } else {
                        None
                    },
                    if w(1) {
                        Some(a.matmul_t(g, true, false)?)
                    } else {
                        None
                    },
                ),
                // C = Aᵀ B:    dA = B Gᵀ,     dB = A G
                (true, false) => (
                    if w(0) {
                        Some(b.matmul_t(g, false, true)?)
                    } else {
                        None
                    },
                    if w(1) {
                        Some(a.matmul_t(g, false, false)?)
                    } else {
                        None
                    },
                ),
                // C = A Bᵀ:    dA = G B,      dB = Gᵀ A
                (false, true) => (
                    if w(0) {
                        Some(g.matmul_t(b, false, false)?)
                    } else {
                        None
                    },
                    if w(1) {
                        Some(g.matmul_t(a, true, false)?)
                    } else {
                        None
                    },
                ),
                // C = Aᵀ Bᵀ:   dA = Bᵀ Gᵀ,    dB = Gᵀ Aᵀ
                (true, true) => (
                    if w(0) {
                        Some(b.matmul_t(g, true, true)?)
                    } else {
                        None
                    },
                    if w(1) {
                        Some(g.matmul_t(a, true, true)?)
                    } else {
                        None
                    },
                ),
            };
            vec![ga, gb]
        }
        Op::Reduce { op, .. } => {
            let a = &x[0];
            let spread = g.expand(a.shape().dims())?;
            vec![Some(match op {
                ReduceOp::Sum => spread,
                // NOTE: every entry that ties for the max gets the full gradient.
                ReduceOp::Max => spread.mul(&a.eq_mask(y)?)?,
            })]
        }
        Op::Softmax(kind) => {
            let last = y.shape().rank() - 1;
            vec![Some(match kind {
                // dx = y ⊙ (g - Σ g⊙y)
                SoftmaxKind::Softmax => y.mul(&g.sub(&g.mul(y)?.sum(last)?)?)?,
                // dx = g - softmax(x)·Σ g
                SoftmaxKind::LogSoftmax => g.sub(&y.exp()?.mul(&g.sum(last)?)?)?,
                // dx = g ⊙ softmax(x) = g ⊙ exp(x - y)
                SoftmaxKind::LogSumExp => g.mul(&x[0].sub(y)?.exp()?)?,
            })]
        }
        Op::GatherRows => {
            let rows = x[0].shape().0[1];
            vec![Some(g.scatter_add_rows(&x[1], rows)?), None]
        }
        Op::ScatterAddRows { .. } => vec![Some(g.gather_rows(&x[1])?), None],
        Op::Concat => {
            let la = x[0].shape().last();
            let lb = x[1].shape().last();
            vec![
                if w(0) { Some(g.slice(0, la)?) } else { None },
                if w(1) { Some(g.slice(la, lb)?) } else { None },
            ]
        }
        Op::Slice { start, len } => {
            let full = x[0].shape();
            let mut out = g.clone();
            if *start > 0 {
                let mut d = full.0.clone();
                *d.last_mut().unwrap() = *start;
                out = graph.zeros(&d)?.concat(&out)?;
            }
            let right = full.last() - start - len;
            if right > 0 {
                let mut d = full.0.clone();
                *d.last_mut().unwrap() = right;
                out = out.concat(&graph.zeros(&d)?)?;
            }
            vec![Some(out)]
        }
        Op::Transpose => vec![Some(g.transpose()?)],
        Op::Reshape => vec![Some(g.reshape(x[0].shape().dims())?)],
    })
}
