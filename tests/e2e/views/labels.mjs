// What the labels lab's page must show after a run: used by its own tests and by the generated
// every-preset test (`presets.test.mjs`).
import assert from 'node:assert/strict';

/// Per method: a curve in each chart over steps, its loss histogram, a table row, and on the
/// moons its decision boundary with the mislabelled points ringed.
export async function checkViews(page, moons) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const metric of ['test_acc', 'train_acc_true', 'train_acc_given', 'memorised', 'loss_q95', 'loss']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  for (const m of methods) {
    assert.ok(await page.locator(`figure.chart[data-metric="loss_hist/${m}"] g.series polyline`).count() >= 1, `${m}: histogram`);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .test-acc`), /^\d\.\d{3} ± \d\.\d{3}$/, m);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .memorised`), /^\d\.\d{3} ± \d\.\d{3}$/, m);
  }
  assert.equal(await page.locator('figure.boundary canvas').count(), moons ? methods.length : 0);
}

/// The views of a finished run of `params`.
export async function check(page, params) {
  await checkViews(page, params.get('scenario') === 'moons');
}
