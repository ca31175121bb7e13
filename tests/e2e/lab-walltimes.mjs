// Wall time to finish each lab's default link in the page under backend=auto, beside the native
// CLI on the same link with --threads 1 and 2 (a figure script: printed, never asserted). The
// page's time runs from Play, pressed once the session is ready (its workers get ready unasked:
// `ready_s` is that time from navigation; the CLI's includes its own start). While
// the page trains, the time between its animation frames (p50, p95, max: the page must stay
// responsive while workers train); then, on a fresh session, how long a click on Pause takes to
// show (the button reads Play) and to land (the engines have stopped: data-busy is false).
// A run under 2 s is timed three times (under 0.2 s, seven: this machine's spread is tens of
// milliseconds), on the page and on the CLI alike, and its median kept.
// Usage, after `trunk build --release` and `cargo build --release`:
//   [CORES=n] [SUFFIX=&backend=cpu] [QUICK=1] node tests/e2e/lab-walltimes.mjs [dist] [labs, comma-separated]
// SUFFIX is appended to every link (the CLI gets the same link); QUICK=1 times the page alone
// (no CLI, no Pause), for comparing pages.
// CORES makes the page see n cores (navigator.hardwareConcurrency): CORES=1 trains every lab in
// one worker, the figure to compare the split with.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

const dist = process.argv[2] ?? 'dist';
const only = process.argv[3]?.split(',');
const server = await serveDist(dist);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
const context = await browser.newContext({ viewport: { width: 1300, height: 1000 } });
if (process.env.CORES) {
  await context.addInitScript((n) => {
    Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n });
  }, Number(process.env.CORES));
}

// How many times a run that took `s` seconds once is timed: its median is kept.
const repeats = (s) => (s < 0.2 ? 7 : s < 2 ? 3 : 1);

// The CLI's wall time, process start included.
function cli(link, threads) {
  const once = () => {
    const t0 = process.hrtime.bigint();
    execFileSync('target/release/methodlab', ['run', link, '--threads', String(threads)], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  const times = [once()];
  while (times.length < repeats(times[0])) times.push(once());
  times.sort((a, b) => a - b);
  return +times[Math.floor(times.length / 2)].toFixed(3);
}

const rows = [];
try {
  const page = await context.newPage();
  await page.goto(base + '#/basics');
  const labs = (await page.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('href').match(/^#\/(\w+)/)?.[1]).filter((id) => id && id !== 'bench' && id !== 'papers')))
    .filter((l) => !only || only.includes(l));
  await page.close();
  for (const lab of labs) {
    const link = `#/${lab}?v=1${process.env.SUFFIX ?? ''}`;
    const p = await context.newPage();
    const loaded = Date.now();
    await p.goto(base + link);
    // The session gets ready unasked (workers started, runs built, auto's timing done): a
    // reader presses Play after that.
    await p.waitForFunction(() => { const b = document.querySelector('#play')?.dataset; return b?.ready === 'true' && b?.busy === 'false'; }, null, { timeout: 600_000 });
    const ready_s = +((Date.now() - loaded) / 1000).toFixed(2);
    await p.evaluate(() => {
      window.frameGaps = [];
      let last = performance.now();
      const tick = (t) => { window.frameGaps.push(t - last); last = t; if (!window.stopFrames) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    });
    // Play is clicked in the page and the end seen there, by a mutation observer: no round trip
    // to Playwright at either end (its click and polling cost Basics' 60 ms run half as much again).
    const playToEnd = () => p.evaluate(() => new Promise((resolve) => {
      const button = document.querySelector('#play');
      let started = false;
      const t0 = performance.now();
      const check = () => {
        if (button.textContent !== 'Play') started = true;
        else if (started && document.querySelector('.status')?.textContent === '') {
          observer.disconnect();
          resolve(performance.now() - t0);
        }
      };
      const observer = new MutationObserver(check);
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      button.click();
      check();
    }));
    // As for the CLI, a short run is the median of several: Reset, ready again, Play again.
    const runs_ms = [await playToEnd()];
    while (runs_ms.length < repeats(runs_ms[0] / 1000)) {
      await p.click('#reset');
      await p.waitForFunction(() => { const b = document.querySelector('#play')?.dataset; return b?.ready === 'true' && b?.busy === 'false' && document.querySelector('#step-counter')?.textContent === '0'; }, null, { timeout: 60_000 });
      runs_ms.push(await playToEnd());
    }
    const page_ms = [...runs_ms].sort((a, b) => a - b)[Math.floor(runs_ms.length / 2)];
    const page_s = +(page_ms / 1000).toFixed(3);
    const gaps = await p.evaluate(() => { window.stopFrames = true; return window.frameGaps.slice(5).sort((a, b) => a - b); });
    const at = (q) => +(gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))] ?? NaN).toFixed(1);
    const badge = await p.textContent('#backend-badge');
    const steps = await p.textContent('#step-counter');
    const workers = p.workers().length;
    await p.close();
    if (process.env.QUICK) {
      console.log(JSON.stringify({ lab, link, steps, badge, workers, ready_s, page_s, frame_ms: { p50: at(0.5), p95: at(0.95), max: at(1) } }));
      continue;
    }
    // Pause, on a fresh session two seconds into training.
    const q = await context.newPage();
    await q.goto(base + link);
    await q.waitForFunction(() => { const b = document.querySelector('#play')?.dataset; return b?.ready === 'true' && b?.busy === 'false'; }, null, { timeout: 600_000 });
    await q.click('#play');
    await q.waitForTimeout(2000);
    const pause = await q.evaluate(() => new Promise((resolve) => {
      const button = document.querySelector('#play');
      const t0 = performance.now();
      let shown;
      button.click();
      const poll = () => {
        const t = performance.now() - t0;
        if (shown === undefined && button.textContent === 'Play') shown = t;
        if (shown !== undefined && button.dataset.busy === 'false') resolve({ shown_ms: +shown.toFixed(1), landed_ms: +t.toFixed(1) });
        else setTimeout(poll, 1);
      };
      poll();
    }));
    await q.close();
    const row = {
      lab, link, steps, badge, workers, ready_s, page_s, page_runs_ms: runs_ms.map((t) => +t.toFixed(1)),
      frame_ms: { p50: at(0.5), p95: at(0.95), max: at(1) }, pause,
      cli_threads_1_s: cli(link, 1), cli_threads_2_s: cli(link, 2),
    };
    row.page_over_cli_1 = +(row.page_s / row.cli_threads_1_s).toFixed(2);
    row.cli_2_over_1 = +(row.cli_threads_2_s / row.cli_threads_1_s).toFixed(2);
    console.log(JSON.stringify(row));
    rows.push(row);
  }
} finally {
  await browser.close();
  server.close();
}
