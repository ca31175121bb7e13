// End-to-end tests of the meta-learning lab in Chromium beyond its presets (those:
// presets.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';
import { checkViews } from './views/meta.mjs';

useBrowser();

test('a sinusoid-only method on digits, or a digits method on waves, says why', async () => {
  for (const [link, why] of [
    ['#/meta?v=1&scenario=digits&methods=reptile&steps=2', /reptile.*sinusoid scenario only/],
    ['#/meta?v=1&methods=protonet&steps=2', /protonet.*needs scenario=digits/],
  ]) {
    const { page, errors } = await open(link, { gpu: false });
    await page.click('#play');
    await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('.status')?.textContent ?? ''), why.source, { timeout: 30_000 });
    assert.equal(await page.textContent('#step-counter'), '0');
    assert.deepEqual(errors, [], link);
    await page.close();
  }
});

test('on the CPU a short run of the default link draws each method\'s held-out wave', async () => {
  const { page, errors } = await open('#/meta?v=1&steps=600&runs=1&eval_tasks=20', { gpu: false });
  await playToEnd(page, 600);
  await checkViews(page, 10);
  await page.screenshot({ path: 'test-results/meta.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
