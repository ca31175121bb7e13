// The web app's figures for the issue notes (printed, never asserted): the gzipped download of
// the page, the time from navigation to the first trained frame, the Basics lab's steps/s on
// each backend (WebGPU forced with backend=gpu), the frame time while it trains and the time a
// click on Pause takes to show, in Debian's headless Chromium.
// Usage, after `trunk build --release`: node tests/e2e/page-figures.mjs [dist]
import { chromium } from 'playwright-core';
import { readdir, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

const dist = process.argv[2] ?? 'dist';
const files = {};
// Fetched only by the labs that train on them (the digits), not by the page: apart.
const onDemand = {};
for (const name of await readdir(dist)) {
  const into = /\.(html|js|wasm|css)$/.test(name) ? files : /\.bin$/.test(name) ? onDemand : null;
  if (into) {
    const bytes = await readFile(join(dist, name));
    into[name] = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  }
}
const total = Object.values(files).reduce((a, f) => a + f.gzip, 0);

const server = await serveDist(dist);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
const link = '#/basics?v=1&steps=100000';

async function measure(gpu) {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  if (!gpu) await page.addInitScript(() => { Object.defineProperty(navigator, 'gpu', { value: undefined }); });
  const t0 = Date.now();
  await page.goto(base + link + (gpu ? '&backend=gpu' : ''));
  await page.waitForFunction(() => { const t = document.querySelector('#backend-badge')?.textContent; return !!t && !t.includes('checking'); });
  const ready = Date.now() - t0;
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('figure.chart polyline') !== null, null, { timeout: 60_000 });
  const firstFrame = Date.now() - t0;
  // Frame times from requestAnimationFrame while training, and the page's own steps/s.
  const frames = await page.evaluate(() => new Promise((resolve) => {
    const times = [];
    let last = performance.now();
    const end = last + 4000;
    const tick = (now) => {
      times.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(tick); else resolve(times);
    };
    requestAnimationFrame(tick);
  }));
  const rate = Number((await page.textContent('.counter:nth-of-type(2) b')) ?? 'NaN');
  const badge = await page.textContent('#backend-badge');
  // Pause: from the click to the button reading Play, in the page's own clock.
  const pause_ms = await page.evaluate(() => new Promise((resolve) => {
    const button = document.querySelector('#play');
    const t0 = performance.now();
    const seen = () => button.textContent === 'Play' ? resolve(+(performance.now() - t0).toFixed(1)) : requestAnimationFrame(seen);
    button.click();
    seen();
  }));
  await page.close();
  frames.sort((a, b) => a - b);
  const at = (q) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))];
  return {
    badge,
    ms_to_ready: ready,
    ms_to_first_trained_frame: firstFrame,
    steps_per_s: rate,
    pause_ms,
    frame_ms: { median: +at(0.5).toFixed(1), p95: +at(0.95).toFixed(1), frames: frames.length },
  };
}

try {
  const webgpu = await measure(true);
  const cpu = await measure(false);
  console.log(JSON.stringify({ link, gzip_bytes_total: total, files, on_demand: onDemand, webgpu, cpu }, null, 2));
} finally {
  await browser.close();
  server.close();
}
