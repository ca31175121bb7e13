// End-to-end tests of claims checked in place: a card's Check runs the claim's own links in
// workers beside the session and gives the CLI's verdict (same seeds, same numbers on the CPU);
// Cancel stops it; "Check the whole lab" fills every card and gives the tally; the results export
// as JSON; the papers catalogue lists and searches every paper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, methodlab } from './lab-helpers.mjs';

useBrowser();

const card = (id) => `#claims .claim[data-claim="${id}"]`;

/// Waits for claim `id`'s check to land on its card, and returns what the card shows.
async function checked(page, id, timeout = 120_000) {
  await page.waitForSelector(`${card(id)} .checked`, { timeout });
  return page.$eval(`${card(id)} .checked`, (e) => ({
    verdict: e.dataset.checked,
    seeds: e.dataset.seeds,
    agree: e.querySelector('.agree')?.textContent ?? '',
    stats: e.querySelector('.stats')?.textContent ?? '',
    dots: [...e.querySelectorAll('svg.seed-dots circle title')].map((t) => t.textContent),
  }));
}

/// The CLI's record of claim `lab/id` on its own seeds.
function cli(claim) {
  return JSON.parse(methodlab(['check', claim, '--backend', 'cpu']).trim());
}

/// Each dot's seed and value, "seed 3: 0.4713 (agrees)" → [3, 0.4713].
const seedValues = (dots) => dots.map((d) => {
  const m = d.match(/^seed (\d+): (-?[\d.e+-]+)/);
  return m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
});

