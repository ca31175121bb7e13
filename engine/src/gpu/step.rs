//! The step kernel (`shaders/step.wgsl`): many training steps of an entry in one dispatch, a
//! workgroup per run, every tensor in one arena buffer.
//!
//! The program is encoded exactly as for the per-op path (the same encoders, unfused), but the
//! queued dispatches become records of a table the one precompiled kernel walks: no pipeline or
//! bind group per op, and one dispatch for `steps` steps. `fits` says whether a program can run
//! this way: a workgroup sees only its own run, so every op a step computes must keep the run axis
//! first and never mix runs.

use super::context::GpuContext;
use super::dispatch::Record;
use super::layout::Buffers;
use crate::graph::Node;
use crate::op::{Op, UnaryOp};
use crate::plan::Plan;
use crate::program::Program;
use std::collections::HashMap;

/// The interpreter, compiled once per context (after `common.wgsl` and `maps.wgsl`).
pub(super) static SOURCE: &str = include_str!("../../../shaders/step.wgsl");
const ENTRY: &str = "step_kernel";

/// Words before a record's parameters: its length, kind, op code and five binding bases.
const HEADER: usize = 8;

/// A record's kind: the `K_` constants of step.wgsl.
fn kind(kernel: &str) -> Option<u32> {
    Some(match kernel {
        "unary_f32" => 0,
        "clamp_f32" => 1,
        "binary_f32" => 2,
        "select_f32" => 3,
        "concat_f32" => 4,
        "fill_f32" => 5,
        "accumulate_f32" => 6,
        "bump_f32" => 7,
        "matmul_f32" => 8,
        "reduce_f32" => 9,
        "softmax_f32" => 10,
        "gather_rows_f32" => 11,
        "scatter_add_rows_f32" => 12,
        "random_f32" => 13,
        "optimizer_step" => 14,
        _ => return None,
    })
}

/// Why a workgroup per run cannot execute `program`'s entries, if it cannot: an op that a step
/// computes (or a state it writes, or a parameter it updates) without the run axis first, or a
/// reduction or transpose over the run axis. One run always fits.
pub(super) fn fits(program: &Program, plan: &Plan, nodes: &[Node]) -> Result<(), String> {
    let runs = program.graph.runs();
    if runs == 1 {
        return Ok(());
    }
    let leads = |n: &Node| n.shape.0.first() == Some(&runs);
    let label = |id: usize| {
        let n = &nodes[id];
        if n.label.is_empty() {
            format!("{} {id}", n.op.name())
        } else {
            n.label.clone()
        }
    };
    for (k, e) in program.entries.iter().enumerate() {
        for &id in &plan.entries[k].ops {
            let n = &nodes[id];
            let across = match n.op {
                Op::Reduce { axis, .. } => axis == 0,
                Op::Transpose => n.shape.0.len() < 3,
                _ => false,
            };
            if (!leads(n) && !is_view(nodes, id)) || across {
                return Err(format!(
                    "{}'s step computes {} ({:?}) across runs",
                    e.name,
                    label(id),
                    n.shape.0
                ));
            }
        }
        for (state, _) in &e.assigns {
            if !leads(&nodes[state.id]) {
                return Err(format!(
                    "{} writes {}, shared by every run",
                    e.name,
                    label(state.id)
                ));
            }
        }
        if let Some(u) = &e.update {
            if let Some(p) = u.params.iter().find(|p| !leads(&nodes[p.id])) {
                return Err(format!(
                    "{} updates {}, shared by every run",
                    e.name,
                    label(p.id)
                ));
            }
        }
    }
    Ok(())
}

