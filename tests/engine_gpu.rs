//! The GPU backend against the CPU oracle on a real wgpu device (Mesa's lavapipe when there is no
//! GPU): every conformance case's values and gradients, RNG bits, optimizers, replay and memory.
//!
//! Without any adapter these tests fail with the reason, unless METHODLAB_SKIP_GPU=1 is set.

use methodlab::engine::conformance::{build, cases, max_rel_err};
use methodlab::engine::gpu::{GpuContext, GpuExec};
use methodlab::engine::{nn, CpuExec, Entry, Graph, OptimizerKind, Program};

/// Held shared by every test here, and alone by the one that measures the process's memory.
static ALONE: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    ALONE.read().unwrap_or_else(|e| e.into_inner())
}

fn context() -> Option<GpuContext> {
    match pollster::block_on(GpuContext::new()) {
        // Fused kernels are what is tested, software adapter or not.
        // METHODLAB_FUSION=off tests the unfused kernels instead.
        Ok(ctx) => Some(methodlab::device::with_fusion_from_env(ctx, Some(true)).unwrap()),
        Err(e) if std::env::var("METHODLAB_SKIP_GPU").is_ok() => {
            eprintln!("skipping GPU test: {e}");
            None
        }
        Err(e) => panic!("{e} (install mesa-vulkan-drivers, or set METHODLAB_SKIP_GPU=1)"),
    }
}

#[test]
fn every_op_matches_the_cpu() {
    let _shared = shared();
    let Some(ctx) = context() else { return };
    every_op_matches_the_cpu_on(&ctx);
}

/// The conformance suite on the step kernel: every op run by the interpreter in one dispatch,
/// a workgroup per run.
#[test]
fn every_op_matches_the_cpu_on_the_step_kernel() {
    let _shared = shared();
    let Some(ctx) = context() else { return };
    every_op_matches_the_cpu_on(&ctx.with_step(true));
}

