// End-to-end tests of the group-operations lab in Chromium beyond its presets (those:
// presets.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';
import { checkViews } from './views/groups.mjs';

useBrowser();

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
