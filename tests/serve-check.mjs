// The README's serve command, as a newcomer runs it: `scripts/serve.sh --port P` builds the app
// and serves it; this waits for the port, fetches the page and its wasm (checking each one's
// content type), then stops the command and checks that nothing is left listening.
// Usage: node tests/serve-check.mjs [PORT]   (exits non-zero, saying why, on any failure)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.argv[2] ?? 18080);
const base = `http://127.0.0.1:${port}`;
const fail = (why) => {
  console.error(`serve check: ${why}`);
  process.exit(1);
};

const child = spawn('bash', ['scripts/serve.sh', '--port', String(port)], {
  cwd: root,
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit'],
});
let exited = null;
child.on('exit', (code, signal) => { exited = { code, signal }; });
const stop = () => { try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone already */ } };
process.on('exit', stop);

async function get(path) {
  const res = await fetch(base + path);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

// The build may take minutes on a fresh clone; the command must not exit before serving.
const deadline = Date.now() + 20 * 60_000;
let page;
for (;;) {
  if (exited) fail(`scripts/serve.sh exited (${JSON.stringify(exited)}) before serving`);
  if (Date.now() > deadline) fail('nothing served within 20 minutes');
  try {
    page = await get('/');
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 500));
  }
}
if (page.res.status !== 200 || !page.res.headers.get('content-type')?.startsWith('text/html')) {
  fail(`/ gave ${page.res.status} ${page.res.headers.get('content-type')}`);
}
const wasmPath = /data-wasm="([^"]+)"/.exec(page.body.toString())?.[1];
if (!wasmPath) fail('the page names no wasm (data-wasm)');
const wasm = await get(wasmPath.startsWith('/') ? wasmPath : `/${wasmPath}`);
if (wasm.res.status !== 200 || wasm.res.headers.get('content-type') !== 'application/wasm') {
  fail(`${wasmPath} gave ${wasm.res.status} ${wasm.res.headers.get('content-type')}`);
}
if (wasm.body.subarray(0, 4).toString('hex') !== '0061736d') fail(`${wasmPath} is not WebAssembly`);
console.log(`serve check: / and ${wasmPath} (${wasm.body.length} bytes, application/wasm) served on port ${port}`);

stop();
const gone = Date.now() + 10_000;
while (!exited && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
if (!exited) fail('scripts/serve.sh did not stop on SIGTERM');
try {
  await fetch(base + '/');
  fail('still serving after the command stopped');
} catch {
  console.log('serve check: stopped, nothing left listening');
}
