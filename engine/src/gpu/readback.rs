//! Readback: the metric staging ring, the metric windows it yields, and `read` of a tensor.
//!
//! Metric sums are copied to a ring of staging buffers every `readback_every` steps and mapped
//! without waiting.

use super::layout::Buffers;
use super::GpuExec;
use crate::error::{invalid, EngineError, Result};
use crate::graph::Tensor;
use crate::program::MetricWindow;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Staging buffers in the metric ring.
const RING: usize = 4;

struct Staging {
    buffer: wgpu::Buffer,
    mapped: Arc<Mutex<Option<bool>>>,
    busy: bool,
}

/// One entry's metrics on their way back: per-run sums on the device, the staging ring they are
/// copied to, and the windows read back so far.
pub(super) struct MetricReadback {
    /// Metrics of the entry.
    count: usize,
    /// Per-run metric sums [metrics × R] (a buffer of the executor) and the ring of staging
    /// buffers they are copied to.
    sums: Option<usize>,
    ring: Vec<Staging>,
    /// (slot, step, steps) of each copy not yet collected, oldest first.
    pending: VecDeque<(usize, u64, u64)>,
    steps_in_window: u64,
    ready: VecDeque<MetricWindow>,
}

impl MetricReadback {
    /// The readback of `count` metrics summed in buffer `sums` (none without metrics).
    pub fn new(
        device: &wgpu::Device,
        count: usize,
        runs: usize,
        sums: Option<usize>,
    ) -> MetricReadback {
        let ring = if count == 0 {
            Vec::new()
        } else {
            (0..RING)
                .map(|_| Staging {
                    buffer: device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("metric staging"),
                        size: (count * runs * 4) as u64,
                        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    }),
                    mapped: Arc::new(Mutex::new(None)),
                    busy: false,
                })
                .collect()
        };
        MetricReadback {
            count,
            sums,
            ring,
            pending: VecDeque::new(),
            steps_in_window: 0,
            ready: VecDeque::new(),
        }
    }

    /// Staging buffers.
    /// Steps summed on the device and not yet copied out, and copies not yet collected.
    pub fn open(&self) -> bool {
        self.steps_in_window > 0 || !self.pending.is_empty()
    }
    pub fn staging_buffers(&self) -> usize {
        self.ring.len()
    }

    /// Counts `steps` more steps into the window and, once it spans `every` steps, encodes its
    /// readback: the slot to map once `encoder` is submitted.
    pub fn advance(
        &mut self,
        steps: u64,
        every: u64,
        encoder: &mut wgpu::CommandEncoder,
        buffers: &Buffers,
        runs: usize,
        step: u64,
    ) -> Option<usize> {
        self.sums?;
        self.steps_in_window += steps;
        if self.steps_in_window < every {
            return None;
        }
        // With every staging buffer in flight the window just keeps growing.
        self.encode_readback(encoder, buffers, runs, step)
    }

    /// Encodes a copy of the metric sums into a free staging buffer and clears the sums; the
    /// slot, or `None` when every staging buffer is still in flight.
    fn encode_readback(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        buffers: &Buffers,
        runs: usize,
        step: u64,
    ) -> Option<usize> {
        let (sums, base, size) = buffers.slot(self.sums?);
        let slot = self.ring.iter().position(|s| !s.busy)?;
        encoder.copy_buffer_to_buffer(
            sums,
            base,
            &self.ring[slot].buffer,
            0,
            (self.count * runs * 4) as u64,
        );
        encoder.clear_buffer(sums, base, Some(size));
        self.ring[slot].busy = true;
        self.pending.push_back((slot, step, self.steps_in_window));
        self.steps_in_window = 0;
        Some(slot)
    }

    /// Starts mapping a staging buffer whose copy has been submitted.
    pub fn map_slot(&self, slot: usize) {
        let flag = self.ring[slot].mapped.clone();
        *flag.lock().unwrap() = None;
        self.ring[slot]
            .buffer
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |r| {
                *flag.lock().unwrap() = Some(r.is_ok());
            });
    }

    /// Turns every landed readback, oldest first, into a metric window.
    fn collect(&mut self, names: &[String], runs: usize) -> Result<()> {
        while let Some(&(slot, step, steps)) = self.pending.front() {
            let state = *self.ring[slot].mapped.lock().unwrap();
            match state {
                None => break,
                Some(false) => {
                    return Err(EngineError::Gpu("mapping a metric buffer failed".into()))
                }
                Some(true) => {}
            }
            self.pending.pop_front();
            let sums: Vec<f32> = {
                let data = self.ring[slot]
                    .buffer
                    .slice(..)
                    .get_mapped_range()
                    .map_err(|e| EngineError::Gpu(format!("metric readback: {e}")))?;
                bytemuck::cast_slice(&data).to_vec()
            };
            self.ring[slot].buffer.unmap();
            self.ring[slot].busy = false;
            let values = (0..self.count)
                .map(|m| {
                    (0..runs)
                        .map(|r| sums[m * runs + r] / steps as f32)
                        .collect()
                })
                .collect();
            self.ready.push_back(MetricWindow {
                step,
                steps,
                names: names.to_vec(),
                values,
            });
        }
        Ok(())
    }
}

