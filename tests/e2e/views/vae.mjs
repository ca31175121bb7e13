// What the vae lab's page must show after a run: used by its own tests and by the generated
// every-preset test (`presets.test.mjs`).
import assert from 'node:assert/strict';

/// Curves per method, the SNR-against-K chart (encoder and decoder per method), a latent map and
/// a manifold or density per method, and a row per method with its log-likelihood.
export async function checkViews(page) {
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

/// The views of a finished run.
export async function check(page) {
  await checkViews(page);
}
