// End-to-end tests of the Basics lab page in Chromium with WebGPU on (SwiftShader here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd, stopped } from './lab-helpers.mjs';

useBrowser();

test('play trains the circle to at least 90% test accuracy, with curves and a boundary', async () => {
  const { page, errors } = await open('#/basics?v=1&lr=0.1&steps=300');
  await playToEnd(page, 300);
  const acc = Number(await page.textContent('#finals tr[data-method="plain"] .test-acc'));
  assert.ok(acc >= 0.9, `test accuracy ${acc}`);
  assert.equal(await page.locator('figure.chart[data-metric="train_loss"] polyline').count(), 1);
  assert.equal(await page.locator('figure.boundary').count(), 1);
  // The picture first, beside the controls: before every chart, in the first screen.
  const top = async (selector) => (await page.locator(selector).first().boundingBox()).y;
  assert.ok(await top('figure.boundary') < await top('.charts figure.chart'), 'the boundary comes before the charts');
  assert.ok(await top('figure.boundary') < 400, `the boundary starts at ${await top('figure.boundary')} px`);
  await page.screenshot({ path: 'test-results/basics.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('toggling a method adds its curve, its boundary and its key to the link', async () => {
  const { page } = await open('#/basics?v=1&steps=100');
  await page.check('input.method-toggle[data-method="mixup"]');
  await page.waitForFunction(() => location.hash.includes('methods=plain,mixup'));
  await page.click('#step');
  await page.waitForFunction(() => document.querySelectorAll('figure.boundary').length === 2);
  assert.equal(await page.locator('figure.chart[data-metric="test_loss"] polyline').count(), 2);
  // Each method's network is drawn too.
  assert.equal(await page.locator('figure.network canvas').count(), 2);
  await page.close();
});

test('the mixup preset shows the Bayes boundary and mixup nearer to it than plain training', async () => {
  const { page: home } = await open('#/basics');
  const href = await home.getAttribute('a.preset:has-text("Mixup")', 'href');
  await home.close();
  const { page, errors } = await open(href.replace('steps=3000', 'steps=1500'));
  await playToEnd(page, 1500);
  assert.equal(await page.locator('figure.chart[data-metric="bayes_gap"] polyline').count(), 2);
  const gap = async (m) => Number(await page.textContent(`#finals tr[data-method="${m}"] .bayes-gap`));
  assert.ok(await gap('mixup') < 0.5 * await gap('plain'), `off Bayes: mixup ${await gap('mixup')}, plain ${await gap('plain')}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a link restores the settings and the same first losses', async () => {
  const link = '#/basics?v=1&seed=5&methods=plain,dropout&data=xor&noise=0.1&units=6';
  const first = [];
  for (let i = 0; i < 2; i++) {
    const { page } = await open(link);
    assert.equal(await page.inputValue('select[data-key="data"]'), 'xor');
    assert.equal(await page.inputValue('#seed'), '5');
    await page.click('#step');
    await stopped(page);
    await page.waitForFunction(() => document.querySelectorAll('#finals tbody tr').length === 2);
    // The runs train in two workers; the one that draws redraws once the other's runs reach it,
    // a few milliseconds after both stop: read the table once it has settled.
    let table = await page.textContent('#finals tbody');
    for (let before = ''; before !== table; ) {
      before = table;
      await page.waitForTimeout(300);
      table = await page.textContent('#finals tbody');
    }
    first.push(table);
    await page.close();
  }
  assert.equal(first[0], first[1]);
});

test('a bad link shows what was wrong and the page still trains', async () => {
  const { page, errors } = await open('#/basics?v=1&noise=9&colour=red&steps=40');
  const message = await page.textContent('#link-problems');
  assert.match(message, /noise = "9": expected a number in \[0, 0.5\]/);
  assert.match(message, /colour/);
  await playToEnd(page, 40);
  await page.click('#link-problems .dismiss');
  assert.equal(await page.isVisible('#link-problems'), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard: s steps, space plays and pauses, r resets', async () => {
  const { page } = await open('#/basics?v=1&steps=100000&backend=gpu');
  await page.keyboard.press('s');
  await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) > 0);
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Pause');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play');
  await page.keyboard.press('r');
  await page.waitForFunction(() => document.querySelector('#step-counter')?.textContent === '0');
  await page.close();
});

test('export writes the history as CSV and JSON', async () => {
  const { page } = await open('#/basics?v=1&runs=2&methods=plain,l2', { downloads: true });
  await page.click('#step');
  await page.waitForFunction(() => document.querySelectorAll('#finals tbody tr').length === 2);
  const read = async (button) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    const stream = await download.createReadStream();
    let text = '';
    for await (const chunk of stream) text += chunk;
    return text;
  };
  const csv = await read('#export-csv');
  assert.match(csv, /^method,seed,metric,step,value\n/);
  assert.match(csv, /\nl2,2,test_acc,\d+,/);
  const json = JSON.parse(await read('#export-json'));
  assert.equal(json.lab, 'basics');
  assert.equal(json.experiment, '#/basics?v=1&runs=2&methods=plain,l2');
  assert.equal(json.runs.length, 4);
  assert.ok(json.runs.every((r) => r.status === 'ok' && r.history.train_loss.length >= 2));
  await page.close();
});

test('classroom mode: hidden controls and presentation live in the link and reset nothing', async () => {
  const { page, errors } = await open('#/basics?v=1&hide=lr,batch&present=1');
  assert.equal(await page.locator('[data-key="lr"]').count(), 0);
  assert.equal(await page.locator('[data-key="batch"]').count(), 0);
  assert.equal(await page.locator('[data-key="noise"]').count(), 1);
  assert.ok(await page.locator('section.lab.present').count() === 1);
  await page.click('#step');
  await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) > 0);
  const steps = await page.textContent('#step-counter');
  await page.click('#classroom');
  await page.check('#classroom-panel input.hide-control[data-key="noise"]');
  await page.waitForFunction(() => location.hash.includes('hide=noise,lr,batch'));
  assert.equal(await page.locator('[data-key="noise"]').count(), 1, 'the panel itself lists noise');
  assert.equal(await page.locator('aside [data-key="noise"]').count(), 0);
  await page.click('#present');
  await page.waitForFunction(() => !location.hash.includes('present=1'));
  assert.equal(await page.textContent('#step-counter'), steps, 'view options keep the run');
  assert.deepEqual(errors, []);
  await page.close();
});

test('copy link, PNG export of a chart and a boundary, and the speed control', async () => {
  const { page } = await open('#/basics?v=1&seed=3&steps=100000', { downloads: true, clipboard: true });
  await page.click('#copy-link');
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'link copied');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await page.evaluate(() => location.href));
  await page.click('#step');
  await page.waitForFunction(() => document.querySelectorAll('figure.boundary').length === 1);
  for (const figure of ['figure.chart[data-metric="train_loss"]', 'figure.boundary']) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${figure} button.png`)]);
    assert.match(download.suggestedFilename(), /\.png$/);
    const chunks = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    assert.deepEqual([...bytes.subarray(1, 4)], [...Buffer.from('PNG')], `${figure} is a PNG`);
    assert.ok(bytes.length > 1000, `${figure}: ${bytes.length} bytes`);
  }
  await page.selectOption('#speed', '1');
  await page.click('#reset');
  await page.click('#play');
  await page.waitForTimeout(1000);
  await page.click('#play');
  const slow = Number(await page.textContent('#step-counter'));
  // The same second uncapped, for comparison (a ratio, not a timed bound).
  await page.selectOption('#speed', '4294967295');
  await page.click('#reset');
  await page.click('#play');
  await page.waitForTimeout(1000);
  await page.click('#play');
  const fast = Number(await page.textContent('#step-counter'));
  assert.ok(slow > 0 && slow * 3 < fast, `one step a frame ran ${slow} steps, uncapped ${fast}`);
  await page.close();
});

test('a lost GPU hands the run to the CPU and the badge says so', async () => {
  const { page, errors } = await open('#/basics?v=1&steps=100000&backend=gpu');
  assert.match(await page.textContent('#backend-badge'), /WebGPU/);
  await page.click('#play');
  await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) > 20);
  await page.evaluate(() => window.methodlabLoseDevice());
  await page.waitForFunction(() => document.querySelector('#backend-badge')?.textContent.startsWith('CPU'), null, { timeout: 30_000 });
  assert.match(await page.textContent('#backend-badge'), /device lost/);
  await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play');
  await page.click('#play');
  await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) > 50);
  await page.click('#play');
  assert.deepEqual(errors, []);
  await page.close();
});

test('regenerate draws a new seed into the link', async () => {
  const { page, errors } = await open('#/basics?v=1&seed=3');
  await page.click('#regenerate');
  await page.waitForFunction(() => !location.hash.includes('seed=3&') && !location.hash.endsWith('seed=3'));
  assert.notEqual(await page.inputValue('#seed'), '3');
  assert.deepEqual(errors, []);
  await page.close();
});
