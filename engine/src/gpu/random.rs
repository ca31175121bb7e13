//! Encoder of `random.wgsl`: counter-based uniform and normal random numbers.

use super::dispatch::{Builder, KernelParams, Operands};
use super::layout::View;
use crate::error::{invalid, Result};
use crate::op::{Dist, Op};

/// `struct Params` of random.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    pub n: u32,
    pub per_run: u32,
    pub seed: u32,
    pub stream: u32,
    /// 0 uniform [p0, p1), 1 normal (mean p0, std p1).
    pub dist: u32,
    pub counter_off: u32,
    pub out_off: u32,
    pub _pad0: u32,
    pub p0: f32,
    pub p1: f32,
    pub _pad1: f32,
    pub _pad2: f32,
}

impl KernelParams for Params {}

/// Queues the dispatch of a random op; `seed` is the graph's.
pub(super) fn encode(b: &mut Builder, o: &Operands, seed: u32) -> Result<usize> {
    let (p, c) = params(o, seed, o.out.offset)?;
    Ok(b.dispatch(
        "random_f32",
        &p,
        vec![(1, c.buffer), (4, o.out.buffer)],
        o.groups(),
    ))
}

/// The draw's parameters when its result is stored from `out_off`, and its counter's storage.
pub(super) fn params(o: &Operands, seed: u32, out_off: u32) -> Result<(Params, View)> {
    let n = o.node;
    let Op::Random {
        dist,
        stream,
        seed: own,
    } = n.op
    else {
        return Err(invalid("gpu", format!("{} is not random", n.op.name())));
    };
    let c = o.input(0)?;
    let (kind, p0, p1) = match dist {
        Dist::Uniform { low, high } => (0, low, high),
        Dist::Normal { mean, std } => (1, mean, std),
    };
    let p = Params {
        n: n.shape.numel() as u32,
        per_run: n.shape.per_run() as u32,
        seed: own.unwrap_or(seed),
        stream,
        dist: kind,
        counter_off: c.offset,
        out_off,
        _pad0: 0,
        p0,
        p1,
        _pad1: 0.0,
        _pad2: 0.0,
    };
    Ok((p, c))
}
