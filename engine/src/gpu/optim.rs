//! Encoder of `optim.wgsl`: a run group's fused SGD or Adam update, from its gradient arena.

use super::dispatch::{groups_1d, Builder};
use super::elementwise;
use super::layout::WORKGROUP;
use super::layout::{Layout, View};
use super::optim_tables::{chunks, Segment, MAX_SEGMENTS};
use crate::error::{invalid, Result};
use crate::graph::Node;
use crate::program::{OptimizerKind, Update};

/// `PER` in optim.wgsl: each workgroup updates this many consecutive blocks of the arena.
const OPTIM_BLOCKS_PER_GROUP: usize = 8;

/// `struct Params` of optim.wgsl, without its runtime-sized tail `group_seg: array<u32>` (the
/// per-workgroup segment index), which follows it in the parameter block.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    /// Elements updated by this optimizer (the gradient arena's size).
    pub total: u32,
    pub segments: u32,
    /// Learning rates in the leaves arena.
    pub lr_off: u32,
    /// 1 (shared) or R.
    pub lr_len: u32,
    /// The step counter in the leaves arena.
    pub step_off: u32,
    /// 0 sgd, 1 adam.
    pub kind: u32,
    /// AdamW.
    pub decoupled: u32,
    /// This dispatch covers gradient-arena elements [first, first + count).
    pub first: u32,
    pub count: u32,
    pub _pad0: u32,
    pub _pad1: u32,
    pub _pad2: u32,
    /// Sgd: momentum, weight decay; adam: beta1, beta2, eps, weight decay.
    pub hyper: [f32; 4],
    /// Gradient-arena start, elements per run, runs, parameter-arena start.
    pub seg: [Segment; MAX_SEGMENTS],
}

/// Queues the update of entry `entry`: gradients not already in its arena are copied there, then
/// the optimizer steps. `step` is the step counter's storage.
pub(super) fn encode(
    b: &mut Builder,
    nodes: &[Node],
    layout: &Layout,
    entry: usize,
    name: &str,
    u: &Update,
    step: View,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let arena = layout.grads[entry]
        .as_ref()
        .expect("an entry with an update has a gradient arena");
    let mut list = Vec::new();
    for (j, g) in u.grads.iter().enumerate() {
        let slot = View {
            buffer: arena.buffer,
            offset: arena.offsets[j] as u32,
        };
        if layout.views[g.id] != Some(slot) {
            list.extend(elementwise::copy(
                b,
                layout.view(nodes, g.id)?,
                slot,
                &g.shape(),
            ));
        }
    }
    let total = arena.size;
    // One buffer per moment, each laid out as the gradient arena; SGD binds a placeholder.
    let moments: Vec<usize> = (0..u.kind.moments())
        .map(|s| b.storage(&format!("{name}.moments.{s}"), total))
        .collect();
    let second = match moments.get(1) {
        Some(&v) => v,
        None => b.storage(&format!("{name}.no_second_moment"), 1),
    };
    let lr = layout.view(nodes, u.lr.id)?;
    if lr.buffer != layout.leaves {
        return Err(invalid(
            "optimizer",
            "the learning rate must be an input or state tensor (e.g. graph.per_run)",
        ));
    }
    let (kind, decoupled, hyper) = match u.kind {
        OptimizerKind::Sgd {
            momentum,
            weight_decay,
        } => (0, 0, [momentum, weight_decay, 0.0, 0.0]),
        OptimizerKind::Adam {
            beta1,
            beta2,
            eps,
            weight_decay,
            decoupled,
        } => (1, decoupled as u32, [beta1, beta2, eps, weight_decay]),
    };
    let segments: Vec<Segment> = u
        .params
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let s = p.shape();
            [
                arena.offsets[j] as u32,
                s.per_run() as u32,
                s.runs() as u32,
                layout.views[p.id].unwrap().offset,
            ]
        })
        .collect();
    for chunk in chunks(&segments) {
        let p = Params {
            total: total as u32,
            segments: chunk.segments.len() as u32,
            lr_off: lr.offset,
            lr_len: u.lr.shape().numel() as u32,
            step_off: step.offset,
            kind,
            decoupled,
            first: chunk.first,
            count: chunk.count,
            _pad0: 0,
            _pad1: 0,
            _pad2: 0,
            hyper,
            seg: chunk.table(),
        };
        let mut bytes = bytemuck::bytes_of(&p).to_vec();
        bytes.extend_from_slice(bytemuck::cast_slice(&chunk.group_segments(WORKGROUP)));
        // The struct's size is a multiple of its 16-byte alignment.
        bytes.resize(bytes.len().next_multiple_of(16), 0);
        list.push(b.dispatch_bytes(
            "optimizer_step",
            // optim.wgsl's `OP`: the kernel is compiled for its optimizer alone.
            Some(kind + decoupled),
            &bytes,
            vec![
                (1, layout.params),
                (2, arena.buffer),
                (3, moments[0]),
                (4, layout.leaves),
                (5, second),
            ],
            // optim.wgsl's PER blocks of WORKGROUP elements a workgroup.
            groups_1d((chunk.count as usize).div_ceil(OPTIM_BLOCKS_PER_GROUP)),
        ));
    }
    Ok((list, moments))
}
