//! The GPU backend against the CPU oracle in the browser's WebGPU (headless Chromium; SwiftShader
//! when there is no GPU): every conformance case's values and gradients, and RNG bits. The browser
//! twin of `every_op_matches_the_cpu` and `uniform_draws_are_bit_identical` in `engine_gpu.rs`.
//!
//! Run with `scripts/browser-tests.sh`. Without a WebGPU adapter these tests fail with the reason.
#![cfg(target_arch = "wasm32")]

use methodlab::engine::conformance::{build, cases, max_rel_err};
use methodlab::engine::gpu::{GpuContext, GpuExec};
use methodlab::engine::{CpuExec, Entry, Graph, Program};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The browser's WebGPU device; a missing adapter or device fails the test with the reason.
async fn context() -> GpuContext {
    let ctx = GpuContext::new()
        .await
        .unwrap_or_else(|e| panic!("no WebGPU in this browser: {e}"));
    // The fused kernels are what is tested, on SwiftShader too.
    let ctx = ctx.with_fusion(true);
    console_log!("adapter: {}", ctx.adapter);
    assert!(
        ctx.adapter.contains("BrowserWebGpu"),
        "expected the browser's WebGPU backend, got adapter {}",
        ctx.adapter
    );
    ctx
}

#[wasm_bindgen_test]
async fn every_op_matches_the_cpu() {
    let ctx = context().await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        let built = build(&case).unwrap();
        let mut cpu = CpuExec::new(&built.program).unwrap();
        cpu.run(0, 1).unwrap();
        let mut gpu = GpuExec::new(&ctx, &built.program)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        gpu.run(0, 1)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        for (what, t) in std::iter::once(("output", &built.output))
            .chain(built.grads.iter().map(|g| ("gradient", g)))
        {
            let want = cpu.read(t).unwrap();
            let got = gpu
                .read(t)
                .await
                .unwrap_or_else(|e| panic!("{} {what}: {e}", case.name));
            let err = max_rel_err(&got, &want);
            checked += 1;
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
    console_log!(
        "checked {checked} tensors, {} beyond their tolerance",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[wasm_bindgen_test]
async fn uniform_draws_are_bit_identical() {
    let ctx = context().await;
    let g = Graph::new(3, 2024);
    let step = g.step_counter().unwrap();
    let u = g.random_uniform(&[3, 1000], 0.0, 1.0, Some(&step)).unwrap();
    let p = Program::new(&g, vec![Entry::new("draw").output(&u).advancing_step()]).unwrap();
    let mut cpu = CpuExec::new(&p).unwrap();
    let mut gpu = GpuExec::new(&ctx, &p).await.unwrap();
    for _ in 0..3 {
        cpu.run(0, 1).unwrap();
        gpu.run(0, 1).unwrap();
        let (a, b) = (cpu.read(&u).unwrap(), gpu.read(&u).await.unwrap());
        let bits_a: Vec<u32> = a.iter().map(|v| v.to_bits()).collect();
        let bits_b: Vec<u32> = b.iter().map(|v| v.to_bits()).collect();
        assert_eq!(bits_a, bits_b);
    }
}
