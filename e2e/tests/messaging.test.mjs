// Messaging through the official SDKs: SMS between hosted users, read status, the guide's
// message-store lists and tunnelled delete of 4084362008, company pager, message-sync, inbound
// injection and the outbox (control plane), a reserved failing number, bulk GET as
// multipart/mixed (parsed by @ringcentral/sdk), attachment content, and MMS upload.
//
// Every test starts from the seed (POST /_rcemu/reset, which ends all sessions, then fresh JWT
// logins), so each one sees the guide's "fresh instance" and they do not depend on their order.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import FormData from 'form-data'; // what @ringcentral/sdk's README uses for multipart uploads in Node

import { startServer, newSDK, loginSDK, loginRC, EXT_101, EXT_102, ACCOUNT_1 } from './helpers.mjs';

const A_NUMBER = '+16505550101'; // ext 101, Ada Lovelace (admin)
const B_NUMBER = '+16505550102'; // ext 102, Grace Hopper
const ME = '/restapi/v1.0/account/~/extension/~';
const STORE = `${ME}/message-store`;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** fresh resets the emulator to its seed and logs A (101) and B (102) in anew. */
async function fresh() {
  await server.reset();
  const sdkA = newSDK(server);
  await sdkA.platform().login({ jwt: server.user(EXT_101).jwt });
  const b = await loginSDK(server, EXT_102);
  return { sdkA, a: sdkA.platform(), b };
}

async function json(promise) {
  return (await promise).json();
}

/** sms sends a text with platform.post, as the messaging guide does, and returns the record. */
async function sms(platform, from, to, text) {
  const res = await platform.post(`${ME}/sms`, {
    from: { phoneNumber: from },
    to: (Array.isArray(to) ? to : [to]).map((phoneNumber) => ({ phoneNumber })),
    text,
  });
  assert.equal(res.status, 200);
  return res.json();
}

/** find returns the record of a list whose subject is text, or undefined. */
function find(list, text) {
  return list.records.find((m) => m.subject === text);
}

