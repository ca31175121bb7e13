// End-to-end: the built app (dist/) in Debian's Chromium with WebGPU on, driven by Playwright.
// Run by scripts/test.sh after `trunk build --release`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, stopped } from './lab-helpers.mjs';

useBrowser();

test('the page loads with the WebGPU badge', async () => {
  const { page, errors } = await open('#/bench', { viewport: { width: 1200, height: 700 } });
  await page.waitForFunction(() => { const t = document.querySelector('#backend-badge')?.textContent; return !!t && !t.includes('checking'); });
  const badge = await page.textContent('#backend-badge');
  assert.match(badge, /^WebGPU/, `badge says ${badge}`);
  await page.screenshot({ path: 'test-results/app.png' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the benchmark trains on the CPU and on WebGPU', async () => {
  const { page, errors } = await open('#/bench?auto', { viewport: { width: 1200, height: 700 } });
  await page.waitForFunction(() => document.querySelector('#bench-status')?.textContent === 'done', null, { timeout: 120_000 });
  const figures = JSON.parse(await page.textContent('#bench-json'));
  const backends = new Set(figures.map((f) => f.backend.split(' ')[0]));
  assert.deepEqual([...backends].sort(), ['cpu', 'webgpu']);
  for (const f of figures) {
    assert.ok(f.steps_per_s > 0, JSON.stringify(f));
    assert.ok(Number.isFinite(f.last_loss) && f.last_loss < 1.5, `loss ${f.last_loss} in ${f.backend}`);
    assert.equal(f.upload_bytes_per_step, 0, `bytes uploaded per step in ${f.backend}`);
  }
  await page.screenshot({ path: 'test-results/bench.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('without WebGPU the badge says CPU and why, and the CPU benchmark still runs', async () => {
  const { page, errors } = await open('#/bench?auto', { gpu: false, viewport: { width: 1200, height: 700 } });
  await page.waitForFunction(() => document.querySelector('#bench-status')?.textContent === 'done', null, { timeout: 120_000 });
  const badge = await page.textContent('#backend-badge');
  assert.match(badge, /^CPU \(/, `badge says ${badge}`);
  const figures = JSON.parse(await page.textContent('#bench-json'));
  assert.ok(figures.length > 0 && figures.every((f) => f.backend.startsWith('cpu')));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a Play pressed while the badge still says checking trains once the check is in', async () => {
  // The adapter request answers 2 s late, so the press lands while the badge says "checking".
  const { page, errors } = await open('#/basics?v=1&steps=200&runs=2&backend=cpu', {
    settle: false,
    init: (page) => page.addInitScript(() => {
      const request = GPU.prototype.requestAdapter;
      GPU.prototype.requestAdapter = function (...args) {
        return new Promise((resolve) => setTimeout(resolve, 2000)).then(() => request.apply(this, args));
      };
    }),
  });
  await page.waitForSelector('#play');
  assert.match(await page.textContent('#backend-badge'), /checking/);
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#step-counter')?.textContent === '200', null, { timeout: 30_000 });
  await stopped(page);
  assert.deepEqual(errors, []);
  await page.close();
});
