// End-to-end tests of the imperfect-labels lab in Chromium: the default link and every preset,
// shortened, on WebGPU (SwiftShader: tiny runs) and on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';

useBrowser();

/// Per method: a curve in each chart over steps, its loss histogram, a table row, and on the
/// moons its decision boundary with the mislabelled points ringed.
async function checkViews(page, moons) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const metric of ['test_acc', 'train_acc_true', 'train_acc_given', 'memorised', 'loss_q95', 'loss']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  for (const m of methods) {
    assert.ok(await page.locator(`figure.chart[data-metric="loss_hist/${m}"] g.series polyline`).count() >= 1, `${m}: histogram`);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .test-acc`), /^\d\.\d{3} ± \d\.\d{3}$/, m);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .memorised`), /^\d\.\d{3} ± \d\.\d{3}$/, m);
  }
  assert.equal(await page.locator('figure.boundary canvas').count(), moons ? methods.length : 0);
}

/// Each preset, shortened: a small net and a few steps.
function shorten(link) {
  const base = link.replace(/&?(steps|runs|width)=\d+/g, '');
  return `${base}${base.includes('?') ? '' : '?v=1'}&width=8&steps=8&runs=2`;
}

test('the default link and every preset run on WebGPU and on the CPU and fill their views', async () => {
  const { page: first } = await open('#/labels');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 5, `${presets.length} presets`);
  await first.close();
  for (const link of ['#/labels?v=1', ...presets]) {
    for (const gpu of [true, false]) {
      const short = shorten(link) + (gpu ? '&backend=gpu' : '');
      const { page, errors } = await open(short, { gpu });
      assert.match(await page.textContent('#backend-badge'), gpu ? /^WebGPU/ : /^CPU/, short);
      await playToEnd(page, 8);
      await checkViews(page, short.includes('scenario=moons'));
      assert.deepEqual(errors, [], short);
      await page.close();
    }
  }
});

test('on the CPU the default link shows ERM memorising the wrong labels and co-teaching not', async () => {
  const { page, errors } = await open('#/labels?v=1&steps=2000&runs=1', { gpu: false });
  await playToEnd(page, 2000);
  await checkViews(page, false);
  const memorised = async (m) => parseFloat(await page.textContent(`#finals tr[data-method="${m}"] .memorised`));
  assert.ok(await memorised('erm') > 0.5, `ERM memorised ${await memorised('erm')}`);
  assert.ok(await memorised('coteaching') < await memorised('erm'), 'co-teaching memorises less');
  await page.screenshot({ path: 'test-results/labels.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a noise rate out of range says which key and trains with the default', async () => {
  const { page, errors } = await open('#/labels?v=1&rate=2&steps=4&runs=1', { gpu: false });
  assert.match(await page.textContent('#link-problems'), /rate = "2"/);
  await playToEnd(page, 4);
  assert.deepEqual(errors, []);
  await page.close();
});
