//! Encoder of `elementwise.wgsl`: maps, fills, clamps, selects, concats and copies.
//!
//! Slices and transposes are copies; so are gradient moves and assignments. Metric sums and the
//! step counter's bump are elementwise too.

use super::dispatch::{groups_1d, Builder, KernelParams, Operands};
use super::layout::{Layout, View};
use crate::error::{invalid, Result};
use crate::graph::{Node, Tensor};
use crate::op::Op;
use crate::program::Entry;
use crate::shape::{Shape, MAX_RANK};

/// `struct Params` of elementwise.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    /// Output shape, padded to 4 axes, run axis first.
    pub dims: [u32; 4],
    pub a_stride: [u32; 4],
    pub b_stride: [u32; 4],
    pub c_stride: [u32; 4],
    /// Out, a, b, c offsets in elements.
    pub offs: [u32; 4],
    /// N elements, op code, concat: len of a's last axis, len of b's.
    pub misc: [u32; 4],
    /// Clamp min, clamp max / fill value / bump amount.
    pub fp: [f32; 4],
    /// x: bit k set when operand k (a, b, c) is laid out exactly like the output.
    pub same_layout: [u32; 4],
}

/// The op code's word in `Params::misc` (misc.y): the specialized pipelines are keyed on it.
const OP_WORD: usize = 1;

impl KernelParams for Params {
    fn op(&self) -> Option<u32> {
        Some(self.misc[OP_WORD])
    }
}

impl Params {
    fn new(
        out: &Shape,
        strides: [[u32; MAX_RANK]; 3],
        offs: [u32; 4],
        op: u32,
        concat: (u32, u32),
        fp: [f32; 2],
    ) -> Params {
        let mut dims = [0u32; 4];
        for (d, &e) in dims.iter_mut().zip(&out.padded(MAX_RANK)) {
            *d = e as u32;
        }
        let mut misc = [out.numel() as u32, 0, concat.0, concat.1];
        misc[OP_WORD] = op;
        let own = contiguous_strides(out);
        let layout = strides
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == own)
            .fold(0u32, |m, (k, _)| m | 1 << k);
        Params {
            dims,
            a_stride: strides[0],
            b_stride: strides[1],
            c_stride: strides[2],
            offs,
            misc,
            fp: [fp[0], fp[1], 0.0, 0.0],
            same_layout: [layout, 0, 0, 0],
        }
    }

    /// A contiguous copy of `shape`'s elements from `from` to `to` (offsets in elements).
    fn copy(shape: &Shape, to: u32, from: u32) -> Params {
        let s = contiguous_strides(shape);
        Params::new(
            shape,
            [s, [0; 4], [0; 4]],
            [to, from, 0, 0],
            0,
            (0, 0),
            [0.0; 2],
        )
    }
}

pub(super) fn contiguous_strides(shape: &Shape) -> [u32; MAX_RANK] {
    let dims = shape.padded(MAX_RANK);
    let mut s = [0u32; MAX_RANK];
    let mut acc = 1u32;
    for i in (0..MAX_RANK).rev() {
        s[i] = acc;
        acc *= dims[i] as u32;
    }
    s
}

