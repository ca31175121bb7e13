// End-to-end: the browser's WebGPU path gives the CPU's numbers. A few labs' smoke links
// (tests/labs.rs runs every method natively) are trained in the page on the CPU and on WebGPU
// (SwiftShader here) with kernel fusion forced on (`?fusion=on`, the path a hardware GPU
// takes), and every final metric agrees within the native agreement test's tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, stopped, exportJson, methodlab } from './lab-helpers.mjs';

useBrowser();

/// tests/labs.rs's AGREEMENT: relative to max(1, |CPU value|).
const TOLERANCE = 1e-3;

/// Opens `link` with fusion forced on (or `search`), plays it to its end and exports its reports.
async function train(link, backend, badge, search = '?fusion=on') {
  const { page, errors } = await open(`${search}#${link}&backend=${backend}`, { downloads: true });
  const said = await page.textContent('#backend-badge');
  assert.match(said, badge, `badge says ${said}`);
  await page.click('#play');
  await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) > 0, null, { timeout: 300_000 });
  await stopped(page);
  const report = await exportJson(page);
  assert.deepEqual(errors, []);
  await page.close();
  return report;
}

const LINKS = [
  ['basics', 'points=50&steps=20&methods=plain,adam,l2'],
  ['continual', 'tasks=3&steps=10&width=8&methods=naive,ewc,online_ewc'],
  ['ssl', 'dim=4&width=8&batch=8&steps=4&methods=simclr,byol,simsiam'],
];

// Each lab on the fused kernels, and on the step kernel (`?step=on`: many training steps in
// one dispatch, an interpreter Chromium's compiler must accept as well as naga does).
for (const [path, search, badge] of [
  ['fusion on', '?fusion=on', /^WebGPU \(.*\bfused\)/],
  ['the step kernel', '?step=on', /^WebGPU \(.*\bstep kernel\)/],
]) for (const [lab, query] of LINKS) {
  test(`${lab}: WebGPU with ${path} ends where the CPU does`, async () => {
    const link = `#/${lab}?v=1&runs=2&${query}`;
    const cpu = await train(link, 'cpu', /^CPU/);
    const gpu = await train(link, 'gpu', badge, search);
    assert.match(gpu.backend, /gpu/i, `the GPU page trained on ${gpu.backend}`);
    assert.equal(gpu.runs.length, cpu.runs.length);
    const off = [];
    gpu.runs.forEach((g, i) => {
      const c = cpu.runs[i];
      assert.equal(g.method, c.method);
      assert.equal(g.status, c.status);
      assert.deepEqual(Object.keys(g.final).sort(), Object.keys(c.final).sort());
      for (const [name, want] of Object.entries(c.final)) {
        const got = g.final[name];
        const err = got === want ? 0 : Math.abs(got - want) / Math.max(1, Math.abs(want));
        if (!(err <= TOLERANCE)) off.push(`${g.method} seed ${g.seed} ${name}: ${got} (cpu ${want})`);
      }
    });
    assert.deepEqual(off, [], `disagreements on ${link}`);
  });
}

test("the page's CPU (wasm) ends where the CLI does", async () => {
  // Layers wide enough for every matmul kernel's tiles and their edges (the wasm build's tiles
  // are narrower than the native ones). Not bit for bit: the wasm build's exp and ln are the
  // engine's own (engine/src/math.rs), within an ulp of the platform's that the CLI uses, so a
  // run drifts by a few ulps; a kernel that summed in another order or missed a tile's edge
  // would be far outside this tolerance only for the second, so the native test
  // `blocked_products_give_the_definitions_bits` pins the order.
  const link = '#/basics?v=1&runs=2&methods=plain,adam&layers=2&units=21&batch=37&steps=60&backend=cpu';
  const cli = JSON.parse(methodlab(['run', link]));
  const { page } = await open(link, { downloads: true });
  await page.click('#play');
  await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) >= 60, null, { timeout: 120_000 });
  await stopped(page);
  const report = await exportJson(page);
  assert.equal(report.runs.length, cli.runs.length);
  for (const [i, run] of report.runs.entries()) {
    const want = cli.runs[i];
    assert.equal(run.method, want.method);
    for (const [metric, value] of Object.entries(want.final)) {
      const got = run.final[metric];
      assert.ok(Math.abs(got - value) <= 1e-5 * Math.max(1, Math.abs(value)), `${run.method} run ${i} ${metric}: page ${got}, CLI ${value}`);
    }
  }
  await page.close();
});
