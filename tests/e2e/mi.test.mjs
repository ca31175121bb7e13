// End-to-end tests of the mutual-information lab in Chromium: its default link and every
// preset on WebGPU (SwiftShader here), and a run through the first levels on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playFor } from './lab-helpers.mjs';

useBrowser();

/// The chart holds the true staircase and the log K line, and one curve per enabled method; the
/// table has a row per method whose runs are ok.
async function checkViews(page) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  await page.waitForFunction((n) => document.querySelectorAll('figure.chart[data-metric="mi_estimate"] g.series polyline').length === n, methods.length);
  assert.equal(await page.locator('figure.chart[data-metric="mi_estimate"] g.guide').count(), 2);
  for (const m of methods) {
    const points = await page.getAttribute(`figure.chart g.series[data-method="${m}"] polyline`, 'points');
    assert.ok(points.trim().split(' ').length >= 1, `${m} has a curve`);
    assert.equal(await page.textContent(`#finals tr[data-method="${m}"] .run-status`), 'ok');
  }
}

test('the default link and every preset play, fill the chart and list each estimator', async () => {
  const { page: first, errors } = await open('#/mi');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 4, `${presets.length} presets`);
  await first.close();
  for (const link of ['#/mi', ...presets]) {
    const { page, errors: e } = await open(link + (link.includes('?') ? '&' : '?') + 'backend=gpu');
    assert.match(await page.textContent('#backend-badge'), /WebGPU/);
    await playFor(page, 5);
    await checkViews(page);
    assert.deepEqual(e, [], link);
    await page.close();
  }
  assert.deepEqual(errors, []);
});

test('on the CPU backend the quick preset measures each level against the truth', async () => {
  const { page, errors } = await open('#/mi?v=1&hidden=64&steps=200&levels=2&lr=0.001&methods=infonce,nwj,smile', { gpu: false });
  assert.match(await page.textContent('#backend-badge'), /^CPU/);
  await playFor(page, 400);
  await checkViews(page);
  // Both levels have their bias ± sd.
  for (const m of ['infonce', 'nwj', 'smile']) {
    for (const k of [0, 1]) {
      assert.match(await page.textContent(`#finals tr[data-method="${m}"] .level-${k}`), /^[+-]\d+\.\d\d ± \d+\.\d\d$/);
    }
  }
  await page.screenshot({ path: 'test-results/mi.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('an impossible staircase says why instead of training', async () => {
  const { page, errors } = await open('#/mi?v=1&dim=1&first=40&levels=1', { gpu: false });
  await page.click('#step');
  await page.waitForFunction(() => document.querySelector('.status')?.textContent.includes('ρ'));
  assert.match(await page.textContent('.status'), /raise d/);
  assert.deepEqual(errors, []);
  await page.close();
});
