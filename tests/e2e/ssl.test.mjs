// End-to-end tests of the self-supervised lab in Chromium: the default link and every preset,
// shortened, on WebGPU (SwiftShader: tiny runs) and on the CPU backend; the stepwise picture on
// the CPU; a method the scenario cannot run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';

useBrowser();

/// Per method: a curve in each chart over steps, its eigenvalue chart, a table row; on the
/// digits a projection per method and the three planes.
async function checkViews(page, scenario) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  const metrics = {
    digits: ['probe_acc', 'probe_acc_few', 'rankme', 'lidar', 'embed_std', 'loss'],
    spectrum: ['loss', 'rankme'],
    twofeature: ['feature/A', 'feature/B', 'loss'],
  }[scenario];
  for (const metric of metrics) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  for (const m of methods) {
    if (scenario !== 'twofeature') {
      assert.ok(await page.locator(`figure.chart[data-metric="eig/${m}"] g.series polyline`).count() >= 2, `${m}: spectrum`);
    }
    assert.equal(await page.locator(`#finals tr[data-method="${m}"]`).count(), 1, m);
  }
  assert.equal(await page.locator('figure.boundary canvas').count(), scenario === 'digits' ? methods.length + 3 : 0);
}

/// Each preset, shortened: a small net and a few steps.
function shorten(link) {
  const base = link.replace(/&?(steps|runs|width)=\d+/g, '');
  return `${base}${base.includes('?') ? '' : '?v=1'}&width=8&steps=6&runs=2`;
}

test('the default link and every preset run on WebGPU and on the CPU and fill their views', async () => {
  const { page: first } = await open('#/ssl');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 6, `${presets.length} presets`);
  await first.close();
  for (const link of ['#/ssl?v=1', ...presets]) {
    for (const gpu of [true, false]) {
      const short = shorten(link) + (gpu ? '&backend=gpu' : '');
      const { page, errors } = await open(short, { gpu });
      assert.match(await page.textContent('#backend-badge'), gpu ? /^WebGPU/ : /^CPU/, short);
      await playToEnd(page, 6);
      const scenario = short.match(/scenario=(\w+)/)?.[1] ?? 'digits';
      await checkViews(page, scenario);
      assert.deepEqual(errors, [], short);
      await page.close();
    }
  }
});

test('on the CPU the stepwise preset learns the eigenvalues one at a time', async () => {
  const { page, errors } = await open('#/ssl?v=1&scenario=spectrum&dim=6&optimizer=sgd&lr=0.02&init=0.001&batch=128&steps=3000&runs=2&methods=barlow&barlow.standardise=false&barlow.lambda=1', { gpu: false });
  await playToEnd(page, 3000);
  await checkViews(page, 'spectrum');
  assert.equal(await page.locator('figure.chart[data-metric="eig/barlow"] g.series polyline').count(), 6);
  const t = async (k) => parseFloat(await page.textContent(`#finals tr[data-method="barlow"] .t-half-${k}`));
  assert.ok(await t(1) < await t(2) && await t(2) < await t(3), `t½ ${await t(1)}, ${await t(2)}, ${await t(3)}`);
  await page.screenshot({ path: 'test-results/ssl.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the supervised reference on a toy says why instead of training', async () => {
  const { page, errors } = await open('#/ssl?v=1&scenario=spectrum&methods=supervised&steps=2', { gpu: false });
  await page.click('#play');
  await page.waitForFunction(() => /needs labels/.test(document.querySelector('.status')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal(await page.textContent('#step-counter'), '0');
  assert.deepEqual(errors, []);
  await page.close();
});
