// User-Agent reporting: the emulator attributes the SDKs' X-User-Agent strings to the app's
// clientId in GET /_rcemu/user-agents and in the request log.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { startServer, loginSDK, loginRC, EXT_101, EXT_102 } from './helpers.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const pkgVersion = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url))).version;
const sdkVersion = pkgVersion('@ringcentral/sdk');
const rcexVersion = pkgVersion('@rc-ex/core');

test('@ringcentral/sdk: X-User-Agent is reported under the app clientId', async () => {
  const platform = await loginSDK(server, EXT_101, { appName: 'rcemu-e2e', appVersion: '1.2.3' });
  const expected = `rcemu-e2e/1.2.3 RCJSSDK/${sdkVersion}`;
  assert.equal(platform.userAgent, expected);
  await platform.get('/restapi/v1.0/account/~/extension/~');
  await platform.get('/restapi/v1.0/account/~');

  const apps = await server.userAgents();
  const app = apps.find((a) => a.clientId === server.creds.clientId);
  assert.ok(app, `no report for ${server.creds.clientId}: ${JSON.stringify(apps)}`);
  const ua = app.userAgents.find((u) => u.value === expected);
  assert.ok(ua, `X-User-Agent ${expected} not reported: ${JSON.stringify(app.userAgents)}`);
  assert.ok(ua.requests >= 3, `login + 2 GETs, got ${ua.requests}`);

  const log = await server.requests();
  const mine = log.filter((r) => r.userAgent === expected);
  assert.ok(mine.some((r) => r.path === '/restapi/oauth/token' && r.clientId === server.creds.clientId));
  const gets = mine.filter((r) => r.method === 'GET' && r.path === '/restapi/v1.0/account/~');
  assert.equal(gets.length, 1);
  assert.equal(gets[0].clientId, server.creds.clientId);
  assert.equal(gets[0].userAgentHeader, 'X-User-Agent');
});

test('@rc-ex/core: its X-User-Agent is reported under the same clientId', async () => {
  const rc = await loginRC(server, EXT_102, { appName: 'rcemu-e2e-rcex', appVersion: '2.0.0' });
  await rc.restapi().account().extension().get();
  const expected = `rcemu-e2e-rcex/2.0.0 ringcentral-extensible/core/${rcexVersion}`;

  const apps = await server.userAgents();
  const app = apps.find((a) => a.clientId === server.creds.clientId);
  assert.ok(app);
  const values = app.userAgents.map((u) => u.value);
  assert.ok(values.includes(expected), `reported: ${JSON.stringify(values)}`);
  assert.ok(values.includes(`rcemu-e2e/1.2.3 RCJSSDK/${sdkVersion}`), 'the earlier SDK is still listed');
  const ua = app.userAgents.find((u) => u.value === expected);
  assert.ok(ua.requests >= 2, `token + GET, got ${ua.requests}`);
});