/// Nodes a step computes that every run shares (run axis 1 in a program of R > 1 runs: a
/// schedule from the step counter, an evaluation's shared noise) get a copy per run: their shape
/// becomes R along the run axis, so each workgroup computes its own copy and no run reads what
/// another writes. Every op broadcasts a shared operand already, so each copy holds the shared
/// values; a shared draw keeps drawing run 0's numbers (`SHARED_DRAW_WORD`), and a shared
/// learning rate is read per run (`LR_LEN_WORD`). Returns the nodes as the step kernel lays them
/// out, and which were given copies; or why a shared node cannot be copied so.
pub(super) fn promote(
    program: &Program,
    plan: &Plan,
    nodes: &[Node],
) -> Result<(Vec<Node>, Vec<bool>), String> {
    let runs = program.graph.runs();
    let mut out = nodes.to_vec();
    let mut copied = vec![false; nodes.len()];
    if runs == 1 {
        return Ok((out, copied));
    }
    // A state every run shares that a step writes (a counter of draws) becomes a copy per run:
    // each run writes its own, with the same values (what a run writes into a shared state can
    // only come from shared values).
    for e in &program.entries {
        for (state, _) in &e.assigns {
            let n = &nodes[state.id];
            if n.shape.0.first() != Some(&1) || copied[state.id] || state.id == program.step.id {
                continue;
            }
            copied[state.id] = true;
            out[state.id].shape.0[0] = runs;
            if let Some(init) = &n.init {
                let all: Vec<f32> = (0..runs).flat_map(|_| init.iter().copied()).collect();
                out[state.id].init = Some(std::rc::Rc::new(all));
            }
        }
    }
    for &id in plan.entries.iter().flat_map(|e| e.ops.iter()) {
        let n = &nodes[id];
        if n.shape.0.first() != Some(&1) || copied[id] {
            continue;
        }
        // A view of a node the step does not compute (a state, a constant) stays shared: it is
        // only read. A view of a copied node is a view of the copies.
        if is_view(nodes, id) && !copied[n.inputs[0]] {
            continue;
        }
        // These read their input's layout, not the output's broadcast of it.
        let by_input = matches!(
            n.op,
            Op::Reduce { .. } | Op::Softmax(_) | Op::Concat | Op::ScatterAddRows { .. }
        );
        if let Some(&i) = n
            .inputs
            .iter()
            .find(|&&i| by_input && out[i].shape.0.first() != Some(&runs))
        {
            return Err(format!(
                "{} {id} reads {:?}, shared by every run, in its own layout",
                n.op.name(),
                nodes[i].shape.0
            ));
        }
        copied[id] = true;
        out[id].shape.0[0] = runs;
    }
    Ok((out, copied))
}

/// Whether node `id` is stored as a view of its input (see `layout::place_computed`).
fn is_view(nodes: &[Node], id: usize) -> bool {
    let n = &nodes[id];
    matches!(n.op, Op::Reshape | Op::Unary(UnaryOp::Detach))
        || (n.op == Op::Unary(UnaryOp::Identity) && nodes[n.inputs[0]].shape == n.shape)
}

/// Word of random.wgsl's Params the step kernel reads as "every run draws run 0's numbers"
/// (`_pad0`, 0 on the per-op path).
pub(super) const SHARED_DRAW_WORD: usize = 7;
/// Word of random.wgsl's Params (`_pad1`) the step kernel reads as the counter's step between
/// runs: 1 when the counter is a state given a copy per run, 0 (shared) on the per-op path.
pub(super) const COUNTER_STRIDE_WORD: usize = 10;
/// Word of optim.wgsl's Params holding how many learning rates there are (1 or R).
pub(super) const LR_LEN_WORD: usize = 3;

/// The table step.wgsl reads: the records of each list of dispatches (indices into `records`),
/// one list after another, so an entry's records follow each other in its order; per list, the
/// word each of its records starts at.
pub(super) fn table(
    records: &[Record],
    buffers: &Buffers,
    lists: &[&[usize]],
) -> Result<(Vec<u32>, Vec<Vec<u32>>), String> {
    let mut words = Vec::new();
    let mut starts = vec![Vec::new(); lists.len()];
    for (list, starts) in lists.iter().zip(&mut starts) {
        for &i in *list {
            starts.push(words.len() as u32);
            record(&mut words, &records[i], buffers)?;
        }
    }
    Ok((words, starts))
}

/// Appends record `r` to `words`.
fn record(words: &mut Vec<u32>, r: &Record, buffers: &Buffers) -> Result<(), String> {
    {
        let kind = kind(r.kernel)
            .filter(|_| !r.generated)
            .ok_or_else(|| format!("the step kernel has no {}", r.kernel))?;
        let mut bases = [0u32; 5];
        for &(slot, buffer) in &r.bindings {
            bases[slot as usize - 1] = (buffers.slots[buffer].base / 4) as u32;
        }
        words.push((HEADER + r.params.len()) as u32);
        words.push(kind);
        words.push(r.op);
        words.extend_from_slice(&bases);
        words.extend_from_slice(&r.params);
    }
    Ok(())
}

/// Bytes of a `Control`, uploaded once for each (entry, steps a dispatch) first run.
pub(super) const CONTROL_BYTES: u64 = std::mem::size_of::<Control>() as u64;

/// `struct Control` of step.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Control {
    pub start: u32,
    pub ops: u32,
    pub steps: u32,
    pub spread: u32,
    pub runs: u32,
    pub step_at: u32,
    pub step_runs: u32,
    pub _pad: u32,
}

