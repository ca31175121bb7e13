//! A program compiled for whichever backend was chosen at run time, behind one API.

use super::cpu::CpuExec;
use super::error::{invalid, EngineError, Result};
use super::gpu::{GpuContext, GpuExec};
use super::graph::Tensor;
pub use super::program::Snapshot;
use super::program::{Counters, MetricWindow, Program};

pub enum Exec {
    Cpu(Box<CpuExec>),
    Gpu(Box<GpuExec>),
    /// A program too large for one device binding, run as slices of its runs (`slice`), each
    /// its own executor on the same device.
    Sliced(Box<Sliced>),
}

/// A program's runs cut into slices, each compiled on its own.
pub struct Sliced {
    program: Program,
    /// (first run, runs, the slice's program, its executor), in run order.
    parts: Vec<(usize, usize, Program, Exec)>,
}

impl Sliced {
    /// `t` (a tensor of the whole program) in slice `k`'s program.
    fn local(&self, k: usize, t: &Tensor) -> Tensor {
        self.parts[k].2.graph.tensor(t.id)
    }
    /// Whether `id` has one value per run (cut along the slices) or one shared by all.
    fn per_run(&self, id: usize) -> bool {
        let runs = self.program.graph.runs();
        self.program.graph.node(id).shape.runs() == runs
    }
}

impl Exec {
    /// Compiles `program` on the GPU when a context is given, else on the CPU. A program with
    /// a buffer past what the GPU binds runs as slices of its runs when its runs can be cut
    /// apart (the fewest slices that fit), or fails saying so.
    pub async fn new(program: &Program, gpu: Option<&GpuContext>) -> Result<Exec> {
        let Some(ctx) = gpu else {
            return Ok(Exec::Cpu(Box::new(CpuExec::new(program)?)));
        };
        let too_large = match GpuExec::new(ctx, program).await {
            Err(EngineError::TooLarge(why)) => why,
            built => return Ok(Exec::Gpu(Box::new(built?))),
        };
        let runs = program.graph.runs();
        if let Some(why) = super::slice::mixes_runs(program) {
            return Err(EngineError::TooLarge(format!(
                "{too_large} (its runs cannot be cut apart: {why})"
            )));
        }
        // 2, 4, 8 … slices, and at last one run a slice (whose error, if even that is too
        // large, names a single run's buffer).
        let mut count = 2;
        loop {
            match Self::slices(program, ctx, count).await {
                Err(EngineError::TooLarge(_)) if count < runs => count = (count * 2).min(runs),
                built => return built,
            }
        }
    }

    /// `program` as `count` slices of its runs on `ctx`.
    async fn slices(program: &Program, ctx: &GpuContext, count: usize) -> Result<Exec> {
        let mut parts = Vec::new();
        for (first, runs) in super::slice::even(program.graph.runs(), count) {
            let part = super::slice::slice(program, first, runs)?;
            let exec = Exec::Gpu(Box::new(GpuExec::new(ctx, &part).await?));
            parts.push((first, runs, part, exec));
        }
        Ok(Exec::Sliced(Box::new(Sliced {
            program: program.clone(),
            parts,
        })))
    }

    /// Slices of runs the program runs as on this backend (1 unless `Sliced`).
    pub fn slices_count(&self) -> usize {
        match self {
            Exec::Sliced(s) => s.parts.len(),
            _ => 1,
        }
    }

