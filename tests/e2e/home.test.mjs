// End-to-end: the front page. The site's address with no lab in it shows what this is and the
// labs as cards (a thumbnail, methods, papers, the claims' tally, presets to start from), with
// or without WebGPU; a card's preset opens that lab on that preset, and the logo comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open } from './lab-helpers.mjs';

useBrowser();

for (const gpu of [true, false]) {
  test(`the front page shows every lab as a card and opens a preset (WebGPU ${gpu ? 'on' : 'hidden'})`, async () => {
    const { page, errors } = await open('', { gpu, viewport: { width: 1440, height: 900 } });
    await page.waitForSelector('#home');
    assert.equal(await page.locator('.lab-card').count(), 9);
    await page.waitForFunction(() => [...document.querySelectorAll('.lab-card img')].every((i) => i.complete && i.naturalWidth === 360));
    const continual = page.locator('.lab-card[data-lab="continual"]');
    assert.match(await continual.locator('.tally').textContent(), /^10 methods · \d+ papers · 9 claims supported, 1 not$/);
    assert.match(await page.textContent('.counts'), /9 labs, 68 methods, 51 claims/);
    assert.equal(await page.isDisabled('#backend-choice'), true, 'the front page trains nothing');
    const start = continual.locator('.start a').first();
    const href = await start.getAttribute('href');
    await start.click();
    await page.waitForSelector('#play');
    assert.equal(decodeURIComponent(new URL(page.url()).hash), decodeURIComponent(href));
    assert.match(await page.textContent('header nav a.active'), /Continual learning/);
    await page.click('header h1 a');
    await page.waitForSelector('#home');
    assert.equal(await page.locator('#play').count(), 0, 'the lab page ended');
    assert.deepEqual(errors, []);
    await page.close();
  });
}
