//! Tensors, autodiff and backends. Knows nothing of labs or UI.
//!
//! Build a [`Graph`] of ops on [`Tensor`]s (every tensor has a leading run axis R), differentiate
//! it with [`grad`], wrap the steps in a [`Program`], and replay it on the CPU ([`CpuExec`]) or the
//! GPU ([`gpu::GpuExec`]).

pub mod autodiff;
pub mod conformance;
pub mod cpu;
pub mod error;
pub mod exec;
pub mod gpu;
pub mod graph;
pub mod math;
pub mod nn;
pub mod op;
pub mod plan;
pub mod program;
pub mod rng;
pub mod shape;
pub mod slice;

pub use autodiff::grad;
pub use cpu::CpuExec;
pub use error::{EngineError, Result};
pub use exec::Exec;
pub use graph::{Graph, Tensor};
pub use program::{Counters, Entry, MetricWindow, OptimizerKind, Program};
pub use shape::Shape;
