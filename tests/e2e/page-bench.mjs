// The page-level engine benchmark: opens dist/ in Debian's Chromium (WebGPU on SwiftShader when
// there is no GPU), runs #/bench?auto, prints the figures as JSON and saves a screenshot.
// Figures, not assertions. Usage: node tests/e2e/page-bench.mjs [dist] [profile] [nofusion] [step]
// (WebGPU fuses kernels on every adapter here, as `methodlab bench` does; `nofusion` turns it off,
// `step` runs WebGPU on the step kernel: many steps in one dispatch.)
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

const dist = process.argv[2] ?? 'dist';
const server = await serveDist(dist);
// `profile` as a second argument also times each WebGPU kernel alone (printed to stderr).
const profile = process.argv.slice(3).includes('profile');
const nofusion = process.argv.slice(3).includes('nofusion');
const step = process.argv.slice(3).includes('step');
const url = `http://127.0.0.1:${server.address().port}/#/bench?auto${profile ? '&profile' : ''}${nofusion ? '&nofusion' : ''}${step ? '&step' : ''}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('#backend-badge');
  await page.waitForFunction(() => document.querySelector('#bench-status')?.textContent === 'done', null, { timeout: 180_000 });
  const figures = JSON.parse(await page.textContent('#bench-json'));
  const badge = await page.textContent('#backend-badge');
  if (profile) console.error(await page.textContent('#bench-profile'));
  await mkdir('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/bench.png', fullPage: true });
  console.log(JSON.stringify({ badge, seconds: (Date.now() - t0) / 1000, figures }, null, 2));
} finally {
  await browser.close();
  server.close();
}
