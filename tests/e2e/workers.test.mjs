// End-to-end: training runs in Web Workers, the session's runs split over one worker per core,
// or more where the runs do not divide evenly.
// Split or not, a session's numbers are the same; a worker that fails stops its own runs, says
// so, and the others go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd, exportJson } from './lab-helpers.mjs';

useBrowser();

/// Opens `link` on a page that reports `cores` cores.
function openWithCores(link, cores, options = {}) {
  return open(link, {
    ...options,
    init: (page) => page.addInitScript((n) => {
      Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n });
    }, cores),
  });
}

test('five runs of three methods train in three workers on two cores, with the numbers of one', async () => {
  // Two workers would take 8 and 7 of the 15 runs; three take 5 each, sharing the two cores:
  // a slice of every method's runs, the larger ones rotating (2 + 2 + 1 of plain, 1 + 2 + 2 of
  // adam, 2 + 1 + 2 of l2).
  const link = '#/basics?v=1&steps=300&runs=5&methods=plain,adam,l2&backend=cpu';
  const { page: one } = await openWithCores(link, 1, { downloads: true });
  await playToEnd(one, 300);
  assert.equal(one.workers().length, 1);
  const whole = await exportJson(one);
  const chart = 'figure.chart[data-metric="train_loss"]';
  const wholeChart = await one.innerHTML(chart);
  await one.close();

  const { page, errors } = await openWithCores(link, 2, { downloads: true });
  await playToEnd(page, 300);
  assert.equal(page.workers().length, 3);
  assert.equal(await page.getAttribute('#play', 'data-workers'), '3');
  const split = await exportJson(page);
  assert.deepEqual(split.runs.map((r) => `${r.method} ${r.seed}`), ['plain', 'adam', 'l2'].flatMap((m) => [0, 1, 2, 3, 4].map((r) => `${m} ${whole.runs[0].seed + r}`)));
  assert.deepEqual(split.runs, whole.runs);
  assert.deepEqual(split.claims, whole.claims);
  // Every method's curve is drawn, in the session's colours, over all three runs.
  assert.deepEqual(await page.$$eval('figure.chart[data-metric="train_loss"] g.series', (gs) => gs.map((g) => g.dataset.method)), ['plain', 'adam', 'l2']);
  // The chart ends as one worker drew it, once the last runs' histories reach the drawing one.
  await page.waitForFunction(([sel, html]) => document.querySelector(sel)?.innerHTML === html, [chart, wholeChart], { timeout: 10_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a worker that fails stops its runs with its message, and the others go on and are drawn', async () => {
  const { page, errors } = await openWithCores('#/basics?v=1&steps=100000&runs=4&methods=plain,adam&backend=cpu', 2);
  await page.click('#play');
  await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) > 20);
  assert.equal(page.workers().length, 2);
  // An uncaught error in the first worker (it draws the session), as a crash in its engine
  // would raise.
  await page.workers()[0].evaluate(() => setTimeout(() => { throw new Error('boom from the test'); }));
  await page.waitForFunction(() => /stopped: its worker failed: .*boom from the test/.test(document.querySelector('.status')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.match(await page.textContent('.status'), /^plain runs 1–2, adam runs 1–2 stopped/);
  const at = Number(await page.textContent('#step-counter'));
  await page.waitForFunction((n) => Number(document.querySelector('#step-counter')?.textContent) > n + 50, at, { timeout: 60_000 });
  // The other worker draws from now on: the loss chart still moves, with its runs alone.
  const chart = 'figure.chart[data-metric="train_loss"]';
  const before = await page.innerHTML(chart);
  await page.waitForFunction(([sel, html]) => { const c = document.querySelector(sel); return !!c && c.innerHTML !== html; }, [chart, before], { timeout: 30_000 });
  assert.deepEqual(await page.$$eval(`${chart} g.series`, (gs) => gs.map((g) => g.dataset.method)), ['plain', 'adam']);
  await page.click('#play');
  assert.deepEqual(errors, []);
  await page.close();
});

test('where no worker loads, the page trains the session itself', async () => {
  const link = '#/basics?v=1&steps=200&runs=2&methods=plain,adam&backend=cpu';
  const { page, errors } = await open(link, {
    downloads: true,
    init: (p) => p.route('**/worker.js*', (route) => route.abort()),
  });
  const said = [];
  page.on('console', (m) => said.push(m.text()));
  await playToEnd(page, 200);
  assert.equal(await page.textContent('.status'), '');
  assert.ok(said.some((t) => /did not start .*training in the page/.test(t)), said.join('\n'));
  const json = await exportJson(page);
  assert.deepEqual(json.runs.map((r) => r.method), ['plain', 'plain', 'adam', 'adam']);
  assert.ok(json.runs.every((r) => r.status === 'ok'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a session gets ready before Play, and leaving its lab ends its workers', async () => {
  const { page, errors } = await openWithCores('#/basics?v=1', 2);
  const ready = () => page.waitForFunction(() => document.querySelector('#play')?.dataset.ready === 'true', null, { timeout: 60_000 });
  await ready();
  // Basics' three default runs: a worker each on two cores (two workers would leave a core idle
  // for a third of the run).
  assert.equal(page.workers().length, 3);
  assert.equal(await page.getAttribute('#play', 'data-workers'), '3');
  assert.equal(await page.textContent('#step-counter'), '0');
  for (const lab of ['labels', 'continual']) {
    await page.evaluate((l) => { location.hash = `#/${l}?v=1`; }, lab);
    // The new lab's page, its session not ready yet (that takes at least 250 ms), then ready.
    await page.waitForFunction(() => document.querySelector('#play')?.dataset.ready === 'false');
    await ready();
    // Only the lab on the page has workers: the last one's were terminated.
    const own = Number(await page.getAttribute('#play', 'data-workers'));
    assert.ok(own >= 2, `${lab}: ${own} workers`);
    for (let i = 0; i < 50 && page.workers().length !== own; i++) await page.waitForTimeout(100);
    assert.equal(page.workers().length, own, `after ${lab}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
