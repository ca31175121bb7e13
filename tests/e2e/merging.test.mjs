// End-to-end tests of the model-merging lab in Chromium: the default link and every preset on
// WebGPU (SwiftShader, slow: tiny runs), and a full run on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';

useBrowser();

/// The λ sweep has a curve per method and the base and fine-tuned levels; the table has the
/// base, the fine-tunes and a row per method with its normalised accuracy.
async function checkViews(page) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  await page.waitForFunction((n) => document.querySelectorAll('figure.chart[data-metric="lambda_sweep"] g.series:not(.dashed) polyline').length === n
    && document.querySelectorAll('figure.chart[data-metric="lambda_sweep"] g.series.dashed polyline').length === n, methods.length);
  assert.equal(await page.locator('figure.chart[data-metric="lambda_sweep"] g.guide').count(), 2);
  for (const m of ['base', 'finetuned', ...methods]) {
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .normalized`), /^\d\.\d{3} ± \d\.\d{3}$/, m);
    assert.equal(await page.locator(`figure.bars[data-metric="normalized_acc"] g.bar-group[data-method="${m}"] rect`).count(), 1, m);
  }
}

test('the default link and every preset run on WebGPU and fill their views', async () => {
  const { page: first } = await open('#/merging');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 3);
  await first.close();
  for (const link of ['#/merging?v=1', ...presets]) {
    const short = link.replace(/&?(steps|base_steps|tasks)=\d+/g, '') + '&tasks=2&base_steps=4&steps=2&runs=2&backend=gpu';
    const { page, errors } = await open(short);
    assert.match(await page.textContent('#backend-badge'), /WebGPU/);
    // Pre-training, each task's fine-tune, and a multi-task phase as long when an mt_ method is
    // on: the counter must stop at this link's own total, not pass through some other count.
    const multitask = /methods=[^&]*\bmt_/.test(short);
    await playToEnd(page, 4 + 2 * 2 * (multitask ? 2 : 1));
    await checkViews(page);
    assert.deepEqual(errors, [], short);
    await page.close();
  }
});

test('on the CPU backend every merge beats the base model and the sweep is drawn', async () => {
  const { page, errors } = await open('#/merging?v=1&base_steps=300&steps=200&methods=task_arithmetic,ties', { gpu: false });
  await playToEnd(page, 1100);
  await checkViews(page);
  const normalized = async (m) => Number((await page.textContent(`#finals tr[data-method="${m}"] .normalized`)).split(' ')[0]);
  for (const m of ['task_arithmetic', 'ties']) {
    assert.ok(await normalized(m) > await normalized('base'), `${m} beats the base model`);
  }
  await page.screenshot({ path: 'test-results/merging.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad fraction says which knob', async () => {
  const { page, errors } = await open('#/merging?v=1&methods=ties&ties.keep=1', { gpu: false });
  const message = await page.textContent('#link-problems');
  assert.match(message, /ties\.keep/);
  assert.deepEqual(errors, []);
  await page.close();
});
