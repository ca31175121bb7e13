// End-to-end tests of the model-merging lab in Chromium: a full run on the CPU backend and
// more (its default link and presets: presets.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';
import { checkViews } from './views/merging.mjs';

useBrowser();

test('on the CPU backend every merge beats the base model and the sweep is drawn', async () => {
  const { page, errors } = await open('#/merging?v=1&base_steps=300&steps=200&methods=task_arithmetic,ties', { gpu: false });
  await playToEnd(page, 1100);
  await checkViews(page);
  const normalized = async (m) => Number((await page.textContent(`#finals tr[data-method="${m}"] .normalized`)).split(' ')[0]);
  for (const m of ['task_arithmetic', 'ties']) {
    assert.ok(await normalized(m) > await normalized('base'), `${m} beats the base model`);
  }
  await page.screenshot({ path: 'test-results/merging.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad fraction says which knob', async () => {
  const { page, errors } = await open('#/merging?v=1&methods=ties&ties.keep=1', { gpu: false });
  const message = await page.textContent('#link-problems');
  assert.match(message, /ties\.keep/);
  assert.deepEqual(errors, []);
  await page.close();
});
