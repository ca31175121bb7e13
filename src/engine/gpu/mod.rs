//! The GPU backend: wgpu compute with the WGSL kernels in `shaders/`.
//!
//! Record once, replay: building a `GpuExec` lays every tensor out in device memory, creates every
//! pipeline, parameter block and bind group, and turns each entry into a fixed list of dispatches. Running
//! an entry then only encodes those dispatches (many steps per queue submit); nothing is uploaded.
//! Metrics are summed on the device and copied to a small ring of staging buffers every
//! `readback_every` steps, mapped asynchronously and collected by `take_metrics` without waiting.
//!
//! Memory layout: inputs and states share one "leaves" buffer, parameters one "params" buffer, and
//! each optimizer's gradients and moments one buffer each, in the same order, so one dispatch of
//! `optim.wgsl` updates every parameter of a run group. Every other node has its own buffer.
//! Reshape and detach are views of their input: no dispatch.

use super::error::{invalid, EngineError, Result};
use super::graph::{Node, Tensor};
use super::op::{Dist, LeafKind, Op, UnaryOp};
use super::plan::Plan;
use super::program::{Counters, MetricWindow, OptimizerKind, Program};
use super::shape::{Shape, MAX_RANK};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

const COMMON: &str = include_str!("../../../shaders/common.wgsl");
const FAMILIES: [(&str, &str); 7] = [
    (
        "elementwise",
        include_str!("../../../shaders/elementwise.wgsl"),
    ),
    ("matmul", include_str!("../../../shaders/matmul.wgsl")),
    ("reduce", include_str!("../../../shaders/reduce.wgsl")),
    ("softmax", include_str!("../../../shaders/softmax.wgsl")),
    ("gather", include_str!("../../../shaders/gather.wgsl")),
    ("random", include_str!("../../../shaders/random.wgsl")),
    ("optim", include_str!("../../../shaders/optim.wgsl")),
];
/// (entry point, family) of every kernel.
const KERNELS: [(&str, &str); 14] = [
    ("unary_f32", "elementwise"),
    ("clamp_f32", "elementwise"),
    ("binary_f32", "elementwise"),
    ("select_f32", "elementwise"),
    ("concat_f32", "elementwise"),
    ("fill_f32", "elementwise"),
    ("accumulate_f32", "elementwise"),
    ("bump_f32", "elementwise"),
    ("matmul_f32", "matmul"),
    ("reduce_f32", "reduce"),
    ("softmax_f32", "softmax"),
    ("gather_rows_f32", "gather"),
    ("scatter_add_rows_f32", "gather"),
    ("random_f32", "random"),
];
const OPTIMIZER_KERNEL: (&str, &str) = ("optimizer_step", "optim");
/// Kernels compiled once per op code (the `OP` override of elementwise.wgsl), lazily, as
/// programs need them: a switch over the op in every invocation costs SwiftShader a quarter to
/// a half of these kernels' time.
const SPECIALIZED: [&str; 2] = ["unary_f32", "binary_f32"];
/// The op code's word in elementwise.wgsl's parameters (misc.y).
const OP_WORD: usize = 21;
/// Segments per optimizer dispatch (the size of the parameters. segment table).
const MAX_SEGMENTS: usize = 64;
const WORKGROUP: u32 = 64;
const PARAMS_ALIGN: u64 = 256;
/// Staging buffers in the metric ring.
const RING: usize = 4;

/// WebGPU's downlevel limits, except 8 storage buffers per shader stage (WebGPU's own default,
/// which every browser offers): kernel parameters are a storage buffer, not a uniform, because
/// Mesa's lavapipe (the test device) JIT-compiles a new shader variant for every dispatch whose
/// uniform values it can inline, leaking ~150 KB and ~1 ms each time.
pub fn required_limits() -> wgpu::Limits {
    wgpu::Limits {
        max_storage_buffers_per_shader_stage: 8,
        ..wgpu::Limits::downlevel_defaults()
    }
}

/// A device and queue, with the pipelines compiled for them. Clones share everything.
#[derive(Clone)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// Adapter name and backend, for the page's badge and the CLI's JSON.
    pub adapter: String,
    pipelines: Arc<HashMap<&'static str, wgpu::ComputePipeline>>,
    modules: Arc<HashMap<&'static str, wgpu::ShaderModule>>,
    /// The specialized kernels compiled so far, by (kernel, op code).
    specialized: Arc<Mutex<HashMap<(&'static str, u32), wgpu::ComputePipeline>>>,
    errors: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
}

