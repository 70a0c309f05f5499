// Notifications through the official SDKs, as the platform's guides use them:
//
// - WebHook: a real receiver (node:http on 127.0.0.1:0) that echoes Validation-Token; a
//   subscription made with @ringcentral/sdk's platform.post; an SMS from another user reaches it
//   with the documented envelope and the Verification-Token header; renew, update, delete; and
//   the refusals that create nothing (SUB-520, SUB-508, SUB-406, SUB-521); and deliveries left
//   pending by a refusing receiver survive a restart of rcemu on the same SQLite file.
// - WebSocket: @rc-ex/ws as published (WebSocketExtension, installExtension, subscribe, refresh,
//   revoke), its auto-recovery after a dropped socket and its wscToken "page refresh" recovery;
//   @ringcentral/subscriptions (createSubscription, setEventFilters, register).
// - Presence: PUT presence and receive the presence notifications.
//
// Every test starts from the seed (POST /_rcemu/reset, then fresh JWT logins), and leaves no
// socket, timer or server behind.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import WebSocketExtension, { Events } from '@rc-ex/ws';
import { Subscriptions } from '@ringcentral/subscriptions';

import {
  startServer,
  newSDK,
  newRC,
  loginSDK,
  loginRC,
  sdkError,
  assertRestError,
  eventually,
  startWebhookReceiver,
  unusedAddress,
  shutdownWs,
  tempDir,
  ACCOUNT_1,
  ACCOUNT_2,
  EXT_101,
  EXT_102,
} from './helpers.mjs';

const A_NUMBER = '+16505550101'; // ext 101, Ada Lovelace (admin)
const B_NUMBER = '+16505550102'; // ext 102, Grace Hopper
const ME = '/restapi/v1.0/account/~/extension/~';
const SUBSCRIPTION = '/restapi/v1.0/subscription';
const VERIFICATION_TOKEN = 'rcemu-e2e-verification-token';

// The filters as a subscriber writes them, and as the platform echoes them (`~` expanded).
const STORE_FILTER = `${ME}/message-store`;
const INSTANT_FILTER = `${ME}/message-store/instant?type=SMS`;
const PRESENCE_FILTER = `${ME}/presence`;
const B_PATH = `/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_102}`;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/;

let server;
const cleanups = [];
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** later registers a cleanup for the end of the current test (run newest first, errors ignored). */
function later(fn) {
  cleanups.push(fn);
}
async function runCleanups() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch {
      // best effort: the test's own assertions matter
    }
  }
}

/** scenario wraps a test body so that its sockets, servers and timers are always released. */
function scenario(name, fn) {
  test(name, async (t) => {
    try {
      await fn(t);
    } finally {
      await runCleanups();
    }
  });
}

