//! Joint training on every task so far: each task's batches are drawn from the union of its
//! training set and all earlier ones. Not a continual method (it keeps all the data): the upper
//! bound the others are compared to.

/// The training rows while task `t` trains: from the first task's start to task t's end.
pub fn range(offsets: &[usize], counts: &[usize], t: usize) -> [f32; 2] {
    [0.0, (offsets[t] + counts[t]) as f32]
}
