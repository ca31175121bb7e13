// Our engine beside TF.js 4.22 on the same training step, in one headless Chromium session: the
// Engine benchmark page's Playground workload (2→64→64→1 tanh, MSE on ±1 labels, plain SGD at
// 0.03, batch 32 drawn from 250 spiral points), then TF.js's cpu, webgl and webgpu backends on the
// same network in the same tab. Prints one table (steps/s, median of rounds, and the loss after
// the run). Figures, not assertions.
//
// TF.js comes from npm into target/peers (`scripts/setup.sh peers`), is served by this script on
// the app's origin, in the same tab after our figures, and is never part of dist/. TensorFlow Playground's own engine
// can't be vendored: its figure (572 steps/s here, 2026-11) is in the README.
// Usage, after `trunk build --release`: node tests/e2e/peers-bench.mjs [dist] [seconds per round]
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

const dist = process.argv[2] ?? 'dist';
const seconds = Number(process.argv[3] ?? 2);
const peers = 'target/peers/node_modules/@tensorflow';
const scripts = {
  'tf.min.js': `${peers}/tfjs/dist/tf.min.js`,
  'tf-backend-webgpu.min.js': `${peers}/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js`,
};
if (!Object.values(scripts).every(existsSync)) {
  console.error('TF.js is missing: run scripts/setup.sh peers');
  process.exit(2);
}

const server = await serveDist(dist);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.route('**/peers/*', (route) => {
    const name = route.request().url().split('/').pop();
    if (name === 'index.html') return route.fulfill({ body: '<!DOCTYPE html><title>peers</title>', contentType: 'text/html' });
    return route.fulfill({ path: scripts[name], contentType: 'text/javascript' });
  });

  // Ours: the benchmark page's own figures for the Playground workload at R = 1.
  await page.goto(base + '#/bench?auto');
  await page.waitForFunction(() => document.querySelector('#bench-status')?.textContent === 'done', null, { timeout: 300_000 });
  const figures = JSON.parse(await page.textContent('#bench-json'));
  const rows = (figures.results ?? figures)
    .filter((r) => r.workload.startsWith('playground') && r.runs === 1)
    .map((r) => ({ engine: `methodlab ${r.backend}`, steps_per_s: r.steps_per_s, last_loss: r.last_loss, dispatches_per_step: r.dispatches_per_step }));

  // TF.js in the same tab, on a blank page of the same origin: TF.js evaluates strings, which the
  // app's Content-Security-Policy refuses.
  await page.goto(`${base}peers/index.html`);
  for (const name of Object.keys(scripts)) await page.addScriptTag({ url: `${base}peers/${name}` });
  const theirs = await page.evaluate(async (seconds) => {
    const tf = window.tf;
    // Playground's spiral (its genSpiral, no noise), scaled to [-3, 3]², labels ±1.
    const n = 125, xs = [], ys = [];
    for (const [delta, label] of [[0, 1], [Math.PI, -1]]) {
      for (let i = 0; i < n; i++) {
        const r = (i / n) * 5, t = 1.75 * (i / n) * 2 * Math.PI + delta;
        xs.push(0.6 * r * Math.sin(t), 0.6 * r * Math.cos(t));
        ys.push(label);
      }
    }
    const out = [];
    for (const backend of ['cpu', 'webgl', 'webgpu']) {
      try {
        if (!(await tf.setBackend(backend))) throw new Error('not available');
        await tf.ready();
        const X = tf.tensor2d(xs, [2 * n, 2]), Y = tf.tensor2d(ys, [2 * n, 1]);
        const layer = (i, o) => [tf.variable(tf.randomUniform([i, o], -0.5, 0.5)), tf.variable(tf.zeros([o]))];
        const [w1, b1] = layer(2, 64), [w2, b2] = layer(64, 64), [w3, b3] = layer(64, 1);
        const sgd = tf.train.sgd(0.03);
        const step = () => sgd.minimize(() => {
          const idx = tf.randomUniform([32], 0, 2 * n, 'int32');
          const h1 = tf.tanh(tf.gather(X, idx).matMul(w1).add(b1));
          const h2 = tf.tanh(h1.matMul(w2).add(b2));
          return tf.losses.meanSquaredError(tf.gather(Y, idx), h2.matMul(w3).add(b3));
        }, true);
        const rates = [];
        let loss = NaN;
        for (let round = 0; round < 4; round++) {
          const t0 = performance.now();
          let steps = 0, cost;
          while (performance.now() - t0 < seconds * 1000) {
            cost?.dispose();
            cost = step();
            steps++;
            // Let a GPU backend's queue drain now and then, as a page would between frames.
            if (steps % 50 === 0) await cost.data();
          }
          loss = (await cost.data())[0];
          cost.dispose();
          // The first round warms up (compiling shaders); it is left out of the median.
          if (round > 0) rates.push(steps / ((performance.now() - t0) / 1000));
        }
        rates.sort((a, b) => a - b);
        out.push({ engine: `TF.js 4.22 ${backend}`, steps_per_s: rates[1], last_loss: loss });
        tf.disposeVariables();
        X.dispose();
        Y.dispose();
      } catch (e) {
        out.push({ engine: `TF.js 4.22 ${backend}`, error: String(e.message ?? e) });
      }
    }
    return out;
  }, seconds);

  const table = [...rows, ...theirs];
  console.log('engine                          steps/s   last loss');
  for (const r of table) {
    const rate = r.steps_per_s === undefined ? '-' : r.steps_per_s.toFixed(0);
    const loss = r.last_loss === undefined ? (r.error ?? '') : r.last_loss.toFixed(3);
    console.log(`${r.engine.padEnd(30)} ${rate.padStart(8)}   ${loss}`);
  }
  console.log(JSON.stringify({ seconds_per_round: seconds, table }));
} finally {
  await browser.close();
  server.close();
}
