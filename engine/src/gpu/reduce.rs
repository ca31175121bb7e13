//! Encoder of `reduce.wgsl`: sums and maxima along one axis.

use super::dispatch::{groups_1d, Builder, KernelParams, Operands};
use crate::error::{invalid, Result};
use crate::op::Op;

/// `struct Params` of reduce.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    pub outer: u32,
    pub len: u32,
    pub inner: u32,
    /// 0 sum, 1 max.
    pub op: u32,
    pub in_off: u32,
    pub out_off: u32,
    pub _pad0: u32,
    pub _pad1: u32,
}

impl KernelParams for Params {}

/// Queues the dispatch of a reduction.
pub(super) fn encode(b: &mut Builder, o: &Operands) -> Result<usize> {
    let p = params(o)?;
    let a = o.input(0)?;
    Ok(b.dispatch(
        "reduce_f32",
        &p,
        vec![(1, a.buffer), (4, o.out.buffer)],
        groups_1d((p.outer * p.inner) as usize),
    ))
}

/// The reduction's parameters.
pub(super) fn params(o: &Operands) -> Result<Params> {
    let Op::Reduce { op, axis } = o.node.op else {
        return Err(invalid(
            "gpu",
            format!("{} is not a reduce", o.node.op.name()),
        ));
    };
    let a = o.input(0)?;
    let dims = o.in_shape(0).dims();
    let outer: usize = dims[..axis].iter().product();
    let inner: usize = dims[axis + 1..].iter().product();
    Ok(Params {
        outer: outer as u32,
        len: dims[axis] as u32,
        inner: inner as u32,
        op: op as u32,
        in_off: a.offset,
        out_off: o.out.offset,
        _pad0: 0,
        _pad1: 0,
    })
}
