// Two rcemu instances on one PostgreSQL database behind a load balancer, through the official
// SDKs, as a staging environment runs them. Only with RCEMU_TEST_POSTGRES (make test-postgres,
// and CI): on SQLite one process owns its file.
//
// The balancer hands each new TCP connection to the next instance in turn, so an SDK's
// kept-alive REST connection and its WebSocket land on different instances, as they may
// behind any load balancer. Whatever lands where, the app must see one platform: a token from
// one instance works on the other, a write on one is read on the other, a WebHook or WebSocket
// subscriber hears exactly once of a text sent through either, and a revoke on one holds on
// the other.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import WebSocketExtension, { Events } from '@rc-ex/ws';

import {
  startServer,
  freshPostgres,
  newSDK,
  loginSDK,
  loginRC,
  eventually,
  startWebhookReceiver,
  shutdownWs,
  EXT_101,
  EXT_102,
} from './helpers.mjs';

const A_NUMBER = '+16505550101'; // ext 101
const B_NUMBER = '+16505550102'; // ext 102
const ME = '/restapi/v1.0/account/~/extension/~';
const INSTANT_FILTER = `${ME}/message-store/instant?type=SMS`;

const skip = process.env.RCEMU_TEST_POSTGRES ? false : 'RCEMU_TEST_POSTGRES is not set: two instances need PostgreSQL';

let a;
let b;
let lb;
before(async () => {
  if (skip) return;
  const db = freshPostgres();
  a = await startServer({ db });
  b = await startServer({ db });
  lb = await startBalancer([a.url, b.url]);
});
after(async () => {
  lb?.close();
  await a?.stop();
  await b?.stop();
});

