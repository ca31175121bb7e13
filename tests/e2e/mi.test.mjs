// End-to-end tests of the mutual-information lab in Chromium: a run through the first levels on
// the CPU backend and more (its default link and presets: presets.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playFor } from './lab-helpers.mjs';
import { checkViews } from './views/mi.mjs';

useBrowser();

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