    pub fn run(&mut self, entry: usize, steps: u32) -> Result<()> {
        match self {
            Exec::Cpu(e) => e.run(entry, steps),
            Exec::Gpu(e) => e.run(entry, steps),
            Exec::Sliced(s) => s
                .parts
                .iter_mut()
                .try_for_each(|(.., e)| e.run(entry, steps)),
        }
    }
    pub async fn read(&mut self, t: &Tensor) -> Result<Vec<f32>> {
        match self {
            Exec::Cpu(e) => e.read(t),
            Exec::Gpu(e) => e.read(t).await,
            Exec::Sliced(s) => {
                let shared = !s.per_run(t.id);
                let mut out = Vec::new();
                for k in 0..s.parts.len() {
                    let local = s.local(k, t);
                    out.extend(Box::pin(s.parts[k].3.read(&local)).await?);
                    if shared {
                        break;
                    }
                }
                Ok(out)
            }
        }
    }
    /// Resolves when queued work is done (the GPU's pace; the CPU is always done).
    pub async fn finish(&self) -> Result<()> {
        match self {
            Exec::Cpu(_) => Ok(()),
            Exec::Gpu(e) => e.finish().await,
            Exec::Sliced(s) => {
                for (.., e) in &s.parts {
                    Box::pin(e.finish()).await?;
                }
                Ok(())
            }
        }
    }
    /// Overwrites a leaf (new data, merged weights).
    pub fn write(&mut self, t: &Tensor, data: &[f32]) -> Result<()> {
        match self {
            Exec::Cpu(e) => e.write(t, data),
            Exec::Gpu(e) => e.write(t, data),
            Exec::Sliced(s) => {
                let per_run = s.per_run(t.id);
                let numel = t.shape().per_run();
                if data.len() != t.shape().numel() {
                    return Err(invalid(
                        "write",
                        format!("node {} is not a leaf of {} values", t.id, data.len()),
                    ));
                }
                for k in 0..s.parts.len() {
                    let local = s.local(k, t);
                    let (first, runs) = (s.parts[k].0, s.parts[k].1);
                    let part = if per_run {
                        &data[first * numel..(first + runs) * numel]
                    } else {
                        data
                    };
                    s.parts[k].3.write(&local, part)?;
                }
                Ok(())
            }
        }
    }
    /// Every metric window of `entry` since the last call, the open one closed now, oldest
    /// first. On the GPU this waits (without blocking the browser) for the readbacks to land.
    pub async fn metrics(&mut self, entry: usize) -> Result<Vec<MetricWindow>> {
        match self {
            Exec::Sliced(s) => {
                let mut each = Vec::new();
                for (.., e) in s.parts.iter_mut() {
                    each.push(Box::pin(e.metrics(entry)).await?);
                }
                merge_windows(each)
            }
            Exec::Cpu(e) => Ok(e.take_metrics(entry).into_iter().collect()),
            Exec::Gpu(e) => {
                e.flush_metrics(entry)?;
                let mut out = Vec::new();
                // Each `finish` lets the browser run the map callbacks of finished work.
                for _ in 0..10_000 {
                    while let Some(w) = e.take_metrics(entry)? {
                        out.push(w);
                    }
                    if e.metrics_pending(entry) == 0 {
                        return Ok(out);
                    }
                    e.finish().await?;
                }
                Err(super::error::EngineError::Gpu(
                    "metric readbacks never landed".into(),
                ))
            }
        }
    }
    /// Closes `entry`'s open metric window now (a phase ends): the CPU hands it back at once,
    /// the GPU starts its readback, which `metrics` collects later.
    pub fn cut_metrics(&mut self, entry: usize) -> Result<Option<MetricWindow>> {
        match self {
            Exec::Cpu(e) => Ok(e.take_metrics(entry)),
            Exec::Gpu(e) => e.flush_metrics(entry).map(|_| None),
            Exec::Sliced(s) => {
                let mut each = Vec::new();
                for (.., e) in s.parts.iter_mut() {
                    each.push(e.cut_metrics(entry)?.into_iter().collect());
                }
                Ok(merge_windows(each)?.pop())
            }
        }
    }
    /// Every leaf and moment, to continue elsewhere (see `Snapshot`). Take the metrics first.
    pub async fn snapshot(&mut self) -> Result<Snapshot> {
        match self {
            Exec::Cpu(e) => e.snapshot(),
            Exec::Gpu(e) => e.snapshot().await,
            Exec::Sliced(s) => {
                let mut each = Vec::new();
                for (.., e) in s.parts.iter_mut() {
                    each.push(Box::pin(e.snapshot()).await?);
                }
                Ok(s.join(&each))
            }
        }
    }
    /// Continues from `snapshot`, taken from the same program on either backend.
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<()> {
        match self {
            Exec::Cpu(e) => e.restore(snapshot),
            Exec::Gpu(e) => e.restore(snapshot),
            Exec::Sliced(s) => {
                snapshot.check(&s.program)?;
                for k in 0..s.parts.len() {
                    let part = s.cut(snapshot, k);
                    s.parts[k].3.restore(&part)?;
                }
                Ok(())
            }
        }
    }
    /// Moves this run to the GPU (a context) or the CPU (`None`), at the same step with the same
    /// weights and moments. On error, the run stays where it was.
    pub async fn move_to(&mut self, gpu: Option<&GpuContext>) -> Result<()> {
        let snapshot = self.snapshot().await?;
        let mut moved = Exec::new(self.program(), gpu).await?;
        moved.restore(&snapshot)?;
        *self = moved;
        Ok(())
    }
    pub fn program(&self) -> &Program {
        match self {
            Exec::Cpu(e) => e.program(),
            Exec::Gpu(e) => e.program(),
            Exec::Sliced(s) => &s.program,
        }
    }
    /// How the program runs: "cpu", or the GPU executor's path (`GpuExec::path`: the step
    /// kernel, or per op and why).
    pub fn path(&self) -> String {
        match self {
            Exec::Cpu(_) => "cpu".to_string(),
            Exec::Gpu(e) => e.path().to_string(),
            Exec::Sliced(s) => s.parts.first().map_or(String::new(), |(.., e)| e.path()),
        }
    }
    pub fn is_gpu(&self) -> bool {
        match self {
            Exec::Cpu(_) => false,
            Exec::Gpu(_) => true,
            Exec::Sliced(s) => s.parts.iter().all(|(.., e)| e.is_gpu()),
        }
    }
    /// Every slice's work added up; steps counted once.
    pub fn counters(&self) -> Counters {
        match self {
            Exec::Cpu(e) => e.counters(),
            Exec::Gpu(e) => e.counters(),
            Exec::Sliced(s) => {
                let mut total = Counters::default();
                for (.., e) in &s.parts {
                    total.add_slice(e.counters());
                }
                total
            }
        }
    }
}

