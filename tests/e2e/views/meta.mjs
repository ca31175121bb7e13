// What the meta lab's page must show after a run: used by its own tests and by the generated
// every-preset test (`presets.test.mjs`).
import assert from 'node:assert/strict';

/// Per method: the sinusoid picture (three predictions, the truth and the shots), a band in the
/// MSE-against-steps chart and the curves over training, and a table row.
export async function checkViews(page, shots) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const m of methods) {
    const figure = `figure.chart[data-metric="sinusoid/${m}"]`;
    await page.waitForSelector(figure);
    assert.equal(await page.locator(`${figure} g.series polyline`).count(), 3, m);
    assert.equal(await page.locator(`${figure} g.guide polyline`).count(), 1, `${m}: truth`);
    assert.equal(await page.locator(`${figure} circle.marker`).count(), shots, `${m}: shots`);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .mse-10`), /^\d+\.\d{3} ± \d\.\d{3}$/, m);
  }
  for (const metric of ['mse_by_steps', 'meta_loss', 'mse_after/1', 'mse_after/10']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
}

/// Few-shot digits, per method: the accuracy bar, its curve, a 2-D embedding of the novel digits
/// and a table row with the accuracy and its interval.
export async function checkDigitsViews(page) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  assert.equal(await page.locator('figure.bars[data-metric="fewshot_bars"] g.bar-group rect').count(), methods.length);
  for (const metric of ['fewshot_acc', 'meta_loss']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  for (const m of methods) {
    await page.waitForSelector(`figure.boundary[data-method^="${m}: run 0's embeddings"] canvas`);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .fewshot-acc`), /^0\.\d{3} ± \d\.\d{3}$/, m);
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .fewshot-ci`), /^0\.\d{3} ± \d\.\d{3}$/, m);
  }
}

/// The views of a finished run of `params`: the sinusoids' or the few-shot digits'.
export async function check(page, params) {
  if (params.get('scenario') === 'digits') await checkDigitsViews(page);
  else await checkViews(page, Number(params.get('shots') ?? 10));
}
