// What this browser's WebGPU can do at best, for reading the engine's figures: multiply-adds per
// second of a kernel that only computes (no memory traffic), and the cost of one empty dispatch.
// On a software GPU (SwiftShader) these bound any engine's steps/s. Figures, not assertions.
// Usage: node tests/e2e/gpu-ceiling.mjs (WebGPU wants a secure context: the page is served on
// loopback from tests/e2e, nothing of the app is loaded).
import { chromium } from 'playwright-core';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

const server = await serveDist(new URL('.', import.meta.url).pathname);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const result = await page.evaluate(async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return { error: 'no WebGPU adapter' };
    const device = await adapter.requestDevice();
    const info = adapter.info ?? {};
    const out = device.createBuffer({ size: 4 * 65536 * 4, usage: GPUBufferUsage.STORAGE });
    const pipeline = (code) => device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
    });
    // Each invocation: `iters` steps of 4 independent vec4 multiply-adds (64 MACs per step).
    const fma = pipeline(`
      @group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
      override ITERS: u32 = 256u;
      @compute @workgroup_size(64)
      fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
        let s = f32(gid.x) * 1e-6;
        var a = vec4<f32>(s, s + 1.0, s + 2.0, s + 3.0);
        var b = a * 0.5; var c = a * 0.25; var d = a * 0.125;
        let m = vec4<f32>(0.999, 0.998, 0.997, 0.996);
        let k = vec4<f32>(0.001, 0.002, 0.003, 0.004);
        for (var i = 0u; i < ITERS; i = i + 1u) {
          a = a * m + k; b = b * m + k; c = c * m + k; d = d * m + k;
          a = a * m + k; b = b * m + k; c = c * m + k; d = d * m + k;
          a = a * m + k; b = b * m + k; c = c * m + k; d = d * m + k;
          a = a * m + k; b = b * m + k; c = c * m + k; d = d * m + k;
        }
        out[gid.x] = a + b + c + d;
      }`);
    const empty = pipeline(`
      @group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
      @compute @workgroup_size(64)
      fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
        if (gid.x == 0xffffffffu) { out[0] = vec4<f32>(1.0); }
      }`);
    const time = async (p, groups, dispatches) => {
      const bind = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] });
      const run = async (n) => {
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(p);
        pass.setBindGroup(0, bind);
        for (let i = 0; i < n; i++) pass.dispatchWorkgroups(groups);
        pass.end();
        device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
      };
      await run(1);
      const t0 = performance.now();
      await run(dispatches);
      return (performance.now() - t0) / 1000;
    };
    const groups = 1024; // 65,536 invocations
    const secs = await time(fma, groups, 4);
    const macs = 4 * groups * 64 * 256 * 64;
    const emptySecs = await time(empty, 1, 200);
    return {
      adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' '),
      gmac_per_s: macs / secs / 1e9,
      empty_dispatch_us: (emptySecs / 200) * 1e6,
    };
  });
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  server.close();
}
