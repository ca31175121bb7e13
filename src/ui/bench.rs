//! The page-level engine benchmark: the bench workloads trained in this browser on the CPU
//! backend (wasm) and on WebGPU, with the same figures as `methodlab bench`. Opening
//! `#/bench?auto` runs it at once and prints the figures as JSON into `#bench-json`.

use super::browser::{fragment, now_ms, yield_now};
use super::{BackendStatus, SharedGpu};
use crate::bench::{mean, profile_table, windows_mean, Figure, Measurement, Workload};
use crate::engine::gpu::GpuExec;
use crate::engine::{CpuExec, EngineError, MetricWindow};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Seconds each (backend, workload, runs) cell trains for.
const BUDGET_S: f64 = 2.0;
const RUNS: [usize; 2] = [1, 16];

/// Trains on the CPU backend in batches of ~50 ms, yielding between them so the page paints.
async fn bench_cpu(w: Workload, runs: usize) -> Result<Figure, EngineError> {
    let mut exec = CpuExec::new(&w.program(runs, 1)?)?;
    exec.run(0, 1)?;
    let before = exec.counters();
    let start = now_ms();
    let mut steps = 0u64;
    let mut batch = 1u32;
    while now_ms() - start < BUDGET_S * 1000.0 {
        let t0 = now_ms();
        exec.run(0, batch)?;
        steps += batch as u64;
        if now_ms() - t0 < 50.0 {
            batch = (batch * 2).min(100_000);
        }
        yield_now().await;
    }
    let seconds = (now_ms() - start) / 1000.0;
    let after = exec.counters();
    // Outside the timing: the mean loss of 100 more steps, where training got to rather than the
    // mean over the whole timed run.
    exec.take_metrics(0);
    exec.run(0, 100)?;
    let loss = exec
        .take_metrics(0)
        .map(|m| mean(&m.values[0]))
        .unwrap_or(f32::NAN);
    let m = Measurement {
        steps,
        seconds,
        before,
        after,
        last_loss: loss,
    };
    Ok(Figure::new("cpu (wasm)", w, runs, m))
}

/// The page's WebGPU context, or why there is none. Fused on every adapter, as `methodlab bench`
/// is (the lab pages fuse only on hardware ones); `#/bench?nofusion` measures without, and
/// `#/bench?step` on the step kernel.
fn device(gpu: &SharedGpu) -> Result<crate::engine::gpu::GpuContext, EngineError> {
    let flags = fragment();
    let flag = |f: &str| flags.split(['?', '&']).any(|k| k == f);
    gpu.borrow()
        .clone()
        .map(|ctx| ctx.with_fusion(!flag("nofusion")).with_step(flag("step")))
        .ok_or_else(|| EngineError::NoGpu("no WebGPU device".into()))
}

/// Trains on WebGPU, waiting for the device after each batch so the time is the device's.
async fn bench_gpu(
    gpu: &SharedGpu,
    adapter: &str,
    w: Workload,
    runs: usize,
) -> Result<Figure, EngineError> {
    let ctx = device(gpu)?;
    let mut exec = GpuExec::new(&ctx, &w.program(runs, 1)?).await?;
    exec.run(0, 1)?;
    exec.finish().await?;
    let before = exec.counters();
    let start = now_ms();
    let mut steps = 0u64;
    let mut batch = 1u32;
    while now_ms() - start < BUDGET_S * 1000.0 {
        let t0 = now_ms();
        exec.run(0, batch)?;
        exec.finish().await?;
        steps += batch as u64;
        if now_ms() - t0 < 50.0 {
            batch = (batch * 2).min(100_000);
        }
    }
    let seconds = (now_ms() - start) / 1000.0;
    let after = exec.counters();
    // Outside the timing, as on the CPU: the mean loss of 100 more steps. The windows in flight
    // are collected first and what the sums hold since is read back on its own, so the last
    // windows hold just those steps (a flush with every staging buffer busy is dropped).
    landed(&mut exec).await?;
    exec.flush_metrics(0)?;
    landed(&mut exec).await?;
    exec.run(0, 100)?;
    exec.flush_metrics(0)?;
    let loss = windows_mean(&landed(&mut exec).await?);
    let m = Measurement {
        steps,
        seconds,
        before,
        after,
        last_loss: loss,
    };
    let backend = if adapter.is_empty() {
        "webgpu".to_string()
    } else {
        format!("webgpu ({adapter})")
    };
    Ok(Figure::new(&backend, w, runs, m))
}

/// Every metric window of entry 0 requested so far, once landed (the browser maps them between
/// tasks, so this yields until none is pending, for 10 s at most).
async fn landed(exec: &mut GpuExec) -> Result<Vec<MetricWindow>, EngineError> {
    exec.finish().await?;
    let mut windows = Vec::new();
    let start = now_ms();
    while exec.metrics_pending(0) > 0 && now_ms() - start < 10_000.0 {
        match exec.take_metrics(0)? {
            Some(w) => windows.push(w),
            None => yield_now().await,
        }
    }
    Ok(windows)
}