impl GpuContext {
    /// Asks for an adapter and a device with WebGPU's downlevel limits, so what runs here runs in
    /// every browser. A clear `NoGpu` error says why when there is none; fall back to the CPU then.
    pub async fn new() -> Result<GpuContext> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| EngineError::NoGpu(format!("no adapter: {e}")))?;
        let info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("methodlab"),
                required_limits: required_limits(),
                ..Default::default()
            })
            .await
            .map_err(|e| {
                EngineError::NoGpu(format!("adapter {} gave no device: {e}", info.name))
            })?;
        Self::from_device(device, queue, format!("{} ({:?})", info.name, info.backend)).await
    }

    /// Wraps a device the caller made (tests, the page), compiling every kernel once.
    pub async fn from_device(
        device: wgpu::Device,
        queue: wgpu::Queue,
        adapter: String,
    ) -> Result<GpuContext> {
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().unwrap().push(e.to_string());
        }));
        let lost = Arc::new(Mutex::new(None));
        let lost_sink = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            *lost_sink.lock().unwrap() = Some(format!("{reason:?}: {message}"));
        });
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let modules: HashMap<&'static str, wgpu::ShaderModule> = FAMILIES
            .iter()
            .map(|(family, src)| {
                let source = format!("{COMMON}\n{src}");
                let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(family),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                });
                (*family, module)
            })
            .collect();
        let mut pipelines = HashMap::new();
        for (entry, family) in KERNELS.iter().chain([&OPTIMIZER_KERNEL]) {
            if SPECIALIZED.contains(entry) {
                continue;
            }
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module: &modules[family],
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            });
            pipelines.insert(*entry, pipeline);
        }
        if let Some(e) = scope.pop().await {
            return Err(EngineError::Gpu(format!("compiling kernels: {e}")));
        }
        Ok(GpuContext {
            device,
            queue,
            adapter,
            pipelines: Arc::new(pipelines),
            modules: Arc::new(modules),
            specialized: Arc::new(Mutex::new(HashMap::new())),
            errors,
            lost,
        })
    }

    /// The pipeline of `kernel`; for a specialized one, its variant for op code `op`, compiled on
    /// first use.
    fn pipeline(&self, kernel: &'static str, op: Option<u32>) -> wgpu::ComputePipeline {
        let Some(op) = op.filter(|_| SPECIALIZED.contains(&kernel)) else {
            return self.pipelines[kernel].clone();
        };
        let mut cache = self.specialized.lock().unwrap();
        cache
            .entry((kernel, op))
            .or_insert_with(|| {
                let family = KERNELS
                    .iter()
                    .find(|(k, _)| *k == kernel)
                    .map_or("elementwise", |(_, f)| *f);
                self.device
                    .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(kernel),
                        layout: None,
                        module: &self.modules[family],
                        entry_point: Some(kernel),
                        compilation_options: wgpu::PipelineCompilationOptions {
                            constants: &[("OP", op as f64)],
                            ..Default::default()
                        },
                        cache: None,
                    })
            })
            .clone()
    }

    /// The first error the device reported since the last call, or device loss.
    fn check(&self) -> Result<()> {
        if let Some(why) = self.lost.lock().unwrap().clone() {
            return Err(EngineError::DeviceLost(why));
        }
        let mut errors = self.errors.lock().unwrap();
        if !errors.is_empty() {
            let all = errors.join("; ");
            errors.clear();
            let lower = all.to_lowercase();
            if lower.contains("out of memory") {
                return Err(EngineError::Gpu(format!("out of memory: {all}")));
            }
            return Err(EngineError::Gpu(all));
        }
        Ok(())
    }
}

/// Where a tensor lives: a buffer of the executor and an offset in f32 elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct View {
    buffer: usize,
    offset: u32,
}

struct Dispatch {
    kernel: &'static str,
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    groups: (u32, u32, u32),
}

enum Work {
    Dispatch(Dispatch),
}

struct EntryExec {
    work: Vec<Work>,
    dispatches: usize,
    metrics: usize,
    /// Per-run metric sums [metrics × R] and the ring of staging buffers they are copied to.
    metric_sums: Option<usize>,
    ring: Vec<Staging>,
    pending: VecDeque<(usize, u64, u64)>,
    steps_in_window: u64,
    ready: VecDeque<MetricWindow>,
}

impl EntryExec {
    /// Encodes a copy of the metric sums into a free staging buffer and clears the sums; the
    /// slot, or `None` when every staging buffer is still in flight.
    fn encode_readback(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        buffers: &[wgpu::Buffer],
        runs: usize,
        step: u64,
    ) -> Option<usize> {
        let sums = &buffers[self.metric_sums?];
        let slot = self.ring.iter().position(|s| !s.busy)?;
        encoder.copy_buffer_to_buffer(
            sums,
            0,
            &self.ring[slot].buffer,
            0,
            (self.metrics * runs * 4) as u64,
        );
        encoder.clear_buffer(sums, 0, None);
        self.ring[slot].busy = true;
        self.pending.push_back((slot, step, self.steps_in_window));
        self.steps_in_window = 0;
        Some(slot)
    }

    /// Starts mapping a staging buffer whose copy has been submitted.
    fn map_slot(&self, slot: usize) {
        let flag = self.ring[slot].mapped.clone();
        *flag.lock().unwrap() = None;
        self.ring[slot]
            .buffer
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |r| {
                *flag.lock().unwrap() = Some(r.is_ok());
            });
    }
}

struct Staging {
    buffer: wgpu::Buffer,
    mapped: Arc<Mutex<Option<bool>>>,
    busy: bool,
}

/// A program compiled for one GPU context.
pub struct GpuExec {
    ctx: GpuContext,
    program: Program,
    nodes: Vec<Node>,
    views: Vec<Option<View>>,
    buffers: Vec<wgpu::Buffer>,
    buffer_bytes: u64,
    leaves: usize,
    params: usize,
    prologue: Vec<Work>,
    entries: Vec<EntryExec>,
    counters: Counters,
    runs: usize,
    step_host: u64,
    /// Steps between metric readbacks.
    pub readback_every: u64,
    /// Steps encoded per queue submit.
    pub steps_per_submit: u32,
    /// Submissions not yet known to be finished: natively, encoding runs far ahead of the device,
    /// so `run` waits for the oldest once more than `MAX_IN_FLIGHT` are queued.
    in_flight: VecDeque<wgpu::SubmissionIndex>,
}

/// Queue submissions allowed ahead of the device before `run` waits (native only; in the browser
/// the runner bounds the steps per frame instead).
const MAX_IN_FLIGHT: usize = 4;

/// A dispatch before the parameter buffer exists: kernel and its op code if it is specialized,
/// parameter offset and size in bytes, storage bindings (slot, buffer index) and workgroups.
type PendingDispatch = (
    (&'static str, Option<u32>),
    u64,
    u64,
    Vec<(u32, usize)>,
    (u32, u32, u32),
);

/// Builds kernel parameters and bind groups while an executor is compiled.
struct Builder<'a> {
    ctx: &'a GpuContext,
    buffers: &'a mut Vec<wgpu::Buffer>,
    buffer_bytes: &'a mut u64,
    params_bytes: Vec<u8>,
    /// (kernel, parameter offset, size, bindings (slot, buffer), groups) before the parameter buffer exists.
    pending: Vec<PendingDispatch>,
}

