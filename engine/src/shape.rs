//! Shapes with a leading run axis, and the broadcasting rule every op shares.
//!
//! Axis 0 is always the run axis R. A tensor whose run axis is 1 is shared by every run (a data set, a
//! constant) and broadcasts against any R. The remaining axes broadcast right-aligned, numpy style, so a
//! per-run scalar `[R]` meets a batch `[R, B, C]` as `[R, 1, 1]` and a bias `[R, C]` as `[R, 1, C]`.

use super::error::{shape_err, Result};
use std::fmt;

/// The most axes a tensor may have, run axis included. Kernels index with four strides.
pub const MAX_RANK: usize = 4;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Shape(pub Vec<usize>);

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl Shape {
    pub fn new(dims: &[usize]) -> Shape {
        Shape(dims.to_vec())
    }
    pub fn dims(&self) -> &[usize] {
        &self.0
    }
    pub fn rank(&self) -> usize {
        self.0.len()
    }
    pub fn runs(&self) -> usize {
        self.0[0]
    }
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }
    /// Elements of one run's slice.
    pub fn per_run(&self) -> usize {
        self.0[1..].iter().product()
    }
    pub fn last(&self) -> usize {
        *self.0.last().unwrap()
    }
    /// The same shape with its run axis replaced.
    pub fn with_runs(&self, runs: usize) -> Shape {
        let mut d = self.0.clone();
        d[0] = runs;
        Shape(d)
    }

    /// [`Shape::padded`] to `MAX_RANK` axes, without an allocation (the CPU backend's loops ask
    /// for it on every op of every step).
    pub fn padded_max(&self) -> [usize; MAX_RANK] {
        let mut out = [1; MAX_RANK];
        out[0] = self.0[0];
        let n = self.0.len();
        for i in 1..n {
            out[MAX_RANK - n + i] = self.0[i];
        }
        out
    }

    /// Pads to `rank` axes by inserting ones right after the run axis.
    pub fn padded(&self, rank: usize) -> Vec<usize> {
        let mut out = vec![1; rank];
        out[0] = self.0[0];
        let n = self.0.len();
        for i in 1..n {
            out[rank - n + i] = self.0[i];
        }
        out
    }

    /// Contiguous strides of `self` seen as an operand of an op whose output has `out` (already
    /// broadcast): axes of extent 1 that the output stretches get stride 0. Always `MAX_RANK` long.
    pub fn broadcast_strides(&self, out: &Shape) -> [u32; MAX_RANK] {
        let mine = self.padded_max();
        let theirs = out.padded_max();
        let mut strides = [0u32; MAX_RANK];
        let mut acc = 1usize;
        for i in (0..MAX_RANK).rev() {
            strides[i] = if mine[i] == 1 && theirs[i] != 1 {
                0
            } else {
                acc as u32
            };
            acc *= mine[i];
        }
        strides
    }

    /// The broadcast of two shapes under the run-axis rule, or an error naming both.
    pub fn broadcast(op: &'static str, a: &Shape, b: &Shape) -> Result<Shape> {
        let rank = a.rank().max(b.rank());
        let pa = a.padded(rank);
        let pb = b.padded(rank);
        let mut out = Vec::with_capacity(rank);
        for i in 0..rank {
            out.push(match (pa[i], pb[i]) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => return Err(shape_err(op, format!("{a} and {b} do not broadcast"))),
            });
        }
        Ok(Shape(out))
    }
}