/// An executor's step kernel: its pipeline, table and arena, the prologue's dispatches, and a
/// bind group per (entry, steps a dispatch) met so far.
pub(super) struct StepExec {
    pipeline: wgpu::ComputePipeline,
    table: wgpu::Buffer,
    arena: wgpu::Buffer,
    /// The prologue: a bind group and workgroups per op, each spread over the whole device.
    pub prologue: Vec<(wgpu::BindGroup, (u32, u32, u32))>,
    /// Per entry, its pieces: each a first record's word and a record count (see `pieces`).
    entries: Vec<Vec<(u32, u32)>>,
    controls: HashMap<(usize, u32), Vec<wgpu::BindGroup>>,
    /// Per entry, the most steps one dispatch may run (see `LOOP_BUDGET`).
    pub max_steps: Vec<u32>,
    runs: u32,
    /// The shared step counter and each run's copy, in arena elements.
    pub step_at: u32,
    pub step_runs: u32,
}

impl StepExec {
    /// `words` from [`table`], with the starts of the prologue's records and of each entry's.
    /// Err (why) when an op is too long for one dispatch.
    pub fn new(
        ctx: &GpuContext,
        buffers: &mut Buffers,
        words: &[u32],
        prologue: &[u32],
        entries: &[Vec<u32>],
        runs: usize,
        step: (u32, u32),
    ) -> Result<StepExec, String> {
        let budget = match ctx.software {
            true => LOOP_BUDGET,
            false => HARDWARE_LOOP_BUDGET,
        };
        let cut: Vec<(Vec<(u32, u32)>, u64)> = entries
            .iter()
            .map(|starts| pieces(words, starts, runs as u64, budget))
            .collect::<Result<_, _>>()?;
        use wgpu::BufferUsages as U;
        let index = buffers.device_buffer(
            "step table",
            (words.len().max(4) * 4) as u64,
            U::STORAGE | U::COPY_DST,
        );
        let table = buffers.list[index].clone();
        ctx.queue
            .write_buffer(&table, 0, bytemuck::cast_slice(words));
        let arena = buffers.list[buffers.slots[0].buffer].clone();
        let pipeline = ctx.fused_pipeline(SOURCE, ENTRY);
        let mut exec = StepExec {
            pipeline,
            table,
            arena,
            prologue: Vec::new(),
            // One piece runs as many steps as the budget holds (the step loop counts too); an
            // entry cut in pieces runs a step at a time.
            max_steps: cut
                .iter()
                .map(|(p, per_step)| match p.len() {
                    0 | 1 => (budget / (per_step + 1)).clamp(1, u32::MAX as u64) as u32,
                    _ => 1,
                })
                .collect(),
            entries: cut.into_iter().map(|(p, _)| p).collect(),
            controls: HashMap::new(),
            runs: runs as u32,
            step_at: step.0,
            step_runs: step.1,
        };
        for &start in prologue {
            let control = exec.control(start, 1, 1, true);
            let bind_group = exec.bind_group(ctx, control);
            // Enough workgroups for a wide op; each loops over what is left.
            let groups = (
                records_items_hint(words, start)
                    .div_ceil(64)
                    .clamp(1, 65_535),
                1,
                1,
            );
            exec.prologue.push((bind_group, groups));
        }
        Ok(exec)
    }

    fn control(&self, start: u32, ops: u32, steps: u32, spread: bool) -> Control {
        Control {
            start,
            ops,
            steps,
            spread: spread as u32,
            runs: self.runs,
            step_at: self.step_at,
            step_runs: self.step_runs,
            _pad: 0,
        }
    }

    fn bind_group(&self, ctx: &GpuContext, control: Control) -> wgpu::BindGroup {
        use wgpu::util::DeviceExt;
        let buffer = ctx
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("step control"),
                contents: bytemuck::bytes_of(&control),
                usage: wgpu::BufferUsages::STORAGE,
            });
        ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("step kernel"),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: self.table.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: self.arena.as_entire_binding(),
                },
            ],
        })
    }

    /// Sets every run's copy of the step counter (after the host wrote the shared one).
    pub fn set_step(&self, queue: &wgpu::Queue, value: f32) {
        let values = vec![value; self.runs as usize];
        queue.write_buffer(
            &self.arena,
            self.step_runs as u64 * 4,
            bytemuck::cast_slice(&values),
        );
    }

    pub fn pipeline(&self) -> &wgpu::ComputePipeline {
        &self.pipeline
    }

    /// The bind groups that run `steps` steps of `entry` (one dispatch each, in order: one, unless
    /// the entry is cut in pieces, which run one step at a time), made on first use (32 bytes
    /// uploaded each). Returns the pipeline, them, and the bytes uploaded.
    pub fn steps(
        &mut self,
        ctx: &GpuContext,
        entry: usize,
        steps: u32,
    ) -> (&wgpu::ComputePipeline, &[wgpu::BindGroup], u64) {
        let mut uploaded = 0;
        if !self.controls.contains_key(&(entry, steps)) {
            let pieces = self.entries[entry].clone();
            let groups = pieces
                .iter()
                .map(|&(start, ops)| self.bind_group(ctx, self.control(start, ops, steps, false)))
                .collect();
            uploaded = CONTROL_BYTES * pieces.len() as u64;
            self.controls.insert((entry, steps), groups);
        }
        (&self.pipeline, &self.controls[&(entry, steps)], uploaded)
    }

    /// Workgroups for a dispatch over every run.
    pub fn groups(&self) -> (u32, u32, u32) {
        let x = self.runs.min(65_535);
        (x, self.runs.div_ceil(x), 1)
    }
}