/// Queues the dispatch of an elementwise op.
pub(super) fn encode(b: &mut Builder, o: &Operands) -> Result<usize> {
    let n = o.node;
    let out = o.out;
    let groups = o.groups();
    let strides = |k: usize| o.in_shape(k).broadcast_strides(&n.shape);
    let zero = [0u32; 4];
    Ok(match &n.op {
        Op::Fill(v) => {
            let p = Params::new(
                &n.shape,
                [zero; 3],
                [out.offset, 0, 0, 0],
                0,
                (0, 0),
                [0.0, *v],
            );
            b.dispatch("fill_f32", &p, vec![(4, out.buffer)], groups)
        }
        Op::Unary(op) => {
            let a = o.input(0)?;
            let p = Params::new(
                &n.shape,
                [strides(0), zero, zero],
                [out.offset, a.offset, 0, 0],
                *op as u32,
                (0, 0),
                [0.0; 2],
            );
            b.dispatch(
                "unary_f32",
                &p,
                vec![(1, a.buffer), (4, out.buffer)],
                groups,
            )
        }
        Op::Clamp { min, max } => {
            let a = o.input(0)?;
            let p = Params::new(
                &n.shape,
                [strides(0), zero, zero],
                [out.offset, a.offset, 0, 0],
                0,
                (0, 0),
                [*min, *max],
            );
            b.dispatch(
                "clamp_f32",
                &p,
                vec![(1, a.buffer), (4, out.buffer)],
                groups,
            )
        }
        Op::Binary(op) => {
            let (a, c) = (o.input(0)?, o.input(1)?);
            let p = Params::new(
                &n.shape,
                [strides(0), strides(1), zero],
                [out.offset, a.offset, c.offset, 0],
                *op as u32,
                (0, 0),
                [0.0; 2],
            );
            b.dispatch(
                "binary_f32",
                &p,
                vec![(1, a.buffer), (2, c.buffer), (4, out.buffer)],
                groups,
            )
        }
        Op::Select => {
            let (c, x, y) = (o.input(0)?, o.input(1)?, o.input(2)?);
            let p = Params::new(
                &n.shape,
                [strides(1), strides(2), strides(0)],
                [out.offset, x.offset, y.offset, c.offset],
                0,
                (0, 0),
                [0.0; 2],
            );
            b.dispatch(
                "select_f32",
                &p,
                vec![(1, x.buffer), (2, y.buffer), (3, c.buffer), (4, out.buffer)],
                groups,
            )
        }
        Op::Concat => {
            let (x, y) = (o.input(0)?, o.input(1)?);
            let concat = (o.in_shape(0).last() as u32, o.in_shape(1).last() as u32);
            let p = Params::new(
                &n.shape,
                [zero; 3],
                [out.offset, x.offset, y.offset, 0],
                0,
                concat,
                [0.0; 2],
            );
            b.dispatch(
                "concat_f32",
                &p,
                vec![(1, x.buffer), (2, y.buffer), (4, out.buffer)],
                groups,
            )
        }
        Op::Slice { start, .. } => {
            // A copy whose operand strides are the input's own, offset by `start` (none along
            // the run axis for an input every run shares).
            let a = o.input(0)?;
            let s = shared_runs(contiguous_strides(o.in_shape(0)), o.in_shape(0));
            let p = Params::new(
                &n.shape,
                [s, zero, zero],
                [out.offset, a.offset + *start as u32, 0, 0],
                0,
                (0, 0),
                [0.0; 2],
            );
            b.dispatch(
                "unary_f32",
                &p,
                vec![(1, a.buffer), (4, out.buffer)],
                groups,
            )
        }
        Op::Transpose => {
            // A copy reading the input with its last two strides swapped.
            let a = o.input(0)?;
            let mut s = shared_runs(contiguous_strides(o.in_shape(0)), o.in_shape(0));
            s.swap(2, 3);
            let p = Params::new(
                &n.shape,
                [s, zero, zero],
                [out.offset, a.offset, 0, 0],
                0,
                (0, 0),
                [0.0; 2],
            );
            b.dispatch(
                "unary_f32",
                &p,
                vec![(1, a.buffer), (4, out.buffer)],
                groups,
            )
        }
        op => {
            return Err(invalid(
                "gpu",
                format!("{} is not an elementwise op", op.name()),
            ))
        }
    })
}

/// `strides` with none along the run axis when `shape` is shared by every run (run axis 1): the
/// step kernel gives a slice or transpose of a shared tensor a copy per run.
fn shared_runs(mut strides: [u32; 4], shape: &Shape) -> [u32; 4] {
    if shape.runs() == 1 {
        strides[0] = 0;
    }
    strides
}

