// End-to-end tests of the sweep view (`#/sweep/<lab>?…`): cells trained in workers give the
// CLI's results file; a claim's verdict a cell; a CLI results file opened on the page draws the
// same grid without training; a bad sweep link says what is wrong and runs nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBrowser, open, methodlab } from './lab-helpers.mjs';

useBrowser();

// The README's sweep: the L2 claim's own link over λ and the noise rate.
const AXES = 'l2.lambda=0.0001..0.1:log:4&noise=0,0.15,0.3';
const LINK = `#/sweep/basics?v=1&runs=5&methods=plain,l2&data=xor&steps=1500&${AXES}`;

/// A results file's records, by (cell, run).
const records = (text) => text.trim().split('\n').slice(1).map((l) => JSON.parse(l));

/// Values equal up to wasm's exp and ln, which may differ from native by an ulp.
function close(a, b, what) {
  assert.equal(Object.keys(a).join(), Object.keys(b).join(), what);
  for (const k of Object.keys(a)) {
    assert.ok(Math.abs(a[k] - b[k]) <= 1e-4 * Math.max(1, Math.abs(b[k])), `${what} ${k}: ${a[k]} vs ${b[k]}`);
  }
}

async function cells(page) {
  return page.$$eval('#sweep-grid td.sweep-cell', (tds) => tds.map((td) => ({
    cell: Number(td.dataset.cell), cls: td.className, text: td.textContent, href: td.querySelector('a')?.getAttribute('href'),
  })));
}

test('a sweep trains its cells in workers and saves the CLI\'s results file', async () => {
  const { page, errors } = await open(LINK, { gpu: false, downloads: true });
  assert.equal(await page.textContent('#sweep-status'), '0/12 cells');
  assert.equal((await cells(page)).length, 12);
  await page.click('#sweep-play');
  await page.waitForFunction(() => document.querySelector('#sweep-status')?.textContent.startsWith('12/12 cells')
    && document.querySelector('#sweep-play')?.textContent === 'Play', null, { timeout: 120_000 });
  // The claim that reads plain against L2 colours the cells, as `check --sweep` gives them.
  assert.equal(await page.$eval('#sweep-measure', (s) => s.value), 'claim:l2-small-weights');
  const grid = await cells(page);
  const cli = methodlab(['check', 'l2-small-weights', '--sweep', AXES, '--format', 'csv']).trim().split('\n').slice(1);
  assert.equal(cli.length, 12);
  const mark = { supported: '✓', not_supported: '✗', not_enough_evidence: '?' };
  cli.forEach((row, c) => {
    const [, , , verdict, agree, of] = row.split(',');
    assert.equal(grid[c].text, `${mark[verdict]} ${agree}/${of}`, `cell ${c}: ${row}`);
  });
  // A tiny λ does not shrink the weights enough; larger ones do.
  assert.equal(grid[0].cls.split(' ')[1], 'not-supported');
  assert.equal(grid[11].cls.split(' ')[1], 'supported');
  assert.equal(grid[5].href, '#/basics?v=1&runs=5&methods=plain,l2&data=xor&noise=0.3&steps=1500'); // 0.001: L2's own λ, left out
  await page.locator('#sweep').screenshot({ path: 'test-results/screenshot-sweep.png' });
  // A metric instead: a value a cell.
  await page.selectOption('#sweep-measure', 'metric:l2:weight_sq');
  const values = (await cells(page)).map((c) => Number(c.text));
  // A strong penalty takes the weights to zero.
  assert.ok(values.every((v) => v >= 0) && values[0] > 30 && values[11] < 0.01, `${values}`);
  await page.screenshot({ path: 'test-results/sweep.png', fullPage: true });

  const [d] = await Promise.all([page.waitForEvent('download'), page.click('#sweep-save')]);
  const chunks = [];
  for await (const chunk of await d.createReadStream()) chunks.push(chunk);
  const saved = Buffer.concat(chunks).toString();
  const file = methodlab(['sweep', LINK, '--threads', '2']);
  assert.equal(saved.split('\n')[0], file.split('\n')[0], 'the same header');
  const [got, want] = [records(saved), records(file)];
  assert.equal(got.length, want.length);
  got.forEach((r, i) => {
    const w = want[i];
    assert.deepEqual([r.cell, r.run, r.method, r.seed, r.status, r.link], [w.cell, w.run, w.method, w.seed, w.status, w.link]);
    close(r.final, w.final, `cell ${r.cell} run ${r.run}`);
  });
  assert.deepEqual(errors, []);
});

