//! A program compiled for whichever backend was chosen at run time, behind one API.

use super::cpu::CpuExec;
use super::error::{invalid, EngineError, Result};
use super::gpu::{GpuContext, GpuExec};
use super::graph::Tensor;
use super::op::Op;
use super::program::{Counters, MetricWindow, Program};

/// What a run carries from one step to the next, whatever the backend: every leaf (parameters,
/// state, the step counter, data written since the build) and every optimizer moment. Restored
/// into the same program on either backend, the run continues as if it had never moved.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// (node id, values) of every leaf, in node order.
    pub leaves: Vec<(usize, Vec<f32>)>,
    /// Per entry, per updated parameter: its `kind.moments()` slabs one after another, as the CPU
    /// keeps them (Adam: m, then v). Empty for an entry without an update.
    pub moments: Vec<Vec<Vec<f32>>>,
}

impl Snapshot {
    /// That this snapshot fits `program`: the same leaves and moments, of the same sizes.
    pub fn check(&self, program: &Program) -> Result<()> {
        let bad = |what: String| invalid("restore", format!("the snapshot {what}"));
        let leaves: Vec<(usize, usize)> = program.graph.with_nodes(|nodes| {
            nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| matches!(n.op, Op::Leaf(_)))
                .map(|(id, n)| (id, n.shape.numel()))
                .collect()
        });
        let have: Vec<(usize, usize)> = self.leaves.iter().map(|(id, v)| (*id, v.len())).collect();
        if have != leaves {
            return Err(bad("has other leaves than this program".into()));
        }
        if self.moments.len() != program.entries.len() {
            return Err(bad("has moments for another number of entries".into()));
        }
        for (e, m) in program.entries.iter().zip(&self.moments) {
            let want: Vec<usize> = e
                .update
                .iter()
                .flat_map(|u| {
                    u.params
                        .iter()
                        .map(|p| p.shape().numel() * u.kind.moments())
                })
                .collect();
            let got: Vec<usize> = m.iter().map(|v| v.len()).collect();
            if want != got {
                return Err(bad(format!("has other moments for entry {}", e.name)));
            }
        }
        Ok(())
    }
}

/// The error of a snapshot taken while entry `k`'s metrics are still being summed.
pub(crate) fn open_window(program: &Program, k: usize) -> EngineError {
    invalid(
        "snapshot",
        format!(
            "entry {} has metrics not yet taken: take them first",
            program.entries[k].name
        ),
    )
}

pub enum Exec {
    Cpu(Box<CpuExec>),
    Gpu(Box<GpuExec>),
}

impl Exec {
    /// Compiles `program` on the GPU when a context is given, else on the CPU.
    pub async fn new(program: &Program, gpu: Option<&GpuContext>) -> Result<Exec> {
        Ok(match gpu {
            Some(ctx) => Exec::Gpu(Box::new(GpuExec::new(ctx, program).await?)),
            None => Exec::Cpu(Box::new(CpuExec::new(program)?)),
        })
    }
    pub fn run(&mut self, entry: usize, steps: u32) -> Result<()> {
        match self {
            Exec::Cpu(e) => e.run(entry, steps),
            Exec::Gpu(e) => e.run(entry, steps),
        }
    }
    pub async fn read(&mut self, t: &Tensor) -> Result<Vec<f32>> {
        match self {
            Exec::Cpu(e) => e.read(t),
            Exec::Gpu(e) => e.read(t).await,
        }
    }
    /// Resolves when queued work is done (the GPU's pace; the CPU is always done).
    pub async fn finish(&self) -> Result<()> {
        match self {
            Exec::Cpu(_) => Ok(()),
            Exec::Gpu(e) => e.finish().await,
        }
    }
    /// Overwrites a leaf (new data, merged weights).
    pub fn write(&mut self, t: &Tensor, data: &[f32]) -> Result<()> {
        match self {
            Exec::Cpu(e) => e.write(t, data),
            Exec::Gpu(e) => e.write(t, data),
        }
    }
    /// Every metric window of `entry` since the last call, the open one closed now, oldest
    /// first. On the GPU this waits (without blocking the browser) for the readbacks to land.
    pub async fn metrics(&mut self, entry: usize) -> Result<Vec<MetricWindow>> {
        match self {
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
        }
    }
    /// Every leaf and moment, to continue elsewhere (see `Snapshot`). Take the metrics first.
    pub async fn snapshot(&mut self) -> Result<Snapshot> {
        match self {
            Exec::Cpu(e) => e.snapshot(),
            Exec::Gpu(e) => e.snapshot().await,
        }
    }
    /// Continues from `snapshot`, taken from the same program on either backend.
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<()> {
        match self {
            Exec::Cpu(e) => e.restore(snapshot),
            Exec::Gpu(e) => e.restore(snapshot),
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
        }
    }
    pub fn is_gpu(&self) -> bool {
        matches!(self, Exec::Gpu(_))
    }
    pub fn counters(&self) -> Counters {
        match self {
            Exec::Cpu(e) => e.counters(),
            Exec::Gpu(e) => e.counters(),
        }
    }
}