/// Each slice's metric windows, taken together: window by window, every metric's runs in run
/// order. The slices run the same steps, so their windows line up.
fn merge_windows(each: Vec<Vec<MetricWindow>>) -> Result<Vec<MetricWindow>> {
    let mut parts = each.into_iter();
    let Some(mut merged) = parts.next() else {
        return Ok(Vec::new());
    };
    for part in parts {
        if part.len() != merged.len() {
            return Err(invalid(
                "metrics",
                "the run slices read back unlike windows",
            ));
        }
        for (w, p) in merged.iter_mut().zip(part) {
            if (w.step, w.steps) != (p.step, p.steps) {
                return Err(invalid(
                    "metrics",
                    "the run slices read back unlike windows",
                ));
            }
            for (values, more) in w.values.iter_mut().zip(p.values) {
                values.extend(more);
            }
        }
    }
    Ok(merged)
}

impl Sliced {
    /// The slices' snapshots as the whole program's: per-run leaves and moments joined in run
    /// order, shared leaves from the first slice.
    fn join(&self, each: &[Snapshot]) -> Snapshot {
        let leaves = each[0]
            .leaves
            .iter()
            .enumerate()
            .map(|(i, (id, first))| {
                if !self.per_run(*id) {
                    return (*id, first.clone());
                }
                (
                    *id,
                    each.iter().flat_map(|s| s.leaves[i].1.clone()).collect(),
                )
            })
            .collect();
        let moments = self
            .program
            .entries
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let Some(u) = &e.update else {
                    return Vec::new();
                };
                let slots = u.kind.moments();
                (0..u.params.len())
                    .map(|j| {
                        (0..slots)
                            .flat_map(|slot| {
                                each.iter().flat_map(move |s| {
                                    let v = &s.moments[k][j];
                                    let n = v.len() / slots;
                                    v[slot * n..(slot + 1) * n].to_vec()
                                })
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Snapshot { leaves, moments }
    }

    /// Slice `k`'s part of a snapshot of the whole program.
    fn cut(&self, whole: &Snapshot, k: usize) -> Snapshot {
        let (first, runs) = (self.parts[k].0, self.parts[k].1);
        let per_run = |id: usize| self.per_run(id);
        let leaves = whole
            .leaves
            .iter()
            .map(|(id, v)| {
                if !per_run(*id) {
                    return (*id, v.clone());
                }
                let n = v.len() / self.program.graph.runs();
                (*id, v[first * n..(first + runs) * n].to_vec())
            })
            .collect();
        let moments = self
            .program
            .entries
            .iter()
            .zip(&whole.moments)
            .map(|(e, per_param)| {
                let Some(u) = &e.update else {
                    return Vec::new();
                };
                let slots = u.kind.moments();
                u.params
                    .iter()
                    .zip(per_param)
                    .map(|(p, v)| {
                        let n = p.shape().per_run();
                        let total = v.len() / slots;
                        (0..slots)
                            .flat_map(|slot| {
                                let at = slot * total;
                                v[at + first * n..at + (first + runs) * n].to_vec()
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Snapshot { leaves, moments }
    }
}
