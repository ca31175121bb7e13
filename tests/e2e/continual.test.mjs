// End-to-end tests of the continual-learning lab in Chromium: the default link and every preset
// on WebGPU (SwiftShader here, slow: short streams), and a whole stream on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';

useBrowser();

/// Each enabled method has its forgetting picture (a curve per task), its accuracy matrix and a
/// table row with ACC, BWT and forgetting filled in.
async function checkViews(page, tasks) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const m of methods) {
    assert.equal(await page.locator(`figure.chart[data-metric="task_acc:${m}"] g.series polyline`).count(), tasks, m);
    assert.equal(await page.locator(`figure.chart[data-metric="task_acc:${m}"] g.guide`).count(), tasks - 1, m);
    assert.equal(await page.locator(`figure.boundary[data-method^="${m}: R"]`).count(), 1, m);
    for (const cell of ['avg-acc', 'bwt', 'forgetting', 'learn-acc']) {
      assert.match(await page.textContent(`#finals tr[data-method="${m}"] .${cell}`), /^-?\d\.\d{3} ± \d\.\d{3}$/, `${m} ${cell}`);
    }
    assert.equal(await page.textContent(`#finals tr[data-method="${m}"] .run-status`), 'ok');
    // ACC, BWT and forgetting as bars with seed whiskers.
    assert.equal(await page.locator(`figure.bars[data-metric="summary"] g.bar-group[data-method="${m}"] rect`).count(), 3, m);
  }
}

test('the default link and every preset run a short stream on WebGPU and fill their views', async () => {
  const { page: first } = await open('#/continual');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 3, `${presets.length} presets`);
  await first.close();
  for (const link of ['#/continual?v=1', ...presets]) {
    // Shortened streams: SwiftShader runs a few steps a second.
    const short = link.replace(/&?(steps|tasks|runs)=\d+/g, '') + '&steps=4&tasks=2&runs=1&backend=gpu';
    const { page, errors } = await open(short);
    assert.match(await page.textContent('#backend-badge'), /WebGPU/);
    await playToEnd(page, 8);
    await checkViews(page, 2);
    if (short.includes('moons')) {
      assert.equal(await page.locator('figure.boundary[data-method$="after task 2"]').count(), await page.locator('input.method-toggle:checked').count());
    }
    assert.deepEqual(errors, [], short);
    await page.close();
  }
});

test('on the CPU backend naive forgets split digits and replay does not', async () => {
  const { page, errors } = await open('#/continual?v=1&steps=100&methods=naive,replay', { gpu: false });
  assert.match(await page.textContent('#backend-badge'), /^CPU/);
  await playToEnd(page, 500);
  await checkViews(page, 5);
  const forgetting = async (m) => Number((await page.textContent(`#finals tr[data-method="${m}"] .forgetting`)).split(' ')[0]);
  assert.ok(await forgetting('naive') > 0.8, `naive forgets ${await forgetting('naive')}`);
  assert.ok(await forgetting('replay') < 0.3, `replay forgets ${await forgetting('replay')}`);
  await page.screenshot({ path: 'test-results/continual.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('an impossible stream says which setting is wrong', async () => {
  const { page, errors } = await open('#/continual?v=1&tasks=6', { gpu: false });
  await page.click('#step');
  await page.waitForFunction(() => document.querySelector('.status')?.textContent.includes('tasks = 6'));
  assert.deepEqual(errors, []);
  await page.close();
});