/// Loop iterations one invocation may run in a dispatch. lavapipe (llvmpipe) ends every loop of
/// an invocation once all its loops together have iterated 65,535 times ("shared between every
/// loop in a shader", Mesa's `LP_MAX_TGSI_LOOP_ITERATIONS`): silently, the rest of the dispatch
/// undone (MAML's adaptation read a few-shot accuracy of 0, the MI critic's gradients 0). So a
/// dispatch is sized to stay well inside that on software adapters. Hardware GPUs have no such
/// limit, only a watchdog for dispatches of seconds: `HARDWARE_LOOP_BUDGET`.
pub(super) const LOOP_BUDGET: u64 = 32_000;
pub(super) const HARDWARE_LOOP_BUDGET: u64 = 16 * LOOP_BUDGET;

/// Threads of step.wgsl's workgroup.
const WORKGROUP: u64 = 64;

/// Loop iterations one invocation runs for the record at `start` in a dispatch a workgroup per
/// run: step.wgsl's loops, each counted as llvmpipe counts them (a loop of k iterations tests
/// its condition k + 1 times), and what its compiler makes loops of besides (a `switch` among
/// them), measured: a chain of tiny elementwise records stopped short between 2,000 and 3,000
/// records a dispatch, about 25 iterations each, where the loops written count 3.
fn record_iterations(words: &[u32], start: u32, runs: u64) -> u64 {
    const PER_RECORD: u64 = 24;
    const PER_ITEM: u64 = 4;
    let at = start as usize;
    let p = |k: usize| words[at + HEADER + k] as u64;
    let mine = |n: u64| n.div_ceil(runs).div_ceil(WORKGROUP);
    // A loop over `items` items of `inner` iterations each.
    let over = |items: u64, inner: u64| items * (inner + 1 + PER_ITEM) + 1;
    PER_RECORD
        + match words[at + 1] {
            // Tiles a run, each k multiply-adds (and the loop's end) and a 4 x 4 store.
            8 => over(
                (p(0).div_ceil(4) * p(1).div_ceil(4)).div_ceil(WORKGROUP),
                p(2) + 26,
            ),
            9 => over(mine(p(0) * p(2)), p(1) + 1),
            10 => over(mine(p(0)), 3 * (p(1) + 1)),
            12 => over(mine(p(0)), p(3) + 1),
            11 | 13 => over(mine(p(0)), 0),
            14 => {
                (0..p(1) as usize)
                    .map(|s| over(p(16 + 4 * s + 1).div_ceil(WORKGROUP), 0) + 1)
                    .sum::<u64>()
                    + 1
            }
            7 => 0,
            _ => over(mine(p(20)), 0),
        }
}

/// An entry's records cut into dispatches within `LOOP_BUDGET`: (first record's word, records)
/// each, and the loop iterations of one step of the whole entry. Err when one record alone is
/// past the budget.
fn pieces(
    words: &[u32],
    starts: &[u32],
    runs: u64,
    budget: u64,
) -> Result<(Vec<(u32, u32)>, u64), String> {
    let mut pieces: Vec<(u32, u32)> = Vec::new();
    let (mut used, mut total) = (0u64, 0u64);
    for &start in starts {
        let n = record_iterations(words, start, runs);
        if n + 1 > budget {
            return Err(format!(
                "one op needs {n} loop iterations a thread, more than a dispatch may run \
                 ({budget})"
            ));
        }
        total += n;
        match pieces.last_mut() {
            Some(last) if used + n < budget => {
                last.1 += 1;
                used += n;
            }
            _ => {
                pieces.push((start, 1));
                used = n;
            }
        }
    }
    Ok((pieces, total))
}

/// A rough element count of a record, for the prologue's workgroups (the kernel loops over
/// whatever the workgroups do not cover).
fn records_items_hint(words: &[u32], start: u32) -> u32 {
    let at = start as usize;
    let params = &words[at + HEADER..];
    match words[at + 1] {
        8 => params[3] * params[0].div_ceil(4) * params[1].div_ceil(4),
        9 => params[0] * params[2],
        10..=13 => params[0],
        _ => params.get(20).copied().unwrap_or(1),
    }
}
