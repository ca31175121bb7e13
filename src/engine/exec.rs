//! A program compiled for whichever backend was chosen at run time, behind one API.

use super::cpu::CpuExec;
use super::error::Result;
use super::gpu::{GpuContext, GpuExec};
use super::graph::Tensor;
use super::program::{Counters, Program};

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
    pub fn counters(&self) -> Counters {
        match self {
            Exec::Cpu(e) => e.counters(),
            Exec::Gpu(e) => e.counters(),
        }
    }
}
