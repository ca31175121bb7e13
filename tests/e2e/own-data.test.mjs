// End-to-end tests of your own data: a CSV picked or dropped in Basics and in the imperfect-labels
// lab trains there, rides in the link when small, is asked for when the link only names it, and
// a bad file says which row and column are wrong and changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, playToEnd } from './lab-helpers.mjs';

useBrowser();

/// A ring around a disc, in units a person might have (heights and weights): 200 rows.
function ring() {
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rows = ['height,weight,label'];
  for (let i = 0; i < 200; i++) {
    const inside = i % 2 === 0;
    const r = inside ? rand() : 1.6 + 0.8 * rand();
    const t = 6.283 * rand();
    rows.push(`${(170 + 10 * r * Math.cos(t)).toFixed(2)},${(70 + 8 * r * Math.sin(t)).toFixed(2)},${inside ? 1 : 0}`);
  }
  return rows.join('\n') + '\n';
}

/// Three Gaussian classes in four columns: 3,000 rows, too large for a link.
function clusters() {
  let seed = 5;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(6.283 * rand());
  const rows = ['a,b,c,d,class'];
  for (let i = 0; i < 3000; i++) {
    const c = i % 3;
    rows.push(`${(c + gauss()).toFixed(4)},${(-c + gauss()).toFixed(4)},${gauss().toFixed(4)},${(0.5 * c + gauss()).toFixed(4)},${c}`);
  }
  return rows.join('\n') + '\n';
}

const file = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });

test('a CSV picked in Basics trains there, and its link alone reproduces the run', async () => {
  const { page, errors } = await open('#/basics?v=1&steps=300&lr=0.1&noise=0&units=8', { viewport: { width: 1440, height: 900 } });
  await page.setInputFiles('#own-file', file('ring.csv', ring()));
  await page.waitForFunction(() => location.hash.includes('data=own&') && location.hash.includes('&csvname=ring.csv&csv='));
  assert.match(await page.textContent('#own-summary'), /ring\.csv: 200 rows, 2 classes\..*x₁ = height, x₂ = weight/);
  assert.match(await page.textContent('#own-link'), /In the link/);
  assert.equal(await page.inputValue('select[data-key="data"]'), 'own');
  await playToEnd(page, 300);
  const acc = Number(await page.textContent('#finals tr[data-method="plain"] .test-acc'));
  assert.ok(acc >= 0.9, `test accuracy on the ring ${acc}`);
  await page.screenshot({ path: 'test-results/own-data-basics.png' });

  // The link in a fresh page, with no file given: the same data, the same numbers.
  const link = await page.evaluate(() => location.hash);
  const { page: again } = await open(link);
  assert.equal(await again.locator('#link-problems li').count(), 0);
  await playToEnd(again, 300);
  assert.equal(Number(await again.textContent('#finals tr[data-method="plain"] .test-acc')), acc);
  await again.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad file says which row and column are wrong, and the page keeps its data', async () => {
  const { page, errors } = await open('#/basics?v=1&steps=50');
  const before = await page.evaluate(() => location.hash);
  const bad = [
    ['text.csv', 'a,b,label\n1,2,0\n3,4,1\n5,abc,1\n', /row 3 \(line 4\), column "b": "abc" is not a number/],
    ['ragged.csv', 'a,b,label\n1,2,0\n3,4\n', /row 2 \(line 3\) has 2 fields; the header has 3/],
    ['one.csv', 'a,b,label\n1,2,1\n3,4,1\n', /the label column "label" has one value only \(1\)/],
    ['photo.png', '\x89PNG\r\n\x1a\n\0\0\0', /not a text file/],
    ['three.csv', 'a,b,label\n1,2,0\n3,4,1\n5,6,2\n', /3 distinct values: at most 2 classes/],
  ];
  for (const [name, text, message] of bad) {
    await page.setInputFiles('#own-file', file(name, text));
    await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#own-error')?.textContent ?? ''), message.source);
    assert.equal(await page.evaluate(() => location.hash), before, `${name} leaves the link as it was`);
  }
  // A million rows: refused from its size before it is read.
  const million = 'a,b,label\n' + '1.5,2.5,0\n'.repeat(1_000_000);
  await page.setInputFiles('#own-file', file('million.csv', million));
  await page.waitForFunction(() => /take a sample/.test(document.querySelector('#own-error')?.textContent ?? ''));
  assert.match(await page.textContent('#own-error'), /million\.csv is 10\.0 MB/);
  await page.screenshot({ path: 'test-results/own-data-error.png' });
  assert.equal(await page.evaluate(() => location.hash), before);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a table too large for a link is named by it, and the page asks for the file', async () => {
  const { page, errors } = await open('#/labels?v=1&steps=200&width=16&runs=2&methods=erm', { viewport: { width: 1440, height: 900 } });
  // Dropped on the page.
  const data = clusters();
  const transfer = await page.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'clusters.csv', { type: 'text/csv' }));
    return dt;
  }, data);
  await page.dispatchEvent('section.lab', 'drop', { dataTransfer: transfer });
  await page.waitForFunction(() => location.hash.includes('scenario=own&') && location.hash.includes('&csvname=clusters.csv&csvid='));
  assert.match(await page.textContent('#own-summary'), /clusters\.csv: 3000 rows, 3 classes\..*4 features/);
  assert.match(await page.textContent('#own-link'), /Too large for a link/);
  await playToEnd(page, 200);
  const acc = parseFloat(await page.textContent('#finals tr[data-method="erm"] .test-acc'));
  assert.ok(acc > 0.5, `test accuracy on three clusters ${acc} (chance 0.33): ${await page.textContent("#finals")}`);
  const link = await page.evaluate(() => location.hash);
  await page.close();

  // Opened elsewhere: the link says what it needs; given the file, the same runs.
  const { page: other, errors: otherErrors } = await open(link, { viewport: { width: 1440, height: 900 } });
  assert.match(await other.textContent('#link-problems'), /this link needs the file clusters\.csv/);
  assert.match(await other.textContent('#own-ask'), /This link trains on clusters\.csv/);
  await other.screenshot({ path: 'test-results/own-data-ask.png' });
  await other.setInputFiles('#own-file', file('clusters.csv', data));
  await other.waitForSelector('#own-summary');
  await other.waitForFunction(() => document.querySelectorAll('#link-problems li').length === 0);
  assert.equal(await other.evaluate(() => location.hash), link);
  await playToEnd(other, 200);
  assert.equal(parseFloat(await other.textContent('#finals tr[data-method="erm"] .test-acc')), acc);
  assert.deepEqual(errors, []);
  assert.deepEqual(otherErrors, []);
  await other.close();
});