/// A future resolved by a wgpu callback.
pub(super) struct Oneshot<T> {
    pub state: Arc<Mutex<(Option<T>, Option<Waker>)>>,
}

impl<T> Future for Oneshot<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut s = self.state.lock().unwrap();
        match s.0.take() {
            Some(v) => Poll::Ready(v),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl GpuExec {
    /// Starts a readback of the metric sums now, whatever the window's length (end of a phase).
    pub fn flush_metrics(&mut self, entry: usize) -> Result<()> {
        let e = &mut self.entries[entry].readback;
        if e.steps_in_window == 0 || e.sums.is_none() {
            return Ok(());
        }
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("flush"),
            });
        let Some(slot) = e.encode_readback(&mut encoder, &self.buffers, self.runs, self.step_host)
        else {
            return Ok(());
        };
        self.ctx.queue.submit([encoder.finish()]);
        self.counters.readbacks += 1;
        e.map_slot(slot);
        self.ctx.check()
    }

    /// The oldest metric window whose readback has landed, without waiting (polls the device).
    pub fn take_metrics(&mut self, entry: usize) -> Result<Option<MetricWindow>> {
        let _ = self.ctx.device.poll(wgpu::PollType::Poll);
        self.collect(entry)?;
        Ok(self.entries[entry].readback.ready.pop_front())
    }

    /// Metric readbacks of `entry` requested but not yet collected.
    pub fn metrics_pending(&self, entry: usize) -> usize {
        let r = &self.entries[entry].readback;
        r.pending.len() + r.ready.len()
    }

    /// Blocks until every readback of `entry` in flight has landed (native only: the browser
    /// can't block; it collects through `take_metrics` on later frames).
    pub fn wait_metrics(&mut self, entry: usize) -> Result<Vec<MetricWindow>> {
        let _ = self.ctx.device.poll(wgpu::PollType::wait_indefinitely());
        self.collect(entry)?;
        Ok(self.entries[entry].readback.ready.drain(..).collect())
    }

    fn collect(&mut self, entry: usize) -> Result<()> {
        self.ctx.check()?;
        let names: Vec<String> = self.program.entries[entry]
            .metrics
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        let runs = self.runs;
        self.entries[entry].readback.collect(&names, runs)
    }

    /// Copies the current values of `t` back (a leaf, or a node an entry computed).
    pub async fn read(&mut self, t: &Tensor) -> Result<Vec<f32>> {
        let v = self.views.get(t.id).copied().flatten().ok_or_else(|| {
            invalid(
                "read",
                format!(
                    "node {} is not stored on the GPU (not computed by any entry)",
                    t.id
                ),
            )
        })?;
        let n = self.nodes[t.id].shape.numel();
        self.read_buffer(v.buffer, v.offset as u64, n).await
    }

    /// Copies `n` values of buffer `buffer` from element `offset` back.
    pub(super) async fn read_buffer(
        &mut self,
        buffer: usize,
        offset: u64,
        n: usize,
    ) -> Result<Vec<f32>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let staging = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read"),
            size: (n * 4) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("read"),
            });
        let (from, base, _) = self.buffers.slot(buffer);
        encoder.copy_buffer_to_buffer(from, base + offset * 4, &staging, 0, (n * 4) as u64);
        self.ctx.queue.submit([encoder.finish()]);
        let state = Arc::new(Mutex::new((None, None::<Waker>)));
        let sink = state.clone();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let mut s = sink.lock().unwrap();
            s.0 = Some(r.is_ok());
            if let Some(w) = s.1.take() {
                w.wake();
            }
        });
        let _ = self.ctx.device.poll(wgpu::PollType::wait_indefinitely());
        let ok = Oneshot { state }.await;
        self.ctx.check()?;
        if !ok {
            return Err(EngineError::Gpu("mapping a readback buffer failed".into()));
        }
        let out = {
            let data = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| EngineError::Gpu(format!("readback: {e}")))?;
            bytemuck::cast_slice(&data).to_vec()
        };
        staging.unmap();
        Ok(out)
    }
}
