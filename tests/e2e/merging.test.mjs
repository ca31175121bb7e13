// End-to-end tests of the model-merging lab in Chromium: the default link and every preset on
// WebGPU (SwiftShader, slow: tiny runs), and a full run on the CPU backend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

let server, browser, base;
before(async () => {
  server = await serveDist(process.env.DIST ?? 'dist');
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
  await mkdir('test-results', { recursive: true });
});
after(async () => {
  await browser?.close();
  server?.close();
});

async function open(fragment, { gpu = true } = {}) {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (!gpu) {
    await page.addInitScript(() => { Object.defineProperty(navigator, 'gpu', { value: undefined }); });
  }
  await page.goto(base + fragment);
  await page.waitForFunction(() => { const t = document.querySelector('#backend-badge')?.textContent; return !!t && !t.includes('checking'); });
  return { page, errors };
}

async function playToEnd(page, steps) {
  await page.click('#play');
  await page.waitForFunction((n) => document.querySelector('#step-counter')?.textContent === String(n), steps, { timeout: 300_000 });
  await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play');
}

/// The λ sweep has a curve per method and the base and fine-tuned levels; the table has the
/// base, the fine-tunes and a row per method with its normalised accuracy.
async function checkViews(page) {
  const methods = await page.$$eval('input.method-toggle:checked', (els) => els.map((e) => e.dataset.method));
  await page.waitForFunction((n) => document.querySelectorAll('figure.chart[data-metric="lambda_sweep"] g.series polyline').length === n, methods.length);
  assert.equal(await page.locator('figure.chart[data-metric="lambda_sweep"] g.guide').count(), 2);
  for (const m of ['base', 'finetuned', ...methods]) {
    assert.match(await page.textContent(`#finals tr[data-method="${m}"] .normalized`), /^\d\.\d{3} ± \d\.\d{3}$/, m);
    assert.equal(await page.locator(`figure.bars[data-metric="normalized_acc"] g.bar-group[data-method="${m}"] rect`).count(), 1, m);
  }
}

test('the default link and every preset run on WebGPU and fill their views', async () => {
  const { page: first } = await open('#/merging');
  const presets = await first.$$eval('a.preset', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(presets.length >= 3);
  await first.close();
  for (const link of ['#/merging?v=1', ...presets]) {
    const short = link.replace(/&?(steps|base_steps|tasks)=\d+/g, '') + '&tasks=2&base_steps=4&steps=2&runs=2';
    const { page, errors } = await open(short);
    assert.match(await page.textContent('#backend-badge'), /WebGPU/);
    await playToEnd(page, 8);
    await checkViews(page);
    assert.deepEqual(errors, [], short);
    await page.close();
  }
});

test('on the CPU backend every merge beats the base model and the sweep is drawn', async () => {
  const { page, errors } = await open('#/merging?v=1&base_steps=300&steps=200&methods=task_arithmetic,ties', { gpu: false });
  await playToEnd(page, 1100);
  await checkViews(page);
  const normalized = async (m) => Number((await page.textContent(`#finals tr[data-method="${m}"] .normalized`)).split(' ')[0]);
  for (const m of ['task_arithmetic', 'ties']) {
    assert.ok(await normalized(m) > await normalized('base'), `${m} beats the base model`);
  }
  await page.screenshot({ path: 'test-results/merging.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad fraction says which knob', async () => {
  const { page, errors } = await open('#/merging?v=1&methods=ties&ties.keep=1', { gpu: false });
  const message = await page.textContent('#link-problems');
  assert.match(message, /ties\.keep/);
  assert.deepEqual(errors, []);
  await page.close();
});
