// What the mi lab's page must show after a run: used by its own tests and by the generated
// every-preset test (`presets.test.mjs`).
import assert from 'node:assert/strict';

/// The chart holds the true staircase and the log K line, and one curve per enabled method; the
/// table has a row per method whose runs are ok.
export async function checkViews(page) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  await page.waitForFunction((n) => document.querySelectorAll('figure.chart[data-metric="mi_estimate"] g.series polyline').length === n, methods.length);
  assert.equal(await page.locator('figure.chart[data-metric="mi_estimate"] g.guide').count(), 2);
  for (const m of methods) {
    const points = await page.getAttribute(`figure.chart g.series[data-method="${m}"] polyline`, 'points');
    assert.ok(points.trim().split(' ').length >= 1, `${m} has a curve`);
    assert.equal(await page.textContent(`#finals tr[data-method="${m}"] .run-status`), 'ok');
  }
}

/// The views of a finished run.
export async function check(page) {
  await checkViews(page);
}
