// Rate limits as the official SDK sees them: the X-Rate-Limit headers of the operation's group
// on every answer in the default report mode; in enforce mode the 11th Heavy call within a
// minute is 429 CMN-301 with Retry-After, which the SDK exposes on its error, and the clock moved
// past the penalty lets the app through again.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, loginSDK, sdkError, EXT_101 } from './helpers.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

test('report mode: every throttled answer carries its group\'s X-Rate-Limit headers, nothing is refused', async () => {
  const platform = await loginSDK(server, EXT_101);
  let last;
  for (let i = 0; i < 55; i += 1) {
    last = await platform.get('/restapi/v1.0/account/~/extension/~');
    if (i === 0) {
      assert.equal(last.headers.get('x-rate-limit-group'), 'light');
      assert.equal(last.headers.get('x-rate-limit-limit'), '50');
      assert.equal(last.headers.get('x-rate-limit-remaining'), '49');
      assert.equal(last.headers.get('x-rate-limit-window'), '60');
    }
  }
  assert.equal(last.status, 200);
  assert.equal(last.headers.get('x-rate-limit-remaining'), '0');
  const heavy = await platform.get('/restapi/v1.0/account/~/extension/~/call-log');
  assert.equal(heavy.headers.get('x-rate-limit-group'), 'heavy');
  assert.equal(heavy.headers.get('x-rate-limit-limit'), '10');
});

test('enforce mode: the 11th Heavy call in a minute is 429 CMN-301 with Retry-After; past the penalty it goes through', async () => {
  await server.control('/rate-limits', { method: 'DELETE' });
  await server.control('/rate-limits', { method: 'PUT', body: JSON.stringify({ mode: 'enforce' }) });
  try {
    const platform = await loginSDK(server, EXT_101);
    for (let i = 0; i < 10; i += 1) {
      const r = await platform.get('/restapi/v1.0/account/~/extension/~/call-log');
      assert.equal(r.status, 200);
    }
    const err = await sdkError(platform.get('/restapi/v1.0/account/~/extension/~/call-log'));
    assert.equal(err.status, 429);
    assert.equal(err.headers.get('retry-after'), '60');
    assert.equal(err.headers.get('x-rate-limit-window'), '60');
    assert.equal(err.body.errorCode, 'CMN-301');
    assert.equal(err.body.message, 'Request rate exceeded');

    // A call during the penalty starts it again; the clock moved past it lets the app through.
    await server.advanceClock('30s');
    assert.equal((await sdkError(platform.get('/restapi/v1.0/account/~/extension/~/call-log'))).status, 429);
    await server.advanceClock('61s');
    const r = await platform.get('/restapi/v1.0/account/~/extension/~/call-log');
    assert.equal(r.status, 200);
  } finally {
    await server.control('/rate-limits', { method: 'PUT', body: JSON.stringify({ mode: 'report' }) });
  }
});
