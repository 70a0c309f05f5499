// Resource conventions as SDK users see them: `~` resolution, canonical absolute URIs, classic
// page/perPage paging with navigation, and multi-valued filters.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, loginSDK, loginRC, uris, ACCOUNT_1, EXT_101, EXT_102, EXT_103, DEPT_200 } from './helpers.mjs';

let server;
let platform;
let rc;
before(async () => {
  server = await startServer();
  platform = await loginSDK(server, EXT_101);
  rc = await loginRC(server, EXT_101);
});
after(async () => {
  await server?.stop();
});

const get = async (path, query) => (await platform.get(path, query)).json();

function assertCanonicalUris(doc, url) {
  const found = uris(doc);
  assert.ok(found.length > 0, 'the document has uri fields');
  for (const { at, uri } of found) {
    assert.ok(uri.startsWith(`${url}/restapi/`), `${at} = ${uri} is not absolute on ${url}`);
    assert.ok(!uri.includes('~'), `${at} = ${uri} still carries ~`);
  }
}

test('account: `~` and the explicit id give the same body, with canonical uris', async () => {
  const viaTilde = await get('/restapi/v1.0/account/~');
  const viaId = await get(`/restapi/v1.0/account/${ACCOUNT_1}`);
  assert.deepEqual(viaTilde, viaId);
  assert.equal(viaTilde.id, ACCOUNT_1);
  assert.equal(viaTilde.uri, `${server.url}/restapi/v1.0/account/${ACCOUNT_1}`);
  assertCanonicalUris(viaTilde, server.url);
});

test('extension: `~` and explicit ids give the same body, with canonical uris', async () => {
  const a = await get('/restapi/v1.0/account/~/extension/~');
  const b = await get(`/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_101}`);
  const c = await get(`/restapi/v1.0/account/~/extension/${EXT_101}`);
  const d = await get(`/restapi/v1.0/account/${ACCOUNT_1}/extension/~`);
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
  assert.deepEqual(a, d);
  assert.equal(a.id, EXT_101);
  assert.equal(a.uri, `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_101}`);
  assertCanonicalUris(a, server.url);
});

test('@rc-ex/core: account("~") and account(id) agree, extension uri is canonical', async () => {
  const a = await rc.restapi().account().extension().get();
  const b = await rc.restapi().account(String(ACCOUNT_1)).extension(String(EXT_101)).get();
  assert.deepEqual(a, b);
  assertCanonicalUris(a, server.url);
});

test('extension list: the uris of records and of the list are canonical', async () => {
  const list = await get('/restapi/v1.0/account/~/extension');
  assert.equal(list.uri.split('?')[0], `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/extension`);
  assertCanonicalUris(list, server.url);
  for (const r of list.records) {
    assert.equal(r.uri, `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/extension/${r.id}`);
  }
});

function pageQuery(uri) {
  const u = new URL(uri);
  return { path: u.origin + u.pathname, page: u.searchParams.get('page'), perPage: u.searchParams.get('perPage') };
}

test('paging: perPage=1&page=2 on the extension list', async () => {
  const all = await get('/restapi/v1.0/account/~/extension');
  const total = all.records.length;
  assert.equal(total, 4, 'the default seed has 4 listed extensions in account 1 (101, 102, 103, 200)');
  assert.equal(all.paging.totalElements, total);

  const body = await get('/restapi/v1.0/account/~/extension', { perPage: 1, page: 2 });
  assert.equal(body.records.length, 1);
  assert.equal(body.records[0].id, all.records[1].id, 'page 2 of size 1 is the second record');
  const p = body.paging;
  assert.equal(p.page, 2);
  assert.equal(p.perPage, 1);
  assert.equal(p.totalPages, 4);
  assert.equal(p.totalElements, 4);
  assert.equal(p.pageStart, 1);
  assert.equal(p.pageEnd, 1);

  const base = `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/extension`;
  const self = pageQuery(body.uri);
  assert.deepEqual(self, { path: base, page: '2', perPage: '1' });
  const n = body.navigation;
  assert.deepEqual(pageQuery(n.firstPage.uri), { path: base, page: '1', perPage: '1' });
  assert.deepEqual(pageQuery(n.previousPage.uri), { path: base, page: '1', perPage: '1' });
  assert.deepEqual(pageQuery(n.nextPage.uri), { path: base, page: '3', perPage: '1' });
  assert.deepEqual(pageQuery(n.lastPage.uri), { path: base, page: '4', perPage: '1' });
});

test('paging: the SDK can follow navigation uris verbatim to the last page', async () => {
  const seen = [];
  let body = await get('/restapi/v1.0/account/~/extension', { perPage: 1 });
  assert.equal(body.navigation.previousPage, undefined, 'no previousPage on page 1');
  seen.push(body.records[0].id);
  while (body.navigation.nextPage) {
    body = await (await platform.get(body.navigation.nextPage.uri)).json();
    seen.push(...body.records.map((r) => r.id));
  }
  assert.equal(body.paging.page, 4);
  assert.equal(body.navigation.nextPage, undefined, 'no nextPage on the last page');
  assert.deepEqual([...seen].sort(), [EXT_101, EXT_102, EXT_103, DEPT_200].sort());
});

test('paging: @rc-ex/core list({perPage, page})', async () => {
  const body = await rc.restapi().account().extension().list({ perPage: 2, page: 2 });
  assert.equal(body.records.length, 2);
  assert.equal(body.paging.page, 2);
  assert.equal(body.paging.perPage, 2);
  assert.equal(body.paging.totalPages, 2);
  assert.equal(body.paging.pageStart, 2);
  assert.equal(body.paging.pageEnd, 3);
  assert.ok(body.navigation.previousPage);
  assert.equal(body.navigation.nextPage, undefined);
});

const ids = (body) => body.records.map((r) => r.id).sort();

test('filters: type=User&type=Department is a union (@ringcentral/sdk repeats the key)', async () => {
  const users = await get('/restapi/v1.0/account/~/extension', { type: 'User' });
  assert.deepEqual(ids(users), [EXT_101, EXT_102, EXT_103].sort());
  assert.ok(users.records.every((r) => r.type === 'User'));

  const depts = await get('/restapi/v1.0/account/~/extension', { type: 'Department' });
  assert.deepEqual(ids(depts), [DEPT_200]);
  assert.equal(depts.records[0].extensionNumber, '200');

  const both = await get('/restapi/v1.0/account/~/extension', { type: ['User', 'Department'] });
  assert.deepEqual(ids(both), [EXT_101, EXT_102, EXT_103, DEPT_200].sort());
  assert.equal(both.paging.totalElements, 4);
  const echoed = new URL(both.uri).searchParams.getAll('type');
  assert.deepEqual(echoed, ['User', 'Department'], 'the list uri echoes both values');
});

test('filters: @rc-ex/core list({type: [..]}) is a union too', async () => {
  const both = await rc.restapi().account().extension().list({ type: ['Department', 'User'] });
  assert.deepEqual(ids(both), [EXT_101, EXT_102, EXT_103, DEPT_200].sort());
  const depts = await rc.restapi().account().extension().list({ type: ['Department'] });
  assert.deepEqual(ids(depts), [DEPT_200]);
});
