// What the basics lab's page must show after a run: used by the generated every-preset test
// (`presets.test.mjs`).
import assert from 'node:assert/strict';

/// A curve per method in the loss and accuracy charts, and a table row per method with its
/// test accuracy.
export async function check(page) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const metric of ['train_loss', 'test_loss', 'test_acc']) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  for (const m of methods) {
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .test-acc`), /^\d\.\d{4}$/, m);
    assert.equal(await page.textContent(`#finals tr[data-method="${m}"] .run-status`), 'ok', m);
  }
}
