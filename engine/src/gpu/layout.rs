//! Memory layout: which buffer and offset holds every tensor.
//!
//! Inputs and states share one "leaves" buffer, parameters one "params" buffer, each
//! optimizer's gradients one arena; every other computed node has its own buffer, and reshape
//! and detach are views of their input.

use crate::error::{invalid, Result};
use crate::graph::Node;
use crate::op::{LeafKind, Op, UnaryOp};
use crate::plan::Plan;
use crate::program::Program;
use std::collections::HashMap;

/// Threads in a workgroup of the 1-D kernels; buffers align their tensors to it.
pub(super) const WORKGROUP: u32 = 64;

/// Where a tensor lives: a buffer of the executor and an offset in f32 elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct View {
    pub buffer: usize,
    pub offset: u32,
}

/// Where a logical buffer lives: a device buffer (an index into `Buffers::list`) and a byte
/// offset in it. Without an arena every logical buffer is a device buffer of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Slot {
    pub buffer: usize,
    pub base: u64,
    pub size: u64,
}

/// Slots in an arena before `seal` makes its device buffer.
const UNSEALED: usize = usize::MAX;

/// An executor's buffers, in the order they were made, and their total size. Everything else
/// names a logical buffer (a `Slot`); in arena mode (the step kernel's, which binds one buffer)
/// every storage buffer is a range of a single device buffer.
pub(super) struct Buffers {
    device: wgpu::Device,
    /// Device buffers.
    pub list: Vec<wgpu::Buffer>,
    /// Logical buffers: what `create` and `storage` return indices into.
    pub slots: Vec<Slot>,
    pub bytes: u64,
    /// The first buffer past what the device binds or makes, with its label and size: nothing
    /// is made for it, and building fails with a message before any work is queued.
    pub too_large: Option<(String, u64)>,
    /// Arena mode: bytes reserved so far.
    arena: Option<u64>,
    /// Initial contents, written by `seal` once the device buffers exist.
    writes: Vec<(usize, Vec<u8>)>,
}

impl Buffers {
    pub fn new(device: &wgpu::Device) -> Buffers {
        Buffers {
            device: device.clone(),
            list: Vec::new(),
            slots: Vec::new(),
            bytes: 0,
            too_large: None,
            arena: None,
            writes: Vec::new(),
        }
    }
    /// Buffers whose storage is one arena, made by `seal`.
    pub fn arena(device: &wgpu::Device) -> Buffers {
        Buffers {
            arena: Some(0),
            ..Buffers::new(device)
        }
    }
    /// The largest buffer the device makes and binds, in bytes.
    pub fn most(&self) -> u64 {
        let limits = self.device.limits();
        limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
    }
    /// Makes a buffer of `elements` f32 (at least 4); returns its index. Every buffer is bound
    /// whole, so one larger than the device binds is recorded in `too_large` and made tiny. In
    /// arena mode a storage buffer is a range of the arena, 256-byte aligned.
    pub fn create(&mut self, label: &str, elements: usize, usage: wgpu::BufferUsages) -> usize {
        let mut size = (elements.max(4) * 4) as u64;
        if let Some(used) = self.arena.as_mut() {
            let base = *used;
            *used = (base + size).next_multiple_of(256);
            self.slots.push(Slot {
                buffer: UNSEALED,
                base,
                size,
            });
            return self.slots.len() - 1;
        }
        if size > self.most() {
            self.too_large.get_or_insert((label.to_string(), size));
            size = 16;
        }
        let buffer = self.device_buffer(label, size, usage);
        self.slots.push(Slot {
            buffer,
            base: 0,
            size,
        });
        self.slots.len() - 1
    }
    pub fn storage(&mut self, label: &str, elements: usize) -> usize {
        use wgpu::BufferUsages as U;
        self.create(label, elements, U::STORAGE | U::COPY_SRC | U::COPY_DST)
    }
    /// A device buffer of `bytes` outside any arena; returns its index in `list`.
    pub fn device_buffer(&mut self, label: &str, bytes: u64, usage: wgpu::BufferUsages) -> usize {
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage,
            mapped_at_creation: false,
        });
        self.bytes += bytes;
        self.list.push(buffer);
        self.list.len() - 1
    }
    /// Queues `data` as buffer `index`'s initial contents (written by `seal`).
    pub fn write_initial(&mut self, index: usize, data: &[f32]) {
        self.writes
            .push((index, bytemuck::cast_slice(data).to_vec()));
    }
    /// Makes the arena's device buffer (arena mode), then writes every initial content.
    pub fn seal(&mut self, queue: &wgpu::Queue) {
        if let Some(used) = self.arena.take() {
            let size = used.max(16);
            if size > self.most() {
                self.too_large.get_or_insert(("arena".to_string(), size));
                return;
            }
            use wgpu::BufferUsages as U;
            let buffer = self.device_buffer("arena", size, U::STORAGE | U::COPY_SRC | U::COPY_DST);
            for s in self.slots.iter_mut().filter(|s| s.buffer == UNSEALED) {
                s.buffer = buffer;
            }
        }
        for (index, bytes) in self.writes.drain(..) {
            if !bytes.is_empty() {
                let s = self.slots[index];
                queue.write_buffer(&self.list[s.buffer], s.base, &bytes);
            }
        }
    }
    /// The device buffer of logical buffer `index`, its byte offset there and its size.
    pub fn slot(&self, index: usize) -> (&wgpu::Buffer, u64, u64) {
        let s = self.slots[index];
        (&self.list[s.buffer], s.base, s.size)
    }
}

