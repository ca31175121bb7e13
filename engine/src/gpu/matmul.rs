//! Encoder of `matmul.wgsl`: batched matrix products, operands transposed or shared by runs.

use super::dispatch::{groups_1d, Builder, KernelParams, Operands};
use super::layout::View;
use crate::error::{invalid, Result};
use crate::op::Op;

/// `struct Params` of matmul.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub runs: u32,
    pub a_off: u32,
    pub b_off: u32,
    pub out_off: u32,
    /// 0 when a is shared by every run.
    pub a_run_stride: u32,
    pub b_run_stride: u32,
    /// Step between output rows in a.
    pub a_row_stride: u32,
    /// Step along the contracted axis in a.
    pub a_k_stride: u32,
    /// Step along the contracted axis in b.
    pub b_k_stride: u32,
    /// Step between output columns in b.
    pub b_col_stride: u32,
    pub _pad0: u32,
    pub _pad1: u32,
    pub _pad2: u32,
}

impl KernelParams for Params {}

/// Queues the dispatch of a matrix product.
pub(super) fn encode(b: &mut Builder, o: &Operands) -> Result<usize> {
    let p = product(o, o.out.offset)?;
    Ok(b.dispatch(
        "matmul_f32",
        &p.params,
        vec![(1, p.a.buffer), (2, p.b.buffer), (4, o.out.buffer)],
        p.groups,
    ))
}

/// A product's dispatch before its output buffer is bound.
pub(super) struct Product {
    pub params: Params,
    /// The operands' storage.
    pub a: View,
    pub b: View,
    pub groups: (u32, u32, u32),
}

/// The product's parameters when its result is stored from `out_off`.
pub(super) fn product(o: &Operands, out_off: u32) -> Result<Product> {
    let n = o.node;
    let Op::MatMul {
        transpose_a,
        transpose_b,
    } = n.op
    else {
        return Err(invalid("gpu", format!("{} is not a matmul", n.op.name())));
    };
    let (a, c) = (o.input(0)?, o.input(1)?);
    let (sa, sb) = (o.in_shape(0), o.in_shape(1));
    let (m, nn) = (n.shape.0[1] as u32, n.shape.0[2] as u32);
    let k = if transpose_a { sa.0[1] } else { sa.0[2] } as u32;
    let (a_row, a_k) = if transpose_a { (1, m) } else { (k, 1) };
    let (b_k, b_col) = if transpose_b { (1, k) } else { (nn, 1) };
    let a_rs = if sa.runs() == 1 {
        0
    } else {
        sa.per_run() as u32
    };
    let b_rs = if sb.runs() == 1 {
        0
    } else {
        sb.per_run() as u32
    };
    let runs = n.shape.runs() as u32;
    let p = Params {
        m,
        n: nn,
        k,
        runs,
        a_off: a.offset,
        b_off: c.offset,
        out_off,
        a_run_stride: a_rs,
        b_run_stride: b_rs,
        a_row_stride: a_row,
        a_k_stride: a_k,
        b_k_stride: b_k,
        b_col_stride: b_col,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
    };
    let groups = groups_1d(runs as usize * m.div_ceil(4) as usize * nn.div_ceil(4) as usize);
    Ok(Product {
        params: p,
        a,
        b: c,
        groups,
    })
}