/// Queues a copy of `shape`'s elements from `from` to `to`: one dispatch, or two through a
/// scratch buffer when both are in one buffer.
pub(super) fn copy(b: &mut Builder, from: View, to: View, shape: &Shape) -> Vec<usize> {
    let numel = shape.numel();
    let flat = Shape::new(&[1, numel]);
    let mut dispatches = Vec::new();
    let mut from = from;
    if from.buffer == to.buffer {
        // One dispatch can't read and write a buffer: go through a scratch buffer.
        let scratch = View {
            buffer: b.storage("copy scratch", numel),
            offset: 0,
        };
        dispatches.push(b.dispatch(
            "unary_f32",
            &Params::copy(&flat, 0, from.offset),
            vec![(1, from.buffer), (4, scratch.buffer)],
            groups_1d(numel),
        ));
        from = scratch;
    }
    dispatches.push(b.dispatch(
        "unary_f32",
        &Params::copy(&flat, to.offset, from.offset),
        vec![(1, from.buffer), (4, to.buffer)],
        groups_1d(numel),
    ));
    dispatches
}

/// The metric sums of entry `e` (one buffer of [metrics × R], or none without metrics) and the
/// dispatches that add each metric's value of this step to them.
pub(super) fn metrics(
    b: &mut Builder,
    nodes: &[Node],
    layout: &Layout,
    e: &Entry,
    runs: usize,
) -> Result<(Option<usize>, Vec<usize>)> {
    if e.metrics.is_empty() {
        return Ok((None, Vec::new()));
    }
    let sums = b.storage(&format!("{}.metrics", e.name), e.metrics.len() * runs);
    let mut list = Vec::new();
    for (m, (_, t)) in e.metrics.iter().enumerate() {
        let v = layout.view(nodes, t.id)?;
        let out_shape = Shape::new(&[runs]);
        // The node's shape, not the tensor's: the step kernel may keep a copy per run.
        let st = nodes[t.id].shape.broadcast_strides(&out_shape);
        let p = Params::new(
            &out_shape,
            [st, [0; 4], [0; 4]],
            [(m * runs) as u32, v.offset, 0, 0],
            0,
            (0, 0),
            [0.0; 2],
        );
        list.push(b.dispatch(
            "accumulate_f32",
            &p,
            vec![(1, v.buffer), (4, sums)],
            groups_1d(runs),
        ));
    }
    Ok((Some(sums), list))
}

/// The copies of an entry's assignments `state ← value`.
pub(super) fn assigns(
    b: &mut Builder,
    nodes: &[Node],
    layout: &Layout,
    assigns: &[(Tensor, Tensor)],
) -> Result<Vec<usize>> {
    // Values that share the target's buffer go through scratch first, so every value is read
    // before any state is written.
    let mut list = Vec::new();
    let mut staged = Vec::new();
    for (state, value) in assigns {
        let (from, to) = (layout.view(nodes, value.id)?, layout.view(nodes, state.id)?);
        // The node's shape, not the tensor's: the step kernel may keep a copy per run.
        let shape = nodes[value.id].shape.clone();
        if from.buffer == to.buffer || [layout.leaves, layout.params].contains(&from.buffer) {
            let scratch = View {
                buffer: b.storage("assign scratch", shape.numel()),
                offset: 0,
            };
            list.extend(copy(b, from, scratch, &shape));
            staged.push((scratch, to, shape));
        } else {
            staged.push((from, to, shape));
        }
    }
    for (from, to, shape) in staged {
        list.extend(copy(b, from, to, &shape));
    }
    Ok(list)
}

/// Adds one to the step counter at `step` (in the leaves buffer).
pub(super) fn bump(b: &mut Builder, step: View, leaves: usize) -> usize {
    let one = Shape::new(&[1]);
    let p = Params::new(
        &one,
        [[0; 4]; 3],
        [step.offset, 0, 0, 0],
        0,
        (0, 0),
        [0.0, 1.0],
    );
    b.dispatch("bump_f32", &p, vec![(4, leaves)], (1, 1, 1))
}
