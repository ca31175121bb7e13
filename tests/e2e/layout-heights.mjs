// Each lab's page height at 1440×900 once its quick link has played out, and where its
// signature view starts: `node tests/e2e/layout-heights.mjs [out-dir]` (a figure, not a test).
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { serveDist, chromiumFlags } from './serve-dist.mjs';
import { declarations, linkWith } from './lab-helpers.mjs';

const out = process.argv[2] ?? 'test-results/layout';
await mkdir(out, { recursive: true });
const server = await serveDist(process.env.DIST ?? 'dist');
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
for (const lab of declarations()) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(base + linkWith(lab.id, '', lab.quick));
  await page.waitForFunction(() => !document.querySelector('#backend-badge')?.textContent.includes('checking'));
  const total = Number(await page.getAttribute('#play', 'data-total'));
  await page.click('#play');
  await page.waitForFunction((n) => Number(document.querySelector('#step-counter')?.textContent) >= n, total, { timeout: 300_000 });
  await page.waitForTimeout(500);
  const figures = await page.evaluate(() => {
    const first = document.querySelector('.main figure');
    return { height: document.documentElement.scrollHeight, firstFigureTop: first ? Math.round(first.getBoundingClientRect().top + scrollY) : null };
  });
  console.log(`${lab.id.padEnd(10)} height ${String(figures.height).padStart(5)} px, first figure at ${figures.firstFigureTop} px`);
  await page.screenshot({ path: `${out}/${lab.id}.png` });
  await page.close();
}
await browser.close();
server.close();
