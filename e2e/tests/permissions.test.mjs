// App permissions as the official SDK meets them: an app seeded with only ReadAccounts reads
// the account but is refused SMS with 403 InsufficientPermissions / CMN-401 naming the
// permission, and the refused message is not sent; the default app lists none and may do both.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { startServer, newSDK, sdkError, tempDir, repoRoot, EXT_101 } from './helpers.mjs';

const RO = { clientId: 'readOnlyClientId000001', clientSecret: 'readOnlyClientSecret00000000000000000001' };
let server;
let tmp;

before(async () => {
  tmp = tempDir();
  const seed = readFileSync(path.join(repoRoot, 'internal/seed/default.yaml'), 'utf8').replace(
    '  - clientId: rcemuPublicClientId001\n',
    `  - clientId: ${RO.clientId}\n    clientSecret: ${RO.clientSecret}\n    name: read-only app\n` +
      '    grants: ["urn:ietf:params:oauth:grant-type:jwt-bearer"]\n    permissions: [ReadAccounts]\n' +
      '  - clientId: rcemuPublicClientId001\n',
  );
  assert.ok(seed.includes(RO.clientId), 'the seed has no place for the app');
  const file = path.join(tmp.dir, 'seed.yaml');
  writeFileSync(file, seed);
  server = await startServer({ seed: file });
});

after(async () => {
  await server?.stop();
  tmp?.remove();
});

test('an app with only ReadAccounts reads the account and is refused SMS with CMN-401; nothing is sent', async () => {
  const ro = newSDK(server, RO).platform();
  await ro.login({ jwt: server.user(EXT_101).jwt });
  const account = await (await ro.get('/restapi/v1.0/account/~')).json();
  assert.ok(account.id);

  const outbox = async () => (await server.control('/outbox')).records.length;
  const before = await outbox();
  const sms = { from: { phoneNumber: '+16505550101' }, to: [{ phoneNumber: '+13125550188' }], text: 'not allowed' };
  const e = await sdkError(ro.post('/restapi/v1.0/account/~/extension/~/sms', sms));
  assert.equal(e.status, 403);
  assert.equal(e.body.errorCode, 'InsufficientPermissions');
  assert.equal(e.body.errors[0].errorCode, 'CMN-401');
  assert.equal(e.body.permissionName, 'SMS');
  assert.equal(e.body.message, 'In order to call this API endpoint, application needs to have [SMS] permission');
  assert.equal(await outbox(), before, 'the refused SMS was sent');

  const full = newSDK(server).platform();
  await full.login({ jwt: server.user(EXT_101).jwt });
  const sent = await (await full.post('/restapi/v1.0/account/~/extension/~/sms', sms)).json();
  assert.equal(sent.messageStatus !== undefined, true);
  assert.equal(await outbox(), before + 1);
});