impl Builder<'_> {
    fn buffer(&mut self, label: &str, elements: usize, usage: wgpu::BufferUsages) -> usize {
        let size = (elements.max(4) * 4) as u64;
        let buffer = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        });
        *self.buffer_bytes += size;
        self.buffers.push(buffer);
        self.buffers.len() - 1
    }
    fn storage(&mut self, label: &str, elements: usize) -> usize {
        use wgpu::BufferUsages as U;
        self.buffer(label, elements, U::STORAGE | U::COPY_SRC | U::COPY_DST)
    }
    /// Queues a dispatch; returns its index in `pending`.
    fn dispatch(
        &mut self,
        kernel: &'static str,
        uniform: &[u32],
        bindings: Vec<(u32, usize)>,
        groups: (u32, u32, u32),
    ) -> usize {
        let offset = self.params_bytes.len() as u64;
        let bytes: &[u8] = bytemuck::cast_slice(uniform);
        self.params_bytes.extend_from_slice(bytes);
        let padded = (bytes.len() as u64).div_ceil(PARAMS_ALIGN) * PARAMS_ALIGN;
        self.params_bytes.resize((offset + padded) as usize, 0);
        let op = SPECIALIZED.contains(&kernel).then(|| uniform[OP_WORD]);
        self.pending
            .push(((kernel, op), offset, bytes.len() as u64, bindings, groups));
        self.pending.len() - 1
    }
    /// Creates the parameter buffer and every bind group.
    fn finish(mut self) -> Vec<Dispatch> {
        use wgpu::BufferUsages as U;
        let index = self.buffer(
            "kernel parameters",
            self.params_bytes.len().div_ceil(4),
            U::STORAGE | U::COPY_DST,
        );
        let params_buffer = &self.buffers[index];
        self.ctx
            .queue
            .write_buffer(params_buffer, 0, &self.params_bytes);
        self.pending
            .into_iter()
            .map(|((kernel, op), offset, size, bindings, groups)| {
                let pipeline = self.ctx.pipeline(kernel, op);
                let layout = pipeline.get_bind_group_layout(0);
                let mut entries = vec![wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: params_buffer,
                        offset,
                        size: wgpu::BufferSize::new(size),
                    }),
                }];
                for (slot, buffer) in bindings {
                    entries.push(wgpu::BindGroupEntry {
                        binding: slot,
                        resource: self.buffers[buffer].as_entire_binding(),
                    });
                }
                let bind_group = self
                    .ctx
                    .device
                    .create_bind_group(&wgpu::BindGroupDescriptor {
                        label: Some(kernel),
                        layout: &layout,
                        entries: &entries,
                    });
                Dispatch {
                    kernel,
                    pipeline,
                    bind_group,
                    groups,
                }
            })
            .collect()
    }
}

/// Workgroups for `n` invocations of a 64-wide 1-D kernel, spread over x and y.
fn groups_1d(n: usize) -> (u32, u32, u32) {
    let groups = (n as u32).div_ceil(WORKGROUP).max(1);
    let x = groups.min(65_535);
    (x, groups.div_ceil(x), 1)
}

fn contiguous_strides(shape: &Shape) -> [u32; MAX_RANK] {
    let dims = shape.padded(MAX_RANK);
    let mut s = [0u32; MAX_RANK];
    let mut acc = 1u32;
    for i in (0..MAX_RANK).rev() {
        s[i] = acc;
        acc *= dims[i] as u32;
    }
    s
}

/// The parameters of `elementwise.wgsl`: 8 × vec4.
#[allow(clippy::too_many_arguments)]
fn elementwise_params(
    out: &Shape,
    strides: [[u32; 4]; 3],
    offs: [u32; 4],
    op: u32,
    concat: (u32, u32),
    fp: [f32; 2],
) -> Vec<u32> {
    let mut u = Vec::with_capacity(28);
    u.extend(out.padded(MAX_RANK).iter().map(|&d| d as u32));
    for s in strides {
        u.extend_from_slice(&s);
    }
    u.extend_from_slice(&offs);
    u.extend_from_slice(&[out.numel() as u32, op, concat.0, concat.1]);
    u.extend_from_slice(&[fp[0].to_bits(), fp[1].to_bits(), 0, 0]);
    let own = contiguous_strides(out);
    let layout = strides
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == own)
        .fold(0u32, |m, (k, _)| m | 1 << k);
    u.extend_from_slice(&[layout, 0, 0, 0]);
    u
}

struct Oneshot<T> {
    state: Arc<Mutex<(Option<T>, Option<Waker>)>>,
}

