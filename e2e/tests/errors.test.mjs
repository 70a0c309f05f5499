// Error responses as the SDKs surface them. @ringcentral/sdk throws an Error whose `response` is
// the fetch Response and whose `message` is the body's message (or error_description);
// @rc-ex/core throws a RestException whose `response` is the axios response (`data` parsed) and
// whose message starts "HTTP <status> <statusText> - <message>".

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startServer, loginSDK, loginRC, sdkError, rcError, assertRestError,
  ACCOUNT_2, EXT_101, EXT_102,
} from './helpers.mjs';

let server;
let admin; // @ringcentral/sdk platform of 101 (admin)
let user; // @ringcentral/sdk platform of 102 (not an admin)
let rc; // @rc-ex/core client of 101
before(async () => {
  server = await startServer();
  admin = await loginSDK(server, EXT_101);
  user = await loginSDK(server, EXT_102);
  rc = await loginRC(server, EXT_101);
});
after(async () => {
  await server?.stop();
});

function firstLine(msg) {
  return msg.split('\n')[0];
}

test('unknown path → 404 AGW-404 with an empty errors array (@ringcentral/sdk)', async () => {
  const e = await sdkError(admin.get('/restapi/v1.0/account/~/extension/~/does-not-exist'));
  assert.equal(e.status, 404);
  assert.deepEqual(e.body, { errorCode: 'AGW-404', message: 'Resource not found', errors: [] });
  assert.equal(e.message, 'Resource not found');
  assert.match(e.headers.get('content-type'), /^application\/json/);
  assert.ok(e.headers.get('rcrequestid'), 'RCRequestId header is present');
});

test('unknown path → 404 AGW-404 (@rc-ex/core)', async () => {
  const e = await rcError(rc.post('/restapi/v1.0/account/~/extension/~/does-not-exist', {}));
  assert.equal(e.status, 404);
  assert.equal(e.body.errorCode, 'AGW-404');
  assert.deepEqual(e.body.errors, []);
  assert.equal(firstLine(e.message), 'HTTP 404 Not Found - Resource not found');
});

test('another account\'s id → 404 CMN-102 on accountId', async () => {
  const e = await sdkError(admin.get(`/restapi/v1.0/account/${ACCOUNT_2}`));
  assert.equal(e.status, 404);
  assertRestError(e.body, {
    errorCode: 'CMN-102', parameterName: 'accountId', message: 'Resource for parameter [accountId] is not found',
  });
  assert.equal(e.message, 'Resource for parameter [accountId] is not found');

  const e2 = await rcError(rc.restapi().account(String(ACCOUNT_2)).extension().list());
  assert.equal(e2.status, 404);
  assertRestError(e2.body, { errorCode: 'CMN-102', parameterName: 'accountId' });
  assert.equal(firstLine(e2.message), 'HTTP 404 Not Found - Resource for parameter [accountId] is not found');
});

test('non-admin 102 reading extension 101 → 403 CMN-419 (ReadExtensions)', async () => {
  const e = await sdkError(user.get(`/restapi/v1.0/account/~/extension/${EXT_101}`));
  assert.equal(e.status, 403);
  assertRestError(e.body, { errorCode: 'CMN-419', permissionName: 'ReadExtensions' });
  assert.equal(e.message, e.body.message);
  // The same user may read itself by id, and the admin may read 102.
  assert.equal((await (await user.get(`/restapi/v1.0/account/~/extension/${EXT_102}`)).json()).id, EXT_102);
  assert.equal((await (await admin.get(`/restapi/v1.0/account/~/extension/${EXT_102}`)).json()).id, EXT_102);
});

test('unparsable JSON body on PUT → 400 CMN-103', async () => {
  const e = await sdkError(
    admin.put('/restapi/v1.0/account/~/extension/~', '{"contact": {"firstName": ', null, {
      headers: { 'Content-Type': 'application/json' },
    }),
  );
  assert.equal(e.status, 400);
  assertRestError(e.body, { errorCode: 'CMN-103' });
  assert.equal(e.message, e.body.message);
  // Nothing changed.
  const me = await (await admin.get('/restapi/v1.0/account/~/extension/~')).json();
  assert.equal(me.contact.firstName, 'Ada');
});

test('unparsable JSON body on PUT → 400 CMN-103 (@rc-ex/core)', async () => {
  // axios JSON-encodes a string it cannot parse (it would send "\"{not json\""), so the raw
  // bytes go out only with an identity transformRequest.
  const e = await rcError(
    rc.put('/restapi/v1.0/account/~/extension/~', '{not json', undefined, {
      headers: { 'Content-Type': 'application/json' },
      transformRequest: [(data) => data],
    }),
  );
  assert.equal(e.status, 400);
  assertRestError(e.body, { errorCode: 'CMN-103' });

  // What axios sends by default, a JSON string, is JSON but not an object: 400 naming the body.
  const e2 = await rcError(
    rc.put('/restapi/v1.0/account/~/extension/~', '{not json', undefined, {
      headers: { 'Content-Type': 'application/json' },
    }),
  );
  assert.equal(e2.status, 400);
  assertRestError(e2.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'body' });
});

test('perPage=abc → 400 CMN-101 on perPage', async () => {
  const e = await sdkError(admin.get('/restapi/v1.0/account/~/extension', { perPage: 'abc' }));
  assert.equal(e.status, 400);
  assertRestError(e.body, {
    errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'perPage',
    message: 'Parameter [perPage] value is invalid.',
  });
  assert.equal(e.message, 'Parameter [perPage] value is invalid.');

  const e2 = await rcError(rc.restapi().account().extension().list({ perPage: 'abc' }));
  assert.equal(e2.status, 400);
  assertRestError(e2.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'perPage' });
});

test('wrong method: DELETE /restapi/v1.0/account/~ → 405 with an Allow header', async () => {
  const e = await sdkError(admin.delete('/restapi/v1.0/account/~'));
  assert.equal(e.status, 405);
  const allow = (e.headers.get('allow') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  assert.ok(allow.includes('GET'), `Allow: ${e.headers.get('allow')}`);
  assert.ok(!allow.includes('DELETE'), `Allow: ${e.headers.get('allow')}`);
  assert.equal(typeof e.body.errorCode, 'string');
  assert.equal(typeof e.body.message, 'string');
  assert.ok(Array.isArray(e.body.errors));
  assert.equal(e.message, e.body.message);

  const e2 = await rcError(rc.delete('/restapi/v1.0/account/~'));
  assert.equal(e2.status, 405);
  assert.ok(String(e2.headers.allow).split(',').map((s) => s.trim()).includes('GET'));
  assert.ok(firstLine(e2.message).startsWith('HTTP 405 Method Not Allowed'), firstLine(e2.message));
});
