// What the continual lab's page must show after a run: used by its own tests and by the generated
// every-preset test (`presets.test.mjs`).
import assert from 'node:assert/strict';

/// Each enabled method has its forgetting picture (a curve per task), its accuracy matrix and a
/// table row with ACC, BWT and forgetting filled in.
export async function checkViews(page, tasks) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  for (const m of methods) {
    assert.equal(await page.locator(`figure.chart[data-metric="task_acc:${m}"] g.series polyline`).count(), tasks, m);
    assert.equal(await page.locator(`figure.chart[data-metric="task_acc:${m}"] g.guide`).count(), tasks - 1, m);
    assert.equal(await page.locator(`figure.boundary[data-method^="${m}: R"]`).count(), 1, m);
    for (const cell of ['avg-acc', 'bwt', 'forgetting', 'learn-acc']) {
      assert.match(await page.textContent(`#finals tr[data-method="${m}"] .${cell}`), /^-?\d\.\d{3} ± \d\.\d{3}$/, `${m} ${cell}`);
    }
    assert.equal(await page.textContent(`#finals tr[data-method="${m}"] .run-status`), 'ok');
    // ACC, BWT and forgetting as bars with seed whiskers.
    assert.equal(await page.locator(`figure.bars[data-metric="summary"] g.bar-group[data-method="${m}"] rect`).count(), 3, m);
  }
}

/// The views of a finished run of `params` (the stream's tasks; on the moons, each task's boundary).
export async function check(page, params) {
  const tasks = Number(params.get('tasks') ?? 5);
  await checkViews(page, tasks);
  if (params.get('scenario') === 'moons') {
    const methods = await page.locator('input.method-toggle:checked').count();
    assert.equal(await page.locator(`figure.boundary[data-method$="after task ${tasks}"]`).count(), methods);
  }
}
