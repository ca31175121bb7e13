// End-to-end tests of the self-supervised lab in Chromium: the stepwise picture on the CPU, a
// method the scenario cannot run, and more (its default link and presets: presets.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';
import { checkViews } from './views/ssl.mjs';

useBrowser();

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
