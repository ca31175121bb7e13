//! Dispatches: kernel parameter blocks and bind groups, recorded once per executor.

use super::context::{GpuContext, SPECIALIZED};
use super::layout::{Buffers, Layout, View, WORKGROUP};
use crate::error::Result;
use crate::graph::Node;
use crate::shape::Shape;

const PARAMS_ALIGN: u64 = 256;

/// A kernel family's parameters: a `#[repr(C)]` mirror of its shader's `struct Params`, written
/// to the parameter buffer as is.
pub(super) trait KernelParams: bytemuck::Pod {
    /// The op code a specialized kernel's pipeline is compiled for.
    fn op(&self) -> Option<u32> {
        None
    }
}

pub(super) struct Dispatch {
    pub kernel: &'static str,
    pub pipeline: wgpu::ComputePipeline,
    pub bind_group: wgpu::BindGroup,
    pub groups: (u32, u32, u32),
}

pub(super) enum Work {
    Dispatch(Dispatch),
}

/// A dispatch before the parameter buffer exists.
struct Pending {
    kernel: &'static str,
    /// The op code, for a specialized kernel.
    op: Option<u32>,
    /// Offset and size of its parameters in bytes.
    offset: u64,
    size: u64,
    /// Storage bindings: (slot, buffer index).
    bindings: Vec<(u32, usize)>,
    groups: (u32, u32, u32),
    /// A generated kernel's pipeline (fusion); `None` for the kernels in `shaders/`.
    pipeline: Option<wgpu::ComputePipeline>,
}

/// A queued dispatch as the step kernel's table holds it.
pub(super) struct Record {
    pub kernel: &'static str,
    /// The op code of a specialized kernel, else 0.
    pub op: u32,
    /// Its parameter block, as words.
    pub params: Vec<u32>,
    /// Storage bindings: (slot, logical buffer).
    pub bindings: Vec<(u32, usize)>,
    /// A generated (fused) kernel, which the step kernel cannot run.
    pub generated: bool,
}

/// Builds kernel parameters and bind groups while an executor is compiled.
pub(super) struct Builder<'a> {
    ctx: &'a GpuContext,
    pub buffers: Buffers,
    params_bytes: Vec<u8>,
    pending: Vec<Pending>,
}

