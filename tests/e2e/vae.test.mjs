// End-to-end tests of the generative latent lab in Chromium: the default link and every preset,
// shortened, on WebGPU (SwiftShader: tiny runs) and on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';

useBrowser();

/// Curves per method, the SNR-against-K chart (encoder and decoder per method), a latent map and
/// a manifold or density per method, and a row per method with its log-likelihood.
async function checkViews(page) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const metric of ['test_ll', 'elbo', 'kl', 'train_bound', 'active_units', 'mmd']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  await page.waitForFunction((n) => document.querySelectorAll('figure.chart[data-metric="snr"] g.series').length === n, 2 * methods.length);
  assert.equal(await page.locator('figure.boundary canvas').count(), 2 * methods.length);
  for (const m of methods) {
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .test-ll`), /^-\d+\.\d{3} ± \d\.\d{3}$/, m);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .var-score`), /^\d\.\d{3}e-?\d+$/, m);
  }
}

/// Each preset, shortened: small networks, few samples and steps.
function shorten(link) {
  const base = link.replace(/&?(steps|runs|hidden|k_during|k_eval|repeats|iwae\.k)=\d+/g, '');
  return `${base}${base.includes('?') ? '' : '?v=1'}&hidden=8&k_during=10&k_eval=10&repeats=2&steps=6&runs=2`;
}

test('the default link and every preset run on WebGPU and on the CPU and fill their views', async () => {
  const { page: first } = await open('#/vae');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 5, `${presets.length} presets`);
  await first.close();
  for (const link of ['#/vae?v=1', ...presets]) {
    for (const gpu of [true, false]) {
      const short = shorten(link) + (gpu ? '&backend=gpu' : '');
      const { page, errors } = await open(short, { gpu });
      assert.match(await page.textContent('#backend-badge'), gpu ? /^WebGPU/ : /^CPU/, short);
      await playToEnd(page, 6);
      await checkViews(page);
      assert.deepEqual(errors, [], short);
      await page.close();
    }
  }
});

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