/** fresh resets the emulator and logs A (101, admin) and B (102) in with @ringcentral/sdk. */
async function fresh() {
  await server.reset();
  const a = await loginSDK(server, EXT_101);
  const b = await loginSDK(server, EXT_102);
  return { a, b };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** sms sends a text with platform.post, as the messaging guide does, and returns the record. */
async function sms(platform, from, to, text) {
  const res = await platform.post(`${ME}/sms`, { from: { phoneNumber: from }, to: [{ phoneNumber: to }], text });
  assert.equal(res.status, 200);
  return res.json();
}

/** receiver starts a WebHook receiver that is closed when the test ends. */
async function receiver(options) {
  const r = await startWebhookReceiver(options);
  later(() => r.close());
  return r;
}

/** webhook creates a WebHook subscription with platform.post, as the webhook guide does. */
async function webhook(platform, address, eventFilters, extra = {}) {
  return platform.post(SUBSCRIPTION, {
    eventFilters,
    deliveryMode: { transportType: 'WebHook', address, verificationToken: VERIFICATION_TOKEN },
    ...extra,
  });
}

/** wsExtension installs @rc-ex/ws on an rc-ex client, and shuts it down when the test ends. */
async function wsExtension(rc, options) {
  const ext = new WebSocketExtension(options);
  later(() => shutdownWs(ext));
  await rc.installExtension(ext);
  return ext;
}

/** assertEnvelope checks the notification envelope of event-filters/index.md. */
function assertEnvelope(n, { event, subscriptionId, ownerId }) {
  assert.equal(typeof n.uuid, 'string', JSON.stringify(n));
  assert.ok(n.uuid.length > 0, 'uuid is set');
  assert.equal(n.event, event);
  assert.match(n.timestamp, ISO, 'timestamp is ISO 8601');
  assert.equal(n.subscriptionId, subscriptionId);
  assert.equal(n.ownerId, String(ownerId), 'ownerId is the subscriber extension id, as a string');
  assert.ok(n.body && typeof n.body === 'object', 'body is an object');
}

// --- WebHook ---

scenario('WebHook: validation handshake, then an SMS from A reaches B\'s receiver with the documented envelope and Verification-Token', async () => {
  const { a, b } = await fresh();
  const rv = await receiver();
  const res = await webhook(b, rv.url, [STORE_FILTER, INSTANT_FILTER]);
  assert.equal(res.status, 200);
  const sub = await res.json();

  // The handshake came first: a POST with a Validation-Token header and no body.
  assert.equal(rv.validations.length, 1, 'one validation request');
  const v = rv.validations[0];
  assert.equal(v.method, 'POST');
  assert.equal(v.url, '/webhook');
  assert.ok(v.headers['validation-token'], 'Validation-Token header');
  assert.notEqual(v.headers['validation-token'], VERIFICATION_TOKEN, 'the handshake token is the platform\'s own random one');

  // SubscriptionInfo.
  assert.equal(typeof sub.id, 'string');
  assert.ok(sub.id.length > 0 && sub.id.length <= 20, `id: ${sub.id}`);
  assert.equal(sub.uri, `${server.url}${SUBSCRIPTION}/${sub.id}`);
  assert.equal(sub.status, 'Active');
  assert.deepEqual(sub.eventFilters, [`${B_PATH}/message-store`, `${B_PATH}/message-store/instant?type=SMS`], '~ expanded to real ids');
  assert.equal(sub.deliveryMode.transportType, 'WebHook');
  assert.equal(sub.deliveryMode.address, rv.url);
  assert.equal(sub.deliveryMode.encryption, false);
  assert.equal(sub.deliveryMode.verificationToken, undefined, 'the token is not echoed back');
  assert.ok(sub.expiresIn >= 604000 && sub.expiresIn <= 604800, `default TTL is 7 days: ${sub.expiresIn}`);
  assert.match(sub.creationTime, ISO);
  assert.match(sub.expirationTime, ISO);
  const ttl = (Date.parse(sub.expirationTime) - Date.parse(sub.creationTime)) / 1000;
  assert.ok(Math.abs(ttl - 604800) < 2, `expirationTime - creationTime = ${ttl} s`);

  const text = `webhook ping ${Date.now()}`;
  await sms(a, A_NUMBER, B_NUMBER, text);
  await rv.waitFor(2);
  const store = rv.notifications.find((n) => n.body.event.endsWith('/message-store'));
  const instant = rv.notifications.find((n) => n.body.event.includes('/message-store/instant'));
  assert.ok(store && instant, `one notification per filter: ${JSON.stringify(rv.notifications.map((n) => n.body.event))}`);

  assertEnvelope(store.body, { event: `${B_PATH}/message-store`, subscriptionId: sub.id, ownerId: EXT_102 });
  assertEnvelope(instant.body, { event: `${B_PATH}/message-store/instant?type=SMS`, subscriptionId: sub.id, ownerId: EXT_102 });
  assert.notEqual(store.body.uuid, instant.body.uuid, 'each notification has its own uuid');

  // message-store body: the change summary.
  const sb = store.body.body;
  assert.equal(String(sb.extensionId), String(EXT_102));
  assert.equal(String(sb.accountId), String(ACCOUNT_1));
  assert.match(sb.lastUpdated, ISO);
  assert.equal(sb.changes.length, 1, JSON.stringify(sb));
  const ch = sb.changes[0];
  assert.equal(ch.type, 'SMS');
  assert.equal(ch.newCount, 1);
  assert.equal(ch.updatedCount, 0);
  assert.deepEqual(ch.newMessageIds.map(String), [String(instant.body.body.id)], 'newMessageIds names B\'s new message');

  // instant body: B's inbound copy of the message.
  const ib = instant.body.body;
  assert.equal(ib.type, 'SMS');
  assert.equal(ib.direction, 'Inbound');
  assert.equal(ib.subject, text);
  assert.equal(ib.from.phoneNumber, A_NUMBER);
  assert.equal(ib.to[0].phoneNumber, B_NUMBER);
  assert.equal(ib.readStatus, 'Unread');
  assert.equal(String(ib.ownerId), String(EXT_102));
  const inbox = await (await b.get(`${ME}/message-store`, { direction: 'Inbound', messageType: 'SMS' })).json();
  assert.ok(inbox.records.some((m) => String(m.id) === String(ib.id) && m.subject === text), 'the notified id is B\'s record');

  // The delivery's headers.
  for (const n of [store, instant]) {
    assert.equal(n.method, 'POST');
    assert.equal(n.url, '/webhook');
    assert.equal(n.headers['verification-token'], VERIFICATION_TOKEN, 'Verification-Token carries deliveryMode.verificationToken');
    assert.match(n.headers['content-type'], /^application\/json/);
    assert.match(n.headers['user-agent'], /^RingCentral-Webhook\//);
  }

  // The control plane logged the validation and both deliveries.
  const attempts = await eventually(async () => {
    const recs = (await server.control('/deliveries?limit=50')).records.filter((x) => x.address === rv.url);
    return recs.length >= 3 && recs;
  }, 'three delivery attempts in /_rcemu/deliveries');
  assert.equal(attempts.filter((x) => x.validation).length, 1);
  for (const x of attempts.filter((y) => !y.validation)) {
    assert.equal(x.subscriptionId, sub.id);
    assert.equal(x.status, 200);
    assert.equal(typeof x.eventToDeliveryMs, 'number');
  }
});

scenario('WebHook: list and read, renew (POST .../renew), update the filters (PUT), then delete', async () => {
  const { a, b } = await fresh();
  const rv = await receiver();
  const sub = await (await webhook(b, rv.url, [INSTANT_FILTER], { expiresIn: 3000 })).json();
  assert.equal(sub.expiresIn, 3000);
  const path = `${SUBSCRIPTION}/${sub.id}`;

  const list = await (await b.get(SUBSCRIPTION)).json();
  assert.equal(list.uri, `${server.url}${SUBSCRIPTION}`);
  assert.deepEqual(list.records.map((s) => s.id), [sub.id]);
  const read = await (await b.get(path)).json();
  assert.equal(read.id, sub.id);
  assert.deepEqual(read.eventFilters, sub.eventFilters);

  // Renew after 600 s: the expiration moves 600 s later, the TTL is the subscription's own.
  await server.advanceClock('600s');
  const renewed = await b.post(`${path}/renew`);
  assert.equal(renewed.status, 200);
  const rn = await renewed.json();
  assert.equal(rn.id, sub.id);
  assert.equal(rn.status, 'Active');
  assert.equal(rn.expiresIn, 3000);
  const moved = (Date.parse(rn.expirationTime) - Date.parse(sub.expirationTime)) / 1000;
  assert.ok(Math.abs(moved - 600) < 2, `renew moved the expiration by ${moved} s`);
  assert.equal(rn.creationTime, sub.creationTime, 'renewing keeps creationTime');

  // Update: from instant SMS to B's own presence.
  const updated = await b.put(path, { eventFilters: [PRESENCE_FILTER] });
  assert.equal(updated.status, 200);
  const up = await updated.json();
  assert.equal(up.id, sub.id);
  assert.deepEqual(up.eventFilters, [`${B_PATH}/presence`]);
  assert.equal(up.deliveryMode.address, rv.url, 'the delivery mode stays');
  assert.deepEqual((await (await b.get(path)).json()).eventFilters, [`${B_PATH}/presence`]);

  // An SMS no longer notifies; a presence change does. Deliveries to one subscription are in
  // order, so when the presence notification has arrived, an SMS one would have too.
  await sms(a, A_NUMBER, B_NUMBER, `not notified ${Date.now()}`);
  const p = await b.put(`${ME}/presence`, { userStatus: 'Busy' });
  assert.equal(p.status, 200);
  await rv.waitFor(1);
  await sleep(100);
  assert.deepEqual(rv.notifications.map((n) => n.body.event), [`${B_PATH}/presence`]);
  assert.equal(rv.notifications[0].body.subscriptionId, sub.id);

  // Delete: 204, then it is gone for read, list and delivery.
  const del = await b.delete(path);
  assert.equal(del.status, 204);
  const gone = await sdkError(b.get(path));
  assert.equal(gone.status, 404);
  assert.deepEqual((await (await b.get(SUBSCRIPTION)).json()).records, []);
  const again = await sdkError(b.delete(path));
  assert.equal(again.status, 404);
  await b.put(`${ME}/presence`, { userStatus: 'Available' });
  await sleep(300);
  assert.equal(rv.notifications.length, 1, 'no notification after delete');
});

scenario('WebHook: refused subscriptions create nothing: no echo 400 SUB-520, unknown filter 400 SUB-508, another account 403 SUB-406, unreachable 400 SUB-521', async () => {
  const { b } = await fresh();
  const good = await receiver();
  const silent = await receiver({ echo: false });

  const noEcho = await sdkError(webhook(b, silent.url, [STORE_FILTER]));
  assert.equal(noEcho.status, 400);
  assertRestError(noEcho.body, { errorCode: 'SUB-520' });
  assert.equal(silent.validations.length, 1, 'the silent receiver was asked to validate');

  const unknown = await sdkError(webhook(b, good.url, [`${ME}/weather`]));
  assert.equal(unknown.status, 400);
  assertRestError(unknown.body, { errorCode: 'SUB-508' });
  assert.match(unknown.body.errors[0].message, /weather/, 'the message names the bad filter');

  const otherAccount = await sdkError(webhook(b, good.url, [`/restapi/v1.0/account/${ACCOUNT_2}/extension/271857008/message-store`]));
  assert.equal(otherAccount.status, 403);
  assertRestError(otherAccount.body, { errorCode: 'SUB-406' });

  const unreachable = await sdkError(webhook(b, await unusedAddress(), [STORE_FILTER]));
  assert.equal(unreachable.status, 400);
  assertRestError(unreachable.body, { errorCode: 'SUB-521' });

  const list = await (await b.get(SUBSCRIPTION)).json();
  assert.deepEqual(list.records, [], 'nothing was created');
  assert.equal(good.notifications.length + silent.notifications.length, 0);
});

scenario('WebHook: a restart while deliveries are pending loses none of them: refused with 503, SIGTERM, a new rcemu on the same SQLite file delivers all three in order', async (t) => {
  const tmp = tempDir();
  later(() => tmp.remove());
  const db = join(tmp.dir, 'rcemu.db');
  const first = await startServer({ db });
  later(() => first.stop());

  // The receiver accepts the handshake, then refuses every notification.
  const rv = await receiver({ status: 503 });
  const a = await loginSDK(first, EXT_101);
  const b = await loginSDK(first, EXT_102);
  const res = await webhook(b, rv.url, [INSTANT_FILTER]);
  assert.equal(res.status, 200);
  const sub = await res.json();
  assert.equal(sub.status, 'Active');
  assert.equal(rv.validations.length, 1, 'the handshake was answered');
  const subjects = ['restart 1', 'restart 2', 'restart 3'];
  for (const text of subjects) await sms(a, A_NUMBER, B_NUMBER, text);

  // A refused attempt has been made: the deliveries are pending (the first retry is 1 s away).
  // Wait as well until rcemu has logged the 503 it read (the receiver records a notification
  // before its answer reaches rcemu), so that the refusals counted below are known.
  await rv.waitFor(1);
  const logged = await eventually(async () => {
    const recs = (await first.control('/deliveries?limit=50')).records.filter((x) => x.address === rv.url && !x.validation);
    return recs.length >= 1 && recs;
  }, 'the refused attempt in /_rcemu/deliveries');
  for (const x of logged) {
    assert.equal(x.subscriptionId, sub.id);
    assert.equal(x.status, 503);
    assert.ok(x.brokenRules?.includes('non-2xx'), JSON.stringify(x));
  }
  const how = await first.stop();
  assert.deepEqual(how, { code: 0, signal: null }, 'the first rcemu shut down gracefully on SIGTERM');
  const refused = rv.notifications.slice();
  assert.ok(refused.length >= 1);
  for (const n of refused) {
    assert.equal(n.status, 503);
    // One subscription's deliveries are in order: the second waits until the first is through.
    assert.equal(n.body.body.subject, 'restart 1', `refused before the restart: ${JSON.stringify(refused.map((x) => x.body.body.subject))}`);
  }

  // The receiver recovers; a new rcemu (another port) opens the same file.
  rv.setStatus(200);
  const restartedAt = Date.now();
  const second = await startServer({ db });
  later(() => second.stop());
  assert.notEqual(second.url, first.url);
  const accepted = (list) => list.filter((n) => n.status === 200);
  await rv.waitFor((list) => accepted(list).length >= subjects.length, 15_000);
  t.diagnostic(`all ${subjects.length} delivered ${Date.now() - restartedAt} ms after the restart began (startup included)`);
  await sleep(300); // a duplicate would come right behind
  const delivered = accepted(rv.notifications);
  assert.deepEqual(delivered.map((n) => n.body.body.subject), subjects, 'each pending notification once, in order');
  for (const n of delivered) {
    assertEnvelope(n.body, { event: `${B_PATH}/message-store/instant?type=SMS`, subscriptionId: sub.id, ownerId: EXT_102 });
    assert.equal(n.body.body.direction, 'Inbound');
    assert.equal(n.body.body.from.phoneNumber, A_NUMBER);
    assert.equal(n.headers['verification-token'], VERIFICATION_TOKEN, 'Verification-Token survives the restart');
    assert.match(n.headers['user-agent'], /^RingCentral-Webhook\//);
  }
  assert.equal(new Set(delivered.map((n) => n.body.uuid)).size, subjects.length, 'three notifications, three uuids');
  assert.equal(delivered[0].body.uuid, refused[0].body.uuid, 'the retried notification is the one refused, not a new one');
  assert.ok(rv.notifications.slice(refused.length).every((n) => n.status === 200), 'nothing refused after the switch');
  assert.equal(rv.validations.length, 1, 'a restart does not validate the address again');

  // The access token is in the file: it works against the new process.
  const token = (await b.auth().data()).access_token;
  assert.ok(token, 'B\'s access token');
  const r = await fetch(`${second.url}${SUBSCRIPTION}/${sub.id}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  const read = await r.json();
  assert.equal(read.id, sub.id);
  assert.equal(read.status, 'Active', 'not blacklisted by the refusals');
  assert.equal(read.uri, `${second.url}${SUBSCRIPTION}/${sub.id}`, 'the uri names the new server');

  // The new process's control plane lists its attempts: three, each answered 200.
  const attempts = await eventually(async () => {
    const recs = (await second.control('/deliveries?limit=50')).records.filter((x) => x.address === rv.url);
    return recs.length >= subjects.length && recs;
  }, 'three delivery attempts in the new /_rcemu/deliveries');
  assert.equal(attempts.length, subjects.length, JSON.stringify(attempts));
  // Delivery ids follow the messages (attempt times can be equal to the millisecond).
  const byDelivery = attempts.slice().sort((x, y) => x.deliveryId - y.deliveryId);
  for (const x of byDelivery) {
    assert.equal(x.subscriptionId, sub.id);
    assert.equal(x.status, 200, JSON.stringify(x));
    assert.equal(x.validation, undefined);
  }
  assert.equal(new Set(byDelivery.map((x) => x.deliveryId)).size, subjects.length, 'three deliveries');
  const [one, ...rest] = byDelivery;
  assert.equal(one.attempt, logged.length + 1, `the refused attempts of 'restart 1' count: ${JSON.stringify(byDelivery)}`);
  assert.deepEqual(rest.map((x) => x.attempt), [1, 1], 'the others were never tried before the restart');
});

// --- WebSocket: @rc-ex/ws ---

scenario('@rc-ex/ws: ConnectionDetails, subscribe, an instant SMS notification, refresh(), revoke()', async () => {
  const { a } = await fresh();
  const rc = await loginRC(server, EXT_102);
  const ext = await wsExtension(rc);

  assert.equal(ext.wsToken.uri, `${server.url.replace(/^http/, 'ws')}/ws`);
  assert.equal(typeof ext.wsToken.expires_in, 'number');
  const cd = ext.connectionDetails;
  assert.equal(cd.recoveryState, undefined, 'a plain connect has no recoveryState');
  assert.equal(cd.recoveryTimeout, 180);
  assert.equal(cd.recoveryBufferSize, 100);
  assert.equal(cd.idleTimeout, 1800);
  assert.equal(cd.absoluteTimeout, 86400);
  assert.match(cd.creationTime, ISO);
  assert.equal(typeof ext.wsc?.token, 'string', 'the wsc token of ConnectionDetails is kept');

  const got = [];
  const subscription = await ext.subscribe([INSTANT_FILTER], (event) => got.push(event));
  const info = subscription.subscriptionInfo;
  assert.equal(info.status, 'Active');
  assert.equal(info.deliveryMode.transportType, 'WebSocket');
  assert.deepEqual(info.eventFilters, [`${B_PATH}/message-store/instant?type=SMS`]);

  // Listed over HTTP as well (the guide: the list includes WebSocket subscriptions).
  const listed = (await rc.get(SUBSCRIPTION)).data.records;
  assert.deepEqual(listed.map((s) => [s.id, s.deliveryMode.transportType]), [[info.id, 'WebSocket']]);

  const text = `over the socket ${Date.now()}`;
  await sms(a, A_NUMBER, B_NUMBER, text);
  const n = await eventually(() => got.find((e) => e.body?.subject === text), 'the instant SMS notification');
  assertEnvelope(n, { event: `${B_PATH}/message-store/instant?type=SMS`, subscriptionId: info.id, ownerId: EXT_102 });
  assert.equal(n.body.direction, 'Inbound');
  assert.equal(n.body.type, 'SMS');
  assert.equal(n.body.from.phoneNumber, A_NUMBER);
  assert.equal(n.body.to[0].phoneNumber, B_NUMBER);

  // refresh(): PUT over the socket; a 404 would make rc-ex re-create the subscription instead.
  await server.control('/requests', { method: 'DELETE' });
  await subscription.refresh();
  assert.equal(subscription.subscriptionInfo.id, info.id, 'refresh keeps the subscription');
  const reqs = await server.requests();
  assert.ok(reqs.some((r) => r.method === 'PUT' && r.path === `${SUBSCRIPTION}/${info.id}` && r.status === 200),
    `PUT ${SUBSCRIPTION}/${info.id} → 200 in ${JSON.stringify(reqs.map((r) => [r.method, r.path, r.status]))}`);
  assert.ok(!reqs.some((r) => r.method === 'POST' && r.path.startsWith(SUBSCRIPTION)), 'no re-subscription');
  const text2 = `after refresh ${Date.now()}`;
  await sms(a, A_NUMBER, B_NUMBER, text2);
  await eventually(() => got.find((e) => e.body?.subject === text2), 'a notification after refresh');

  // revoke(): DELETE over the socket, then the socket closes.
  const ws = ext.ws;
  await ext.revoke();
  assert.equal(ext.subscription, undefined);
  await eventually(() => ws.readyState === ws.CLOSED, 'the socket to close');
  assert.deepEqual((await rc.get(SUBSCRIPTION)).data.records, [], 'the WebSocket subscription is gone');
  const count = got.length;
  await sms(a, A_NUMBER, B_NUMBER, `after revoke ${Date.now()}`);
  await sleep(300);
  assert.equal(got.length, count, 'no notification after revoke');

  // Checked last, so that the rest of the flow is exercised whatever it says: a `uri` in an
  // answer over the socket points at the server the client uses, as over HTTP.
  assert.equal(info.uri, `${server.url}${SUBSCRIPTION}/${info.id}`, 'SubscriptionInfo.uri of a ClientRequest answer');
});

scenario('@rc-ex/ws: auto-recovery after the socket drops: recoveryState Successful, same subscription, missed notification replayed', async () => {
  const { a } = await fresh();
  const rc = await loginRC(server, EXT_102);
  const ext = await wsExtension(rc);
  const got = [];
  const subscription = await ext.subscribe([INSTANT_FILTER], (event) => got.push(event));
  const id = subscription.subscriptionInfo.id;
  const wscToken = ext.wsc.token;
  const errors = [];
  ext.eventEmitter.on(Events.autoRecoverError, (e) => errors.push(String(e?.message ?? e).replace(/\s+/g, ' ')));
  const outcome = new Promise((resolve) => {
    ext.eventEmitter.once(Events.autoRecoverSuccess, () => resolve('Successful'));
    ext.eventEmitter.once(Events.autoRecoverFailed, () => resolve('Failed'));
  });

  // Drop the socket (as a network failure would), and miss a text while it is away.
  const oldWs = ext.ws;
  oldWs.close();
  await eventually(() => oldWs.readyState === oldWs.CLOSED, 'the socket to close');
  await sleep(100); // the gateway notices the close
  const away = `while away ${Date.now()}`;
  await sms(a, A_NUMBER, B_NUMBER, away);

  // rc-ex checks every 2 s and reconnects with &wsc=<token>, reusing the ws_access_token it
  // cached for 80 % of expires_in (as RingCentral's own widgets do).
  let timer;
  const result = await Promise.race([outcome, new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), 10_000); })]);
  clearTimeout(timer); // a pending timer would keep the test process alive for the rest of the 10 s
  assert.equal(result, 'Successful', `autoRecoverSuccess within 10 s; autoRecoverError: ${JSON.stringify(errors)}`);
  assert.notEqual(ext.ws, oldWs, 'a new socket');
  assert.equal(ext.connectionDetails.recoveryState, 'Successful');
  assert.equal(ext.wsc.token, wscToken, 'the same WebSocket session');
  assert.equal(ext.subscription?.subscriptionInfo?.id, id, 'the same subscription, not a new one');

  const missed = await eventually(() => got.find((e) => e.body?.subject === away), 'the missed notification to be replayed', 5000);
  assert.equal(missed.subscriptionId, id);

  const back = `after recovery ${Date.now()}`;
  await sms(a, A_NUMBER, B_NUMBER, back);
  await eventually(() => got.find((e) => e.body?.subject === back), 'a notification on the recovered socket');
  assert.equal(got.filter((e) => e.body?.subject === away).length, 1, 'the missed notification arrives once');
});

scenario('@rc-ex/ws: a new extension with { wscToken } resumes the session and restores the subscription (the README\'s page refresh)', async () => {
  const { a } = await fresh();
  const rc1 = await loginRC(server, EXT_102);
  const ext1 = new WebSocketExtension();
  let wscToken;
  ext1.eventEmitter.on(Events.newWsc, (wsc) => {
    wscToken = wsc.token;
  });
  later(() => shutdownWs(ext1));
  await rc1.installExtension(ext1);
  const sub1 = await ext1.subscribe([INSTANT_FILTER], () => {});
  const info = sub1.subscriptionInfo;
  assert.ok(wscToken, 'newWsc gave the token');

  // The page goes away: nothing of ext1 survives but what was stored (wsc token, subscriptionInfo).
  ext1.disable();
  clearInterval(ext1.intervalHandle);
  clearTimeout(ext1.pingServerHandle);
  const oldWs = ext1.ws;
  oldWs.close();
  await eventually(() => oldWs.readyState === oldWs.CLOSED, 'the old socket to close');

  const rc2 = newRC(server);
  rc2.token = rc1.token; // the same OAuth session, as a reloaded page that kept its token
  const ext2 = await wsExtension(rc2, { wscToken });
  assert.equal(ext2.connectionDetails.recoveryState, 'Successful');
  const got = [];
  const sub2 = await ext2.subscribe([INSTANT_FILTER], (event) => got.push(event), info);
  assert.equal(sub2.subscriptionInfo.id, info.id, 'the cached subscription is refreshed, not re-created');

  const text = `after page refresh ${Date.now()}`;
  await sms(a, A_NUMBER, B_NUMBER, text);
  const n = await eventually(() => got.find((e) => e.body?.subject === text), 'the notification on the resumed session');
  assert.equal(n.subscriptionId, info.id);
});

// --- WebSocket: @ringcentral/subscriptions ---

scenario('@ringcentral/subscriptions: createSubscription().setEventFilters().register() receives an SMS', async () => {
  const { a } = await fresh();
  const sdk = newSDK(server);
  await sdk.platform().login({ jwt: server.user(EXT_102).jwt });
  const subscriptions = new Subscriptions({ sdk });
  const subscription = subscriptions.createSubscription();
  const got = [];
  subscription.on(subscription.events.notification, (evt) => got.push(evt));
  const wsSub = await subscription.setEventFilters([INSTANT_FILTER, STORE_FILTER]).register();
  later(() => shutdownWs(wsSub.wse));
  const info = wsSub.subscriptionInfo;
  assert.equal(info.deliveryMode.transportType, 'WebSocket');
  assert.deepEqual(info.eventFilters, [`${B_PATH}/message-store/instant?type=SMS`, `${B_PATH}/message-store`]);

  const text = `subscriptions ${Date.now()}`;
  await sms(a, A_NUMBER, B_NUMBER, text);
  await eventually(() => got.length >= 2, 'two notifications');
  const instant = got.find((e) => e.event.includes('/instant'));
  const store = got.find((e) => e.event.endsWith('/message-store'));
  assertEnvelope(instant, { event: `${B_PATH}/message-store/instant?type=SMS`, subscriptionId: info.id, ownerId: EXT_102 });
  assertEnvelope(store, { event: `${B_PATH}/message-store`, subscriptionId: info.id, ownerId: EXT_102 });
  assert.equal(instant.body.subject, text);
  assert.equal(store.body.changes[0].type, 'SMS');
  assert.equal(store.body.changes[0].newCount, 1);

  await wsSub.revoke();
  const list = await (await sdk.platform().get(SUBSCRIPTION)).json();
  assert.deepEqual(list.records, [], 'revoked');
});

// --- Presence ---

scenario('presence: PUT presence → WebHook notifications for the extension (detailed) and account filters', async () => {
  const { a, b } = await fresh();
  const rv = await receiver();
  const filters = [`/restapi/v1.0/account/~/extension/${EXT_102}/presence?detailedTelephonyState=true`, '/restapi/v1.0/account/~/presence'];
  const sub = await (await webhook(a, rv.url, filters)).json();
  const extEvent = `${B_PATH}/presence?detailedTelephonyState=true`;
  const accEvent = `/restapi/v1.0/account/${ACCOUNT_1}/presence`;
  assert.deepEqual(sub.eventFilters, [extEvent, accEvent]);

  const put = await b.put(`${ME}/presence`, { userStatus: 'Busy', dndStatus: 'DoNotAcceptAnyCalls', message: 'In a meeting' });
  assert.equal(put.status, 200);
  const p = await put.json();
  assert.equal(p.presenceStatus, 'Busy');
  assert.equal(p.userStatus, 'Busy');

  await rv.waitFor(2);
  const detailed = rv.notifications.find((n) => n.body.event === extEvent);
  const account = rv.notifications.find((n) => n.body.event === accEvent);
  assert.ok(detailed && account, JSON.stringify(rv.notifications.map((n) => n.body.event)));
  for (const n of [detailed, account]) {
    assertEnvelope(n.body, { event: n.body.event, subscriptionId: sub.id, ownerId: EXT_101 });
    const body = n.body.body;
    assert.equal(String(body.extensionId), String(EXT_102));
    assert.equal(body.userStatus, 'Busy');
    assert.equal(body.presenceStatus, 'Busy');
    assert.equal(body.dndStatus, 'DoNotAcceptAnyCalls');
    assert.equal(typeof body.sequence, 'number');
    assert.equal(typeof body.allowSeeMyPresence, 'boolean');
    assert.ok(['Connected', 'Disconnected'].includes(body.meetingStatus), body.meetingStatus);
  }
  assert.equal(detailed.body.body.telephonyStatus, 'NoCall', 'detailedTelephonyState=true reports the telephony status');
  assert.equal(detailed.body.body.totalActiveCalls, 0, 'detailed presence counts the active calls');
  const calls = detailed.body.body.activeCalls;
  assert.ok(calls === undefined || (Array.isArray(calls) && calls.length === 0), `activeCalls: ${JSON.stringify(calls)}`);

  // The next change has a later sequence.
  const first = detailed.body.body.sequence;
  await b.put(`${ME}/presence`, { userStatus: 'Available' });
  await rv.waitFor((list) => list.filter((n) => n.body.event === extEvent).length >= 2);
  const next = rv.notifications.filter((n) => n.body.event === extEvent)[1].body.body;
  assert.equal(next.userStatus, 'Available');
  assert.equal(next.presenceStatus, 'Available');
  assert.ok(next.sequence > first, `sequence ${next.sequence} > ${first}`);
});

scenario('presence: PUT presence → notification over WebSocket (@rc-ex/ws)', async () => {
  await fresh();
  const rc = await loginRC(server, EXT_102);
  const ext = await wsExtension(rc);
  const got = [];
  const subscription = await ext.subscribe([PRESENCE_FILTER], (event) => got.push(event));
  const id = subscription.subscriptionInfo.id;
  assert.deepEqual(subscription.subscriptionInfo.eventFilters, [`${B_PATH}/presence`]);

  const r = await rc.put(`${ME}/presence`, { userStatus: 'Busy', dndStatus: 'TakeAllCalls' });
  assert.equal(r.status, 200);
  const n = await eventually(() => got.find((e) => e.body?.userStatus === 'Busy'), 'the presence notification');
  assertEnvelope(n, { event: `${B_PATH}/presence`, subscriptionId: id, ownerId: EXT_102 });
  assert.equal(String(n.body.extensionId), String(EXT_102));
  assert.equal(n.body.presenceStatus, 'Busy');
  assert.equal(n.body.dndStatus, 'TakeAllCalls');
});
