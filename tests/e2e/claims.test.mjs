// End-to-end tests of the Claims panel: a claim's own link played to the end shows its verdict
// with a dot per seed; a claim checked on another setting says so and opens its link; the
// export carries the verdicts; classroom mode enlarges the panel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';

useBrowser();

// Adam's early-progress claim: its own link, 200 steps, 5 seeds.
const ADAM = '#/basics?v=1&steps=200&runs=5&methods=plain,adam';

test('playing a claim\'s link shows its verdict, its effect and a dot per seed', async () => {
  const { page, errors } = await open(ADAM, { gpu: false, downloads: true });
  const adam = '#claims .claim[data-claim="adam-early"]';
  assert.equal(await page.getAttribute(adam, 'data-verdict'), 'not enough evidence yet');
  await playToEnd(page, 200);
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.verdict === 'supported', adam);
  assert.match(await page.textContent(`${adam} .effect`), /train loss after 200 steps: SGD \d\.\d{3} ± \d\.\d{3}, Adam/);
  assert.equal(await page.locator(`${adam} svg.seed-dots circle`).count(), 5);
  assert.match(await page.textContent(`${adam} .agree`), /5 of 5 seeds agree, sign test p = 0\.031/);
  // A claim that reads plain training on another setting says so.
  const l2 = '#claims .claim[data-claim="l2-small-weights"]';
  assert.equal(await page.getAttribute(l2, 'data-verdict'), 'other setting');
  // The export carries the verdicts.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  let text = '';
  for await (const chunk of await download.createReadStream()) text += chunk;
  const json = JSON.parse(text);
  const row = json.claims.find((c) => c.id === 'adam-early');
  assert.equal(row.verdict.verdict, 'supported');
  assert.equal(row.verdict.per_seed.length, 5);
  await page.screenshot({ path: 'test-results/claims.png', fullPage: true });
  // One click opens the other claim's own link.
  await page.click(`${l2} a.claim-link`);
  await page.waitForFunction(() => location.hash.includes('l2.lambda=0.01'));
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.verdict === 'not enough evidence yet', l2);
  assert.deepEqual(errors, []);
  await page.close();
});

test('in classroom mode the claims panel is large', async () => {
  const { page } = await open(ADAM, { gpu: false });
  const size = async () => page.$eval('#claims', (e) => parseFloat(getComputedStyle(e).fontSize));
  const before = await size();
  await page.click('#present');
  await page.waitForFunction(() => document.querySelector('.lab.present'));
  assert.ok(await size() >= 1.4 * before, `font size ${before} → ${await size()}`);
  await page.close();
});
