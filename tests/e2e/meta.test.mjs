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

/// Few-shot digits, per method: the accuracy bar, its curve, a 2-D embedding of the novel digits
/// and a table row with the accuracy and its interval.
async function checkDigitsViews(page) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  assert.equal(await page.locator('figure.bars[data-metric="fewshot_bars"] g.bar-group rect').count(), methods.length);
  for (const metric of ['fewshot_acc', 'meta_loss']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  for (const m of methods) {
    await page.waitForSelector(`figure.boundary[data-method^="${m}: run 0's embeddings"] canvas`);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .fewshot-acc`), /^0\.\d{3} ± \d\.\d{3}$/, m);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .fewshot-ci`), /^0\.\d{3} ± \d\.\d{3}$/, m);
  }
}

/// Each preset, shortened: few tasks or episodes, a small net and a few steps.
function shorten(link) {
  const base = link.replace(/&?(steps|runs|meta_batch|hidden|eval_tasks|episodes)=\d+/g, '');
  return `${base}${base.includes('?') ? '' : '?v=1'}&meta_batch=2&hidden=8&eval_tasks=3&episodes=3&steps=6&runs=2`;
}

test('the default link and every preset run on WebGPU and on the CPU and fill their views', async () => {
  const { page: first } = await open('#/meta');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 5, `${presets.length} presets`);
  assert.ok(presets.some((p) => p.includes('scenario=digits')), 'a few-shot digits preset');
  await first.close();
  for (const link of ['#/meta?v=1', ...presets]) {
    for (const gpu of [true, false]) {
      const short = shorten(link) + (gpu ? '&backend=gpu' : '');
      const { page, errors } = await open(short, { gpu });
      assert.match(await page.textContent('#backend-badge'), gpu ? /^WebGPU/ : /^CPU/, short);
      await playToEnd(page, 6);
      if (short.includes('scenario=digits')) await checkDigitsViews(page);
      else await checkViews(page, Number(short.match(/shots=(\d+)/)?.[1] ?? 10));
      assert.deepEqual(errors, [], short);
      await page.close();
    }
  }
});

test('a sinusoid-only method on digits, or a digits method on waves, says why', async () => {
  for (const [link, why] of [
    ['#/meta?v=1&scenario=digits&methods=reptile&steps=2', /reptile.*sinusoid scenario only/],
    ['#/meta?v=1&methods=protonet&steps=2', /protonet.*needs scenario=digits/],
  ]) {
    const { page, errors } = await open(link, { gpu: false });
    await page.click('#play');
    await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('.status')?.textContent ?? ''), why.source, { timeout: 30_000 });
    assert.equal(await page.textContent('#step-counter'), '0');
    assert.deepEqual(errors, [], link);
    await page.close();
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