/// One optimizer's gradient arena: every gradient of its update, each starting a workgroup.
pub(super) struct GradArena {
    pub buffer: usize,
    /// Each gradient's offset in the arena, in the update's order.
    pub offsets: Vec<usize>,
    /// Elements, padding included.
    pub size: usize,
}

/// Where every node of a program lives.
pub(super) struct Layout {
    pub views: Vec<Option<View>>,
    /// Computed nodes that need a dispatch (the others are views of their input).
    pub is_dispatch: Vec<bool>,
    /// The buffer of inputs and states.
    pub leaves: usize,
    /// The buffer of parameters.
    pub params: usize,
    /// Per entry, its optimizer's gradient arena.
    pub grads: Vec<Option<GradArena>>,
}

impl Layout {
    /// Makes the leaf buffers (their initial values queued for `Buffers::seal`), the gradient arenas and a buffer
    /// for every computed node that is not a view, in that order.
    pub fn new(buffers: &mut Buffers, program: &Program, plan: &Plan, nodes: &[Node]) -> Layout {
        let mut views: Vec<Option<View>> = vec![None; nodes.len()];
        let (leaves, params) = place_leaves(buffers, nodes, &mut views);
        let (grads, grad_slot) = grad_arenas(buffers, program);
        let is_dispatch = place_computed(buffers, plan, nodes, &mut views, &grads, grad_slot);
        Layout {
            views,
            is_dispatch,
            leaves,
            params,
            grads,
        }
    }

    /// The storage of node `id`.
    pub fn view(&self, nodes: &[Node], id: usize) -> Result<View> {
        self.views[id].ok_or_else(|| {
            invalid(
                "gpu",
                format!("node {id} ({}) has no storage", nodes[id].op.name()),
            )
        })
    }
}

/// Leaves: inputs and states in one buffer, parameters in another. Returns (leaves, params).
fn place_leaves(
    buffers: &mut Buffers,
    nodes: &[Node],
    views: &mut [Option<View>],
) -> (usize, usize) {
    let (mut leaf_data, mut param_data) = (Vec::<f32>::new(), Vec::<f32>::new());
    for (i, n) in nodes.iter().enumerate() {
        if let (Op::Leaf(kind), Some(init)) = (&n.op, &n.init) {
            let arena = if *kind == LeafKind::Param {
                &mut param_data
            } else {
                &mut leaf_data
            };
            views[i] = Some(View {
                buffer: usize::MAX,
                offset: arena.len() as u32,
            });
            arena.extend_from_slice(init);
        }
    }
    let leaves = buffers.storage("leaves", leaf_data.len());
    let params = buffers.storage("params", param_data.len());
    buffers.write_initial(leaves, &leaf_data);
    buffers.write_initial(params, &param_data);
    for (i, n) in nodes.iter().enumerate() {
        if let Op::Leaf(kind) = n.op {
            if let Some(v) = views[i].as_mut() {
                v.buffer = if kind == LeafKind::Param {
                    params
                } else {
                    leaves
                };
            }
        }
    }
    (leaves, params)
}

