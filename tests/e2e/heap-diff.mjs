// What the JS heap keeps per session (a script, not a test): one page plays, pauses and resets a
// lab's default link WARM times, takes a heap snapshot, does N more sessions, takes another, and
// prints the difference by object kind, largest first. It is how the soak's creep was traced:
// Chromium keeps the last 150 layout-shift, largest-contentful-paint and interaction entries of
// its performance timeline (each layout shift holds its DOMRects), so the heap grows ~1-7 KB a
// session until those buffers are full, and is flat after (WARM=170 N=100: −6 KB).
// Usage, after `trunk build --release`: WARM=170 N=100 LAB=basics node tests/e2e/heap-diff.mjs [dist]
import { chromium } from 'playwright-core';
import { serveDist, chromiumFlags } from './serve-dist.mjs';

const dist = process.argv[2] ?? 'dist';
const warm = Number(process.env.WARM ?? 6);
const n = Number(process.env.N ?? 40);
const lab = process.env.LAB ?? 'basics';
const server = await serveDist(dist);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...chromiumFlags, '--js-flags=--expose-gc'] });
const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
page.on('pageerror', (e) => console.log('page error:', e.message));
const cdp = await page.context().newCDPSession(page);
await cdp.send('HeapProfiler.enable');

// A snapshot after garbage collection, summed by (node type, name): count and self size.
async function snapshot() {
  for (let i = 0; i < 3; i++) {
    await page.evaluate(() => window.gc());
    await page.waitForTimeout(100);
  }
  const chunks = [];
  const onChunk = (e) => chunks.push(e.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  const s = JSON.parse(chunks.join(''));
  const meta = s.snapshot.meta;
  const stride = meta.node_fields.length;
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => meta.node_fields.indexOf(f));
  const kinds = new Map();
  for (let i = 0; i < s.nodes.length; i += stride) {
    const t = meta.node_types[0][s.nodes[i + type]];
    const label = /string/.test(t) ? s.strings[s.nodes[i + name]].slice(0, 60) : s.strings[s.nodes[i + name]];
    const key = `${t} :: ${label}`;
    const k = kinds.get(key) ?? { count: 0, bytes: 0 };
    k.count += 1;
    k.bytes += s.nodes[i + size];
    kinds.set(key, k);
  }
  const heap = await page.evaluate(() => performance.memory.usedJSHeapSize);
  return { kinds, heap };
}

async function session() {
  await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play');
  await page.click('#play');
  await page.waitForTimeout(600);
  if ((await page.textContent('#play')) === 'Pause') await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play');
  await page.click('#reset');
  await page.waitForTimeout(100);
}

try {
  await page.goto(base + `#/${lab}?v=1&backend=cpu`);
  await page.waitForSelector('#play');
  for (let i = 0; i < warm; i++) await session();
  const a = await snapshot();
  for (let i = 0; i < n; i++) await session();
  const b = await snapshot();
  console.log(JSON.stringify({ lab, warm, sessions: n, js_heap_before: a.heap, js_heap_after: b.heap, per_session_bytes: Math.round((b.heap - a.heap) / n) }));
  const rows = [];
  for (const [key, k] of b.kinds) {
    const o = a.kinds.get(key) ?? { count: 0, bytes: 0 };
    if (k.count !== o.count || k.bytes !== o.bytes) rows.push([key, k.count - o.count, k.bytes - o.bytes]);
  }
  for (const [key, o] of a.kinds) if (!b.kinds.has(key)) rows.push([key, -o.count, -o.bytes]);
  rows.sort((x, y) => Math.abs(y[2]) - Math.abs(x[2]));
  console.log('  count     bytes  kind');
  for (const [key, count, bytes] of rows.slice(0, 25)) console.log(`${String(count).padStart(7)} ${String(bytes).padStart(9)}  ${key.slice(0, 120)}`);
} finally {
  await browser.close();
  server.close();
}
