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
//! Reshape and detach are views of their input: no dispatch. Chains of elementwise ops, and a
//! matrix product with the chain that reads it, are fused into one generated kernel (`fusion`).
//!
//! Files, by concern: `context` (device, queue, pipelines), `layout` (buffers and where each
//! tensor lives), `dispatch` (parameter blocks and bind groups), one encoder per shader file
//! (`elementwise`, `matmul`, `reduce`, `softmax`, `gather`, `random`, `optim`, each with its
//! `Params` mirroring the shader's), `optim_tables` (the optimizer's segment tables) and
//! `readback` (metric windows and `read`).

mod context;
mod dispatch;
mod elementwise;
mod fusion;
mod gather;
mod layout;
mod matmul;
mod optim;
mod optim_tables;
mod random;
mod readback;
mod reduce;
mod softmax;
mod step;
#[cfg(test)]
mod tests;

pub use context::{required_limits, GpuContext};

use super::error::{invalid, EngineError, Result};
use super::graph::{Node, Tensor};
use super::op::Op;
use super::plan::Plan;
use super::program::{open_window, Snapshot};
use super::program::{Counters, Program};
use dispatch::{Builder, Dispatch, Operands, Work};
use fusion::Fusion;
use layout::{Buffers, Layout, View};
use readback::{MetricReadback, Oneshot};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::task::Waker;

struct EntryExec {
    work: Vec<Work>,
    moments: Option<Moments>,
    dispatches: usize,
    readback: MetricReadback,
}

/// Where an entry's optimizer keeps its moments: `kind.moments()` buffers of `total` values,
/// each laid out as the gradient arena (parameter `j` from `offsets[j]`).
struct Moments {
    buffers: Vec<usize>,
    offsets: Vec<usize>,
    total: usize,
}