for (const claim of ['basics/l2-small-weights', 'basics/adam-early']) {
  test(`Check on ${claim} gives the CLI's verdict beside the session`, async () => {
    const [lab, id] = claim.split('/');
    const { page, errors } = await open(`#/${lab}`, { gpu: false });
    const stepBefore = await page.textContent('#step-counter');
    await page.click(`${card(id)} button.check-claim`);
    // Progress while it runs, then the verdict.
    await page.waitForSelector(`${card(id)} .check-state`);
    const got = await checked(page, id);
    const want = cli(claim);
    assert.equal(got.verdict, want.verdict.replace(/_/g, ' '));
    assert.equal(got.seeds, 'declared');
    assert.match(got.agree, new RegExp(`^${want.agree} of ${want.of} seeds agree, sign test p = ${want.p_value.toFixed(3)}`));
    // The same seeds and values (wasm's exp and ln may differ from native by an ulp).
    const values = seedValues(got.dots);
    assert.equal(values.length, want.per_seed.length);
    values.forEach(([seed, v], i) => {
      assert.equal(seed, want.per_seed[i].seed);
      assert.ok(Math.abs(v - want.per_seed[i].value) <= 1e-4 * Math.max(1, Math.abs(v)), `seed ${seed}: ${v} vs ${want.per_seed[i].value}`);
    });
    assert.match(got.stats, /^95 % CI \[/);
    if (want.improvement !== null) assert.match(got.stats, new RegExp(`P\\(A > B\\) ${want.improvement.toFixed(2)}`));
    // The session was left alone.
    assert.equal(await page.textContent('#step-counter'), stepBefore);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('Cancel stops a check, and a queued one leaves the queue', async () => {
  // Continual claims train 5 seeds over a stream of tasks: seconds each, long enough to cancel.
  const { page, errors } = await open('#/continual', { gpu: false });
  const [running, queued] = ['ewc-forgets-less', 'replay-forgets-less'];
  await page.click(`${card(running)} button.check-claim`);
  await page.click(`${card(queued)} button.check-claim`);
  await page.waitForFunction((sel) => /queued/.test(document.querySelector(sel)?.textContent ?? ''), `${card(queued)} .check-controls`);
  assert.match(await page.textContent(`${card(running)} .check-controls`), /checking: \d+ of \d+ runs/);
  await page.click(`${card(queued)} button.cancel-check`);
  await page.waitForSelector(`${card(queued)} button.check-claim`);
  await page.click(`${card(running)} button.cancel-check`);
  await page.waitForSelector(`${card(running)} button.check-claim`);
  // Nothing lands afterwards.
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('#claims .checked').count(), 0);
  assert.equal(await page.isVisible('#export-checks'), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Check the whole lab fills every card, tallies them, and exports the results', async () => {
  const { page, errors } = await open('#/basics', { gpu: false, downloads: true });
  const claims = JSON.parse(methodlab(['claims'])).filter((c) => c.lab === 'basics' && !c.slow);
  const started = Date.now();
  await page.click('#check-lab');
  await page.waitForFunction((n) => document.querySelectorAll('#claims .checked').length === n, claims.length, { timeout: 300_000 });
  const seconds = (Date.now() - started) / 1000;
  console.log(`basics: every claim checked in the page in ${seconds.toFixed(1)} s`);
  const tally = await page.textContent('#claims-tally');
  const supported = await page.locator('#claims .checked[data-checked="supported"]').count();
  assert.match(tally, new RegExp(`^${supported} of ${claims.length} supported on your machine`));
  await page.screenshot({ path: 'test-results/claims-checked.png', fullPage: true });
  // The README's picture of the panel.
  await page.locator('#claims').screenshot({ path: 'test-results/screenshot-claims.png' });
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('#export-checks')]);
  const chunks = [];
  for await (const chunk of await d.createReadStream()) chunks.push(chunk);
  const records = JSON.parse(Buffer.concat(chunks).toString());
  assert.equal(records.length, claims.length);
  for (const r of records) {
    assert.equal(r.lab, 'basics');
    assert.equal(r.seeds, 'declared');
    // The CLI's record on the same CPU, bit for bit: every function the runs compute is the
    // engine's own in both builds (engine/src/math.rs).
    const want = cli(`basics/${r.id}`);
    assert.equal(r.verdict, want.verdict, r.id);
    assert.deepEqual(r.per_seed, want.per_seed, r.id);
    assert.deepEqual(r.interval, want.interval, r.id);
    assert.equal(r.improvement, want.improvement, r.id);
    assert.equal(r.effect, want.effect, r.id);
  }
  // New seeds for one claim: a record of its own, on other seeds.
  await page.click(`${card('l2-small-weights')} button.check-fresh`);
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.seeds !== 'declared', `${card('l2-small-weights')} .checked`, { timeout: 120_000 });
  assert.match(await page.getAttribute(`${card('l2-small-weights')} .checked`, 'data-seeds'), /^\d+-\d+$/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the papers catalogue lists every seed paper and searches titles', async () => {
  const { page, errors } = await open('#/papers');
  const all = JSON.parse(methodlab(['papers', '--format', 'json']));
  assert.equal(await page.locator('.paper-entry').count(), all.length);
  assert.match(await page.textContent('#papers .counts'), /papers shown in the labs/);
  await page.fill('#paper-search', 'merging');
  await page.waitForFunction(() => document.querySelectorAll('.paper-entry').length < 40);
  await page.screenshot({ path: 'test-results/screenshot-papers.png' });
  await page.fill('#paper-search', 'ties merging');
  await page.waitForFunction(() => document.querySelectorAll('.paper-entry').length < 5);
  const titles = await page.$$eval('.paper-entry', (es) => es.map((e) => e.dataset.title));
  assert.ok(titles.includes('TIES-Merging: Resolving Interference When Merging Models'), titles.join('; '));
  // A shown paper opens its lab at its claim's link.
  await page.click('.paper-entry[data-title^="TIES-Merging"] li[data-claim] a');
  await page.waitForFunction(() => location.hash.startsWith('#/merging?v=1&'));
  await page.waitForSelector('#claims');
  // A paper not shown says why.
  await page.goto(page.url().replace(/#.*/, '#/papers?q=grokking'));
  await page.waitForSelector('.paper-entry');
  await page.fill('#paper-search', '');
  await page.waitForFunction((n) => document.querySelectorAll('.paper-entry').length === n, all.length);
  const unshown = page.locator('.paper-entry[data-shown="0"] .status').first();
  assert.match(await unshown.textContent(), /^(planned|open|cannot)$/);
  assert.deepEqual(errors, []);
  await page.close();
});