/// Gradient node -> (entry, offset in its arena), for the gradients that may be written in place.
type GradSlots = HashMap<usize, (usize, usize)>;

/// Gradient arenas: a gradient computed by exactly one dispatch is written straight into
/// its optimizer's arena, unless that dispatch also reads a gradient arena (a buffer can't
/// be read and written by one dispatch). Returns the arenas and, per gradient node that may be
/// written in place, its (entry, offset).
fn grad_arenas(buffers: &mut Buffers, program: &Program) -> (Vec<Option<GradArena>>, GradSlots) {
    let mut grad_slot = GradSlots::new();
    let mut grad_count: HashMap<usize, usize> = HashMap::new();
    for e in &program.entries {
        if let Some(u) = &e.update {
            for g in &u.grads {
                *grad_count.entry(g.id).or_default() += 1;
            }
        }
    }
    let mut arenas = Vec::with_capacity(program.entries.len());
    for (k, e) in program.entries.iter().enumerate() {
        let Some(u) = &e.update else {
            arenas.push(None);
            continue;
        };
        let mut offsets = Vec::with_capacity(u.grads.len());
        let mut offset = 0usize;
        for g in &u.grads {
            // Each gradient starts a workgroup, so the optimizer kernel finds an
            // element's parameter from its workgroup in a table, not by a search.
            offset = offset.next_multiple_of(WORKGROUP as usize);
            offsets.push(offset);
            if grad_count[&g.id] == 1 {
                grad_slot.insert(g.id, (k, offset));
            }
            offset += g.shape().numel();
        }
        arenas.push(Some(GradArena {
            buffer: buffers.storage(&format!("{}.grads", e.name), offset),
            offsets,
            size: offset,
        }));
    }
    (arenas, grad_slot)
}

/// Views of computed nodes, in graph order so inputs are placed first. Returns which nodes need
/// a dispatch.
fn place_computed(
    buffers: &mut Buffers,
    plan: &Plan,
    nodes: &[Node],
    views: &mut [Option<View>],
    grads: &[Option<GradArena>],
    mut grad_slot: GradSlots,
) -> Vec<bool> {
    let arena_buffers: Vec<usize> = grads.iter().flatten().map(|a| a.buffer).collect();
    let mut computed = vec![false; nodes.len()];
    for &i in plan
        .prologue
        .iter()
        .chain(plan.entries.iter().flat_map(|e| e.ops.iter()))
    {
        computed[i] = true;
    }
    let mut is_dispatch = vec![false; nodes.len()];
    for i in 0..nodes.len() {
        if !computed[i] {
            continue;
        }
        let n = &nodes[i];
        let aliases = matches!(n.op, Op::Reshape | Op::Unary(UnaryOp::Detach))
            || (n.op == Op::Unary(UnaryOp::Identity) && nodes[n.inputs[0]].shape == n.shape);
        if aliases {
            views[i] = views[n.inputs[0]];
            continue;
        }
        is_dispatch[i] = true;
        let reads_arena = n
            .inputs
            .iter()
            .any(|&j| views[j].is_some_and(|v| arena_buffers.contains(&v.buffer)));
        views[i] = match grad_slot.get(&i) {
            Some(&(k, offset)) if !reads_arena => Some(View {
                buffer: grads[k].as_ref().unwrap().buffer,
                offset: offset as u32,
            }),
            _ => {
                grad_slot.remove(&i);
                let label = if n.label.is_empty() {
                    n.op.name().to_string()
                } else {
                    n.label.clone()
                };
                Some(View {
                    buffer: buffers.storage(&label, n.shape.numel()),
                    offset: 0,
                })
            }
        };
    }
    is_dispatch
}
