// End-to-end tests of the imperfect-labels lab in Chromium beyond its presets (those:
// presets.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';
import { checkViews } from './views/labels.mjs';

useBrowser();

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
