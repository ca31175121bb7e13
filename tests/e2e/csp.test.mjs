// End-to-end: the app under its Content-Security-Policy (index.html). Every lab's default link
// (shortened to 40 steps: what is fetched and drawn does not depend on the length), on WebGPU
// and on the CPU, loads, steps and exports (CSV, JSON, PNG) with every request going to the
// page's own origin and no CSP violation, and the policy is in force (an inline script is
// refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open } from './lab-helpers.mjs';

useBrowser();

/// Opens `link` with the page's requests, CSP violation events and CSP console messages recorded.
async function openWatched(link, options = {}) {
  const requests = [];
  const consoleCsp = [];
  const init = async (page) => {
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => { if (/Content[- ]Security[- ]Policy/i.test(m.text())) consoleCsp.push(m.text()); });
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });
  };
  const { page, errors } = await open(link, { ...options, downloads: true, init });
  /// Asserts nothing so far left the origin or broke the policy, nor threw.
  const check = async (what) => {
    const origin = new URL(page.url()).origin;
    const foreign = requests.filter((u) => { const url = new URL(u); return url.origin !== origin && url.protocol !== 'blob:' && url.protocol !== 'data:'; });
    assert.deepEqual(foreign, [], `${what}: requests to other origins`);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], `${what}: CSP violations`);
    assert.deepEqual(consoleCsp, [], `${what}: CSP console messages`);
    assert.deepEqual(errors, [], `${what}: page errors`);
  };
  return { page, requests, consoleCsp, check };
}

/// Clicks `selector` and returns the download's bytes and suggested name.
async function download(page, selector) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const chunks = [];
  for await (const chunk of await d.createReadStream()) chunks.push(chunk);
  return { name: d.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

test('the policy is the one in index.html and it refuses an inline script', async () => {
  const { page, consoleCsp, check } = await openWatched('#/basics');
  const policy = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  for (const directive of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'"]) {
    assert.ok(policy.includes(directive), `${directive} in ${policy}`);
  }
  // Trunk's loader is a file, not inline: no inline script on the page at all.
  assert.equal(await page.locator('script:not([src])').count(), 0);
  await check('loaded');
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.head.append(s);
    await new Promise((r) => setTimeout(r, 100));
    return window.__inlineRan === true;
  });
  assert.equal(ran, false, 'an injected inline script ran');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations.map((v) => v.split(' ')[0])), ['script-src-elem']);
  // Chromium's console says so too (what the other test listens for).
  for (let i = 0; i < 100 && consoleCsp.length === 0; i++) await page.waitForTimeout(20);
  assert.equal(consoleCsp.length, 1, consoleCsp.join('\n'));
  await page.close();
});

test('every lab steps and exports CSV, JSON and PNG on WebGPU and on the CPU under the policy', async () => {
  const { page: first } = await open('#/basics');
  const labs = await first.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('href').match(/^#\/(\w+)/)?.[1]).filter((id) => id && id !== 'bench' && id !== 'papers'));
  await first.close();
  assert.deepEqual([...labs].sort(), ['basics', 'continual', 'groups', 'labels', 'merging', 'meta', 'mi', 'ssl', 'vae']);
  for (const lab of labs) {
    for (const gpu of [true, false]) {
      const what = `${lab} on ${gpu ? 'WebGPU' : 'the CPU'}`;
      const { page, requests, check } = await openWatched(`#/${lab}?v=1&steps=40${gpu ? '&backend=gpu' : ''}`, { gpu });
      assert.match(await page.textContent('#backend-badge'), gpu ? /^WebGPU/ : /^CPU/, what);
      assert.ok(requests.some((u) => u.endsWith('.wasm')), `${what}: the wasm was fetched`);
      await page.click('#step');
      await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) > 0, null, { timeout: 300_000 });
      await page.waitForFunction(() => document.querySelector('figure button.png'), null, { timeout: 300_000 });

      const csv = await download(page, '#export-csv');
      assert.match(csv.bytes.toString(), /^method,/, `${what}: CSV`);
      const json = JSON.parse((await download(page, '#export-json')).bytes.toString());
      assert.equal(json.lab, lab, `${what}: JSON`);
      // A chart (SVG drawn through a data: image onto a canvas) and, where there is one, a canvas.
      const kinds = await page.$$eval('figure:has(button.png)', (fs) => fs.map((f) => (f.querySelector('canvas') ? 'canvas' : f.querySelector('svg') ? 'svg' : '')));
      for (const kind of ['svg', 'canvas']) {
        const at = kinds.indexOf(kind);
        if (at < 0) continue;
        const png = await download(page, `:nth-match(figure:has(button.png), ${at + 1}) button.png`);
        assert.match(png.name, /\.png$/, `${what}: ${kind} PNG name`);
        assert.deepEqual([...png.bytes.subarray(1, 4)], [...Buffer.from('PNG')], `${what}: ${kind} export is a PNG`);
        assert.ok(png.bytes.length > 1000, `${what}: ${kind} PNG of ${png.bytes.length} bytes`);
      }
      assert.ok(kinds.includes('svg'), `${what}: a chart to export (${kinds})`);
      await check(what);
      await page.close();
    }
  }
});
