// Team messaging through the SDKs, as a chat app or bot uses it:
//
// - Ada (@ringcentral/sdk) creates a private team with Grace and posts into it, mentioning her;
//   Grace (@rc-ex/core, the typed teamMessaging() paths) lists the team's posts and reads the
//   post, and receives its PostAdded notification over WebSocket (@rc-ex/ws, filter
//   /team-messaging/v1/posts); Alan, outside the team, cannot read the team or its posts (404
//   CMN-102 chatId), does not list it, and receives nothing;
// - conversations: the same member set opens the same conversation (201, then 200);
// - refusals as the SDKs expose them: an oversize post (400 CMN-101 text), a team without a name
//   (400 CMN-100 name), a post to a public team one has not joined (403), and none of them
//   changes anything.
//
// Every test starts from the seed (POST /_rcemu/reset, then fresh JWT logins).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import WebSocketExtension from '@rc-ex/ws';

import {
  startServer, loginSDK, loginRC, sdkError, rcError, assertRestError, eventually, shutdownWs,
  EXT_101, EXT_102, EXT_103,
} from './helpers.mjs';

const TM = '/team-messaging/v1';
const POSTS_FILTER = '/team-messaging/v1/posts';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const cleanups = [];
async function cleanup() {
  while (cleanups.length) await cleanups.pop()();
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function created(promise) {
  const res = await promise;
  assert.equal(res.status, 201, `${res.status} ${res.url}`);
  return res.json();
}

/** listen subscribes an rc-ex client to the post events over WebSocket and collects them. */
async function listen(rc) {
  const ext = new WebSocketExtension();
  cleanups.push(() => shutdownWs(ext));
  await rc.installExtension(ext);
  const got = [];
  const sub = await ext.subscribe([POSTS_FILTER], (event) => got.push(event));
  assert.deepEqual(sub.subscriptionInfo.eventFilters, [POSTS_FILTER]);
  return got;
}

test('Ada creates a team with Grace and posts; Grace lists and reads the post and gets PostAdded over WebSocket; Alan sees none of it', async (t) => {
  t.after(cleanup);
  await server.reset();
  const ada = await loginSDK(server, EXT_101);
  const grace = await loginRC(server, EXT_102);
  const alan = await loginRC(server, EXT_103);
  const graceEvents = await listen(grace);
  const alanEvents = await listen(alan);

  const team = await created(ada.post(`${TM}/teams`, { name: 'Analytical Engine', members: [{ id: String(EXT_102) }] }));
  assert.equal(team.type, 'Team');
  assert.equal(team.name, 'Analytical Engine');
  assert.equal(team.public, false);
  assert.equal(team.status, 'Active');

  const text = `Hello ![:Person](${EXT_102}), the engine is ready`;
  const post = await created(ada.post(`${TM}/chats/${team.id}/posts`, { text }));
  assert.equal(post.text, text);
  assert.equal(post.groupId, team.id);
  assert.equal(post.creatorId, String(EXT_101));
  assert.deepEqual(post.mentions, [{ id: String(EXT_102), type: 'Person', name: 'Grace Hopper' }]);

  // Grace, with rc-ex's typed paths.
  const chats = await grace.teamMessaging().v1().chats().list({ type: ['Team'] });
  assert.deepEqual(chats.records.map((c) => c.id), [team.id]);
  const posts = await grace.teamMessaging().v1().chats(team.id).posts().list({ recordCount: 10 });
  assert.deepEqual(posts.records.map((p) => p.id), [post.id]);
  const read = await grace.teamMessaging().v1().chats(team.id).posts(post.id).get();
  assert.equal(read.text, text);
  assert.equal(read.creationTime, post.creationTime);

  const n = await eventually(() => graceEvents.find((e) => e.body?.id === post.id), 'the PostAdded notification');
  assert.equal(n.event, POSTS_FILTER);
  assert.equal(n.ownerId, String(EXT_102));
  assert.equal(n.body.eventType, 'PostAdded');
  assert.equal(n.body.groupId, team.id);
  assert.equal(n.body.text, text);
  assert.equal(n.body.creatorId, String(EXT_101));

  // Alan is not a member: the team does not exist for him.
  for (const call of [
    () => alan.teamMessaging().v1().chats(team.id).get(),
    () => alan.teamMessaging().v1().chats(team.id).posts().list(),
    () => alan.teamMessaging().v1().chats(team.id).posts(post.id).get(),
    () => alan.teamMessaging().v1().teams(team.id).get(),
  ]) {
    const e = await rcError(call());
    assert.equal(e.status, 404);
    assertRestError(e.body, { errorCode: 'CMN-102', parameterName: 'chatId' });
  }
  const alanChats = await alan.teamMessaging().v1().chats().list();
  assert.ok(!alanChats.records.some((c) => c.id === team.id), 'Alan does not list the team');
  const e = await rcError(alan.teamMessaging().v1().chats(team.id).posts().post({ text: 'let me in' }));
  assert.equal(e.status, 404);
  await sleep(300);
  assert.equal(alanEvents.length, 0, `Alan received ${JSON.stringify(alanEvents)}`);
  assert.equal((await grace.teamMessaging().v1().chats(team.id).posts().list()).records.length, 1, 'his post was not stored');
});

test('conversations: the same member set opens the same conversation, 201 then 200', async () => {
  await server.reset();
  const ada = await loginSDK(server, EXT_101);
  const grace = await loginSDK(server, EXT_102);
  const first = await ada.post(`${TM}/conversations`, { members: [{ id: String(EXT_102) }] });
  assert.equal(first.status, 201);
  const conv = await first.json();
  assert.equal(conv.type, 'Direct');
  assert.deepEqual(conv.members.map((m) => m.id).sort(), [String(EXT_101), String(EXT_102)].sort());
  const again = await grace.post(`${TM}/conversations`, { members: [{ email: 'ada.lovelace@example.com' }] });
  assert.equal(again.status, 200);
  assert.equal((await again.json()).id, conv.id);
});

test('refusals change nothing: oversize post, team without a name, post to a public team not joined', async () => {
  await server.reset();
  const ada = await loginSDK(server, EXT_101);
  const alan = await loginSDK(server, EXT_103);
  const team = await created(ada.post(`${TM}/teams`, { name: 'Lobby', public: true }));

  const big = await sdkError(ada.post(`${TM}/chats/${team.id}/posts`, { text: 'x'.repeat(10001) }));
  assert.equal(big.status, 400);
  assertRestError(big.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'text' });
  assert.match(big.message, /Parameter \[text\] value is invalid/);

  const noName = await sdkError(ada.post(`${TM}/teams`, { description: 'nameless' }));
  assert.equal(noName.status, 400);
  assertRestError(noName.body, { errorCode: 'CMN-100', parameterName: 'name' });

  // Alan sees the public team but has not joined it.
  assert.equal((await (await alan.get(`${TM}/teams/${team.id}`)).json()).id, team.id);
  const outsider = await sdkError(alan.post(`${TM}/chats/${team.id}/posts`, { text: 'hi' }));
  assert.equal(outsider.status, 403);
  assertRestError(outsider.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'chatId' });

  const posts = await (await ada.get(`${TM}/chats/${team.id}/posts`)).json();
  assert.deepEqual(posts.records, []);
  const teams = await (await ada.get(`${TM}/teams`)).json();
  assert.deepEqual(teams.records.map((x) => x.name), ['Lobby']);
  await alan.post(`${TM}/teams/${team.id}/join`);
  await created(alan.post(`${TM}/chats/${team.id}/posts`, { text: 'joined' }));
});