/** eventually polls fn until it returns a truthy value (status changes run on the emulator's scheduler). */
async function eventually(fn, what, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('SMS from A to B: B lists it Inbound/Unread; B marks it Read; A\'s copy is Delivered', async () => {
  const { a, b } = await fresh();
  const text = `Hello Grace ${Date.now()}`;
  const sent = await sms(a, A_NUMBER, B_NUMBER, text);
  assert.equal(sent.type, 'SMS');
  assert.equal(sent.direction, 'Outbound');
  assert.equal(sent.readStatus, 'Read');
  assert.equal(sent.messageStatus, 'Queued', 'the platform answers a new SMS as Queued');
  assert.equal(sent.from.phoneNumber, A_NUMBER);
  assert.equal(sent.to[0].phoneNumber, B_NUMBER);
  assert.equal(sent.subject, text);
  assert.equal(sent.uri, `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_101}/message-store/${sent.id}`);

  const inbox = await json(b.get(STORE, { direction: 'Inbound', messageType: 'SMS' }));
  const got = find(inbox, text);
  assert.ok(got, `B's store has the text: ${JSON.stringify(inbox.records.map((m) => m.subject))}`);
  assert.equal(got.direction, 'Inbound');
  assert.equal(got.readStatus, 'Unread');
  assert.equal(got.messageStatus, 'Received');
  assert.equal(got.from.phoneNumber, A_NUMBER);
  assert.notEqual(got.id, sent.id, 'B\'s copy is its own record');
  assert.equal(got.conversation.id, sent.conversation.id, 'both copies are in one conversation');
  assert.equal(got.uri, `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_102}/message-store/${got.id}`);

  const unread = await json(b.get(STORE, { readStatus: 'Unread' }));
  assert.ok(find(unread, text), 'listed with readStatus=Unread');

  const read = await b.put(`${STORE}/${got.id}`, { readStatus: 'Read' });
  assert.equal(read.status, 200);
  assert.equal((await read.json()).readStatus, 'Read');
  assert.equal((await json(b.get(`${STORE}/${got.id}`))).readStatus, 'Read');
  assert.equal(find(await json(b.get(STORE, { readStatus: 'Unread' })), text), undefined, 'no longer Unread');

  const mine = await eventually(async () => {
    const m = await json(a.get(`${STORE}/${sent.id}`));
    return m.messageStatus === 'Delivered' && m;
  }, 'A\'s copy to become Delivered');
  assert.equal(mine.to[0].messageStatus, 'Delivered');
  assert.equal(mine.readStatus, 'Read');
});

test('the guide\'s lists on a fresh instance: 3 SMS, then SMS+Pager 3+1, uri echoes the defaults', async () => {
  const { a } = await fresh();
  const sms3 = await json(a.get(`/restapi/v1.0/account/~/extension/${EXT_101}/message-store?messageType=SMS`));
  assert.equal(sms3.records.length, 3, JSON.stringify(sms3.records.map((m) => [m.id, m.type])));
  assert.ok(sms3.records.every((m) => m.type === 'SMS' && m.availability === 'Alive'));
  assert.deepEqual(sms3.records.map((m) => m.id), [4084363008, 4084362008, 4084361008], 'newest first');
  const u = new URL(sms3.uri);
  assert.equal(u.origin + u.pathname, `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_101}/message-store`);
  assert.deepEqual(u.searchParams.getAll('messageType'), ['SMS']);
  assert.equal(u.searchParams.get('availability'), 'Alive', `uri echoes availability=Alive: ${sms3.uri}`);
  const dateFrom = u.searchParams.get('dateFrom');
  assert.ok(dateFrom, `uri echoes the default dateFrom: ${sms3.uri}`);
  const ago = Date.now() - Date.parse(dateFrom);
  assert.ok(ago > 23 * 3600e3 && ago <= 24 * 3600e3 + 60e3, `default dateFrom is about 24 h ago: ${dateFrom}`);
  assert.equal(sms3.paging.totalElements, 3);

  const both = await json(a.get(`/restapi/v1.0/account/~/extension/${EXT_101}/message-store?messageType=SMS&messageType=Pager`));
  assert.equal(both.records.length, 4);
  assert.equal(both.records.filter((m) => m.type === 'SMS').length, 3);
  assert.equal(both.records.filter((m) => m.type === 'Pager').length, 1);
  const u2 = new URL(both.uri);
  assert.deepEqual(u2.searchParams.getAll('messageType'), ['SMS', 'Pager']);
  assert.equal(u2.searchParams.get('availability'), 'Alive');
  assert.ok(u2.searchParams.get('dateFrom'));
});

test('tunnelled delete of 4084362008: X-HTTP-Method-Override, then ?_method=DELETE purges', async () => {
  const { a } = await fresh();
  const path = `${STORE}/4084362008`;
  assert.equal((await json(a.get(path))).availability, 'Alive');

  const first = await a.post(path, null, null, { headers: { 'X-HTTP-Method-Override': 'DELETE' } });
  assert.equal(first.status, 204);
  const deleted = await json(a.get(path));
  assert.equal(deleted.availability, 'Deleted');
  assert.equal(deleted.id, 4084362008);
  const alive = await json(a.get(STORE, { messageType: 'SMS' }));
  assert.ok(!alive.records.some((m) => m.id === 4084362008), 'a deleted message leaves the default (Alive) list');
  const trash = await json(a.get(STORE, { availability: 'Deleted' }));
  assert.deepEqual(trash.records.map((m) => m.id), [4084362008]);

  const url = a.createUrl(path, { addMethod: 'DELETE' });
  assert.ok(url.endsWith('?_method=DELETE'), url);
  const second = await a.send({ method: 'POST', url });
  assert.equal(second.status, 204);
  const purged = await json(a.get(path));
  assert.equal(purged.availability, 'Purged', 'a second delete purges');
  assert.deepEqual(purged.attachments, [], 'a purged message has no content');
});

test('company pager: A pages B by extension number, B sees it Inbound/Unread', async () => {
  const { a, b } = await fresh();
  const text = `Stand-up moved ${Date.now()}`;
  const res = await a.post(`${ME}/company-pager`, { to: [{ extensionNumber: '102' }], text });
  assert.equal(res.status, 200);
  const sent = await res.json();
  assert.equal(sent.type, 'Pager');
  assert.equal(sent.direction, 'Outbound');
  assert.equal(sent.from.extensionNumber, '101');
  assert.ok(sent.to.some((p) => p.extensionNumber === '102'));

  const got = find(await json(b.get(STORE, { messageType: 'Pager', direction: 'Inbound' })), text);
  assert.ok(got, 'B received the pager message');
  assert.equal(got.readStatus, 'Unread');
  assert.equal(got.from.extensionNumber, '101');
  assert.equal(got.from.extensionId, String(EXT_101));
  assert.equal(got.conversation.id, sent.conversation.id);
});

test('message-sync: FSync, then ISync after a new message returns only the change', async () => {
  const { a, b } = await fresh();
  const full = await json(b.get(`${ME}/message-sync`, { syncType: 'FSync' }));
  assert.equal(full.syncInfo.syncType, 'FSync');
  assert.ok(full.syncInfo.syncToken);
  assert.equal(full.syncInfo.olderRecordsExist, false);
  assert.ok(full.records.some((m) => m.subject === 'Your order has shipped.'), 'the seed\'s message is in the full sync');

  const text = `sync me ${Date.now()}`;
  await sms(a, A_NUMBER, B_NUMBER, text);

  const inc = await json(b.get(`${ME}/message-sync`, { syncType: 'ISync', syncToken: full.syncInfo.syncToken }));
  assert.equal(inc.syncInfo.syncType, 'ISync');
  assert.equal(inc.records.length, 1, JSON.stringify(inc.records.map((m) => m.subject)));
  assert.equal(inc.records[0].subject, text);
  assert.equal(inc.records[0].direction, 'Inbound');
  assert.ok(inc.syncInfo.syncToken);

  const again = await json(b.get(`${ME}/message-sync`, { syncType: 'ISync', syncToken: inc.syncInfo.syncToken }));
  assert.equal(again.records.length, 0, 'nothing changed since the last ISync');
});

test('inbound SMS injected from an outside number lands in B\'s store (@rc-ex/core reads it)', async () => {
  await fresh();
  const text = `Your code is ${Math.floor(Math.random() * 1e6)}`;
  const injected = await server.control('/inbound', {
    method: 'POST',
    body: JSON.stringify({ type: 'SMS', from: '+13125550188', to: B_NUMBER, text }),
  });
  assert.equal(injected.extensionId, EXT_102);
  assert.equal(injected.direction, 'Inbound');

  const rc = await loginRC(server, EXT_102);
  const list = await rc.restapi().account().extension().messageStore().list({ direction: ['Inbound'], messageType: ['SMS'] });
  const got = list.records.find((m) => m.subject === text);
  assert.ok(got, 'B\'s store has the injected text');
  assert.equal(got.from.phoneNumber, '+13125550188');
  assert.equal(got.to[0].phoneNumber, B_NUMBER);
  assert.equal(got.readStatus, 'Unread');
  assert.equal(got.id, injected.id);
});

test('a text to an outside number is in GET /_rcemu/outbox; hosted-to-hosted texts are not', async () => {
  const { a } = await fresh();
  const text = `to the world ${Date.now()}`;
  const sent = await sms(a, A_NUMBER, '+12025550100', text);
  await sms(a, A_NUMBER, B_NUMBER, 'internal only');
  const outbox = (await server.control('/outbox')).records;
  const got = outbox.find((m) => m.id === sent.id);
  assert.ok(got, `outbox has the text: ${JSON.stringify(outbox)}`);
  assert.equal(got.text, text);
  assert.equal(got.from.phoneNumber, A_NUMBER);
  assert.equal(got.to[0].phoneNumber, '+12025550100');
  assert.equal(got.direction, 'Outbound');
  assert.ok(!outbox.some((m) => m.text === 'internal only'), 'texts between hosted numbers stay out of the outbox');
  const final = await eventually(async () => {
    const m = await json(a.get(`${STORE}/${sent.id}`));
    return m.messageStatus === 'Delivered' && m;
  }, 'the outside text to be Delivered');
  assert.ok(final.smsDeliveryTime);
});

test('reserved number +15005550413 ends DeliveryFailed with SMS-CAR-413', async () => {
  const { a } = await fresh();
  const sent = await sms(a, A_NUMBER, '+15005550413', 'are you there?');
  assert.equal(sent.messageStatus, 'Queued');
  const final = await eventually(async () => {
    const m = await json(a.get(`${STORE}/${sent.id}`));
    return m.messageStatus !== 'Queued' && m.messageStatus !== 'Sent' && m;
  }, 'a final status');
  assert.equal(final.messageStatus, 'DeliveryFailed');
  assert.equal(final.deliveryErrorCode, 'SMS-CAR-413');
  assert.equal(final.to[0].messageStatus, 'DeliveryFailed');
});

test('bulk GET of two ids: 207 multipart/mixed, parsed into two parts by @ringcentral/sdk', async () => {
  const { sdkA, a } = await fresh();
  const res = await a.get(`${STORE}/4084361008,4084363008`);
  assert.equal(res.status, 207);
  assert.match(res.headers.get('content-type'), /^multipart\/mixed; boundary=/);
  // SDK 5 returns the fetch Response itself (the README's response.multipart() is SDK 3's
  // ApiResponse); the parser is sdk.multipart(response) (also sdk.client().multipart).
  assert.equal(sdkA.isMultipart(res), true);
  const parts = await sdkA.multipart(res);
  assert.equal(parts.length, 2);
  const bodies = [];
  for (const p of parts) {
    assert.equal(p.status, 200);
    bodies.push(await p.json());
  }
  assert.deepEqual(bodies.map((m) => m.id), [4084361008, 4084363008]);
  assert.equal(bodies[0].subject, 'Hi Ada, is the analytical engine ready for a demo?');
  assert.equal(bodies[1].uri, `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_101}/message-store/4084363008`);
});

test('content of the text attachment downloads through the SDK', async () => {
  const { a } = await fresh();
  const m = await json(a.get(`${STORE}/4084361008`));
  const att = m.attachments.find((x) => x.type === 'Text');
  assert.ok(att, JSON.stringify(m.attachments));
  assert.equal(att.uri, `${m.uri}/content/${att.id}`);
  const res = await a.get(att.uri); // an absolute uri, as the record gives it
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  assert.equal(await res.text(), 'Hi Ada, is the analytical engine ready for a demo?');
  const buf = await (await a.get(att.uri)).buffer(); // node-fetch's Response, as the README's binary download
  assert.equal(buf.length, att.size);
});

// 1x1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

/** mmsForm builds the request the SDK README shows for MMS in Node: a `json` part, then the file. */
function mmsForm(text) {
  const form = new FormData();
  form.append('json', Buffer.from(JSON.stringify({
    from: { phoneNumber: A_NUMBER },
    to: [{ phoneNumber: B_NUMBER }],
    text,
  })), { filename: 'request.json', contentType: 'application/json' });
  form.append('attachment', PNG, { filename: 'pixel.png', contentType: 'image/png' });
  return form;
}

/** sendMMS posts an MMS to path with the SDK and checks both copies and the image download. */
async function sendMMS(path) {
  const { a, b } = await fresh();
  const text = `a picture via ${path} ${Date.now()}`;
  const res = await a.post(`${ME}/${path}`, mmsForm(text));
  assert.equal(res.status, 200);
  const sent = await res.json();
  assert.equal(sent.type, 'SMS', 'the platform stores MMS as type SMS');
  assert.equal(sent.direction, 'Outbound');
  assert.equal(sent.subject, text);
  const img = sent.attachments.find((x) => x.contentType === 'image/png');
  assert.ok(img, `the sender's record lists the image: ${JSON.stringify(sent.attachments)}`);
  assert.equal(img.type, 'MmsAttachment');
  assert.ok(sent.attachments.some((x) => x.type === 'Text'), 'the text is an attachment too');

  const got = find(await json(b.get(STORE, { direction: 'Inbound', messageType: 'SMS' })), text);
  assert.ok(got, 'B received the MMS');
  const bImg = got.attachments.find((x) => x.contentType === 'image/png');
  assert.ok(bImg, JSON.stringify(got.attachments));
  assert.equal(bImg.type, 'MmsAttachment');
  const content = await (await b.get(bImg.uri)).buffer();
  assert.deepEqual(content, PNG, 'the downloaded image is the uploaded one');
}

test('MMS upload with form-data through @ringcentral/sdk: POST .../mms, B gets the image', () => sendMMS('mms'));

// The messaging guide: "There is an alias /mms endpoint for sending MMS messages, but you can also
// call the /sms endpoint to send MMS messages" (multipart, JSON part plus the files).
test('MMS upload with form-data to POST .../sms (the guide\'s other way), B gets the image', () => sendMMS('sms'));
