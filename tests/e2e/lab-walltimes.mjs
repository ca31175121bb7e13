// Wall time to finish each lab's default link in the page under backend=auto, beside the native
// CLI on the same link with --threads 1 and 2 (a figure script: printed, never asserted).
// Usage, after `trunk build --release` and `cargo build --release`:
//   node tests/e2e/lab-walltimes.mjs [dist] [labs, comma-separated]
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

const dist = process.argv[2] ?? 'dist';
const only = process.argv[3]?.split(',');
const server = await serveDist(dist);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });

function cli(link, threads) {
  const t0 = process.hrtime.bigint();
  execFileSync('target/release/methodlab', ['run', link, '--threads', String(threads)], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
  return +(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2);
}

const rows = [];
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  await page.goto(base + '#/basics');
  const labs = (await page.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('href').match(/^#\/(\w+)/)?.[1]).filter((id) => id && id !== 'bench')))
    .filter((l) => !only || only.includes(l));
  await page.close();
  for (const lab of labs) {
    const link = `#/${lab}?v=1`;
    const p = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    await p.goto(base + link);
    await p.waitForFunction(() => { const t = document.querySelector('#backend-badge')?.textContent; return !!t && !t.includes('checking'); });
    const t0 = Date.now();
    await p.click('#play');
    await p.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play' && document.querySelector('.status')?.textContent === '', null, { timeout: 3_600_000, polling: 250 });
    const page_s = +((Date.now() - t0) / 1000).toFixed(2);
    const badge = await p.textContent('#backend-badge');
    const steps = await p.textContent('#step-counter');
    await p.close();
    const row = { lab, link, steps, badge, page_s, cli_threads_1_s: cli(link, 1), cli_threads_2_s: cli(link, 2) };
    row.page_over_cli_1 = +(row.page_s / row.cli_threads_1_s).toFixed(2);
    row.cli_2_over_1 = +(row.cli_threads_2_s / row.cli_threads_1_s).toFixed(2);
    console.log(JSON.stringify(row));
    rows.push(row);
  }
} finally {
  await browser.close();
  server.close();
}
