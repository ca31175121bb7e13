// Shared by the end-to-end tests: one browser and one static server per test file,
// opening a lab link (optionally with WebGPU hidden), and playing.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

let server, browser, base;
/// Every context `open` made and not yet closed, and the closes under way. A close is awaited
/// in `after` before the browser goes: a close that nobody awaits would reject once the browser
/// is gone, and Node's test runner fails the file for that activity after its tests ended.
const contexts = new Set();
const closing = new Set();

/// Closes a context once, and never rejects: a context whose browser is already gone is closed.
function closeContext(context) {
  if (!contexts.delete(context)) return;
  const done = context.close().catch(() => {}).finally(() => closing.delete(done));
  closing.add(done);
}

/// Registers the file's before/after hooks: serve dist/, launch Chromium with WebGPU on.
export function useBrowser() {
  before(async () => {
    server = await serveDist(process.env.DIST ?? 'dist');
    base = `http://127.0.0.1:${server.address().port}/`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
    await mkdir('test-results', { recursive: true });
  });
  after(async () => {
    for (const context of [...contexts]) closeContext(context);
    await Promise.all([...closing]);
    await browser?.close().catch(() => {});
    server?.close();
  });
}

/// Opens `fragment` in a fresh context and waits for the backend badge to settle. Options:
/// `gpu: false` hides WebGPU, `downloads` accepts downloads, `clipboard` grants the clipboard,
/// `viewport` sizes the page, `init(page)` runs before the page loads (listeners, init scripts),
/// `settle: false` returns without waiting for the badge. Closing the page closes its context.
export async function open(fragment, { gpu = true, downloads = false, clipboard = false, viewport = { width: 1300, height: 1100 }, init, settle = true } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: downloads });
  if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  contexts.add(context);
  const page = await context.newPage();
  page.on('close', () => closeContext(context));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (!gpu) {
    await page.addInitScript(() => { Object.defineProperty(navigator, 'gpu', { value: undefined }); });
  }
  await init?.(page);
  await page.goto(base + fragment);
  if (settle) await page.waitForFunction(() => { const t = document.querySelector('#backend-badge')?.textContent; return !!t && !t.includes('checking'); });
  return { page, errors };
}

/// Waits until the page is paused and its training loop has landed the frame it had in flight,
/// so the step counter no longer moves.
export async function stopped(page) {
  await page.waitForFunction(() => {
    const play = document.querySelector('#play');
    return play?.textContent === 'Play' && play.dataset.busy === 'false';
  });
}

/// Plays until the run stops by itself, and checks that it stopped at exactly `steps`. (Waiting
/// for the counter to read `steps` would pass a run that goes on past it whenever a progress
/// frame happened to land there.)
export async function playToEnd(page, steps) {
  await page.click('#play');
  await page.waitForFunction((n) => Number(document.querySelector('#step-counter')?.textContent) >= n, steps, { timeout: 300_000 });
  await stopped(page);
  assert.equal(await page.textContent('#step-counter'), String(steps), 'the run stops at its last step');
}

/// Plays until the run stops by itself, at its own last step (the page's `data-total`).
export async function playOut(page) {
  const total = await page.getAttribute('#play', 'data-total');
  await playToEnd(page, Number(total));
}

/// The CLI's standard output for `args` (the test command has built it; else cargo builds it).
export function methodlab(args) {
  const built = 'target/debug/methodlab';
  return existsSync(built)
    ? execFileSync(built, args).toString()
    : execFileSync('cargo', ['run', '--quiet', '--bin', 'methodlab', '--', ...args]).toString();
}

/// Every lab's declaration, as `methodlab labs` prints it.
export function declarations() {
  return JSON.parse(methodlab(['labs']));
}

/// `query` (`key=value&…`) with `over`'s keys laid over it, as a link to `lab`.
export function linkWith(lab, query, over) {
  const params = new URLSearchParams(query);
  for (const [key, value] of new URLSearchParams(over)) params.set(key, value);
  params.delete('v');
  // Written out as links are: a `,` in a list stays a comma.
  const pairs = [...params].map(([key, value]) => `${key}=${value}`);
  return `#/${lab}?v=1&${pairs.join('&')}`;
}

/// Plays until at least `steps` steps have run, then pauses.
export async function playFor(page, steps) {
  await page.click('#play');
  await page.waitForFunction((n) => Number(document.querySelector('#step-counter')?.textContent) >= n, steps, { timeout: 120_000 });
  await page.click('#play');
  await stopped(page);
}

/// Clicks Export JSON (the page needs `downloads: true`) and returns the report it downloads.
export async function exportJson(page) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const chunks = [];
  for await (const chunk of await d.createReadStream()) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString());
}
