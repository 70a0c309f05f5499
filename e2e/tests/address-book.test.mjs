// The personal address book and the company directory as SDK users see them: contact CRUD with
// PUT as a full replacement and PATCH as a partial change (null removes one attribute), the
// same through method tunnelling, validation errors that change nothing, address-book sync,
// and directory entries that are the extension list.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startServer, loginSDK, loginRC, sdkError, rcError, assertRestError, ACCOUNT_2, EXT_101, EXT_102, EXT_103,
} from './helpers.mjs';

const BOOK = '/restapi/v1.0/account/~/extension/~/address-book/contact';

let server;
let platform; // Grace (102) through @ringcentral/sdk
let rc; // Grace through @rc-ex/core
before(async () => {
  server = await startServer();
  platform = await loginSDK(server, EXT_102);
  rc = await loginRC(server, EXT_102);
});
after(async () => {
  await server?.stop();
});

const contact = (id) => rc.restapi().account().extension().addressBook().contact(String(id));

test('@rc-ex/core: create, read, PATCH (null removes one attribute), PUT (omitted attributes cleared), delete', async () => {
  const created = await rc.restapi().account().extension().addressBook().contact().post({
    firstName: 'Katherine', lastName: 'Johnson', company: 'NASA', jobTitle: 'Mathematician',
    email: 'katherine.johnson@example.org', mobilePhone: '(757) 555-0147', notes: 'orbital mechanics',
    businessAddress: { city: 'Hampton', state: 'VA' },
  });
  assert.equal(typeof created.id, 'number');
  assert.equal(created.availability, 'Alive');
  assert.equal(created.mobilePhone, '+17575550147', 'a national number is stored in E.164 in the dialing plan');
  assert.equal(created.uri, `${server.url}/restapi/v1.0/account/159048008/extension/${EXT_102}/address-book/contact/${created.id}`);

  const read = await contact(created.id).get();
  assert.deepEqual(read, created);

  const patched = await contact(created.id).patch({ jobTitle: 'Research Mathematician', notes: null });
  assert.equal(patched.jobTitle, 'Research Mathematician');
  assert.equal(patched.notes, undefined, 'null removes the attribute');
  assert.equal(patched.company, 'NASA', 'absent attributes are kept');
  assert.equal(patched.mobilePhone, '+17575550147');
  assert.deepEqual(patched.businessAddress, { city: 'Hampton', state: 'VA' });

  const replaced = await contact(created.id).put({ firstName: 'Katherine', lastName: 'Johnson', email: 'kj@example.org' });
  assert.equal(replaced.email, 'kj@example.org');
  for (const gone of ['company', 'jobTitle', 'mobilePhone', 'businessAddress', 'notes']) {
    assert.equal(replaced[gone], undefined, `PUT clears ${gone}`);
  }
  assert.deepEqual(await contact(created.id).get(), replaced);

  await contact(created.id).delete();
  const e = await rcError(contact(created.id).get());
  assert.equal(e.status, 404);
  assertRestError(e.body, { errorCode: 'CMN-102', parameterName: 'contactId' });
});

test('@ringcentral/sdk: the same through X-HTTP-Method-Override and ?_method=', async () => {
  const c = await (await platform.post(BOOK, { firstName: 'Margaret', lastName: 'Hamilton', company: 'MIT', notes: 'Apollo' })).json();
  const path = `${BOOK}/${c.id}`;

  let res = await platform.post(path, { notes: null }, null, { headers: { 'X-HTTP-Method-Override': 'PATCH' } });
  assert.equal(res.status, 200);
  let body = await res.json();
  assert.equal(body.notes, undefined);
  assert.equal(body.company, 'MIT', 'a tunnelled PATCH keeps what it does not name');

  res = await platform.send({ method: 'POST', url: platform.createUrl(path, { addMethod: 'PUT' }), body: { firstName: 'Maggie' } });
  assert.equal(res.status, 200);
  body = await res.json();
  assert.equal(body.firstName, 'Maggie');
  assert.equal(body.lastName, undefined, 'a tunnelled PUT is a full replacement');
  assert.equal(body.company, undefined);

  res = await platform.post(path, null, { _method: 'DELETE' });
  assert.equal(res.status, 204);
  const e = await sdkError(platform.get(path));
  assert.equal(e.status, 404);
  assertRestError(e.body, { errorCode: 'CMN-102', parameterName: 'contactId' });
});

test('@rc-ex/core with tunnelling: PATCH as POST + X-HTTP-Method-Override', async () => {
  const c = await rc.restapi().account().extension().addressBook().contact().post({ firstName: 'Annie', lastName: 'Easley', company: 'NASA' });
  const res = await rc.post(`${BOOK}/${c.id}`, { company: null, jobTitle: 'Engineer' }, undefined, {
    headers: { 'X-HTTP-Method-Override': 'PATCH' },
  });
  assert.equal(res.status, 200);
  assert.equal(res.data.company, undefined);
  assert.equal(res.data.jobTitle, 'Engineer');
  assert.equal(res.data.lastName, 'Easley');
});

