// What the groups lab's page must show after a run: used by its own tests and by the generated
// every-preset test (`presets.test.mjs`).
import assert from 'node:assert/strict';

/// Accuracy and loss curves per method, the bars of each seed's shares per representation, and
/// a row per method with its key representations per seed.
export async function checkViews(page, runs) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const metric of ['train_acc', 'test_acc', 'train_loss', 'test_loss']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  await page.waitForFunction((n) => document.querySelectorAll('figure.bars[data-metric="irrep_var"] g.bar-group').length === n, methods.length * runs);
  assert.equal(await page.locator('figure.bars[data-metric="char_sim"] g.bar-group').count(), methods.length);
  for (const m of methods) {
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .test-acc`), /^\d\.\d{3} ± \d\.\d{3}$/, m);
    const keys = await page.textContent(`#finals tr[data-method="${m}"] .key-reps`);
    assert.equal(keys.split('|').length, runs, `${m}: ${keys}`);
  }
}

/// The views of a finished run of `params`.
export async function check(page, params, lab) {
  await checkViews(page, Number(params.get('runs') ?? lab.runs));
}