impl<T> Future for Oneshot<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut s = self.state.lock().unwrap();
        match s.0.take() {
            Some(v) => Poll::Ready(v),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl GpuExec {
    /// Compiles `program` for `ctx`: every buffer, parameter block and bind group is made here, once.
    pub async fn new(ctx: &GpuContext, program: &Program) -> Result<GpuExec> {
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let built = Self::build(ctx, program);
        let oom_error = oom.pop().await;
        let validation_error = scope.pop().await;
        let exec = built?;
        if let Some(e) = oom_error {
            return Err(EngineError::Gpu(format!(
                "out of memory while building: {e}"
            )));
        }
        if let Some(e) = validation_error {
            return Err(EngineError::Gpu(format!("building the program: {e}")));
        }
        ctx.check()?;
        Ok(exec)
    }

    fn build(ctx: &GpuContext, program: &Program) -> Result<GpuExec> {
        let plan = Plan::new(program)?;
        let nodes = program.graph.with_nodes(|n| n.to_vec());
        let runs = program.graph.runs();
        let mut buffers = Vec::new();
        let mut buffer_bytes = 0u64;
        let mut b = Builder {
            ctx,
            buffers: &mut buffers,
            buffer_bytes: &mut buffer_bytes,
            params_bytes: Vec::new(),
            pending: Vec::new(),
        };
        let mut views: Vec<Option<View>> = vec![None; nodes.len()];

        // Leaves: inputs and states in one buffer, parameters in another.
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
        let leaves = b.storage("leaves", leaf_data.len());
        let params = b.storage("params", param_data.len());
        ctx.queue
            .write_buffer(&b.buffers[leaves], 0, bytemuck::cast_slice(&leaf_data));
        ctx.queue
            .write_buffer(&b.buffers[params], 0, bytemuck::cast_slice(&param_data));
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

        // Gradient arenas: a gradient computed by exactly one dispatch is written straight into
        // its optimizer's arena, unless that dispatch also reads a gradient arena (a buffer can't
        // be read and written by one dispatch).
        let mut grad_slot: HashMap<usize, (usize, usize)> = HashMap::new(); // grad node -> (entry, offset)
        let mut grad_arena: Vec<Option<usize>> = vec![None; program.entries.len()];
        let mut grad_offsets: Vec<Vec<usize>> = vec![Vec::new(); program.entries.len()];
        // Each entry's gradient arena size in elements, padding included.
        let mut grad_sizes = vec![0usize; program.entries.len()];
        let mut grad_count: HashMap<usize, usize> = HashMap::new();
        for e in &program.entries {
            if let Some(u) = &e.update {
                for g in &u.grads {
                    *grad_count.entry(g.id).or_default() += 1;
                }
            }
        }
        for (k, e) in program.entries.iter().enumerate() {
            if let Some(u) = &e.update {
                let mut offset = 0usize;
                for g in &u.grads {
                    // Each gradient starts a workgroup, so the optimizer kernel finds an
                    // element's parameter from its workgroup in a table, not by a search.
                    offset = offset.next_multiple_of(WORKGROUP as usize);
                    grad_offsets[k].push(offset);
                    if grad_count[&g.id] == 1 {
                        grad_slot.insert(g.id, (k, offset));
                    }
                    offset += g.shape().numel();
                }
                grad_sizes[k] = offset;
                grad_arena[k] = Some(b.storage(&format!("{}.grads", e.name), offset));
            }
        }
        let arena_buffers: Vec<usize> = grad_arena.iter().flatten().copied().collect();

        // Views of computed nodes, in graph order so inputs are placed first.
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
                    buffer: grad_arena[k].unwrap(),
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
                        buffer: b.storage(&label, n.shape.numel()),
                        offset: 0,
                    })
                }
            };
        }

        let view = |views: &[Option<View>], id: usize| -> Result<View> {
            views[id].ok_or_else(|| {
                invalid(
                    "gpu",
                    format!("node {id} ({}) has no storage", nodes[id].op.name()),
                )
            })
        };
        let seed = program.graph.seed();
        let op_dispatch = |b: &mut Builder, id: usize| -> Result<usize> {
            let n = &nodes[id];
            let out = view(&views, id)?;
            let input = |k: usize| view(&views, n.inputs[k]);
            let in_shape = |k: usize| &nodes[n.inputs[k]].shape;
            let groups = groups_1d(n.shape.numel());
            let strides = |k: usize| in_shape(k).broadcast_strides(&n.shape);
            let zero = [0u32; 4];
            Ok(match &n.op {
                Op::Leaf(_) => return Err(invalid("gpu", "a leaf is not dispatched")),
                Op::Fill(v) => {
                    let u = elementwise_params(
                        &n.shape,
                        [zero; 3],
                        [out.offset, 0, 0, 0],
                        0,
                        (0, 0),
                        [0.0, *v],
                    );
                    b.dispatch("fill_f32", &u, vec![(4, out.buffer)], groups)
                }
                Op::Random { dist, stream } => {
                    let c = input(0)?;
                    let (kind, p0, p1) = match *dist {
                        Dist::Uniform { low, high } => (0, low, high),
                        Dist::Normal { mean, std } => (1, mean, std),
                    };
                    let u = [
                        n.shape.numel() as u32,
                        n.shape.per_run() as u32,
                        seed,
                        *stream,
                        kind,
                        c.offset,
                        out.offset,
                        0,
                        p0.to_bits(),
                        p1.to_bits(),
                        0,
                        0,
                    ];
                    b.dispatch(
                        "random_f32",
                        &u,
                        vec![(1, c.buffer), (4, out.buffer)],
                        groups,
                    )
                }
                Op::Unary(op) => {
                    let a = input(0)?;
                    let u = elementwise_params(
                        &n.shape,
                        [strides(0), zero, zero],
                        [out.offset, a.offset, 0, 0],
                        *op as u32,
                        (0, 0),
                        [0.0; 2],
                    );
                    b.dispatch(
                        "unary_f32",
                        &u,
                        vec![(1, a.buffer), (4, out.buffer)],
                        groups,
                    )
                }
                Op::Clamp { min, max } => {
                    let a = input(0)?;
                    let u = elementwise_params(
                        &n.shape,
                        [strides(0), zero, zero],
                        [out.offset, a.offset, 0, 0],
                        0,
                        (0, 0),
                        [*min, *max],
                    );
                    b.dispatch(
                        "clamp_f32",
                        &u,
                        vec![(1, a.buffer), (4, out.buffer)],
                        groups,
                    )
                }
                Op::Binary(op) => {
                    let (a, c) = (input(0)?, input(1)?);
                    let u = elementwise_params(
                        &n.shape,
                        [strides(0), strides(1), zero],
                        [out.offset, a.offset, c.offset, 0],
                        *op as u32,
                        (0, 0),
                        [0.0; 2],
                    );
                    b.dispatch(
                        "binary_f32",
                        &u,
                        vec![(1, a.buffer), (2, c.buffer), (4, out.buffer)],
                        groups,
                    )
                }
                Op::Select => {
                    let (c, x, y) = (input(0)?, input(1)?, input(2)?);
                    let u = elementwise_params(
                        &n.shape,
                        [strides(1), strides(2), strides(0)],
                        [out.offset, x.offset, y.offset, c.offset],
                        0,
                        (0, 0),
                        [0.0; 2],
                    );
                    b.dispatch(
                        "select_f32",
                        &u,
                        vec![(1, x.buffer), (2, y.buffer), (3, c.buffer), (4, out.buffer)],
                        groups,
                    )
                }
                Op::Concat => {
                    let (x, y) = (input(0)?, input(1)?);
                    let concat = (in_shape(0).last() as u32, in_shape(1).last() as u32);
                    let u = elementwise_params(
                        &n.shape,
                        [zero; 3],
                        [out.offset, x.offset, y.offset, 0],
                        0,
                        concat,
                        [0.0; 2],
                    );
                    b.dispatch(
                        "concat_f32",
                        &u,
                        vec![(1, x.buffer), (2, y.buffer), (4, out.buffer)],
                        groups,
                    )
                }
                Op::Slice { start, .. } => {
                    // A copy whose operand strides are the input's own, offset by `start`.
                    let a = input(0)?;
                    let s = contiguous_strides(in_shape(0));
                    let u = elementwise_params(
                        &n.shape,
                        [s, zero, zero],
                        [out.offset, a.offset + *start as u32, 0, 0],
                        0,
                        (0, 0),
                        [0.0; 2],
                    );
                    b.dispatch(
                        "unary_f32",
                        &u,
                        vec![(1, a.buffer), (4, out.buffer)],
                        groups,
                    )
                }
                Op::Transpose => {
                    // A copy reading the input with its last two strides swapped.
                    let a = input(0)?;
                    let mut s = contiguous_strides(in_shape(0));
                    s.swap(2, 3);
                    let u = elementwise_params(
                        &n.shape,
                        [s, zero, zero],
                        [out.offset, a.offset, 0, 0],
                        0,
                        (0, 0),
                        [0.0; 2],
                    );
                    b.dispatch(
                        "unary_f32",
                        &u,
                        vec![(1, a.buffer), (4, out.buffer)],
                        groups,
                    )
                }
                Op::Reshape => return Err(invalid("gpu", "reshape is a view")),
                Op::MatMul {
                    transpose_a,
                    transpose_b,
                } => {
                    let (a, c) = (input(0)?, input(1)?);
                    let (sa, sb) = (in_shape(0), in_shape(1));
                    let (m, nn) = (n.shape.0[1] as u32, n.shape.0[2] as u32);
                    let k = if *transpose_a { sa.0[1] } else { sa.0[2] } as u32;
                    let (a_row, a_k) = if *transpose_a { (1, m) } else { (k, 1) };
                    let (b_k, b_col) = if *transpose_b { (1, k) } else { (nn, 1) };
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
                    let u = [
                        m, nn, k, runs, a.offset, c.offset, out.offset, a_rs, b_rs, a_row, a_k,
                        b_k, b_col, 0, 0, 0,
                    ];
                    b.dispatch(
                        "matmul_f32",
                        &u,
                        vec![(1, a.buffer), (2, c.buffer), (4, out.buffer)],
                        groups_1d(runs as usize * m.div_ceil(4) as usize * nn.div_ceil(4) as usize),
                    )
                }
                Op::Reduce { op, axis } => {
                    let a = input(0)?;
                    let dims = in_shape(0).dims();
                    let outer: usize = dims[..*axis].iter().product();
                    let inner: usize = dims[axis + 1..].iter().product();
                    let u = [
                        outer as u32,
                        dims[*axis] as u32,
                        inner as u32,
                        *op as u32,
                        a.offset,
                        out.offset,
                        0,
                        0,
                    ];
                    b.dispatch(
                        "reduce_f32",
                        &u,
                        vec![(1, a.buffer), (4, out.buffer)],
                        groups_1d(outer * inner),
                    )
                }
                Op::Softmax(kind) => {
                    let a = input(0)?;
                    let len = in_shape(0).last();
                    let rows = in_shape(0).numel() / len;
                    let u = [
                        rows as u32,
                        len as u32,
                        *kind as u32,
                        a.offset,
                        out.offset,
                        0,
                        0,
                        0,
                    ];
                    b.dispatch(
                        "softmax_f32",
                        &u,
                        vec![(1, a.buffer), (4, out.buffer)],
                        groups_1d(rows),
                    )
                }
                Op::GatherRows | Op::ScatterAddRows { .. } => {
                    let (src, idx) = (input(0)?, input(1)?);
                    let (ss, is) = (in_shape(0), in_shape(1));
                    let (rows, kernel) = match n.op {
                        Op::ScatterAddRows { rows } => (rows, "scatter_add_rows_f32"),
                        _ => (ss.0[1], "gather_rows_f32"),
                    };
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
                    let u = [
                        n.shape.numel() as u32,
                        rows as u32,
                        n.shape.last() as u32,
                        is.0[1] as u32,
                        src.offset,
                        idx.offset,
                        out.offset,
                        src_rs,
                        idx_rs,
                        0,
                        0,
                        0,
                    ];
                    b.dispatch(
                        kernel,
                        &u,
                        vec![(1, src.buffer), (2, idx.buffer), (4, out.buffer)],
                        groups,
                    )
                }
            })
        };

        let prologue_ids: Vec<usize> = plan
            .prologue
            .iter()
            .copied()
            .filter(|&i| is_dispatch[i])
            .collect();
        let mut prologue_pending = Vec::new();
        for &id in &prologue_ids {
            prologue_pending.push(op_dispatch(&mut b, id)?);
        }

        // Per entry: ops, gradient copies, optimizer, metrics, assignments, step.
        let mut entry_pending: Vec<Vec<usize>> = Vec::new();
        let mut metric_sums = Vec::new();
        let copy = |b: &mut Builder, from: View, to: View, shape: &Shape| -> Vec<usize> {
            let numel = shape.numel();
            let flat = Shape::new(&[1, numel]);
            let s = contiguous_strides(&flat);
            let mut dispatches = Vec::new();
            let mut from = from;
            if from.buffer == to.buffer {
                // One dispatch can't read and write a buffer: go through a scratch buffer.
                let scratch = View {
                    buffer: b.storage("copy scratch", numel),
                    offset: 0,
                };
                let u = elementwise_params(
                    &flat,
                    [s, [0; 4], [0; 4]],
                    [0, from.offset, 0, 0],
                    0,
                    (0, 0),
                    [0.0; 2],
                );
                dispatches.push(b.dispatch(
                    "unary_f32",
                    &u,
                    vec![(1, from.buffer), (4, scratch.buffer)],
                    groups_1d(numel),
                ));
                from = scratch;
            }
            let u = elementwise_params(
                &flat,
                [s, [0; 4], [0; 4]],
                [to.offset, from.offset, 0, 0],
                0,
                (0, 0),
                [0.0; 2],
            );
            dispatches.push(b.dispatch(
                "unary_f32",
                &u,
                vec![(1, from.buffer), (4, to.buffer)],
                groups_1d(numel),
            ));
            dispatches
        };
        let step_view = view(&views, program.step.id)?;
        for (k, e) in program.entries.iter().enumerate() {
            let mut list = Vec::new();
            for &id in &plan.entries[k].ops {
                if is_dispatch[id] {
                    list.push(op_dispatch(&mut b, id)?);
                }
            }
            if let Some(u) = &e.update {
                let arena = grad_arena[k].unwrap();
                for (j, g) in u.grads.iter().enumerate() {
                    let slot = View {
                        buffer: arena,
                        offset: grad_offsets[k][j] as u32,
                    };
                    if views[g.id] != Some(slot) {
                        list.extend(copy(&mut b, view(&views, g.id)?, slot, &g.shape()));
                    }
                }
                let total = grad_sizes[k];
                let moments = b.storage(&format!("{}.moments", e.name), total * u.kind.moments());
                let lr = view(&views, u.lr.id)?;
                if lr.buffer != leaves {
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
                let segments: Vec<[u32; 4]> = u
                    .params
                    .iter()
                    .enumerate()
                    .map(|(j, p)| {
                        let s = p.shape();
                        [
                            grad_offsets[k][j] as u32,
                            s.per_run() as u32,
                            s.runs() as u32,
                            views[p.id].unwrap().offset,
                        ]
                    })
                    .collect();
                debug_assert!(segments.windows(2).all(|w| w[0][0] < w[1][0]));
                for chunk in segments.chunks(MAX_SEGMENTS) {
                    let first = chunk[0][0];
                    let last = chunk.last().unwrap();
                    let count = last[0] + last[1] * last[2] - first;
                    let mut uni = vec![
                        total as u32,
                        chunk.len() as u32,
                        lr.offset,
                        u.lr.shape().numel() as u32,
                        step_view.offset,
                        kind,
                        decoupled,
                        first,
                        count,
                        0,
                        0,
                        0,
                    ];
                    uni.extend(hyper.iter().map(|h| h.to_bits()));
                    for s in chunk {
                        uni.extend_from_slice(s);
                    }
                    uni.resize(16 + 4 * MAX_SEGMENTS, 0);
                    // Per workgroup, its segment: the last one starting at or before it (it may
                    // end in the padding after that segment, which the kernel skips).
                    let groups = (count as usize).div_ceil(WORKGROUP as usize);
                    uni.extend((0..groups).map(|wg| {
                        let start = first + wg as u32 * WORKGROUP;
                        (chunk.iter().rposition(|s| s[0] <= start).unwrap_or(0)) as u32
                    }));
                    // The struct's size is a multiple of its 16-byte alignment.
                    uni.resize(uni.len().next_multiple_of(4), 0);
                    list.push(b.dispatch(
                        "optimizer_step",
                        &uni,
                        vec![(1, params), (2, arena), (3, moments), (4, leaves)],
                        groups_1d(count as usize),
                    ));
                }
            }
            let sums = if e.metrics.is_empty() {
                None
            } else {
                let sums = b.storage(&format!("{}.metrics", e.name), e.metrics.len() * runs);
                for (m, (_, t)) in e.metrics.iter().enumerate() {
                    let v = view(&views, t.id)?;
                    let out_shape = Shape::new(&[runs]);
                    let st = t.shape().broadcast_strides(&out_shape);
                    let u = elementwise_params(
                        &out_shape,
                        [st, [0; 4], [0; 4]],
                        [(m * runs) as u32, v.offset, 0, 0],
                        0,
                        (0, 0),
                        [0.0; 2],
                    );
                    list.push(b.dispatch(
                        "accumulate_f32",
                        &u,
                        vec![(1, v.buffer), (4, sums)],
                        groups_1d(runs),
                    ));
                }
                Some(sums)
            };
            metric_sums.push(sums);
            // Assignments: values that share the target's buffer go through scratch first, so
            // every value is read before any state is written.
            let mut staged = Vec::new();
            for (state, value) in &e.assigns {
                let (from, to) = (view(&views, value.id)?, view(&views, state.id)?);
                if from.buffer == to.buffer || [leaves, params].contains(&from.buffer) {
                    let scratch = View {
                        buffer: b.storage("assign scratch", value.shape().numel()),
                        offset: 0,
                    };
                    list.extend(copy(&mut b, from, scratch, &value.shape()));
                    staged.push((scratch, to, value.shape()));
                } else {
                    staged.push((from, to, value.shape()));
                }
            }
            for (from, to, shape) in staged {
                list.extend(copy(&mut b, from, to, &shape));
            }
            if e.advances_step {
                let one = Shape::new(&[1]);
                let u = elementwise_params(
                    &one,
                    [[0; 4]; 3],
                    [step_view.offset, 0, 0, 0],
                    0,
                    (0, 0),
                    [0.0, 1.0],
                );
                list.push(b.dispatch("bump_f32", &u, vec![(4, leaves)], (1, 1, 1)));
            }
            entry_pending.push(list);
        }

        let dispatches = b.finish();
        let mut slots: Vec<Option<Dispatch>> = dispatches.into_iter().map(Some).collect();
        let mut take =
            |i: usize| Work::Dispatch(slots[i].take().expect("each dispatch is used once"));
        let prologue: Vec<Work> = prologue_pending.into_iter().map(&mut take).collect();
        let entries: Vec<EntryExec> = entry_pending
            .into_iter()
            .enumerate()
            .map(|(k, list)| {
                let work: Vec<Work> = list.into_iter().map(&mut take).collect();
                let metrics = program.entries[k].metrics.len();
                let ring = if metrics == 0 {
                    Vec::new()
                } else {
                    (0..RING)
                        .map(|_| Staging {
                            buffer: ctx.device.create_buffer(&wgpu::BufferDescriptor {
                                label: Some("metric staging"),
                                size: (metrics * runs * 4) as u64,
                                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                                mapped_at_creation: false,
                            }),
                            mapped: Arc::new(Mutex::new(None)),
                            busy: false,
                        })
                        .collect()
                };
                buffer_bytes += (ring.len() * metrics * runs * 4) as u64;
                EntryExec {
                    dispatches: work.len(),
                    work,
                    metrics,
                    metric_sums: metric_sums[k],
                    ring,
                    pending: VecDeque::new(),
                    steps_in_window: 0,
                    ready: VecDeque::new(),
                }
            })
            .collect();
        let mut exec = GpuExec {
            ctx: ctx.clone(),
            program: program.clone(),
            nodes,
            views,
            buffers,
            buffer_bytes,
            leaves,
            params,
            prologue,
            entries,
            counters: Counters::default(),
            runs,
            step_host: 0,
            readback_every: 100,
            steps_per_submit: 16,
            in_flight: VecDeque::new(),
        };
        exec.run_prologue();
        Ok(exec)
    }

    fn run_prologue(&mut self) {
        if self.prologue.is_empty() {
            return;
        }
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("prologue"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("prologue"),
                timestamp_writes: None,
            });
            for w in &self.prologue {
                let Work::Dispatch(d) = w;
                pass.set_pipeline(&d.pipeline);
                pass.set_bind_group(0, &d.bind_group, &[]);
                pass.dispatch_workgroups(d.groups.0, d.groups.1, d.groups.2);
            }
        }
        self.ctx.queue.submit([encoder.finish()]);
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }
    pub fn program(&self) -> &Program {
        &self.program
    }
    pub fn counters(&self) -> Counters {
        self.counters
    }
    /// Dispatches one step of `entry` issues (the same for every R).
    pub fn dispatches_per_step(&self, entry: usize) -> usize {
        self.entries[entry].dispatches
    }
    /// Buffers and bytes this executor holds on the device.
    pub fn live_buffers(&self) -> (usize, u64) {
        let staging: usize = self.entries.iter().map(|e| e.ring.len()).sum();
        (self.buffers.len() + staging, self.buffer_bytes)
    }

    /// Runs `entry` `steps` times: encodes `steps_per_submit` steps per submission and copies the
    /// metric sums out every `readback_every` steps. Returns without waiting for the GPU.
    pub fn run(&mut self, entry: usize, steps: u32) -> Result<()> {
        if entry >= self.entries.len() {
            return Err(invalid("run", format!("no entry {entry}")));
        }
        self.ctx.check()?;
        let advances = self.program.entries[entry].advances_step;
        let mut left = steps;
        while left > 0 {
            let chunk = left.min(self.steps_per_submit.max(1));
            left -= chunk;
            let mut encoder =
                self.ctx
                    .device
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some("steps"),
                    });
            let mut in_pass = 0;
            let mut readbacks = Vec::new();
            {
                let e = &self.entries[entry];
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("steps"),
                    timestamp_writes: None,
                });
                for _ in 0..chunk {
                    for w in &e.work {
                        let Work::Dispatch(d) = w;
                        pass.set_pipeline(&d.pipeline);
                        pass.set_bind_group(0, &d.bind_group, &[]);
                        pass.dispatch_workgroups(d.groups.0, d.groups.1, d.groups.2);
                    }
                    in_pass += 1;
                }
            }
            let _ = in_pass;
            self.counters.dispatches += chunk as u64 * self.entries[entry].dispatches as u64;
            self.counters.steps += chunk as u64;
            if advances {
                self.step_host += chunk as u64;
            }
            let e = &mut self.entries[entry];
            if e.metric_sums.is_some() {
                e.steps_in_window += chunk as u64;
                if e.steps_in_window >= self.readback_every {
                    // With every staging buffer in flight the window just keeps growing.
                    if let Some(slot) =
                        e.encode_readback(&mut encoder, &self.buffers, self.runs, self.step_host)
                    {
                        readbacks.push(slot);
                        self.counters.readbacks += 1;
                    }
                }
            }
            if self.in_flight.len() >= MAX_IN_FLIGHT {
                let oldest = self.in_flight.pop_front().unwrap();
                let _ = self.ctx.device.poll(wgpu::PollType::Wait {
                    submission_index: Some(oldest),
                    timeout: None,
                });
            }
            self.in_flight
                .push_back(self.ctx.queue.submit([encoder.finish()]));
            self.counters.submits += 1;
            for slot in readbacks {
                self.entries[entry].map_slot(slot);
            }
        }
        self.ctx.check()
    }

    /// Where a step's time goes: each dispatch of `entry` alone, `reps` times in one pass, timed
    /// by `clock_ms` from submit to idle. Returns (kernel, workgroups, milliseconds per dispatch)
    /// in step order. The dispatches rerun on the live buffers, so profile a program you will not
    /// train on.
    pub async fn profile(
        &mut self,
        entry: usize,
        reps: u32,
        clock_ms: impl Fn() -> f64,
    ) -> Result<Vec<(&'static str, u32, f64)>> {
        let e = self
            .entries
            .get(entry)
            .ok_or_else(|| invalid("profile", format!("no entry {entry}")))?;
        let reps = reps.max(1);
        let mut out = Vec::new();
        for w in &e.work {
            let Work::Dispatch(d) = w;
            let encode = |n: u32| {
                let mut encoder = self
                    .ctx
                    .device
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
                {
                    let mut pass =
                        encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                    pass.set_pipeline(&d.pipeline);
                    pass.set_bind_group(0, &d.bind_group, &[]);
                    for _ in 0..n {
                        pass.dispatch_workgroups(d.groups.0, d.groups.1, d.groups.2);
                    }
                }
                encoder.finish()
            };
            // One warm-up submit, then the timed one.
            self.ctx.queue.submit([encode(1)]);
            self.finish().await?;
            let t0 = clock_ms();
            self.ctx.queue.submit([encode(reps)]);
            self.finish().await?;
            let ms = (clock_ms() - t0) / reps as f64;
            out.push((d.kernel, d.groups.0 * d.groups.1 * d.groups.2, ms));
        }
        Ok(out)
    }

    /// Blocks until the device has finished everything submitted (native; a no-op in the browser).
    pub fn wait_idle(&self) -> Result<()> {
        let _ = self.ctx.device.poll(wgpu::PollType::wait_indefinitely());
        self.ctx.check()
    }

    /// Resolves when the device has finished everything submitted so far: the browser's way to
    /// wait (natively it also polls, so it resolves at once).
    pub async fn finish(&self) -> Result<()> {
        let state = Arc::new(Mutex::new((None, None::<Waker>)));
        let sink = state.clone();
        self.ctx.queue.on_submitted_work_done(move || {
            let mut s = sink.lock().unwrap();
            s.0 = Some(());
            if let Some(w) = s.1.take() {
                w.wake();
            }
        });
        let _ = self.ctx.device.poll(wgpu::PollType::wait_indefinitely());
        Oneshot { state }.await;
        self.ctx.check()
    }

    /// Starts a readback of the metric sums now, whatever the window's length (end of a phase).
    pub fn flush_metrics(&mut self, entry: usize) -> Result<()> {
        let e = &mut self.entries[entry];
        if e.steps_in_window == 0 || e.metric_sums.is_none() {
            return Ok(());
        }
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("flush"),
            });
        let Some(slot) = e.encode_readback(&mut encoder, &self.buffers, self.runs, self.step_host)
        else {
            return Ok(());
        };
        self.ctx.queue.submit([encoder.finish()]);
        self.counters.readbacks += 1;
        e.map_slot(slot);
        self.ctx.check()
    }

    /// The oldest metric window whose readback has landed, without waiting (polls the device).
    pub fn take_metrics(&mut self, entry: usize) -> Result<Option<MetricWindow>> {
        let _ = self.ctx.device.poll(wgpu::PollType::Poll);
        self.collect(entry)?;
        Ok(self.entries[entry].ready.pop_front())
    }

    /// Metric readbacks of `entry` requested but not yet collected.
    pub fn metrics_pending(&self, entry: usize) -> usize {
        self.entries[entry].pending.len() + self.entries[entry].ready.len()
    }

    /// Blocks until every readback of `entry` in flight has landed (native only: the browser
    /// can't block; it collects through `take_metrics` on later frames).
    pub fn wait_metrics(&mut self, entry: usize) -> Result<Vec<MetricWindow>> {
        let _ = self.ctx.device.poll(wgpu::PollType::wait_indefinitely());
        self.collect(entry)?;
        Ok(self.entries[entry].ready.drain(..).collect())
    }

    fn collect(&mut self, entry: usize) -> Result<()> {
        self.ctx.check()?;
        let names: Vec<String> = self.program.entries[entry]
            .metrics
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        let runs = self.runs;
        let e = &mut self.entries[entry];
        while let Some(&(slot, step, steps)) = e.pending.front() {
            let state = *e.ring[slot].mapped.lock().unwrap();
            match state {
                None => break,
                Some(false) => {
                    return Err(EngineError::Gpu("mapping a metric buffer failed".into()))
                }
                Some(true) => {}
            }
            e.pending.pop_front();
            let sums: Vec<f32> = {
                let data = e.ring[slot]
                    .buffer
                    .slice(..)
                    .get_mapped_range()
                    .map_err(|e| EngineError::Gpu(format!("metric readback: {e}")))?;
                bytemuck::cast_slice(&data).to_vec()
            };
            e.ring[slot].buffer.unmap();
            e.ring[slot].busy = false;
            let values = (0..e.metrics)
                .map(|m| {
                    (0..runs)
                        .map(|r| sums[m * runs + r] / steps as f32)
                        .collect()
                })
                .collect();
            e.ready.push_back(MetricWindow {
                step,
                steps,
                names: names.clone(),
                values,
            });
        }
        Ok(())
    }

    /// Copies the current values of `t` back (a leaf, or a node an entry computed).
    pub async fn read(&mut self, t: &Tensor) -> Result<Vec<f32>> {
        let v = self.views.get(t.id).copied().flatten().ok_or_else(|| {
            invalid(
                "read",
                format!(
                    "node {} is not stored on the GPU (not computed by any entry)",
                    t.id
                ),
            )
        })?;
        let n = self.nodes[t.id].shape.numel();
        let staging = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read"),
            size: (n * 4) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("read"),
            });
        encoder.copy_buffer_to_buffer(
            &self.buffers[v.buffer],
            v.offset as u64 * 4,
            &staging,
            0,
            (n * 4) as u64,
        );
        self.ctx.queue.submit([encoder.finish()]);
        let state = Arc::new(Mutex::new((None, None::<Waker>)));
        let sink = state.clone();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let mut s = sink.lock().unwrap();
            s.0 = Some(r.is_ok());
            if let Some(w) = s.1.take() {
                w.wake();
            }
        });
        let _ = self.ctx.device.poll(wgpu::PollType::wait_indefinitely());
        let ok = Oneshot { state }.await;
        self.ctx.check()?;
        if !ok {
            return Err(EngineError::Gpu("mapping a readback buffer failed".into()));
        }
        let out = {
            let data = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| EngineError::Gpu(format!("readback: {e}")))?;
            bytemuck::cast_slice(&data).to_vec()
        };
        staging.unmap();
        Ok(out)
    }

    /// Overwrites a leaf (new data, merged weights) and recomputes what depends only on inputs.
    pub fn write(&mut self, t: &Tensor, data: &[f32]) -> Result<()> {
        let node = &self.nodes[t.id];
        if !matches!(node.op, Op::Leaf(_)) || data.len() != node.shape.numel() {
            return Err(invalid(
                "write",
                format!("node {} is not a leaf of {} values", t.id, data.len()),
            ));
        }
        let v = self.views[t.id].ok_or_else(|| invalid("write", "leaf has no storage"))?;
        debug_assert!(v.buffer == self.leaves || v.buffer == self.params);
        self.ctx.queue.write_buffer(
            &self.buffers[v.buffer],
            v.offset as u64 * 4,
            bytemuck::cast_slice(data),
        );
        self.counters.upload_bytes += 4 * data.len() as u64;
        self.run_prologue();
        self.ctx.check()
    }
}