/// One WebGPU step of `w` at `runs` runs, each dispatch timed alone (see `GpuExec::profile`).
async fn profile_gpu(gpu: &SharedGpu, w: Workload, runs: usize) -> Result<String, EngineError> {
    let ctx = device(gpu)?;
    let mut exec = GpuExec::new(&ctx, &w.program(runs, 1)?).await?;
    exec.run(0, 3)?;
    exec.finish().await?;
    let dispatches = exec.profile(0, 50, now_ms).await?;
    Ok(profile_table(
        &format!("profile {} R={runs}", w.name()),
        &dispatches,
    ))
}

#[component]
pub fn BenchPage(gpu: SharedGpu, backend: ReadSignal<BackendStatus>) -> impl IntoView {
    let (rows, set_rows) = signal(Vec::<Figure>::new());
    let (status, set_status) = signal(String::from("idle"));
    let (json, set_json) = signal(String::new());
    let (running, set_running) = signal(false);
    let (profile, set_profile) = signal(String::new());

    let start = {
        let gpu = gpu.clone();
        move || {
            if running.get_untracked() {
                return;
            }
            set_running.set(true);
            set_rows.set(Vec::new());
            let gpu = gpu.clone();
            spawn_local(async move {
                // Wait for the WebGPU check so the GPU rows are not skipped by a race.
                while backend.get_untracked() == BackendStatus::Checking {
                    yield_now().await;
                }
                let adapter = gpu.borrow().as_ref().map(super::browser::adapter_name);
                let mut figures = Vec::new();
                for runs in RUNS {
                    let w = Workload::Playground;
                    set_status.set(format!("CPU, {runs} run(s)…"));
                    yield_now().await;
                    match bench_cpu(w, runs).await {
                        Ok(f) => figures.push(f),
                        Err(e) => set_status.set(format!("CPU failed: {e}")),
                    }
                    set_rows.set(figures.clone());
                    if let Some(name) = &adapter {
                        set_status.set(format!("WebGPU, {runs} run(s)…"));
                        yield_now().await;
                        match bench_gpu(&gpu, name, w, runs).await {
                            Ok(f) => figures.push(f),
                            Err(e) => set_status.set(format!("WebGPU failed: {e}")),
                        }
                        set_rows.set(figures.clone());
                    }
                }
                // `#/bench?profile`: where one WebGPU step's time goes, kernel by kernel.
                if fragment().contains("profile") && adapter.is_some() {
                    let mut text = String::new();
                    for runs in RUNS {
                        set_status.set(format!("profiling WebGPU, {runs} run(s)…"));
                        match profile_gpu(&gpu, Workload::Playground, runs).await {
                            Ok(t) => text += &t,
                            Err(e) => text += &format!("profile with {runs} run(s) failed: {e}\n"),
                        }
                        set_profile.set(text.clone());
                    }
                }
                let text = serde_json::to_string(&figures).unwrap_or_default();
                super::browser::console_log(&format!("methodlab-bench {text}"));
                set_json.set(text);
                set_status.set("done".into());
                set_running.set(false);
            });
        }
    };
    if fragment().contains("auto") {
        start();
    }
    let click = start.clone();
    view! {
        <section class="panel">
            <h2>"Engine benchmark"</h2>
            <p class="help">
                "TensorFlow Playground's network (2→64→64→1 tanh, MSE, SGD, batch 32 over the Basics lab's 250-point spiral), "
                "trained here on each backend for " {BUDGET_S} " s with 1 and 16 runs sharing every kernel."
            </p>
            <button id="bench-run" on:click=move |_| click() disabled=move || running.get()>"Run benchmark"</button>
            <span class="status" id="bench-status">{move || status.get()}</span>
            <table class="figures">
                <thead>
                    <tr>
                        <th>"backend"</th><th>"runs"</th><th>"steps/s"</th><th>"dispatches/step"</th>
                        <th>"bytes uploaded/step"</th><th>"readbacks/1000"</th><th>"loss"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || rows.get().into_iter().map(|f| { let dispatches = f.dispatches(); view! {
                        <tr>
                            <td>{f.backend}</td>
                            <td>{f.runs}</td>
                            <td>{format!("{:.0}", f.steps_per_s)}</td>
                            <td>{dispatches}</td>
                            <td>{format!("{:.0}", f.upload_bytes_per_step)}</td>
                            <td>{format!("{:.1}", f.readbacks_per_1000)}</td>
                            <td>{format!("{:.4}", f.last_loss)}</td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
            <pre id="bench-json">{move || json.get()}</pre>
            <pre id="bench-profile">{move || profile.get()}</pre>
        </section>
    }
}
