// End-to-end tests of the meta-learning lab in Chromium: the default link and every preset,
// shortened, on WebGPU (SwiftShader: tiny runs) and on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';

useBrowser();

/// Per method: the sinusoid picture (three predictions, the truth and the shots), a band in the
/// MSE-against-steps chart and the curves over training, and a table row.
async function checkViews(page, shots) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const m of methods) {
    const figure = `figure.chart[data-metric="sinusoid/${m}"]`;
    await page.waitForSelector(figure);
    assert.equal(await page.locator(`${figure} g.series polyline`).count(), 3, m);
    assert.equal(await page.locator(`${figure} g.guide polyline`).count(), 1, `${m}: truth`);
    assert.equal(await page.locator(`${figure} circle.marker`).count(), shots, `${m}: shots`);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .mse-10`), /^\d+\.\d{3} ± \d\.\d{3}$/, m);
  }
  for (const metric of ['mse_by_steps', 'meta_loss', 'mse_after/1', 'mse_after/10']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
}

/// Each preset, shortened: few tasks, a small net and a few steps.
function shorten(link) {
  const base = link.replace(/&?(steps|runs|meta_batch|hidden|eval_tasks)=\d+/g, '');
  return `${base}${base.includes('?') ? '' : '?v=1'}&meta_batch=3&hidden=8&eval_tasks=3&steps=6&runs=2`;
}

test('the default link and every preset run on WebGPU and on the CPU and fill their views', async () => {
  const { page: first } = await open('#/meta');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 3, `${presets.length} presets`);
  await first.close();
  for (const link of ['#/meta?v=1', ...presets]) {
    for (const gpu of [true, false]) {
      const short = shorten(link) + (gpu ? '&backend=gpu' : '');
      const { page, errors } = await open(short, { gpu });
      assert.match(await page.textContent('#backend-badge'), gpu ? /^WebGPU/ : /^CPU/, short);
      await playToEnd(page, 6);
      await checkViews(page, Number(short.match(/shots=(\d+)/)?.[1] ?? 10));
      assert.deepEqual(errors, [], short);
      await page.close();
    }
  }
});

test('on the CPU a short run of the default link draws each method\'s held-out wave', async () => {
  const { page, errors } = await open('#/meta?v=1&steps=600&runs=1&eval_tasks=20', { gpu: false });
  await playToEnd(page, 600);
  await checkViews(page, 10);
  await page.screenshot({ path: 'test-results/meta.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
