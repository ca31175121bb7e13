// End-to-end tests of the generative latent lab in Chromium beyond its presets (those:
// presets.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';
import { checkViews } from './views/vae.mjs';

useBrowser();

test('on the CPU a short VAE and IWAE run draws the latent map and the decoded manifold', async () => {
  const { page, errors } = await open('#/vae?v=1&steps=400&runs=2&k_eval=100', { gpu: false });
  await playToEnd(page, 400);
  await checkViews(page);
  const ll = await page.$$eval('#finals td.test-ll', (tds) => tds.map((td) => parseFloat(td.textContent)));
  // A trained model beats the untrained one's -44 nats by far.
  for (const v of ll) assert.ok(v > -35, `test log-likelihood ${v}`);
  await page.screenshot({ path: 'test-results/vae.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the digits are fetched only by a lab that trains on them, and a missing file says so', async () => {
  // The ring needs no digits: nothing fetches the file.
  const fetched = [];
  const { page: ring, errors: ringErrors } = await open('#/vae?v=1&data=ring&hidden=8&k_during=10&k_eval=10&repeats=2&steps=6&runs=2', {
    gpu: false,
    init: (page) => page.context().on('request', (r) => { if (r.url().endsWith('/digits.bin')) fetched.push(r.url()); }),
  });
  await playToEnd(ring, 6);
  assert.deepEqual(fetched, []);
  assert.deepEqual(ringErrors, []);
  await ring.close();
  // The digits, with the file gone: the page says which file and why, and trains nothing.
  const { page, errors } = await open('#/vae?v=1&hidden=8&k_during=10&k_eval=10&repeats=2&steps=6&runs=2', {
    gpu: false,
    init: (page) => page.context().route('**/digits.bin', (route) => route.fulfill({ status: 404, body: 'gone' })),
  });
  await page.click('#play');
  await page.waitForFunction(() => /digits data set \(digits\.bin\) could not be loaded: HTTP 404/.test(document.querySelector('.status')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.equal(await page.textContent('#step-counter'), '0');
  assert.deepEqual(errors, []);
  await page.close();
});
