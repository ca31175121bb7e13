//! Experience replay with a reservoir buffer (Chaudhry et al. 2019, "On Tiny Episodic Memories in
//! Continual Learning"; reservoir sampling, Vitter 1985): every training example seen so far has
//! the same chance to be among the M kept. Each step adds a batch drawn from the buffer, with its
//! own heads, to the current task's batch.
//!
//! NOTE: the buffer is updated at the end of each task, by running reservoir sampling over that
//! task's training set in a seeded random order (one pass, as a stream would deliver it).

use super::{Ctx, Hook, Hooks, Method, Phase};
use crate::data::tasks::Stream;
use crate::decl::*;
use crate::engine::rng::{mix64, run_seed};
use crate::engine::{nn, Result, Tensor};

pub const METHOD: Method = Method {
    declaration,
    make: |knobs| {
        Box::new(Replay {
            m: knobs.usize("buffer"),
            state: None,
            buffers: Vec::new(),
            seen: Vec::new(),
        })
    },
};

struct Replay {
    /// The buffer's capacity M.
    m: usize,
    state: Option<State>,
    /// Each run's buffer (training-row indices) and offers seen, on the host.
    buffers: Vec<Vec<f32>>,
    seen: Vec<u64>,
}

struct State {
    /// [R, M, 1]: training-row indices, per run.
    buffer: Tensor,
    /// [1, 1]: how many slots are filled.
    fill: Tensor,
}

impl Hooks for Replay {
    fn check(&self, stream: &Stream) -> std::result::Result<(), String> {
        let (m, total) = (self.m, stream.train_total());
        if m > total {
            return Err(format!(
                "replay.buffer = {m} is more than the {total} training examples of the whole \
                 stream: keep it at most {total}"
            ));
        }
        Ok(())
    }
    fn graph(&mut self, ctx: &mut Ctx) -> Result<()> {
        self.state = Some(graph(ctx, self.m)?);
        Ok(())
    }
    /// Offers this task's examples to each run's reservoir and puts the buffers on the device.
    fn end_task<'a>(&'a mut self, at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async move {
            let Some(s) = &self.state else {
                return Ok(());
            };
            let (m, t) = (self.m, at.task);
            self.buffers.resize(at.runs, Vec::new());
            self.seen.resize(at.runs, 0);
            let offset = at.stream.offsets()[t];
            let n = at.stream.tasks[t].train.n;
            let mut data = Vec::with_capacity(at.runs * m);
            for r in 0..at.runs {
                // The run's own seed, so that a slice of the runs draws what the whole does.
                let seed = run_seed(at.seed, r) as u64;
                // This task's examples in a seeded random order, as a stream would bring them.
                let key = |i: usize| mix64((seed << 32) ^ (t as u64) ^ ((i as u64) << 40));
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by_key(|&i| key(i));
                let salt = mix64(seed ^ 0xC0FFEE);
                let mut rng = |seen: u64| mix64(salt ^ seen) % seen;
                self.seen[r] = offer(
                    &mut self.buffers[r],
                    m,
                    self.seen[r],
                    order.into_iter().map(|i| offset + i),
                    &mut rng,
                );
                let mut row = self.buffers[r].clone();
                row.resize(m, 0.0);
                data.extend(row);
            }
            let fill = self.buffers[0].len() as f32;
            at.exec.write(&s.buffer, &data)?;
            at.exec.write(&s.fill, &[fill])
        })
    }
}

fn graph(ctx: &mut Ctx, m: usize) -> Result<State> {
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

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "replay",
        title: "Experience replay",
        paper: Some(Paper {
            title: "On Tiny Episodic Memories in Continual Learning",
            url: "https://arxiv.org/abs/1902.10486",
        }),
        explain:
            "Keeps a reservoir sample of past examples and trains on them alongside the new task: \
                  the strongest simple remedy, above all class-incrementally.",
        knobs: vec![int(
            "buffer",
            "Buffer M",
            10,
            20_000,
            200,
            "",
            "Examples kept.",
        )],
        no_claim: None,
    }
}
