// End-to-end tests of the group-operations lab in Chromium: the default link and every preset,
// shortened, on WebGPU (SwiftShader: tiny runs) and on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';

useBrowser();

/// Accuracy and loss curves per method, the bars of each seed's shares per representation, and
/// a row per method with its key representations per seed.
async function checkViews(page, runs) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const metric of ['train_acc', 'test_acc', 'train_loss', 'test_loss']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  await page.waitForFunction((n) => document.querySelectorAll('figure.bars[data-metric="irrep_var"] g.bar-group').length === n, methods.length * runs);
  assert.equal(await page.locator('figure.bars[data-metric="char_sim"] g.bar-group').count(), methods.length);
  for (const m of methods) {
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .test-acc`), /^\d\.\d{3} ± \d\.\d{3}$/, m);
    const keys = await page.textContent(`#finals tr[data-method="${m}"] .key-reps`);
    assert.equal(keys.split('|').length, runs, `${m}: ${keys}`);
  }
}

/// Each preset, shortened: small groups and a few steps (the S_5 preset keeps its group).
function shorten(link) {
  const base = link.replace(/&?(steps|runs|p|n|embed|width)=\d+/g, '');
  const group = base.includes('symmetric') ? '' : (base.includes('dihedral') ? '&n=5' : '&p=11');
  return `${base}${base.includes('?') ? '' : '?v=1'}${group}&embed=8&width=16&steps=${base.includes('symmetric') ? 2 : 10}&runs=2`;
}

test('the default link and every preset run on WebGPU and on the CPU and fill their views', async () => {
  const { page: first } = await open('#/groups');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 4, `${presets.length} presets`);
  await first.close();
  for (const link of ['#/groups?v=1', ...presets]) {
    for (const gpu of [true, false]) {
      const short = shorten(link) + (gpu ? '&backend=gpu' : '');
      const { page, errors } = await open(short, { gpu });
      assert.match(await page.textContent('#backend-badge'), gpu ? /^WebGPU/ : /^CPU/, short);
      const steps = Number(short.match(/steps=(\d+)/)[1]);
      await playToEnd(page, steps);
      await checkViews(page, 2);
      assert.deepEqual(errors, [], short);
      await page.close();
    }
  }
});

test('on the CPU a short C_23 run fits its training pairs and names each seed its frequencies', async () => {
  const { page, errors } = await open('#/groups?v=1&p=23&steps=300&lr=0.01&runs=2&methods=adamw', { gpu: false });
  await playToEnd(page, 300);
  await checkViews(page, 2);
  const train = await page.$$eval('figure.chart[data-metric="train_acc"] g.series polyline', (ps) => ps.length);
  assert.equal(train, 1);
  const keys = await page.textContent('#finals tr[data-method="adamw"] .key-reps');
  assert.match(keys, /k\d+/, keys);
  await page.screenshot({ path: 'test-results/groups.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
