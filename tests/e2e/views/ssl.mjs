// What the ssl lab's page must show after a run: used by its own tests and by the generated
// every-preset test (`presets.test.mjs`).
import assert from 'node:assert/strict';

/// Per method: a curve in each chart over steps, its eigenvalue chart, a table row; on the
/// digits a projection per method and the three planes.
export async function checkViews(page, scenario) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  const metrics = {
    digits: ['probe_acc', 'probe_acc_few', 'rankme', 'lidar', 'embed_std', 'loss'],
    spectrum: ['loss', 'rankme'],
    twofeature: ['feature/A', 'feature/B', 'loss'],
  }[scenario];
  for (const metric of metrics) {
    assert.equal(await page.locator(`figure.chart[data-metric="${metric}"] g.series polyline`).count(), methods.length, metric);
  }
  for (const m of methods) {
    if (scenario !== 'twofeature') {
      assert.ok(await page.locator(`figure.chart[data-metric="eig/${m}"] g.series polyline`).count() >= 2, `${m}: spectrum`);
    }
    assert.equal(await page.locator(`#finals tr[data-method="${m}"]`).count(), 1, m);
  }
  assert.equal(await page.locator('figure.boundary canvas').count(), scenario === 'digits' ? methods.length + 3 : 0);
}

/// The views of a finished run of `params` (its scenario's).
export async function check(page, params) {
  await checkViews(page, params.get('scenario') ?? 'digits');
}