test('invalid email and phone numbers are 400 CMN-101 naming the attribute, and change nothing', async () => {
  const c = await rc.restapi().account().extension().addressBook().contact().post({ firstName: 'Dorothy', lastName: 'Vaughan', email: 'dv@example.org' });
  const before = await rc.restapi().account().extension().addressBook().contact().list({ perPage: 1000 });

  let e = await rcError(rc.restapi().account().extension().addressBook().contact().post({ firstName: 'X', email: 'nope' }));
  assert.equal(e.status, 400);
  assertRestError(e.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'email' });

  e = await sdkError(platform.patch(`${BOOK}/${c.id}`, { mobilePhone: 'call me maybe' }));
  assert.equal(e.status, 400);
  assertRestError(e.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'mobilePhone' });

  e = await sdkError(platform.put(`${BOOK}/${c.id}`, { email: 'dv@' }));
  assert.equal(e.status, 400);
  assertRestError(e.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'email' });

  e = await sdkError(platform.get(BOOK, { sortBy: 'Shoe' }));
  assertRestError(e.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'sortBy' });

  const after = await rc.restapi().account().extension().addressBook().contact().list({ perPage: 1000 });
  assert.deepEqual(after.records, before.records);
  assert.equal((await contact(c.id).get()).email, 'dv@example.org');
});

test('list: startsWith, sortBy and paging as the SDK passes them', async () => {
  const rcAlan = await loginRC(server, EXT_103);
  const book = rcAlan.restapi().account().extension().addressBook().contact();
  for (const [firstName, lastName] of [['Edsger', 'Dijkstra'], ['Donald', 'Knuth'], ['Tony', 'Hoare'], ['Don', 'Knotts']]) {
    await book.post({ firstName, lastName });
  }
  const kn = await book.list({ startsWith: 'kn', sortBy: ['FirstName'] });
  assert.deepEqual(kn.records.map((r) => r.firstName), ['Don', 'Donald']);
  const page = await book.list({ sortBy: ['LastName'], page: 2, perPage: 3 });
  assert.deepEqual(page.records.map((r) => r.lastName), ['Knuth']);
  assert.equal(page.paging.totalElements, 4);
  assert.equal(page.paging.totalPages, 2);
  assert.ok(page.navigation.previousPage.uri.includes('page=1&perPage=3'));
  // Grace's contacts are not Alan's.
  assert.ok(!(await book.list({ perPage: 1000 })).records.some((r) => r.lastName === 'Johnson' || r.lastName === 'Vaughan'));
});

test('address-book-sync: FSync, then ISync with the change and the deletion', async () => {
  const sync = rc.restapi().account().extension().addressBookSync();
  const full = await sync.get({ syncType: 'FSync' });
  assert.equal(full.syncInfo.syncType, 'FSync');
  assert.ok(full.records.length >= 2, 'the seeded contacts and the ones made above');
  const c = await rc.restapi().account().extension().addressBook().contact().post({ firstName: 'Mary', lastName: 'Jackson' });
  const victim = full.records[0];
  await contact(victim.id).delete();
  const inc = await sync.get({ syncType: 'ISync', syncToken: full.syncInfo.syncToken });
  assert.equal(inc.syncInfo.syncType, 'ISync');
  assert.deepEqual(inc.records.map((r) => [r.id, r.availability]), [[c.id, 'Alive'], [victim.id, 'Deleted']], 'oldest change first');
  const none = await sync.get({ syncType: 'ISync', syncToken: inc.syncInfo.syncToken });
  assert.deepEqual(none.records, []);
});

test('directory entries are the extension list: same ids, names, numbers; an extension update shows at once', async () => {
  const admin = await loginRC(server, EXT_101);
  const exts = await admin.restapi().account().extension().list({ perPage: 1000 });
  const dir = await rc.restapi().account().directory().entries().list({ showFederated: false });
  assert.deepEqual(dir.records.map((e) => e.id), exts.records.map((x) => String(x.id)));
  for (const x of exts.records) {
    const e = dir.records.find((r) => r.id === String(x.id));
    assert.equal(e.extensionNumber, x.extensionNumber);
    if (x.type === 'User') {
      assert.equal(`${e.firstName} ${e.lastName}`, x.name);
    } else {
      assert.equal(e.name, x.name);
    }
    const nums = await admin.restapi().account().extension(String(x.id)).phoneNumber().get();
    assert.deepEqual(e.phoneNumbers.map((n) => n.phoneNumber), nums.records.map((n) => n.phoneNumber));
  }

  // The federated directory adds the second account's users, each with its account.
  const fed = await rc.restapi().account().directory().entries().list();
  const other = fed.records.filter((e) => e.account?.id === String(ACCOUNT_2));
  assert.deepEqual(other.map((e) => e.lastName).sort(), ['Bohr', 'Curie']);

  await platform.put('/restapi/v1.0/account/~/extension/~', { contact: { lastName: 'Hopper-Murray' } });
  const entry = await rc.restapi().account().directory().entries(String(EXT_102)).get();
  assert.equal(entry.lastName, 'Hopper-Murray');
  const found = await rc.restapi().account().directory().entries().search().post({ searchString: 'murray' });
  assert.deepEqual(found.records.map((e) => e.id), [String(EXT_102)]);
});
