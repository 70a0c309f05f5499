// The web console in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core, which never downloads a browser): it loads without console errors, shows the
// seeded users, shows an SMS sent through the SDK within a second, stores an inbound SMS simulated
// from the console, renders HTML in a message as text, and paints its message view in under a
// second with 100,000 messages stored.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { startServer, loginSDK, tempDir, EXT_101 } from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const ME = '/restapi/v1.0/account/~/extension/~';

let server;
let context;
let profile;
const problems = [];

before(async () => {
  // The 100,000-message state document is about 60 MB, above the default body limit.
  process.env.RCEMU_MAX_BODY = String(256 << 20);
  server = await startServer();
  profile = tempDir('rcemu-chromium-');
  context = await chromium.launchPersistentContext(profile.dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await context?.close();
  profile?.remove();
  await server?.stop();
});

/** open loads a console view in a new page that records every console error, page error and dialog. */
async function open(hash) {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
  await page.goto(`${server.url}/_rcemu/console/#${hash}`);
  return page;
}

test('the console loads without errors and shows the seeded users', async () => {
  const page = await open('directory');
  await page.locator('table.extensions td', { hasText: 'Ada Lovelace' }).first().waitFor({ timeout: 5000 });
  for (const name of ['Grace Hopper', 'Alan Turing', 'Marie Curie', 'Niels Bohr']) {
    assert.ok(await page.locator('table.extensions td', { hasText: name }).count() > 0, name);
  }
  await page.locator('#live.on').waitFor({ timeout: 5000 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('an SMS sent through the SDK shows within a second, and an inbound SMS from the console is stored', async () => {
  const page = await open('messages');
  await page.locator('#messages tbody tr').first().waitFor();
  await page.locator('#live.on').waitFor({ timeout: 5000 });
  const platform = await loginSDK(server, EXT_101);
  const text = `console live ${Date.now()}`;
  const t0 = Date.now();
  await platform.post(`${ME}/sms`, { from: { phoneNumber: '+16505550101' }, to: [{ phoneNumber: '+16505550102' }], text });
  await page.locator('#messages td', { hasText: text }).waitFor({ timeout: 1000 });
  const shown = Date.now() - t0;
  console.log(`SMS shown in the console ${shown} ms after the SDK's POST was sent`);
  assert.ok(shown < 1000, `${shown} ms`);

  const inbound = `from the console ${Date.now()}`;
  await page.fill('#inbound-from', '+15551239876');
  await page.fill('#inbound-text', inbound);
  await page.click('#inbound-send');
  await page.locator('#messages td', { hasText: inbound }).waitFor({ timeout: 2000 });
  const list = await (await platform.get(`${ME}/message-store`, { direction: 'Inbound', messageType: 'SMS', perPage: 100 })).json();
  const got = list.records.find((m) => m.subject === inbound);
  assert.ok(got, 'the simulated SMS is in the message store');
  assert.equal(got.from.phoneNumber, '+15551239876');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a message holding HTML renders as text', async () => {
  const page = await open('messages');
  await page.locator('#live.on').waitFor({ timeout: 5000 });
  const evil = '<img src=x onerror=alert(1)>';
  await server.control('/inbound', { method: 'POST', body: JSON.stringify({ from: '+15551230001', to: '+16505550101', text: evil }) });
  const cell = page.locator('#messages td.text', { hasText: evil }).first();
  await cell.waitFor({ timeout: 2000 });
  assert.equal(await cell.textContent(), evil);
  assert.equal(await page.locator('#view img').count(), 0);
  await page.waitForTimeout(200); // an onerror would have fired by now
  assert.deepEqual(problems, []);
  await page.close();
});

test('first paint under a second with 100,000 messages stored', async () => {
  const state = await server.control('/state');
  const rows = state.tables.messages;
  const proto = rows.find((r) => r.extension_id === 171857008) ?? rows[0];
  const doc = JSON.parse(proto.data);
  const base = proto.creation_ms - 86_400_000;
  let seq = Math.max(...rows.map((r) => r.seq));
  const t0 = Date.now();
  for (let i = 0; i < 100_000; i++) {
    const id = 9_000_000_000 + i * 1000 + 8;
    const ms = base - i * 1000;
    const when = new Date(ms).toISOString();
    rows.push({ ...proto, id, creation_ms: ms, seq: ++seq,
      data: JSON.stringify({ ...doc, id, subject: `bulk message ${i}`, creationTime: when, lastModifiedTime: when, attachments: [] }) });
  }
  await server.control('/state', { method: 'PUT', body: JSON.stringify(state) });
  console.log(`100,000 messages imported in ${Date.now() - t0} ms`);
  const count = await (await fetch(`${server.url}/_rcemu/console/api/messages?extensionId=171857008&limit=1`)).json();
  assert.ok(count.total >= 100_000, `total ${count.total}`);

  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const start = Date.now();
  await page.goto(`${server.url}/_rcemu/console/#messages`);
  await page.locator('#messages tbody tr[data-id]').first().waitFor({ timeout: 5000 });
  const content = Date.now() - start;
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
  const rowsShown = await page.locator('#messages tbody tr').count();
  console.log(`100k messages: first contentful paint ${fcp.toFixed(0)} ms, message rows shown ${content} ms after navigation (${rowsShown} rows, total ${count.total})`);
  assert.ok(content < 1000, `${content} ms`);
  assert.ok(rowsShown <= 50);
  assert.deepEqual(problems, []);
  await page.close();
});