test('a CLI results file opened on the page draws its grid without training', async () => {
  const link = '#/basics?v=1&runs=2&steps=100&noise=0,0.25,0.5&layers=0..2';
  const dir = mkdtempSync(join(tmpdir(), 'methodlab-sweep-'));
  const file = join(dir, 'results.jsonl');
  writeFileSync(file, methodlab(['sweep', link, '--threads', '2']));
  const { page, errors } = await open('#/basics', { gpu: false });
  await page.click('#sweep-open');
  await page.waitForSelector('#sweep-play');
  await page.setInputFiles('#sweep-file', file);
  await page.waitForFunction(() => document.querySelector('#sweep-status')?.textContent.startsWith('9/9 cells'));
  assert.match(await page.textContent('#sweep-status'), /from a results file/);
  assert.match(page.url(), /#\/sweep\/basics\?v=1&runs=2&steps=100&noise=0,0.25,0.5&layers=0..2$/);
  const grid = await cells(page);
  assert.equal(grid.length, 9);
  assert.ok(grid.every((c) => c.cls.includes('value')), JSON.stringify(grid));
  // A foreign file: a message, and the grid stays.
  const foreign = join(dir, 'foreign.jsonl');
  writeFileSync(foreign, 'method,seed\nplain,1\n');
  await page.setInputFiles('#sweep-file', foreign);
  await page.waitForSelector('#sweep-error', { state: 'visible' });
  assert.match(await page.textContent('#sweep-error'), /not a sweep's header/);
  assert.equal((await cells(page)).length, 9);
  assert.deepEqual(errors, []);
});

test('a bad sweep link names the key and runs nothing; the axis editor makes a new link', async () => {
  const { page, errors } = await open('#/sweep/basics?v=1&noise=0..0.9:3', { gpu: false });
  await page.waitForSelector('#sweep-problems', { state: 'visible' });
  assert.match(await page.textContent('#sweep-problems'), /noise = "0\.\.0\.9:3": 0\.9: expected a number in \[0, 0\.5\]/);
  assert.equal(await page.$eval('#sweep-play', (b) => b.disabled), true);
  await page.fill('#sweep-axes .sweep-values', '0,0.1');
  await page.press('#sweep-axes .sweep-values', 'Enter');
  await page.waitForFunction(() => location.hash.endsWith('noise=0,0.1'));
  await page.waitForSelector('#sweep-problems', { state: 'hidden' });
  assert.equal((await cells(page)).length, 2);
  await page.click('#sweep-add');
  await page.waitForFunction(() => document.querySelectorAll('#sweep-axes .sweep-axis').length === 2);
  assert.ok((await cells(page)).length > 2);
  assert.deepEqual(errors, []);
});

test('a claim card sweeps its claim: its own link as a sweep, read with that claim', async () => {
  const { page, errors } = await open('#/basics', { gpu: false });
  const card = '#claims .claim[data-claim="l2-small-weights"]';
  await page.click(`${card} a.sweep-claim`);
  await page.waitForSelector('#sweep-play');
  assert.match(page.url(), /#\/sweep\/basics\?v=1&.*methods=plain,l2.*&claim=l2-small-weights$/);
  assert.equal(await page.$eval('#sweep-measure', (s) => s.value), 'claim:l2-small-weights');
  // A claim of two links has no sweep link.
  assert.equal(await page.locator('#claims .claim[data-claim="mixup-separability"] a.sweep-claim').count(), 0);
  // A claim the sweep cannot read: the key is named, nothing runs.
  await page.goto(page.url().replace('claim=l2-small-weights', 'claim=nope'));
  await page.waitForSelector('#sweep-problems', { state: 'visible' });
  assert.match(await page.textContent('#sweep-problems'), /claim = "nope": basics has no claim nope/);
  assert.deepEqual(errors, []);
});
