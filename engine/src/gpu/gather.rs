//! Encoder of `gather.wgsl`: row gathers by index and their adjoint, scatter-adds.

use super::dispatch::{Builder, KernelParams, Operands};
use super::layout::View;
use crate::error::{invalid, Result};
use crate::op::Op;

/// `struct Params` of gather.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    /// Output elements.
    pub n: u32,
    /// Gather: rows of the source; scatter: rows of the output.
    pub src_rows: u32,
    pub d: u32,
    /// B.
    pub batch: u32,
    pub src_off: u32,
    pub idx_off: u32,
    pub out_off: u32,
    /// 0 when shared by every run.
    pub src_run_stride: u32,
    /// 0 when shared.
    pub idx_run_stride: u32,
    pub _pad0: u32,
    pub _pad1: u32,
    pub _pad2: u32,
}

impl KernelParams for Params {}

/// Queues the dispatch of a gather or scatter-add of rows.
pub(super) fn encode(b: &mut Builder, o: &Operands) -> Result<usize> {
    let (p, kernel, src, idx) = params(o)?;
    Ok(b.dispatch(
        kernel,
        &p,
        vec![(1, src.buffer), (2, idx.buffer), (4, o.out.buffer)],
        o.groups(),
    ))
}

/// A gather's or scatter-add's parameters, its kernel, and its source's and index's storage.
pub(super) fn params(o: &Operands) -> Result<(Params, &'static str, View, View)> {
    let n = o.node;
    let (rows, kernel) = match n.op {
        Op::ScatterAddRows { rows } => (rows, "scatter_add_rows_f32"),
        Op::GatherRows => (o.in_shape(0).0[1], "gather_rows_f32"),
        _ => return Err(invalid("gpu", format!("{} is not a gather", n.op.name()))),
    };
    let (src, idx) = (o.input(0)?, o.input(1)?);
    let (ss, is) = (o.in_shape(0), o.in_shape(1));
    let src_rs = if ss.runs() == 1 {
        0
    } else {
        ss.per_run() as u32
    };
    let idx_rs = if is.runs() == 1 {
        0
    } else {
        is.per_run() as u32
    };
    let p = Params {
        n: n.shape.numel() as u32,
        src_rows: rows as u32,
        d: n.shape.last() as u32,
        batch: is.0[1] as u32,
        src_off: src.offset,
        idx_off: idx.offset,
        out_off: o.out.offset,
        src_run_stride: src_rs,
        idx_run_stride: idx_rs,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
    };
    Ok((p, kernel, src, idx))
}
