//! Experience replay with a reservoir buffer (Chaudhry et al. 2019, "On Tiny Episodic Memories in
//! Continual Learning"; reservoir sampling, Vitter 1985): every training example seen so far has
//! the same chance to be among the M kept. Each step adds a batch drawn from the buffer, with its
//! own heads, to the current task's batch.
//!
//! NOTE: the buffer is updated at the end of each task, by running reservoir sampling over that
//! task's training set in a seeded random order (one pass, as a stream would deliver it).

use super::Ctx;
use crate::engine::{nn, Result, Tensor};

pub struct State {
    /// [R, M, 1]: training-row indices, per run.
    pub buffer: Tensor,
    /// [1, 1]: how many slots are filled.
    pub fill: Tensor,
}

pub fn graph(ctx: &mut Ctx, m: usize) -> Result<State> {
    let g = ctx.g;
    let runs = g.runs();
    let b = ctx.recipe.batch;
    let buffer = g.state("replay.buffer", &[runs, m, 1], vec![0.0; runs * m])?;
    let fill = g.state("replay.fill", &[1, 1], vec![0.0])?;
    let slot = g
        .random_uniform(&[runs, b], 0.0, 1.0, Some(ctx.step))?
        .mul(&fill.maximum(&g.scalar(1.0)?)?)?
        .floor()?;
    let rows = buffer.gather_rows(&slot)?.reshape(&[runs, b])?;
    let x = ctx.x_train.gather_rows(&rows)?;
    let y = ctx.y_train.gather_rows(&rows)?.reshape(&[runs, b])?;
    let (_, logits) = ctx.net.forward(&x, None)?;
    let mask = ctx.row_masks.gather_rows(&rows)?.mul(ctx.train_mask)?;
    let replayed = nn::cross_entropy(&super::super::model::masked(&logits, &mask)?, &y)?;
    let on = fill.gt(&g.scalar(0.0)?)?.reshape(&[1])?;
    ctx.loss = ctx.loss.add(&replayed.mul(&on)?)?;
    Ok(State { buffer, fill })
}

/// Reservoir sampling: offers `rows` (in order) to `buffer` (capacity `m`) after `seen` earlier
/// offers, drawing from `rng`. Returns the new count of offers seen.
pub fn offer(
    buffer: &mut Vec<f32>,
    m: usize,
    mut seen: u64,
    rows: impl Iterator<Item = usize>,
    rng: &mut impl FnMut(u64) -> u64,
) -> u64 {
    for row in rows {
        seen += 1;
        if buffer.len() < m {
            buffer.push(row as f32);
        } else {
            let j = rng(seen) as usize;
            if j < m {
                buffer[j] = row as f32;
            }
        }
    }
    seen
}
