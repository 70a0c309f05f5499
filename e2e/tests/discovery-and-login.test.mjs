// Version discovery and the login grants an unchanged app uses: JWT and password through
// @ringcentral/sdk, JWT through @rc-ex/core.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, newSDK, newRC, sdkError, EXT_101, EXT_102, ACCOUNT_1 } from './helpers.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function assertVersion(v, url) {
  assert.deepEqual(Object.keys(v).sort(), ['releaseDate', 'uri', 'uriString', 'versionString']);
  assert.equal(v.uri, `${url}/restapi/v1.0`);
  assert.equal(v.uriString, 'v1.0');
  assert.match(v.versionString, /^1\.0\.\d+$/);
  assert.match(v.releaseDate, ISO_MS);
}

test('discovery: GET /restapi and /restapi/v1.0 through @ringcentral/sdk, before login', async () => {
  const platform = newSDK(server).platform();
  // Discovery needs no token; an app calls it with skipAuthCheck before logging in.
  const res = await platform.get('/restapi', null, { skipAuthCheck: true });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const list = await res.json();
  assert.ok(list.uri === `${server.url}/restapi/` || list.uri === `${server.url}/restapi`, list.uri);
  assert.ok(Array.isArray(list.apiVersions));
  assert.equal(list.apiVersions.length, 1);
  assertVersion(list.apiVersions[0], server.url);

  const v1 = await (await platform.get('/restapi/v1.0', null, { skipAuthCheck: true })).json();
  assertVersion(v1, server.url);
  assert.deepEqual(v1, list.apiVersions[0], '/restapi/v1.0 is the entry /restapi lists');
});

test('discovery: rc.restapi(null).list() and rc.restapi().get() through @rc-ex/core', async () => {
  const rc = newRC(server);
  const list = await rc.restapi(null).list();
  assertVersion(list.apiVersions[0], server.url);
  const v1 = await rc.restapi().get();
  assert.deepEqual(v1, list.apiVersions[0]);
});

test('@ringcentral/sdk: JWT login, then the token works on the API', async () => {
  const platform = newSDK(server).platform();
  const res = await platform.login({ jwt: server.user(EXT_101).jwt });
  assert.equal(res.status, 200);
  const token = await res.json();
  assert.equal(token.token_type.toLowerCase(), 'bearer');
  assert.equal(token.owner_id, String(EXT_101));
  assert.equal(typeof token.access_token, 'string');
  assert.ok(token.access_token.length > 0);
  assert.equal(typeof token.refresh_token, 'string');
  assert.ok(token.expires_in > 0 && token.expires_in <= 3600, `expires_in ${token.expires_in}`);
  assert.ok(token.refresh_token_expires_in > 3600);
  assert.equal(typeof token.scope, 'string');
  assert.ok(await platform.loggedIn());

  const ext = await (await platform.get('/restapi/v1.0/account/~/extension/~')).json();
  assert.equal(ext.id, EXT_101);
  assert.equal(ext.extensionNumber, '101');
  const acc = await (await platform.get('/restapi/v1.0/account/~')).json();
  assert.equal(acc.id, ACCOUNT_1);
});

/** passwordLogin logs in with the password grant, without the SDK's deprecation warning. */
async function passwordLogin(platform, creds) {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return await platform.login(creds);
  } finally {
    console.warn = warn;
  }
}

test('@ringcentral/sdk: password login with username, extension and password', async () => {
  const platform = newSDK(server).platform();
  const res = await passwordLogin(platform, { username: '+16505550101', extension: '101', password: 'rcemu-password-101' });
  const token = await res.json();
  assert.equal(token.owner_id, String(EXT_101));
  const ext = await (await platform.get('/restapi/v1.0/account/~/extension/~')).json();
  assert.equal(ext.id, EXT_101);
});

test('@ringcentral/sdk: password login as another user lands on that user', async () => {
  const platform = newSDK(server).platform();
  await passwordLogin(platform, { username: '+16505550102', extension: '102', password: 'rcemu-password-102' });
  const ext = await (await platform.get('/restapi/v1.0/account/~/extension/~')).json();
  assert.equal(ext.id, EXT_102);
});

test('@ringcentral/sdk: a wrong password is refused with OAU-140 and the SDK stays logged out', async () => {
  const platform = newSDK(server).platform();
  const e = await sdkError(passwordLogin(platform, { username: '+16505550101', extension: '101', password: 'not-the-password' }));
  assert.equal(e.status, 401);
  assert.equal(e.body.error, 'invalid_grant');
  assert.equal(e.body.errors[0].errorCode, 'OAU-140');
  assert.equal(e.message, e.body.error_description, 'the SDK surfaces error_description as the message');
  assert.equal(await platform.loggedIn(), false);
});

test('@rc-ex/core: rc.authorize({jwt}) and rc.restapi().account().extension().get()', async () => {
  const rc = newRC(server);
  const token = await rc.authorize({ jwt: server.user(EXT_102).jwt });
  assert.equal(token.owner_id, String(EXT_102));
  assert.equal(rc.token.access_token, token.access_token);
  const ext = await rc.restapi().account().extension().get();
  assert.equal(ext.id, EXT_102);
  assert.equal(ext.uri, `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_102}`);
  const acc = await rc.restapi().account().get();
  assert.equal(acc.id, ACCOUNT_1);
});