fn every_op_matches_the_cpu_on(ctx: &GpuContext) {
    eprintln!("adapter: {}", ctx.describe());
    let mut failures = Vec::new();
    let mut stepped = 0;
    for case in cases() {
        let built = build(&case).unwrap();
        let mut cpu = CpuExec::new(&built.program).unwrap();
        cpu.run(0, 1).unwrap();
        let mut gpu = pollster::block_on(GpuExec::new(ctx, &built.program))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        // Only a case that mixes runs (a parameter shared by every run, a sum over runs) may
        // take the per-op path, and it says so.
        let mixes_runs = gpu.path().ends_with("across runs") || gpu.path().contains("shared by");
        if ctx.step
            && gpu.path() != "step kernel"
            && !(built.program.graph.runs() > 1 && mixes_runs)
        {
            failures.push(format!("{}: {}", case.name, gpu.path()));
        }
        stepped += (gpu.path() == "step kernel") as usize;
        gpu.run(0, 1).unwrap();
        for (what, t) in std::iter::once(("output", &built.output))
            .chain(built.grads.iter().map(|g| ("gradient", g)))
        {
            let want = cpu.read(t).unwrap();
            let got = pollster::block_on(gpu.read(t)).unwrap();
            let err = max_rel_err(&got, &want);
            if err > case.tolerance {
                failures.push(format!(
                    "{} {what}: relative error {err:e} (tolerance {:e})\n  gpu {:?}\n  cpu {:?}",
                    case.name,
                    case.tolerance,
                    &got[..got.len().min(8)],
                    &want[..want.len().min(8)]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    if ctx.step {
        eprintln!("{stepped} of {} cases on the step kernel", cases().len());
    }
}

#[test]
fn uniform_draws_are_bit_identical() {
    let _shared = shared();
    let Some(ctx) = context() else { return };
    let g = Graph::new(3, 2024);
    let step = g.step_counter().unwrap();
    let u = g.random_uniform(&[3, 1000], 0.0, 1.0, Some(&step)).unwrap();
    let p = Program::new(&g, vec![Entry::new("draw").output(&u).advancing_step()]).unwrap();
    let mut cpu = CpuExec::new(&p).unwrap();
    let mut gpu = pollster::block_on(GpuExec::new(&ctx, &p)).unwrap();
    for _ in 0..3 {
        cpu.run(0, 1).unwrap();
        gpu.run(0, 1).unwrap();
        let (a, b) = (
            cpu.read(&u).unwrap(),
            pollster::block_on(gpu.read(&u)).unwrap(),
        );
        let bits_a: Vec<u32> = a.iter().map(|v| v.to_bits()).collect();
        let bits_b: Vec<u32> = b.iter().map(|v| v.to_bits()).collect();
        assert_eq!(bits_a, bits_b);
    }
}

/// Two spirals, 2→64→64→2 tanh, Adam: the figure from the engine issue.
fn spirals(runs: usize) -> (Graph, Program, methodlab::engine::Tensor) {
    let n = 200;
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..n {
        let class = i % 2;
        let t = (i / 2) as f32 / (n / 2) as f32 * 3.0 * std::f32::consts::PI;
        let r = 0.2 + t / (3.0 * std::f32::consts::PI) * 1.8;
        let sign = if class == 0 { 1.0 } else { -1.0 };
        x.push(sign * r * t.cos());
        x.push(sign * r * t.sin());
        y.push(class as f32);
    }
    let g = Graph::new(runs, 1);
    let xs = g.input("x", &[1, n, 2], x).unwrap();
    let ys = g.input("y", &[1, n], y).unwrap();
    let step = g.step_counter().unwrap();
    let idx = g.random_index(&[runs, 64], n, Some(&step)).unwrap();
    let xb = xs.gather_rows(&idx).unwrap();
    let yb = ys
        .reshape(&[1, n, 1])
        .unwrap()
        .gather_rows(&idx)
        .unwrap()
        .reshape(&[runs, 64])
        .unwrap();
    let mlp = nn::Mlp::new(&g, "mlp", &[2, 64, 64, 2], nn::Activation::Tanh).unwrap();
    let loss = nn::cross_entropy(&mlp.forward(&xb).unwrap(), &yb).unwrap();
    let lr = g.per_run("lr", &[0.01]).unwrap();
    let train = Entry::new("train")
        .metric("loss", &loss)
        .minimize(&loss, &mlp.params(), OptimizerKind::adam(), &lr)
        .unwrap();
    let acc = nn::accuracy(&mlp.forward(&xs).unwrap(), &ys).unwrap();
    let eval = Entry::new("eval").output(&acc);
    let p = Program::new(&g, vec![train, eval]).unwrap();
    (g, p, acc)
}

#[test]
fn spirals_train_alike_on_both_backends() {
    let _shared = shared();
    let Some(ctx) = context() else { return };
    let (_g, p, acc) = spirals(2);
    let mut cpu = CpuExec::new(&p).unwrap();
    let mut gpu = pollster::block_on(GpuExec::new(&ctx, &p)).unwrap();
    gpu.readback_every = 1;
    gpu.steps_per_submit = 1;
    // Loss curves over the first 200 steps agree within 1e-3 relative.
    for step in 0..200 {
        cpu.run(0, 1).unwrap();
        gpu.run(0, 1).unwrap();
        let c = cpu.take_metrics(0).unwrap();
        let windows = gpu.wait_metrics(0).unwrap();
        let w = windows.last().expect("a readback per step");
        let err = max_rel_err(&w.values[0], &c.values[0]);
        assert!(
            err < 1e-3,
            "step {step}: gpu {:?} cpu {:?}",
            w.values[0],
            c.values[0]
        );
    }
    gpu.readback_every = 100;
    gpu.steps_per_submit = 16;
    cpu.run(0, 2800).unwrap();
    gpu.run(0, 2800).unwrap();
    cpu.run(1, 1).unwrap();
    gpu.run(1, 1).unwrap();
    let (a_cpu, a_gpu) = (
        cpu.read(&acc).unwrap(),
        pollster::block_on(gpu.read(&acc)).unwrap(),
    );
    for a in a_cpu.iter().chain(&a_gpu) {
        assert!(
            *a >= 0.95,
            "two-spirals training accuracy cpu {a_cpu:?} gpu {a_gpu:?}"
        );
    }
}

/// Resident memory of this process, in KiB (Linux), to catch driver-side leaks too.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn replay_allocates_nothing_and_uploads_nothing() {
    // Alone: its resident-memory check sees the whole process, and another test compiling
    // kernels beside it (lavapipe compiles each with LLVM) grows that by tens of MiB.
    let _alone = ALONE.write().unwrap_or_else(|e| e.into_inner());
    let Some(ctx) = context() else { return };
    // A small regression step (a dozen dispatches) so 100,000 steps fit in a test on lavapipe.
    let g = Graph::new(4, 9);
    let step = g.step_counter().unwrap();
    let x = g.random_normal(&[4, 16, 2], 0.0, 1.0, Some(&step)).unwrap();
    let w_true = g.input("w_true", &[1, 2, 1], vec![1.5, -0.5]).unwrap();
    let y = x.matmul(&w_true).unwrap();
    let w = g.param("w", &[4, 2, 1], vec![0.0; 8]).unwrap();
    let loss = nn::mse(&x.matmul(&w).unwrap(), &y).unwrap();
    let lr = g.per_run("lr", &[0.05, 0.1, 0.2, 0.01]).unwrap();
    let train = Entry::new("train")
        .metric("loss", &loss)
        .minimize(
            &loss,
            std::slice::from_ref(&w),
            OptimizerKind::sgd(0.5),
            &lr,
        )
        .unwrap();
    let p = Program::new(&g, vec![train]).unwrap();
    let mut gpu = pollster::block_on(GpuExec::new(&ctx, &p)).unwrap();
    gpu.steps_per_submit = 100;
    gpu.run(0, 1000).unwrap();
    gpu.wait_metrics(0).unwrap();
    let before = gpu.live_buffers();
    let uploads = gpu.counters().upload_bytes;
    let rss_before = resident_kib();
    for _ in 0..99 {
        gpu.run(0, 1000).unwrap();
        while gpu.take_metrics(0).unwrap().is_some() {}
    }
    let last = gpu.wait_metrics(0).unwrap();
    assert_eq!(
        gpu.live_buffers(),
        before,
        "(buffers, bytes) after 100,000 steps"
    );
    assert_eq!(
        gpu.counters().upload_bytes,
        uploads,
        "bytes uploaded while replaying"
    );
    let c = gpu.counters();
    assert_eq!(c.steps, 100_000);
    assert!(c.readbacks * 1000 <= 10 * c.steps, "{c:?}");
    if let (Some(a), Some(b)) = (rss_before, resident_kib()) {
        assert!(
            b < a + 32 * 1024,
            "resident memory grew from {a} KiB to {b} KiB"
        );
    }
    // And it learned: every run's loss went to ~0.
    if let Some(w) = last.last() {
        assert!(w.values[0].iter().all(|l| *l < 1e-6), "{:?}", w.values);
    }
}

/// Fusion at record time: a product with its bias add and activation is one dispatch, a chain of
/// maps another; a value an entry keeps is stored, so it ends a chain. Values match the CPU's.
#[test]
fn chains_fuse_into_one_dispatch_each() {
    let _shared = shared();
    let Some(ctx) = context() else { return };
    let g = Graph::new(3, 5);
    let data = |n: usize, k: u32| -> Vec<f32> {
        (0..n)
            .map(|i| methodlab::engine::rng::uniform(9, k, 0, i as u32) * 2.0 - 1.0)
            .collect()
    };
    let x = g.param("x", &[3, 13, 6], data(3 * 13 * 6, 1)).unwrap();
    let w = g.param("w", &[1, 6, 9], data(6 * 9, 2)).unwrap();
    let bias = g.param("b", &[1, 1, 9], data(9, 3)).unwrap();
    let h = x.matmul(&w).unwrap().add(&bias).unwrap().tanh().unwrap();
    let scale = g.scalar(0.5).unwrap();
    let y = h
        .mul(&scale)
        .unwrap()
        .sigmoid()
        .unwrap()
        .clamp(0.1, 0.9)
        .unwrap();
    let cases = [
        (
            vec![&y],
            1,
            "product + bias + tanh + scale + sigmoid + clamp",
        ),
        (vec![&h, &y], 2, "the same, h kept"),
    ];
    for (outputs, want, what) in cases {
        let mut entry = Entry::new("forward");
        for t in &outputs {
            entry = entry.output(t);
        }
        let p = Program::new(&g, vec![entry]).unwrap();
        let mut gpu = pollster::block_on(GpuExec::new(&ctx, &p)).unwrap();
        assert_eq!(gpu.dispatches_per_step(0), want, "{what}");
        let mut cpu = CpuExec::new(&p).unwrap();
        cpu.run(0, 1).unwrap();
        gpu.run(0, 1).unwrap();
        for t in outputs {
            let err = max_rel_err(
                &pollster::block_on(gpu.read(t)).unwrap(),
                &cpu.read(t).unwrap(),
            );
            assert!(err < 1e-5, "{what}: relative error {err}");
        }
    }
    // A layer's bias gradient is summed by its weight gradient's dispatch, and the epilogues
    // carry the backward chain: the kernels say so, and the gradients match the CPU's.
    let target = g.input("t", &[3, 13, 9], data(3 * 13 * 9, 4)).unwrap();
    let loss = y
        .sub(&target)
        .unwrap()
        .square()
        .unwrap()
        .sum_per_run()
        .unwrap();
    let grads = methodlab::engine::grad(&loss, &[w.clone(), bias.clone()]).unwrap();
    let mut entry = Entry::new("backward").output(&loss);
    for t in &grads {
        entry = entry.output(t);
    }
    let p = Program::new(&g, vec![entry]).unwrap();
    let mut gpu = pollster::block_on(GpuExec::new(&ctx, &p)).unwrap();
    let kernels: Vec<&str> = pollster::block_on(gpu.profile(0, 1, || 0.0))
        .unwrap()
        .into_iter()
        .map(|(k, _, _)| k)
        .collect();
    assert!(kernels.contains(&"matmul_sum_f32"), "{kernels:?}");
    assert!(kernels.contains(&"matmul_fused_f32"), "{kernels:?}");
    let mut cpu = CpuExec::new(&p).unwrap();
    cpu.run(0, 1).unwrap();
    gpu.run(0, 1).unwrap();
    for t in std::iter::once(&loss).chain(&grads) {
        let err = max_rel_err(
            &pollster::block_on(gpu.read(t)).unwrap(),
            &cpu.read(t).unwrap(),
        );
        assert!(err < 1e-5, "backward: relative error {err}");
    }
    // Inside a chain nothing is stored: reading it says so.
    let inner = x.matmul(&w).unwrap().add(&bias).unwrap();
    let out = inner.tanh().unwrap();
    let p = Program::new(&g, vec![Entry::new("forward").output(&out)]).unwrap();
    let mut gpu = pollster::block_on(GpuExec::new(&ctx, &p)).unwrap();
    assert_eq!(gpu.dispatches_per_step(0), 1);
    gpu.run(0, 1).unwrap();
    assert!(pollster::block_on(gpu.read(&inner)).is_err());
}

#[test]
fn dispatches_per_step_do_not_grow_with_runs() {
    let _shared = shared();
    let Some(ctx) = context() else { return };
    let counts: Vec<usize> = [1, 4, 16]
        .iter()
        .map(|&r| {
            pollster::block_on(GpuExec::new(&ctx, &spirals(r).1))
                .unwrap()
                .dispatches_per_step(0)
        })
        .collect();
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
}

#[test]
fn divergence_is_flagged_per_run_on_the_gpu() {
    let _shared = shared();
    let Some(ctx) = context() else { return };
    let g = Graph::new(3, 0);
    let theta = g.param("theta", &[3, 1], vec![1.0, 1.0, 1.0]).unwrap();
    let lr = g.per_run("lr", &[0.1, 1e3, 0.5]).unwrap();
    let loss = theta
        .square()
        .unwrap()
        .mul_scalar(0.5)
        .unwrap()
        .sum_per_run()
        .unwrap();
    let e = Entry::new("t")
        .metric("loss", &loss)
        .minimize(
            &loss,
            std::slice::from_ref(&theta),
            OptimizerKind::sgd(0.0),
            &lr,
        )
        .unwrap();
    let mut gpu =
        pollster::block_on(GpuExec::new(&ctx, &Program::new(&g, vec![e]).unwrap())).unwrap();
    gpu.run(0, 50).unwrap();
    gpu.flush_metrics(0).unwrap();
    let w = gpu.wait_metrics(0).unwrap().pop().unwrap();
    assert_eq!(w.diverged(), vec![false, true, false], "{:?}", w.values);
}

#[test]
fn a_lost_device_is_an_error_not_a_panic() {
    // Its own device: destroying it must not disturb the other tests' devices.
    let _shared = shared();
    let Some(ctx) = context() else { return };
    let (_g, p, _) = spirals(1);
    let mut gpu = pollster::block_on(GpuExec::new(&ctx, &p)).unwrap();
    gpu.run(0, 2).unwrap();
    ctx.device.destroy();
    let _ = ctx.device.poll(wgpu::PollType::wait_indefinitely());
    let err = gpu.run(0, 2).and_then(|_| gpu.wait_idle()).unwrap_err();
    assert!(
        matches!(
            err,
            methodlab::engine::EngineError::DeviceLost(_) | methodlab::engine::EngineError::Gpu(_)
        ),
        "{err}"
    );
}

#[test]
fn fused_optimizers_match_the_cpu_with_odd_sizes_and_per_run_rates() {
    let _shared = shared();
    let Some(ctx) = context() else { return };
    // Parameters of sizes that are not multiples of a workgroup, each run with its own rate:
    // every element must find its parameter and its run's rate in the fused kernel.
    for kind in [
        OptimizerKind::sgd(0.9),
        OptimizerKind::adam(),
        OptimizerKind::adamw(0.1),
    ] {
        let runs = 3;
        let g = Graph::new(runs, 5);
        let shapes: [&[usize]; 3] = [&[runs, 3, 70], &[runs, 1, 70], &[runs, 70, 1]];
        let inits: Vec<Vec<f32>> = shapes
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let n: usize = d.iter().product();
                (0..n)
                    .map(|k| ((k * 7 + i) % 11) as f32 / 11.0 - 0.5)
                    .collect()
            })
            .collect();
        let params: Vec<_> = shapes
            .iter()
            .zip(&inits)
            .enumerate()
            .map(|(i, (d, init))| g.param(&format!("p{i}"), d, init.clone()).unwrap())
            .collect();
        let x = g
            .input("x", &[1, 4, 3], (0..12).map(|k| k as f32 / 12.0).collect())
            .unwrap();
        let h = x
            .matmul(&params[0])
            .unwrap()
            .add(&params[1])
            .unwrap()
            .tanh()
            .unwrap();
        let loss = h
            .matmul(&params[2])
            .unwrap()
            .square()
            .unwrap()
            .mean_per_run()
            .unwrap();
        let lr = g.per_run("lr", &[0.01, 0.05, 0.002]).unwrap();
        let train = Entry::new("train")
            .minimize(&loss, &params, kind.clone(), &lr)
            .unwrap();
        let p = Program::new(&g, vec![train]).unwrap();
        let mut cpu = CpuExec::new(&p).unwrap();
        let mut gpu = pollster::block_on(GpuExec::new(&ctx, &p)).unwrap();
        cpu.run(0, 20).unwrap();
        gpu.run(0, 20).unwrap();
        for (t, init) in params.iter().zip(&inits) {
            let (want, got) = (
                cpu.read(t).unwrap(),
                pollster::block_on(gpu.read(t)).unwrap(),
            );
            let err = max_rel_err(&got, &want);
            assert!(
                err < 1e-4,
                "{kind:?} {:?}: relative error {err:e}",
                t.dims()
            );
            // Every run moved its parameters.
            for r in 0..runs {
                let n = want.len() / runs;
                let moved = (r * n..(r + 1) * n).any(|k| (want[k] - init[k]).abs() > 1e-6);
                assert!(moved, "{kind:?} {:?}: run {r} did not move", t.dims());
            }
        }
    }
}

/// A program with a tensor larger than the device binds: when its runs can be cut apart it runs
/// as slices of its runs, each within the binding, and computes the CPU's numbers; a single run
/// past the binding is refused when it is built, with a message naming the sizes, never a
/// validation error from a dispatch or a panic. (A context asks the adapter for its own binding
/// size, so this is only reached past the adapter's limit.)
#[test]
fn a_program_past_the_binding_limit_runs_in_slices_or_says_why() {
    use methodlab::engine::Exec;
    let _shared = shared();
    let Some(ctx) = context() else { return };
    let limit = ctx.device.limits().max_storage_buffer_binding_size as usize;
    if limit > 1 << 30 {
        eprintln!("skipping: this adapter binds {limit} bytes");
        return;
    }
    let build = |runs: usize, per_run: usize| {
        let g = Graph::new(runs, 1);
        let init: Vec<f32> = (0..runs * per_run).map(|i| (i % 7) as f32 - 3.0).collect();
        let w = g.param("w", &[runs, per_run], init).unwrap();
        let loss = w.square().unwrap().sum_per_run().unwrap();
        let lr = g
            .per_run(
                "lr",
                &(1..=runs).map(|r| 0.01 * r as f32).collect::<Vec<_>>(),
            )
            .unwrap();
        let e = Entry::new("train")
            .metric("loss", &loss)
            .minimize(
                &loss,
                std::slice::from_ref(&w),
                OptimizerKind::sgd(0.5),
                &lr,
            )
            .unwrap();
        (Program::new(&g, vec![e]).unwrap(), w)
    };
    // Two runs of just over half the binding each: two slices.
    let (program, w) = build(2, limit / 4 / 2 + 64);
    let mut gpu = pollster::block_on(Exec::new(&program, Some(&ctx))).unwrap();
    assert_eq!(gpu.slices_count(), 2);
    let mut cpu = CpuExec::new(&program).unwrap();
    gpu.run(0, 3).unwrap();
    cpu.run(0, 3).unwrap();
    let (got, want) = (
        pollster::block_on(gpu.read(&w)).unwrap(),
        cpu.read(&w).unwrap(),
    );
    assert!(
        max_rel_err(&got, &want) < 1e-5,
        "the sliced program's weights differ"
    );
    let windows = pollster::block_on(gpu.metrics(0)).unwrap();
    assert_eq!(windows.last().unwrap().values[0].len(), 2, "a loss per run");
    drop(gpu);
    // One run past the binding cannot be cut.
    let (program, _) = build(1, limit / 4 + 64);
    let err = match pollster::block_on(Exec::new(&program, Some(&ctx))) {
        Ok(_) => panic!("a run past the binding limit was built"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("binds at most") && err.contains("1 run)"),
        "{err}"
    );
}

/// A step longer than one dispatch may loop (lavapipe ends an invocation's loops after 65,535
/// iterations in all, silently): 200 elementwise ops over 64 K values a run, 1,024 iterations a
/// thread each, on the step kernel in pieces, ends where the CPU does; so do 6,000 tiny ones.
#[test]
fn a_step_past_the_loop_limit_runs_in_pieces_on_the_step_kernel() {
    let _shared = shared();
    let Some(ctx) = context() else { return };
    let ctx = ctx.with_step(true);
    let runs = 2;
    let g = Graph::new(runs, 7);
    let n = 256;
    let x = g
        .param(
            "x",
            &[runs, n, n],
            (0..runs * n * n).map(|i| (i % 97) as f32 / 97.0).collect(),
        )
        .unwrap();
    let mut y = x.clone();
    for _ in 0..100 {
        y = y.tanh().unwrap().add(&x).unwrap();
    }
    let total = y.sum(2).unwrap();
    let p = Program::new(&g, vec![Entry::new("long").output(&total)]).unwrap();
    let mut cpu = CpuExec::new(&p).unwrap();
    let mut gpu = pollster::block_on(GpuExec::new(&ctx, &p)).unwrap();
    assert_eq!(gpu.path(), "step kernel");
    cpu.run(0, 1).unwrap();
    gpu.run(0, 1).unwrap();
    let (want, got) = (
        cpu.read(&total).unwrap(),
        pollster::block_on(gpu.read(&total)).unwrap(),
    );
    assert!(max_rel_err(&got, &want) < 1e-4, "gpu {got:?} cpu {want:?}");
    assert!(
        gpu.counters().dispatches > 1,
        "one dispatch could not hold it"
    );
}
