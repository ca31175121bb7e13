//! Errors the engine returns instead of panicking: every one names what went wrong and where.

use std::fmt;

/// Everything that can go wrong while building or running a graph.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineError {
    /// An op was given operands whose shapes do not fit; names the op and every shape.
    Shape { op: &'static str, detail: String },
    /// An argument out of its allowed range (an axis, a slice, a probability).
    Invalid { op: &'static str, detail: String },
    /// Tensors from two different graphs were combined.
    ForeignTensor { op: &'static str },
    /// No GPU adapter or device could be had; the caller may fall back to the CPU.
    NoGpu(String),
    /// The GPU reported a validation error, ran out of memory, or was lost.
    Gpu(String),
    /// A buffer of the program is larger than the device binds: fewer runs at once may fit.
    TooLarge(String),
    /// The step kernel cannot run this program (why): the GPU backend builds the per-op path.
    Fallback(String),
    /// The GPU device was lost; everything on it is gone.
    DeviceLost(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Shape { op, detail } => write!(f, "{op}: shape mismatch: {detail}"),
            EngineError::Invalid { op, detail } => write!(f, "{op}: invalid argument: {detail}"),
            EngineError::ForeignTensor { op } => {
                write!(f, "{op}: the tensors belong to different graphs")
            }
            EngineError::NoGpu(why) => write!(f, "no WebGPU device: {why}"),
            EngineError::Gpu(why) | EngineError::TooLarge(why) => write!(f, "GPU error: {why}"),
            EngineError::Fallback(why) => write!(f, "the step kernel cannot run this: {why}"),
            EngineError::DeviceLost(why) => write!(f, "GPU device lost: {why}"),
        }
    }
}

impl std::error::Error for EngineError {}

pub type Result<T> = std::result::Result<T, EngineError>;

pub(crate) fn shape_err(op: &'static str, detail: impl Into<String>) -> EngineError {
    EngineError::Shape {
        op,
        detail: detail.into(),
    }
}

pub fn invalid(op: &'static str, detail: impl Into<String>) -> EngineError {
    EngineError::Invalid {
        op,
        detail: detail.into(),
    }
}