/** startBalancer forwards each new connection to the next backend in turn. */
async function startBalancer(urls) {
  const backends = urls.map((u) => new URL(u));
  const counts = backends.map(() => 0);
  const sockets = new Set();
  let next = 0;
  const order = []; // the backend of each connection, in turn
  const srv = net.createServer((client) => {
    const i = next++ % backends.length;
    counts[i] += 1;
    order.push(i);
    const upstream = net.connect(Number(backends[i].port), backends[i].hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    counts,
    order,
    close() {
      srv.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** via is a server as the helpers take it, reached at another URL (the balancer's). */
function via(server, url) {
  return { ...server, url };
}

async function sms(platform, from, to, text) {
  const res = await platform.post(`${ME}/sms`, { from: { phoneNumber: from }, to: [{ phoneNumber: to }], text });
  assert.equal(res.status, 200);
  return res.json();
}

test('a token, a write and a revoke hold on both instances', { skip }, async () => {
  const onA = await loginSDK(a, EXT_101);
  const onB = newSDK(b).platform();
  await onB.auth().setData(await onA.auth().data());

  const me = await (await onB.get(ME)).json();
  assert.equal(me.extensionNumber, '101', "A's token on B");

  const contact = await (await onA.post(`${ME}/address-book/contact`, { firstName: 'Shared', lastName: 'Contact', mobilePhone: '+14155550177' })).json();
  const read = await (await onB.get(`${ME}/address-book/contact/${contact.id}`)).json();
  assert.equal(read.firstName, 'Shared', "A's contact read on B");

  const { access_token: token } = await onA.auth().data();
  await onB.logout(); // revokes the session through B
  await eventually(async () => (await fetch(`${a.url}${ME}`, { headers: { Authorization: `Bearer ${token}` } })).status === 401,
    'A to refuse the token revoked through B');
});

test('WebHook and WebSocket subscribers behind the balancer hear once of texts sent through either instance', { skip }, async () => {
  const hook = await startWebhookReceiver();
  const onB = await loginSDK(b, EXT_102);
  const sub = await (await onB.post('/restapi/v1.0/subscription', {
    eventFilters: [INSTANT_FILTER],
    deliveryMode: { transportType: 'WebHook', address: hook.url },
  })).json();
  assert.equal(sub.status, 'Active');

  // @rc-ex/ws through the balancer: its REST calls and its socket may reach different instances.
  const rc = await loginRC(via(b, lb.url), EXT_102);
  const ext = new WebSocketExtension();
  try {
    await rc.installExtension(ext);
    const got = [];
    await ext.subscribe([INSTANT_FILTER], (event) => got.push(event));
    await new Promise((r) => setTimeout(r, 500)); // the other instance hears of the subscriptions

    const sender = { a: await loginSDK(a, EXT_101), b: await loginSDK(b, EXT_101) };
    const texts = [];
    for (const [name, platform] of Object.entries(sender)) {
      const text = `through ${name} ${Date.now()}`;
      texts.push(text);
      await sms(platform, A_NUMBER, B_NUMBER, text);
    }
    for (const text of texts) {
      await hook.waitFor((list) => list.some((n) => n.body?.body?.subject === text));
      await eventually(() => got.some((e) => e.body?.subject === text), `the WebSocket notification of "${text}"`);
    }
    await new Promise((r) => setTimeout(r, 1000)); // room for a duplicate to show
    for (const text of texts) {
      assert.equal(hook.notifications.filter((n) => n.body?.body?.subject === text).length, 1, `WebHook: "${text}" once`);
      assert.equal(got.filter((e) => e.body?.subject === text).length, 1, `WebSocket: "${text}" once`);
    }
    assert.ok(lb.counts.every((n) => n > 0), `the balancer used both instances: ${lb.counts}`);
  } finally {
    await shutdownWs(ext);
    await hook.close();
  }
});

test('@rc-ex/ws recovers its session on the other instance after its socket drops', { skip }, async () => {
  const rc = await loginRC(via(b, lb.url), EXT_102);
  const ext = new WebSocketExtension();
  try {
    await rc.installExtension(ext);
    const got = [];
    const subscription = await ext.subscribe([INSTANT_FILTER], (event) => got.push(event));
    const id = subscription.subscriptionInfo.id;
    const wscToken = ext.wsc.token;
    const socketOn = lb.order.at(-1);
    const outcome = new Promise((resolve) => {
      ext.eventEmitter.once(Events.autoRecoverSuccess, () => resolve('Successful'));
      ext.eventEmitter.once(Events.autoRecoverFailed, () => resolve('Failed'));
    });
    await new Promise((r) => setTimeout(r, 500)); // the other instance hears of the subscription

    const oldWs = ext.ws;
    oldWs.close();
    await eventually(() => oldWs.readyState === oldWs.CLOSED, 'the socket to close');
    await new Promise((r) => setTimeout(r, 100));
    const sender = await loginSDK(a, EXT_101);
    const away = `while away ${Date.now()}`;
    await sms(sender, A_NUMBER, B_NUMBER, away);

    let timer;
    const result = await Promise.race([outcome, new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), 10_000); })]);
    clearTimeout(timer);
    assert.equal(result, 'Successful', 'autoRecoverSuccess within 10 s');
    assert.notEqual(lb.order.at(-1), socketOn, 'the new socket reached the other instance');
    assert.equal(ext.connectionDetails.recoveryState, 'Successful');
    assert.equal(ext.wsc.token, wscToken, 'the same WebSocket session');
    assert.equal(ext.subscription?.subscriptionInfo?.id, id, 'the same subscription');
    await eventually(() => got.some((e) => e.body?.subject === away), 'the missed notification, replayed');

    const back = `after recovery ${Date.now()}`;
    await sms(await loginSDK(b, EXT_101), A_NUMBER, B_NUMBER, back);
    await eventually(() => got.some((e) => e.body?.subject === back), 'a notification on the recovered socket');
    await new Promise((r) => setTimeout(r, 1000));
    for (const text of [away, back]) {
      assert.equal(got.filter((e) => e.body?.subject === text).length, 1, `"${text}" once`);
    }
  } finally {
    await shutdownWs(ext);
  }
});
