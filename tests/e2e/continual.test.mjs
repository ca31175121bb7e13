// End-to-end tests of the continual-learning lab in Chromium: a whole stream on the CPU backend
// (its default link and presets: presets.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';
import { checkViews } from './views/continual.mjs';

useBrowser();

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
