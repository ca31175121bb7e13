// End-to-end, generated from the labs' declarations (`methodlab labs`): every lab's default link
// and each of its presets, with the lab's `quick` settings laid over them, plays to its own last
// step on WebGPU (SwiftShader: tiny runs) and on the CPU, with no page error, and fills the
// views its lab's check (`views/<lab>.mjs`) asks for. A new preset, or a new lab, is tested
// here without a line written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { useBrowser, open, playOut, declarations, linkWith } from './lab-helpers.mjs';

useBrowser();

for (const lab of declarations()) {
  test(`${lab.id}: the default link and every preset play to their end on WebGPU and on the CPU and fill their views`, async () => {
    const views = new URL(`./views/${lab.id}.mjs`, import.meta.url);
    assert.ok(existsSync(views), `tests/e2e/views/${lab.id}.mjs says what the ${lab.id} lab must show`);
    const { check } = await import(views);
    assert.ok(lab.quick, `${lab.id} declares its quick settings`);
    for (const query of ['', ...lab.presets.map((p) => p.query)]) {
      for (const gpu of [true, false]) {
        const link = linkWith(lab.id, query, lab.quick) + (gpu ? '&backend=gpu' : '');
        const { page, errors } = await open(link, { gpu });
        assert.match(await page.textContent('#backend-badge'), gpu ? /^WebGPU/ : /^CPU/, link);
        await playOut(page);
        await check(page, new URLSearchParams(link.split('?')[1]), lab);
        assert.equal(await page.textContent('.status'), '', link);
        assert.deepEqual(errors, [], link);
        await page.close();
      }
    }
  });
}