/// A program compiled for one GPU context.
pub struct GpuExec {
    ctx: GpuContext,
    program: Program,
    nodes: Vec<Node>,
    views: Vec<Option<View>>,
    buffers: Buffers,
    buffer_bytes: u64,
    leaves: usize,
    params: usize,
    prologue: Vec<Work>,
    entries: Vec<EntryExec>,
    /// The step kernel, when this program runs on it (then `prologue` and every entry's `work`
    /// are empty).
    step: Option<step::StepExec>,
    /// How the program runs, and why not on the step kernel where it could have (`path`).
    path: String,
    /// Nodes the step kernel keeps a copy of per run (`step::promote`): a leaf among them is
    /// written R times, read from run 0's copy.
    copied: Vec<bool>,
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

/// Buffers held by every live `GpuExec` together: the page's soak reads it to show that sessions
/// let go of what they made.
static LIVE_BUFFERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Buffers held on the device by every `GpuExec` alive now.
pub fn live_buffers_everywhere() -> usize {
    LIVE_BUFFERS.load(std::sync::atomic::Ordering::Relaxed)
}

impl Drop for GpuExec {
    fn drop(&mut self) {
        LIVE_BUFFERS.fetch_sub(self.live_buffers().0, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Queue submissions allowed ahead of the device before `run` waits (native only; in the browser
/// the runner bounds the steps per frame instead).
const MAX_IN_FLIGHT: usize = 4;

/// Queues the dispatch of computed node `id` through its kernel family's encoder.
fn encode_op(
    b: &mut Builder,
    nodes: &[Node],
    layout: &Layout,
    seed: u32,
    id: usize,
) -> Result<usize> {
    let o = Operands::new(nodes, layout, id)?;
    match o.node.op {
        Op::Leaf(_) => Err(invalid("gpu", "a leaf is not dispatched")),
        Op::Reshape => Err(invalid("gpu", "reshape is a view")),
        Op::Fill(_)
        | Op::Unary(_)
        | Op::Clamp { .. }
        | Op::Binary(_)
        | Op::Select
        | Op::Concat
        | Op::Slice { .. }
        | Op::Transpose => elementwise::encode(b, &o),
        Op::Random { .. } => random::encode(b, &o, seed),
        Op::MatMul { .. } => matmul::encode(b, &o),
        Op::Reduce { .. } => reduce::encode(b, &o),
        Op::Softmax(_) => softmax::encode(b, &o),
        Op::GatherRows | Op::ScatterAddRows { .. } => gather::encode(b, &o),
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
        if !ctx.step {
            return Self::build_with(ctx, program, false);
        }
        match Self::build_with(ctx, program, true) {
            Err(EngineError::Fallback(why)) => {
                let mut exec = Self::build_with(ctx, program, false)?;
                exec.path = format!("per op: {why}");
                Ok(exec)
            }
            built => built,
        }
    }

    /// Builds for the per-op path, or for the step kernel (`step`), which may refuse with
    /// `EngineError::Fallback` (a kernel it lacks, an arena larger than the device binds).
    fn build_with(ctx: &GpuContext, program: &Program, step: bool) -> Result<GpuExec> {
        let plan = Plan::new(program)?;
        let program_nodes = program.graph.with_nodes(|n| n.to_vec());
        // The step kernel's layout gives nodes a step shares between runs a copy per run.
        let (nodes, copied) = if step {
            let (nodes, copied) =
                step::promote(program, &plan, &program_nodes).map_err(EngineError::Fallback)?;
            step::fits(program, &plan, &nodes).map_err(EngineError::Fallback)?;
            (nodes, copied)
        } else {
            (program_nodes.clone(), vec![false; program_nodes.len()])
        };
        let runs = program.graph.runs();
        let seed = program.graph.seed();
        let mut b = if step {
            Builder::arena(ctx)
        } else {
            Builder::new(ctx)
        };
        let fuse = ctx.fuse && !step;
        let mut layout = Layout::new(&mut b.buffers, program, &plan, &nodes);
        let fusion = Fusion::plan(program, &plan, &nodes, &layout, fuse)?;
        let ops = |ids: &[usize], b: &mut Builder| -> Result<Vec<usize>> {
            ids.iter()
                .filter(|&&id| layout.is_dispatch[id] && !fusion.inlined[id] && !fusion.moved[id])
                .map(
                    |&id| match (fusion.groups.get(&id), fusion.siblings.get(&id)) {
                        (Some(g), _) => {
                            let core = g.core.map(|(c, _)| c);
                            let input = core.and_then(|c| fusion.inputs.get(&c));
                            fusion::encode(
                                b,
                                &nodes,
                                &layout,
                                seed,
                                id,
                                g,
                                input.map(Vec::as_slice),
                            )
                        }
                        (None, Some(&(product, sum))) => {
                            fusion::encode_with_sum(b, &nodes, &layout, product, sum)
                        }
                        (None, None) if fusion.gathers.contains_key(&id) => {
                            fusion::encode_gathers(b, &nodes, &layout, id, fusion.gathers[&id])
                        }
                        (None, None) => match fusion.inputs.get(&id) {
                            // A reduction computing its input, with no epilogue.
                            Some(input) => {
                                let g = fusion::Group {
                                    members: Vec::new(),
                                    core: Some((id, id)),
                                };
                                fusion::encode(b, &nodes, &layout, seed, id, &g, Some(input))
                            }
                            None => {
                                let i = encode_op(b, &nodes, &layout, seed, id)?;
                                if matches!(nodes[id].op, Op::Random { .. }) {
                                    if copied[id] {
                                        b.patch(i, step::SHARED_DRAW_WORD, 1);
                                    }
                                    if copied[nodes[id].inputs[0]] {
                                        b.patch(i, step::COUNTER_STRIDE_WORD, 1);
                                    }
                                }
                                Ok(i)
                            }
                        },
                    },
                )
                .collect()
        };

        let prologue_pending = ops(&plan.prologue, &mut b)?;
        // Per entry: ops, gradient copies, optimizer, metrics, assignments, step.
        let step_view = layout.view(&nodes, program.step.id)?;
        let mut entry_pending = Vec::new();
        let mut metric_sums = Vec::new();
        let mut moments: Vec<Option<Moments>> = Vec::new();
        for (k, e) in program.entries.iter().enumerate() {
            let mut list = ops(&plan.entries[k].ops, &mut b)?;
            let mut entry_moments = None;
            if let Some(u) = &e.update {
                let (update, buffers) =
                    optim::encode(&mut b, &nodes, &layout, k, &e.name, u, step_view)?;
                if copied[u.lr.id] {
                    for &i in &update {
                        if b.kernel(i) == "optimizer_step" {
                            b.patch(i, step::LR_LEN_WORD, runs as u32);
                        }
                    }
                }
                list.extend(update);
                let arena = layout.grads[k].as_ref().expect("an update has an arena");
                entry_moments = Some(Moments {
                    buffers,
                    offsets: arena.offsets.clone(),
                    total: arena.size,
                });
            }
            moments.push(entry_moments);
            // Metrics are read before the assignments write states, the step is bumped last;
            // when the metrics need no state, their sums and the bump are one dispatch.
            let tail = fusion::tail(&mut b, &nodes, &layout, e, runs, step_view, fuse)?;
            if let Some((sums, tail)) = tail {
                list.extend(elementwise::assigns(&mut b, &nodes, &layout, &e.assigns)?);
                list.push(tail);
                metric_sums.push(Some(sums));
            } else {
                let (sums, accumulate) = elementwise::metrics(&mut b, &nodes, &layout, e, runs)?;
                list.extend(accumulate);
                metric_sums.push(sums);
                list.extend(elementwise::assigns(&mut b, &nodes, &layout, &e.assigns)?);
                if e.advances_step {
                    list.push(elementwise::bump(&mut b, step_view, layout.leaves));
                }
            }
            entry_pending.push(list);
        }

        // What a fused kernel computes inside is never stored: reading it is an error, not zeros.
        for (view, _) in layout
            .views
            .iter_mut()
            .zip(&fusion.inlined)
            .filter(|(_, &i)| i)
        {
            *view = None;
        }
        if let Some((label, bytes)) = &b.buffers.too_large {
            let most = b.buffers.most();
            let mib = |b: u64| b as f64 / (1 << 20) as f64;
            return Err(EngineError::TooLarge(format!(
                "this program needs a buffer of {:.0} MiB ({label}, {runs} run{}) and this GPU \
                 binds at most {:.0} MiB: run fewer runs at once, or on the CPU",
                mib(*bytes),
                if runs == 1 { "" } else { "s" },
                mib(most)
            )));
        }
        let mut step_exec = None;
        let (mut prologue_work, mut entry_work) = (Vec::new(), Vec::new());
        let buffers = if step {
            let step_runs = b.storage("step per run", runs);
            let init = nodes[program.step.id]
                .init
                .as_ref()
                .and_then(|v| v.first().copied())
                .unwrap_or(0.0);
            b.buffers.write_initial(step_runs, &vec![init; runs]);
            let (records, mut buffers) = b.into_records();
            if let Some((_, bytes)) = &buffers.too_large {
                let mib = |b: u64| b as f64 / (1 << 20) as f64;
                return Err(EngineError::Fallback(format!(
                    "the step kernel's arena is {:.0} MiB and this GPU binds at most {:.0} MiB",
                    mib(*bytes),
                    mib(buffers.most())
                )));
            }
            let lists: Vec<&[usize]> = std::iter::once(&prologue_pending)
                .chain(&entry_pending)
                .map(Vec::as_slice)
                .collect();
            let (words, mut starts) =
                step::table(&records, &buffers, &lists).map_err(EngineError::Fallback)?;
            let prologue_starts = starts.remove(0);
            let at = |slot: usize| (buffers.slots[slot].base / 4) as u32;
            let step_at = (at(layout.leaves) + step_view.offset, at(step_runs));
            step_exec = Some(
                step::StepExec::new(
                    ctx,
                    &mut buffers,
                    &words,
                    &prologue_starts,
                    &starts,
                    runs,
                    step_at,
                )
                .map_err(EngineError::Fallback)?,
            );
            entry_work.resize_with(entry_pending.len(), Vec::new);
            buffers
        } else {
            let (dispatches, buffers) = b.finish();
            let mut slots: Vec<Option<Dispatch>> = dispatches.into_iter().map(Some).collect();
            let mut take =
                |i: usize| Work::Dispatch(slots[i].take().expect("each dispatch is used once"));
            prologue_work = prologue_pending.into_iter().map(&mut take).collect();
            entry_work = entry_pending
                .into_iter()
                .map(|list| list.into_iter().map(&mut take).collect())
                .collect();
            buffers
        };
        let mut buffer_bytes = buffers.bytes;
        let entries: Vec<EntryExec> = entry_work
            .into_iter()
            .enumerate()
            .map(|(k, work): (usize, Vec<Work>)| {
                let metrics = program.entries[k].metrics.len();
                let readback = MetricReadback::new(&ctx.device, metrics, runs, metric_sums[k]);
                buffer_bytes += (readback.staging_buffers() * metrics * runs * 4) as u64;
                EntryExec {
                    dispatches: work.len(),
                    work,
                    moments: moments[k].take(),
                    readback,
                }
            })
            .collect();
        let path = match (&step_exec, step) {
            (Some(_), _) => "step kernel".to_string(),
            _ if ctx.fuse => "per op, fused".to_string(),
            _ => "per op".to_string(),
        };
        let mut exec = GpuExec {
            ctx: ctx.clone(),
            program: program.clone(),
            nodes: program_nodes,
            views: layout.views,
            buffers,
            buffer_bytes,
            leaves: layout.leaves,
            params: layout.params,
            prologue: prologue_work,
            entries,
            step: step_exec,
            path,
            copied,
            counters: Counters::default(),
            runs,
            step_host: 0,
            readback_every: 100,
            steps_per_submit: 16,
            in_flight: VecDeque::new(),
        };
        exec.run_prologue();
        LIVE_BUFFERS.fetch_add(exec.live_buffers().0, std::sync::atomic::Ordering::Relaxed);
        Ok(exec)
    }
    fn run_prologue(&mut self) {
        if self.prologue.is_empty() && self.step.as_ref().is_none_or(|s| s.prologue.is_empty()) {
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
            if let Some(s) = &self.step {
                pass.set_pipeline(s.pipeline());
                for (bind_group, groups) in &s.prologue {
                    pass.set_bind_group(0, bind_group, &[]);
                    pass.dispatch_workgroups(groups.0, groups.1, groups.2);
                }
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
    /// Dispatches one step of `entry` issues on the per-op path (the same for every R); the
    /// step kernel issues one per `steps_per_submit` steps, and 0 is returned.
    pub fn dispatches_per_step(&self, entry: usize) -> usize {
        self.entries[entry].dispatches
    }
    /// How this program runs: "step kernel", "per op" or "per op, fused", and why not on the
    /// step kernel where it was asked for and could not be.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Buffers and bytes this executor holds on the device.
    pub fn live_buffers(&self) -> (usize, u64) {
        let staging: usize = self
            .entries
            .iter()
            .map(|e| e.readback.staging_buffers())
            .sum();
        (self.buffers.list.len() + staging, self.buffer_bytes)
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
        let most = self.step.as_ref().map_or(u32::MAX, |s| s.max_steps[entry]);
        while left > 0 {
            let chunk = left.min(self.steps_per_submit.max(1)).min(most);
            left -= chunk;
            let mut encoder =
                self.ctx
                    .device
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some("steps"),
                    });
            let mut readbacks = Vec::new();
            if let Some(s) = &mut self.step {
                let groups = s.groups();
                let (pipeline, pieces, uploaded) = s.steps(&self.ctx, entry, chunk);
                self.counters.upload_bytes += uploaded;
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("steps"),
                    timestamp_writes: None,
                });
                pass.set_pipeline(pipeline);
                for bind_group in pieces {
                    pass.set_bind_group(0, bind_group, &[]);
                    pass.dispatch_workgroups(groups.0, groups.1, groups.2);
                }
                self.counters.dispatches += pieces.len() as u64;
            } else {
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
                }
                self.counters.dispatches += chunk as u64 * e.dispatches as u64;
            }
            self.counters.steps += chunk as u64;
            if advances {
                self.step_host += chunk as u64;
            }
            if let Some(slot) = self.entries[entry].readback.advance(
                chunk as u64,
                self.readback_every,
                &mut encoder,
                &self.buffers,
                self.runs,
                self.step_host,
            ) {
                readbacks.push(slot);
                self.counters.readbacks += 1;
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
                self.entries[entry].readback.map_slot(slot);
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
        if let Some(s) = &mut self.step {
            // One dispatch runs `reps` steps: the row is a step's share of it.
            let groups = s.groups();
            let reps = reps.min(s.max_steps[entry]);
            let (pipeline, pieces, _) = s.steps(&self.ctx, entry, reps);
            let mut encoder = self
                .ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                pass.set_pipeline(pipeline);
                for bind_group in pieces {
                    pass.set_bind_group(0, bind_group, &[]);
                    pass.dispatch_workgroups(groups.0, groups.1, groups.2);
                }
            }
            let commands = encoder.finish();
            self.finish().await?;
            let t0 = clock_ms();
            self.ctx.queue.submit([commands]);
            self.finish().await?;
            let ms = (clock_ms() - t0) / reps as f64;
            out.push(("step_kernel", groups.0 * groups.1 * groups.2, ms));
            return Ok(out);
        }
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

    /// Every leaf and moment (see `Snapshot`): two leaf buffers and each moments buffer read back
    /// whole, then cut per tensor. Refused while a metric window is open.
    pub async fn snapshot(&mut self) -> Result<Snapshot> {
        if let Some(k) = self.entries.iter().position(|e| e.readback.open()) {
            return Err(open_window(&self.program, k));
        }
        let whole = |b: usize| (self.buffers.slot(b).2 / 4) as usize;
        let (leaves_len, params_len) = (whole(self.leaves), whole(self.params));
        let leaves_buf = self.read_buffer(self.leaves, 0, leaves_len).await?;
        let params_buf = self.read_buffer(self.params, 0, params_len).await?;
        let mut leaves = Vec::new();
        for (id, n) in self.nodes.iter().enumerate() {
            if !matches!(n.op, Op::Leaf(_)) {
                continue;
            }
            let v = self.views[id].ok_or_else(|| invalid("snapshot", "leaf has no storage"))?;
            let from = if v.buffer == self.leaves {
                &leaves_buf
            } else {
                &params_buf
            };
            let at = v.offset as usize;
            leaves.push((id, from[at..at + n.shape.numel()].to_vec()));
        }
        let mut moments = Vec::new();
        for k in 0..self.entries.len() {
            let (Some(m), Some(u)) = (
                &self.entries[k].moments,
                self.program.entries[k].update.clone(),
            ) else {
                moments.push(Vec::new());
                continue;
            };
            let (buffers, total, offsets) = (m.buffers.clone(), m.total, m.offsets.clone());
            let mut slots = Vec::new();
            for buffer in buffers {
                slots.push(self.read_buffer(buffer, 0, total).await?);
            }
            let per_param = u
                .params
                .iter()
                .zip(&offsets)
                .map(|(p, &at)| {
                    let n = p.shape().numel();
                    slots
                        .iter()
                        .flat_map(|slot| slot[at..at + n].iter().copied())
                        .collect()
                })
                .collect();
            moments.push(per_param);
        }
        Ok(Snapshot { leaves, moments })
    }

    /// Continues from `snapshot`, taken from this program on any backend: every leaf and moment
    /// written in place, the host's step count set, then the prologue recomputed.
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<()> {
        snapshot.check(&self.program)?;
        for (id, v) in &snapshot.leaves {
            let at = self.views[*id].ok_or_else(|| invalid("restore", "leaf has no storage"))?;
            let (buffer, base, _) = self.buffers.slot(at.buffer);
            let v = self.copies(*id, v);
            self.ctx.queue.write_buffer(
                buffer,
                base + at.offset as u64 * 4,
                bytemuck::cast_slice(&v),
            );
            self.counters.upload_bytes += 4 * v.len() as u64;
            if *id == self.program.step.id {
                self.step_host = v[0] as u64;
                if let Some(s) = &self.step {
                    s.set_step(&self.ctx.queue, v[0]);
                    self.counters.upload_bytes += 4 * self.runs as u64;
                }
            }
        }
        for (k, per_param) in snapshot.moments.iter().enumerate() {
            let (Some(m), Some(u)) = (&self.entries[k].moments, &self.program.entries[k].update)
            else {
                continue;
            };
            for (s, &buffer) in m.buffers.iter().enumerate() {
                let mut slot = vec![0.0f32; m.total];
                for ((p, &at), v) in u.params.iter().zip(&m.offsets).zip(per_param) {
                    let n = p.shape().numel();
                    slot[at..at + n].copy_from_slice(&v[s * n..(s + 1) * n]);
                }
                let (buffer, base, _) = self.buffers.slot(buffer);
                self.ctx
                    .queue
                    .write_buffer(buffer, base, bytemuck::cast_slice(&slot));
                self.counters.upload_bytes += 4 * slot.len() as u64;
            }
        }
        self.run_prologue();
        self.ctx.check()
    }

    /// `values` of leaf `id` as its storage holds them: once per run where the step kernel keeps
    /// a copy per run.
    fn copies<'a>(&self, id: usize, values: &'a [f32]) -> std::borrow::Cow<'a, [f32]> {
        if self.copied.get(id).copied().unwrap_or(false) {
            std::borrow::Cow::Owned(values.repeat(self.runs))
        } else {
            std::borrow::Cow::Borrowed(values)
        }
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
        assert!(v.buffer == self.leaves || v.buffer == self.params);
        let (buffer, base, _) = self.buffers.slot(v.buffer);
        let data = &self.copies(t.id, data);
        self.ctx.queue.write_buffer(
            buffer,
            base + v.offset as u64 * 4,
            bytemuck::cast_slice(data),
        );
        self.counters.upload_bytes += 4 * data.len() as u64;
        if let (Some(s), true) = (&self.step, t.id == self.program.step.id) {
            s.set_step(&self.ctx.queue, data[0]);
            self.counters.upload_bytes += 4 * self.runs as u64;
        }
        self.run_prologue();
        self.ctx.check()
    }
}
