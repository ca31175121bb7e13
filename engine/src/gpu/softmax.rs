//! Encoder of `softmax.wgsl`: softmax, log-softmax and logsumexp along the last axis.

use super::dispatch::{groups_1d, Builder, KernelParams, Operands};
use crate::error::{invalid, Result};
use crate::op::Op;

/// `struct Params` of softmax.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    pub rows: u32,
    pub n: u32,
    /// 0 softmax, 1 log-softmax, 2 logsumexp (one output per row).
    pub kind: u32,
    pub in_off: u32,
    pub out_off: u32,
    pub _pad0: u32,
    pub _pad1: u32,
    pub _pad2: u32,
}

impl KernelParams for Params {}

/// Queues the dispatch of a softmax.
pub(super) fn encode(b: &mut Builder, o: &Operands) -> Result<usize> {
    let Op::Softmax(kind) = o.node.op else {
        return Err(invalid(
            "gpu",
            format!("{} is not a softmax", o.node.op.name()),
        ));
    };
    let a = o.input(0)?;
    let len = o.in_shape(0).last();
    let rows = o.in_shape(0).numel() / len;
    let p = Params {
        rows: rows as u32,
        n: len as u32,
        kind: kind as u32,
        in_off: a.offset,
        out_off: o.out.offset,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
    };
    Ok(b.dispatch(
        "softmax_f32",
        &p,
        vec![(1, a.buffer), (4, o.out.buffer)],
        groups_1d(rows),
    ))
}
