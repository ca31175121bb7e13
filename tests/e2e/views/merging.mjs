// What the merging lab's page must show after a run: used by its own tests and by the generated
// every-preset test (`presets.test.mjs`).
import assert from 'node:assert/strict';

/// The λ sweep has a curve per method, the base and fine-tuned levels and one for each merge
/// without a λ; the table has the
/// base, the fine-tunes and a row per method with its normalised accuracy.
export async function checkViews(page) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  await page.waitForFunction((n) => document.querySelectorAll('figure.chart[data-metric="lambda_sweep"] g.series:not(.dashed) polyline').length === n
    && document.querySelectorAll('figure.chart[data-metric="lambda_sweep"] g.series.dashed polyline').length === n, methods.length);
  // The base and fine-tuned levels, and a level for each merge without a λ.
  const levels = methods.filter((m) => ['average', 'fisher', 'regmean'].includes(m)).length;
  assert.equal(await page.locator('figure.chart[data-metric="lambda_sweep"] g.guide').count(), 2 + levels);
  for (const m of ['base', 'finetuned', ...methods]) {
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .normalized`), /^\d\.\d{3} ± \d\.\d{3}$/, m);
    assert.equal(await page.locator(`figure.bars[data-metric="normalized_acc"] g.bar-group[data-method="${m}"] rect`).count(), 1, m);
  }
}

/// The views of a finished run.
export async function check(page) {
  await checkViews(page);
}
