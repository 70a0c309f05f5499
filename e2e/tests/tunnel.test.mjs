// Method tunnelling: PUT sent as POST with X-HTTP-Method-Override or ?_method=, and the 400
// when the two disagree.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, loginSDK, loginRC, sdkError, rcError, assertRestError, EXT_101 } from './helpers.mjs';

const ME = '/restapi/v1.0/account/~/extension/~';

let server;
let platform;
before(async () => {
  server = await startServer();
  platform = await loginSDK(server, EXT_101);
});
after(async () => {
  await server?.stop();
});

const firstName = async () => (await (await platform.get(ME)).json()).contact.firstName;

test('plain PUT changes contact.firstName (baseline for the tunnelled forms)', async () => {
  const res = await platform.put(ME, { contact: { firstName: 'Augusta' } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).contact.firstName, 'Augusta');
  assert.equal(await firstName(), 'Augusta');
});

test('POST with X-HTTP-Method-Override: PUT is a PUT', async () => {
  const res = await platform.post(ME, { contact: { firstName: 'Override' } }, null, {
    headers: { 'X-HTTP-Method-Override': 'PUT' },
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.id, EXT_101);
  assert.equal(body.contact.firstName, 'Override');
  assert.equal(body.contact.lastName, 'Lovelace', 'fields not sent are kept');
  assert.equal(await firstName(), 'Override');
});

test('POST with ?_method=PUT (the SDK\'s createUrl addMethod) is a PUT', async () => {
  const url = platform.createUrl(ME, { addMethod: 'PUT' });
  assert.ok(url.endsWith('?_method=PUT'), url);
  const res = await platform.send({ method: 'POST', url, body: { contact: { firstName: 'Param' } } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.contact.firstName, 'Param');
  assert.ok(!body.uri.includes('_method'), 'the tunnelling parameter is not echoed in uri');
  assert.equal(await firstName(), 'Param');
});

test('@rc-ex/core: POST with X-HTTP-Method-Override: PUT', async () => {
  const rc = await loginRC(server, EXT_101);
  const res = await rc.post(ME, { contact: { firstName: 'RcEx' } }, undefined, {
    headers: { 'X-HTTP-Method-Override': 'PUT' },
  });
  assert.equal(res.status, 200);
  assert.equal(res.data.contact.firstName, 'RcEx');
  const after = await rc.restapi().account().extension().get();
  assert.equal(after.contact.firstName, 'RcEx');
});

test('@rc-ex/core: POST with params {_method: "PUT"}', async () => {
  const rc = await loginRC(server, EXT_101);
  const res = await rc.post(ME, { contact: { firstName: 'RcExParam' } }, { _method: 'PUT' });
  assert.equal(res.status, 200);
  assert.equal((await rc.restapi().account().extension().get()).contact.firstName, 'RcExParam');
});

test('header and _method present and different → 400 CMN-101 on _method, nothing changed', async () => {
  const before = await firstName();
  const e = await sdkError(
    platform.post(ME, { contact: { firstName: 'Conflict' } }, { _method: 'PUT' }, {
      headers: { 'X-HTTP-Method-Override': 'DELETE' },
    }),
  );
  assert.equal(e.status, 400);
  assertRestError(e.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: '_method' });
  assert.equal(e.message, e.body.message, 'the SDK error message is the body message');
  assert.equal(await firstName(), before);
});

test('header and _method present and different (PATCH vs PUT) → 400 through @rc-ex/core', async () => {
  const rc = await loginRC(server, EXT_101);
  const e = await rcError(
    rc.post(ME, { contact: { firstName: 'Conflict' } }, { _method: 'PUT' }, {
      headers: { 'X-HTTP-Method-Override': 'PATCH' },
    }),
  );
  assert.equal(e.status, 400);
  assertRestError(e.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: '_method' });
  assert.ok(e.message.startsWith(`HTTP 400 Bad Request - ${e.body.message}`), e.message.split('\n')[0]);
});

test('header and _method present and equal is not a conflict', async () => {
  const res = await platform.post(ME, { contact: { firstName: 'Same' } }, { _method: 'PUT' }, {
    headers: { 'X-HTTP-Method-Override': 'PUT' },
  });
  assert.equal(res.status, 200);
  assert.equal(await firstName(), 'Same');
});