impl<'a> Builder<'a> {
    pub fn new(ctx: &'a GpuContext) -> Builder<'a> {
        Builder {
            ctx,
            buffers: Buffers::new(&ctx.device),
            params_bytes: Vec::new(),
            pending: Vec::new(),
        }
    }
    /// A builder whose storage is one arena (the step kernel's).
    pub fn arena(ctx: &'a GpuContext) -> Builder<'a> {
        Builder {
            buffers: Buffers::arena(&ctx.device),
            ..Builder::new(ctx)
        }
    }
    pub fn storage(&mut self, label: &str, elements: usize) -> usize {
        self.buffers.storage(label, elements)
    }
    /// Queues a dispatch of `kernel` with `params`; returns its index in the dispatch list.
    pub fn dispatch(
        &mut self,
        kernel: &'static str,
        params: &impl KernelParams,
        bindings: Vec<(u32, usize)>,
        groups: (u32, u32, u32),
    ) -> usize {
        self.dispatch_bytes(
            kernel,
            params.op(),
            bytemuck::bytes_of(params),
            bindings,
            groups,
        )
    }
    /// Queues a dispatch whose parameter block is `bytes` (a struct with a runtime-sized array).
    pub fn dispatch_bytes(
        &mut self,
        kernel: &'static str,
        op: Option<u32>,
        bytes: &[u8],
        bindings: Vec<(u32, usize)>,
        groups: (u32, u32, u32),
    ) -> usize {
        let offset = self.params_bytes.len() as u64;
        self.params_bytes.extend_from_slice(bytes);
        let padded = (bytes.len() as u64).div_ceil(PARAMS_ALIGN) * PARAMS_ALIGN;
        self.params_bytes.resize((offset + padded) as usize, 0);
        self.pending.push(Pending {
            kernel,
            op: op.filter(|_| SPECIALIZED.contains(&kernel)),
            offset,
            size: bytes.len() as u64,
            bindings,
            groups,
            pipeline: None,
        });
        self.pending.len() - 1
    }
    /// Queues a dispatch of a generated kernel: `pipeline`, parameters `bytes`.
    pub fn dispatch_generated(
        &mut self,
        kernel: &'static str,
        pipeline: wgpu::ComputePipeline,
        bytes: &[u8],
        bindings: Vec<(u32, usize)>,
        groups: (u32, u32, u32),
    ) -> usize {
        let i = self.dispatch_bytes(kernel, None, bytes, bindings, groups);
        self.pending[i].pipeline = Some(pipeline);
        i
    }
    pub fn context(&self) -> &GpuContext {
        self.ctx
    }
    /// The kernel of queued dispatch `i`.
    pub fn kernel(&self, i: usize) -> &'static str {
        self.pending[i].kernel
    }
    /// Sets word `word` of queued dispatch `i`'s parameters (the step kernel's layout changes a
    /// few after encoding: see `step::promote`).
    pub fn patch(&mut self, i: usize, word: usize, value: u32) {
        let at = self.pending[i].offset as usize + 4 * word;
        self.params_bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }
    /// The queued dispatches as the step kernel reads them (no pipeline, no bind group), in the
    /// order they were queued, and the buffers, sealed.
    pub fn into_records(mut self) -> (Vec<Record>, Buffers) {
        self.buffers.seal(&self.ctx.queue);
        let records = self
            .pending
            .iter()
            .map(|p| Record {
                kernel: p.kernel,
                op: p.op.unwrap_or(0),
                params: bytemuck::pod_collect_to_vec(
                    &self.params_bytes[p.offset as usize..(p.offset + p.size) as usize],
                ),
                bindings: p.bindings.clone(),
                generated: p.pipeline.is_some(),
            })
            .collect();
        (records, self.buffers)
    }
    /// Creates the parameter buffer and every bind group; returns the dispatches in the order
    /// they were queued, and the buffers.
    pub fn finish(mut self) -> (Vec<Dispatch>, Buffers) {
        use wgpu::BufferUsages as U;
        self.buffers.seal(&self.ctx.queue);
        let index = self.buffers.device_buffer(
            "kernel parameters",
            (self.params_bytes.len().div_ceil(4).max(4) * 4) as u64,
            U::STORAGE | U::COPY_DST,
        );
        let params_buffer = &self.buffers.list[index];
        self.ctx
            .queue
            .write_buffer(params_buffer, 0, &self.params_bytes);
        let dispatches = self
            .pending
            .into_iter()
            .map(|p| {
                let pipeline = p
                    .pipeline
                    .unwrap_or_else(|| self.ctx.pipeline(p.kernel, p.op));
                let layout = pipeline.get_bind_group_layout(0);
                let mut entries = vec![wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: params_buffer,
                        offset: p.offset,
                        size: wgpu::BufferSize::new(p.size),
                    }),
                }];
                for (slot, buffer) in p.bindings {
                    entries.push(wgpu::BindGroupEntry {
                        binding: slot,
                        resource: self.buffers.slot(buffer).0.as_entire_binding(),
                    });
                }
                let bind_group = self
                    .ctx
                    .device
                    .create_bind_group(&wgpu::BindGroupDescriptor {
                        label: Some(p.kernel),
                        layout: &layout,
                        entries: &entries,
                    });
                Dispatch {
                    kernel: p.kernel,
                    pipeline,
                    bind_group,
                    groups: p.groups,
                }
            })
            .collect();
        (dispatches, self.buffers)
    }
}

/// Workgroups for `n` invocations of a 64-wide 1-D kernel, spread over x and y.
pub(super) fn groups_1d(n: usize) -> (u32, u32, u32) {
    let groups = (n as u32).div_ceil(WORKGROUP).max(1);
    let x = groups.min(65_535);
    (x, groups.div_ceil(x), 1)
}

/// A computed node as its family's encoder sees it: the node, its storage and its inputs'.
pub(super) struct Operands<'a> {
    pub node: &'a Node,
    pub out: View,
    nodes: &'a [Node],
    layout: &'a Layout,
}

impl<'a> Operands<'a> {
    pub fn new(nodes: &'a [Node], layout: &'a Layout, id: usize) -> Result<Operands<'a>> {
        Ok(Operands {
            node: &nodes[id],
            out: layout.view(nodes, id)?,
            nodes,
            layout,
        })
    }
    /// The storage of input `k`.
    pub fn input(&self, k: usize) -> Result<View> {
        self.layout.view(self.nodes, self.node.inputs[k])
    }
    /// The shape of input `k`.
    pub fn in_shape(&self, k: usize) -> &'a Shape {
        &self.nodes[self.node.inputs[k]].shape
    }
    /// Workgroups for one invocation per output element.
    pub fn groups(&self) -> (u32, u32, u32) {
        groups_1d(self.node.shape.numel())
    }
}
