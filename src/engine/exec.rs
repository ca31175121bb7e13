//! A program compiled for whichever backend was chosen at run time, behind one API.

use super::cpu::CpuExec;
use super::error::Result;
use super::gpu::{GpuContext, GpuExec};
use super::graph::Tensor;
use super::program::{Counters, MetricWindow, Program};

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
