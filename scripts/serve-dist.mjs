// Serves a built dist/ on http://127.0.0.1:PORT until stopped: `scripts/serve.sh` after its build.
// Usage: node scripts/serve-dist.mjs DIST PORT
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [root = 'dist', portArg = '8080'] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: port ${portArg}: expected an integer in [0, 65535]`);
  process.exit(2);
}
if (!existsSync(join(root, 'index.html'))) {
  console.error(`serve: ${resolve(root)} has no index.html: build the app first (trunk build --release)`);
  process.exit(2);
}
try {
  const server = await serveDist(resolve(root), port);
  const { port: bound } = server.address();
  console.log(`serving ${resolve(root)} on http://127.0.0.1:${bound}/ (Ctrl-C stops)`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
} catch (e) {
  console.error(`serve: cannot listen on 127.0.0.1:${port}: ${e.code ?? e.message}`);
  process.exit(1);
}
