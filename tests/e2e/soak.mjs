// The soak (a script, not a test): one page, for SOAK_MINUTES (default 30), goes round every lab,
// and in each through its default link and every preset: play, switch to WebGPU, to the CPU, back
// to auto, pause, reset. After each lab it collects garbage and samples the JS heap, the wasm
// memory and the GPU buffers held by live programs (0 after a reset). It prints one line per
// sample and a summary: the heap and buffer counts should stay flat. The heap's first ~150
// sessions fill Chromium's performance-timeline buffers (heap-diff.mjs shows it): compare after those.
// Usage, after `trunk build --release`:
//   [SOAK_MINUTES=30] [SOAK_ROUNDS=2] [SOAK_LABS=basics,continual] node tests/e2e/soak.mjs [dist]
import { chromium } from 'playwright-core';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

const dist = process.argv[2] ?? 'dist';
const minutes = Number(process.env.SOAK_MINUTES ?? 30);
// At least this many rounds of every lab, however long they take (a round here is ~45 min).
const minRounds = Number(process.env.SOAK_ROUNDS ?? 1);
// Only these labs (comma-separated ids), to go round the quick ones often.
const only = process.env.SOAK_LABS?.split(',');
const server = await serveDist(dist);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [...chromiumFlags, '--js-flags=--expose-gc', '--enable-precise-memory-info'],
});
const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
page.on('dialog', (d) => d.dismiss());

const badge = () => page.textContent('#backend-badge');
async function waitBadge(re, timeout = 900_000) {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#backend-badge')?.textContent ?? ''), re.source, { timeout });
}
async function settle() {
  // A move waits for the frame in flight; the status empties when it has landed.
  await page.waitForFunction(() => !/timing|building/.test(document.querySelector('.status')?.textContent ?? ''), null, { timeout: 900_000 });
}
async function sample(label, t0, samples) {
  await page.evaluate(() => window.gc?.());
  await page.waitForTimeout(200);
  const s = await page.evaluate(() => ({ heap: performance.memory.usedJSHeapSize, ...window.methodlabLive() }));
  const row = { minute: +((Date.now() - t0) / 60_000).toFixed(1), lab: label, heap_mb: +(s.heap / 2 ** 20).toFixed(2), wasm_mb: +(s.wasm_bytes / 2 ** 20).toFixed(1), gpu_buffers: s.gpu_buffers };
  samples.push(row);
  console.log(JSON.stringify(row));
}

const samples = [];
// The heap after each round of every lab: the first round fills the timeline buffers.
const rounds = [];
let cycles = 0;
try {
  await page.goto(base + '#/basics');
  await waitBadge(/^(?!checking)/);
  const labs = await page.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('href').match(/^#\/(\w+)/)?.[1]).filter((id) => id && id !== 'bench' && id !== 'papers'))
    .then((ids) => ids.filter((id) => !only || only.includes(id)));
  const t0 = Date.now();
  await sample('start', t0, samples);
  while (Date.now() - t0 < minutes * 60_000 || rounds.length < minRounds) {
    for (const lab of labs) {
      await page.evaluate((l) => { location.hash = `#/${l}`; }, lab);
      await page.waitForSelector('#play');
      const presets = await page.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
      for (const link of [`#/${lab}?v=1`, ...presets]) {
        await page.evaluate((l) => { location.hash = l; }, link);
        await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play');
        await page.click('#play');
        await page.waitForTimeout(1500);
        await page.selectOption('#backend-choice', 'gpu');
        await waitBadge(/^WebGPU/);
        await page.waitForTimeout(1500);
        await page.selectOption('#backend-choice', 'cpu');
        await waitBadge(/^CPU \(chosen\)/);
        await page.waitForTimeout(1000);
        await page.selectOption('#backend-choice', 'auto');
        await settle();
        if ((await page.textContent('#play')) === 'Pause') await page.click('#play');
        await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play', null, { timeout: 900_000 });
        await page.click('#reset');
        cycles += 1;
      }
      await sample(lab, t0, samples);
    }
    rounds.push(samples.at(-1).heap_mb);
    console.log(JSON.stringify({ round: rounds.length, minute: samples.at(-1).minute, heap_mb: rounds.at(-1), gpu_buffers: samples.at(-1).gpu_buffers }));
  }
  const first = samples[1] ?? samples[0];
  const last = samples.at(-1);
  const max = (k) => Math.max(...samples.slice(1).map((s) => s[k]));
  console.log(JSON.stringify({
    minutes, cycles, samples: samples.length, page_errors: errors,
    heap_mb_after_each_round: rounds,
    heap_mb: { first: first.heap_mb, last: last.heap_mb, max: max('heap_mb') },
    wasm_mb: { first: first.wasm_mb, last: last.wasm_mb, max: max('wasm_mb') },
    gpu_buffers_after_reset: { first: first.gpu_buffers, last: last.gpu_buffers, max: max('gpu_buffers') },
    final_badge: await badge(),
  }, null, 2));
} finally {
  await browser.close();
  server.close();
}
