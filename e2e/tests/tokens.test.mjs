// Refresh and revoke semantics as the SDKs drive them: a refresh invalidates the previous access
// token (OAU-213), and logout/revoke ends the session for every token of it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, loginSDK, loginRC, newRC, probe, rcError, sdkError, EXT_101, EXT_102 } from './helpers.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

function assertTokenNotFound(res) {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.body.errors[0].errorCode, 'OAU-213', JSON.stringify(res.body));
  assert.equal(res.body.errorCode, 'TokenInvalid');
}

test('@ringcentral/sdk: after platform.refresh() the old access token gets 401 OAU-213', async () => {
  const platform = await loginSDK(server, EXT_101);
  const old = await platform.auth().data();
  assert.equal((await probe(server, old.access_token)).status, 200, 'the fresh token works');

  const res = await platform.refresh();
  assert.equal(res.status, 200);
  const fresh = await platform.auth().data();
  assert.notEqual(fresh.access_token, old.access_token);
  assert.notEqual(fresh.refresh_token, old.refresh_token);
  assert.equal(fresh.owner_id, String(EXT_101));

  assertTokenNotFound(await probe(server, old.access_token));
  assert.equal((await probe(server, fresh.access_token)).status, 200);
  const me = await (await platform.get('/restapi/v1.0/account/~/extension/~')).json();
  assert.equal(me.id, EXT_101);
});

test('@ringcentral/sdk: platform.logout() revokes the session; its tokens get 401 OAU-213', async () => {
  const platform = await loginSDK(server, EXT_101);
  const data = await platform.auth().data();
  const res = await platform.logout();
  assert.equal(res.status, 200);
  assertTokenNotFound(await probe(server, data.access_token));

  // The refresh token died with the session: refreshing with it is refused.
  const rc = newRC(server);
  const e = await rcError(rc.refresh(data.refresh_token));
  assert.equal(e.status, 400);
  assert.equal(e.body.error, 'invalid_grant');
  assert.equal(e.body.errors[0].errorCode, 'OAU-213');

  // And the SDK itself no longer has a session.
  assert.equal(await platform.loggedIn(), false);
});

test('@ringcentral/sdk: logout ends only that session, not another login of the same user', async () => {
  const a = await loginSDK(server, EXT_102);
  const b = await loginSDK(server, EXT_102);
  const tokenB = (await b.auth().data()).access_token;
  await a.logout();
  assert.equal((await probe(server, tokenB)).status, 200);
  const me = await (await b.get('/restapi/v1.0/account/~/extension/~')).json();
  assert.equal(me.id, EXT_102);
});

test('@rc-ex/core: a client still holding the pre-refresh token gets 401 OAU-213 "Token not found"', async () => {
  // Two clients of one app share a session; one refreshes, the other still holds the old token.
  const platform = await loginSDK(server, EXT_101);
  const data = await platform.auth().data();
  await platform.refresh();
  const rc = newRC(server);
  rc.token = { access_token: data.access_token };
  const e = await rcError(rc.restapi().account().extension().get());
  assert.equal(e.status, 401);
  assert.equal(e.body.errors[0].errorCode, 'OAU-213');
  assert.equal(e.body.message, 'Token not found');
  assert.ok(e.message.startsWith('HTTP 401 Unauthorized - Token not found'), e.message.split('\n')[0]);
});

test('@rc-ex/core: rc.refresh() invalidates the old access token (401 OAU-213)', async () => {
  const rc = await loginRC(server, EXT_101);
  const old = rc.token;
  const fresh = await rc.refresh();
  assert.notEqual(fresh.access_token, old.access_token);
  assert.equal(rc.token.access_token, fresh.access_token);
  assertTokenNotFound(await probe(server, old.access_token));
  const me = await rc.restapi().account().extension().get();
  assert.equal(me.id, EXT_101);
});

test('@rc-ex/core: rc.revoke() ends the session (401 OAU-213 with the revoked token)', async () => {
  const rc = await loginRC(server, EXT_101);
  const token = rc.token;
  await rc.revoke();
  assert.equal(rc.token, undefined);
  assertTokenNotFound(await probe(server, token.access_token));

  // Through the SDK exception, as an app sees it.
  const again = newRC(server);
  again.token = token;
  const e = await rcError(again.restapi().account().extension().get());
  assert.equal(e.status, 401);
  assert.equal(e.body.errors[0].errorCode, 'OAU-213');
  assert.ok(e.message.startsWith('HTTP 401 Unauthorized - Token not found'), e.message.split('\n')[0]);
});

test('@ringcentral/sdk: a revoked token surfaces as an ApiError once the SDK cannot refresh', async () => {
  const platform = await loginSDK(server, EXT_101);
  const other = await loginSDK(server, EXT_101);
  // Give `other` the session of `platform`, then end that session through `platform`.
  await other.auth().setData(await platform.auth().data());
  await platform.logout();
  const e = await sdkError(other.get('/restapi/v1.0/account/~/extension/~'));
  // The SDK saw 401, cancelled the access token and tried one refresh, which the platform
  // refused: the refresh error is what the app gets.
  assert.equal(e.status, 400);
  assert.equal(e.body.errors[0].errorCode, 'OAU-213');
  assert.equal(await other.loggedIn(), false);
});
