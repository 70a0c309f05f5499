// Access-token expiry on the emulator clock: an expired token gets 401 OAU-128, and
// @ringcentral/sdk's refresh-once-and-retry on 401 makes a plain platform.get succeed.
// (Its own file: moving the clock would expire the tokens of other tests.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, loginSDK, loginRC, probe, rcError, EXT_101, EXT_102 } from './helpers.mjs';

const ME = '/restapi/v1.0/account/~/extension/~';

let server;
let platform;
let rc;
before(async () => {
  server = await startServer();
  platform = await loginSDK(server, EXT_101);
  rc = await loginRC(server, EXT_102);
  assert.equal((await probe(server, (await platform.auth().data()).access_token)).status, 200);
  await server.advanceClock('3601s');
});
after(async () => {
  await server?.stop();
});

test('an access token past its hour gets 401 OAU-128', async () => {
  const res = await probe(server, (await platform.auth().data()).access_token);
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.body.errors[0].errorCode, 'OAU-128');
  assert.equal(res.body.errorCode, 'OAU-128');
});

test('@ringcentral/sdk: platform.get refreshes once on 401 and retries, transparently', async () => {
  const before = await platform.auth().data();
  // The SDK's own clock still thinks the token is fresh, so it sends it and meets the 401.
  assert.equal(await platform.auth().accessTokenValid(), true);
  await server.control('/requests', { method: 'DELETE' });

  const res = await platform.get(ME);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).id, EXT_101);

  // What the emulator saw (the log lists newest first): the 401, the refresh, the retried GET.
  const log = (await server.requests()).reverse();
  const seen = log.map((r) => `${r.method} ${r.path} ${r.status}${r.errorCode ? ` ${r.errorCode}` : ''}`);
  assert.deepEqual(seen, [
    'GET /restapi/v1.0/account/~/extension/~ 401 OAU-128',
    'POST /restapi/oauth/token 200',
    'GET /restapi/v1.0/account/~/extension/~ 200',
  ]);

  const afterData = await platform.auth().data();
  assert.notEqual(afterData.access_token, before.access_token);
  assert.notEqual(afterData.refresh_token, before.refresh_token);
  assert.equal((await probe(server, afterData.access_token)).status, 200);
});

test('@rc-ex/core: an expired token surfaces as RestException 401 OAU-128; rc.refresh() recovers', async () => {
  const e = await rcError(rc.restapi().account().extension().get());
  assert.equal(e.status, 401);
  assert.equal(e.body.errors[0].errorCode, 'OAU-128');
  assert.ok(e.message.startsWith(`HTTP 401 Unauthorized - ${e.body.message}`), e.message.split('\n')[0]);

  await rc.refresh();
  const me = await rc.restapi().account().extension().get();
  assert.equal(me.id, EXT_102);
});
