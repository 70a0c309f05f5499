// The voice engine through @ringcentral/sdk, as the voice guides use it:
//
// - RingOut (POST/GET/DELETE .../extension/~/ring-out): the caller's phone rings first, then the
//   callee; the statuses move on the emulator's clock (InProgress → Success), DELETE cancels a
//   RingOut that is still ringing and leaves a connected one alone, and the reserved Busy number
//   ends the callee's leg Busy (callStatus CannotReach, as the RingOut guide's table says);
// - the call log: the RingOut's record (action "RingOut Web") with its legs in view=Detailed, and
//   read by id; call-log-sync FSync, then ISync returning only the record of a later call;
// - refusals: ring-out without `to`, with a malformed number, call-log with view=Foo, ISync without
//   a token: 400 with the platform's errorCode and parameterName, as the SDK's error exposes them;
// - telephony-session notifications over WebHook (extension and account filters) for a simulated
//   inbound call (POST /_rcemu/calls) that is answered and recorded; the recording in the call
//   log and its content.
//
// The clock is frozen in every test, so calls move only when the test advances it (POST
// /_rcemu/clock {"advance"} applies the due steps before it answers). Every test starts from the
// seed (POST /_rcemu/reset) with pinned timings (PUT /_rcemu/voice).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startServer, loginSDK, sdkError, assertRestError, startWebhookReceiver,
  ACCOUNT_1, EXT_101, EXT_102,
} from './helpers.mjs';

const A_NUMBER = '+16505550101'; // ext 101, Ada Lovelace (admin)
const B_NUMBER = '+16505550102'; // ext 102, Grace Hopper
const BUSY = '+15005550486'; // reserved: the callee is busy
const CALLER = '+13125550188'; // an outside caller
const ME = '/restapi/v1.0/account/~/extension/~';
const RING_OUT = `${ME}/ring-out`;
const A_PATH = `/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_101}`;
const RING = 3; // ringSeconds: how long each leg rings before it answers

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const clock = (body) => server.control('/clock', { method: 'POST', body: JSON.stringify(body) });
const advance = (seconds) => clock({ advance: `${seconds}s` });

/** fresh resets the emulator, freezes the clock, sets the timings and logs Ada (101) in. */
async function fresh({ talkSeconds = 0 } = {}) {
  await server.reset();
  await clock({ freeze: true });
  const voice = await server.control('/voice', {
    method: 'PUT', body: JSON.stringify({ ringSeconds: RING, talkSeconds, noAnswerSeconds: 20, voicemailSeconds: 10 }),
  });
  assert.equal(voice.ringSeconds, RING);
  assert.equal(voice.talkSeconds, talkSeconds);
  assert.equal(voice.reservedNumbers[BUSY], 'Busy');
  return loginSDK(server, EXT_101);
}

async function json(promise) {
  const res = await promise;
  assert.equal(res.status, 200, `${res.status} ${res.url}`);
  return res.json();
}

/** ringOut starts a RingOut from Ada's own number, as the RingOut guide's sample does. */
async function ringOut(platform, to) {
  return json(platform.post(RING_OUT, { from: { phoneNumber: A_NUMBER }, to: { phoneNumber: to }, playPrompt: false }));
}

const status = async (platform, id) => (await json(platform.get(`${RING_OUT}/${id}`))).status;
const activeCalls = async (platform) => (await json(platform.get(`${ME}/active-calls`))).records;

/** ringOutRecords lists Ada's call-log records of RingOuts to a number (newest first). */
async function ringOutRecords(platform, to, query = {}) {
  const log = await json(platform.get(`${ME}/call-log`, query));
  return log.records.filter((r) => r.action === 'RingOut Web' && r.to?.phoneNumber === to);
}

test('RingOut: create → InProgress → the caller\'s leg, then the callee\'s answers on the clock → Success; DELETE leaves a connected call alone; the hang-up makes both legs Finished', async () => {
  const a = await fresh({ talkSeconds: 30 });
  const to = '+14155550131';
  const ro = await ringOut(a, to);
  assert.match(ro.id, /^\d+$/);
  assert.equal(ro.uri, `${server.url}${A_PATH}/ring-out/${ro.id}`);
  assert.deepEqual(ro.status, { callStatus: 'InProgress', callerStatus: 'InProgress', calleeStatus: 'InProgress' });

  const got = await json(a.get(`${RING_OUT}/${ro.id}`));
  assert.equal(got.id, ro.id);
  assert.equal(got.uri, ro.uri);
  assert.deepEqual(got.status, { callStatus: 'InProgress', callerStatus: 'InProgress', calleeStatus: 'InProgress' },
    'nothing moves while the clock stands still');

  await advance(RING);
  assert.deepEqual(await status(a, ro.id), { callStatus: 'InProgress', callerStatus: 'Success', calleeStatus: 'InProgress' },
    'Ada\'s phone answered; the callee rings');
  await advance(RING);
  assert.deepEqual(await status(a, ro.id), { callStatus: 'Success', callerStatus: 'Success', calleeStatus: 'Success' });

  const live = await activeCalls(a);
  assert.equal(live.length, 1, JSON.stringify(live));
  assert.equal(live[0].action, 'RingOut Web');
  assert.equal(live[0].result, 'In Progress');
  assert.equal(live[0].to.phoneNumber, to);

  // Both legs are connected: DELETE answers 204 and changes nothing (the guide: a RingOut can be
  // cancelled only before it connects).
  const del = await a.delete(`${RING_OUT}/${ro.id}`);
  assert.equal(del.status, 204);
  assert.deepEqual(await status(a, ro.id), { callStatus: 'Success', callerStatus: 'Success', calleeStatus: 'Success' });
  assert.equal((await activeCalls(a)).length, 1, 'the call goes on');

  // The callee hangs up after talkSeconds.
  await advance(30);
  assert.deepEqual(await status(a, ro.id), { callStatus: 'Success', callerStatus: 'Finished', calleeStatus: 'Finished' });
  assert.deepEqual(await activeCalls(a), []);
});

test('RingOut: DELETE while it rings cancels it (CannotReach, the legs Rejected), also once the caller\'s leg answered; an unknown id is 404 CMN-102', async () => {
  const a = await fresh();
  const to = '+14155550132';
  const ro = await ringOut(a, to);
  assert.equal((await activeCalls(a)).length, 1);

  const del = await a.delete(`${RING_OUT}/${ro.id}`);
  assert.equal(del.status, 204);
  assert.deepEqual(await status(a, ro.id), { callStatus: 'CannotReach', callerStatus: 'Rejected', calleeStatus: 'Rejected' });
  assert.deepEqual(await activeCalls(a), [], 'the call ended');
  await advance(2 * RING);
  assert.deepEqual(await status(a, ro.id), { callStatus: 'CannotReach', callerStatus: 'Rejected', calleeStatus: 'Rejected' },
    'a cancelled RingOut stays cancelled');
  const [rec] = await ringOutRecords(a, to);
  assert.ok(rec, 'the cancelled RingOut is in the call log');
  assert.equal(rec.direction, 'Outbound');

  // Ada's phone answered and the callee still rings: the callee's status is InProgress, so a
  // DELETE still cancels, and the callee's leg is Rejected (the guide's table).
  const to2 = '+14155550135';
  const ro2 = await ringOut(a, to2);
  await advance(RING);
  assert.deepEqual(await status(a, ro2.id), { callStatus: 'InProgress', callerStatus: 'Success', calleeStatus: 'InProgress' });
  assert.equal((await a.delete(`${RING_OUT}/${ro2.id}`)).status, 204);
  const st2 = await status(a, ro2.id);
  assert.equal(st2.callStatus, 'CannotReach', JSON.stringify(st2));
  assert.equal(st2.calleeStatus, 'Rejected', JSON.stringify(st2));
  assert.deepEqual(await activeCalls(a), [], 'the call ended');

  const missing = await sdkError(a.get(`${RING_OUT}/3000000999008`));
  assert.equal(missing.status, 404);
  assertRestError(missing.body, { errorCode: 'CMN-102', parameterName: 'ringoutId' });
  assert.equal(missing.message, missing.body.message);
});

test('RingOut to the reserved Busy number +15005550486: the callee\'s leg ends Busy, the call CannotReach; the call log says Busy', async () => {
  const a = await fresh();
  const ro = await ringOut(a, BUSY);
  assert.equal(ro.status.callStatus, 'InProgress');
  await advance(RING); // Ada's phone answers, then the callee's line is busy
  const st = await status(a, ro.id);
  assert.equal(st.calleeStatus, 'Busy', JSON.stringify(st));
  assert.equal(st.callStatus, 'CannotReach', JSON.stringify(st));
  assert.deepEqual(await activeCalls(a), []);

  const recs = await ringOutRecords(a, BUSY);
  assert.equal(recs.length, 1, JSON.stringify(recs));
  assert.equal(recs[0].result, 'Busy');
  assert.equal(recs[0].direction, 'Outbound');
  assert.equal(recs[0].type, 'Voice');
});

test('call log: the RingOut\'s record (action "RingOut Web"), its legs with view=Detailed, and the same record by id', async () => {
  const a = await fresh({ talkSeconds: 10 });
  const to = '+14155550133';
  const ro = await ringOut(a, to);
  const started = (await server.control('/clock')).now;
  await advance(2 * RING);
  assert.equal((await status(a, ro.id)).callStatus, 'Success');
  await advance(10);
  assert.deepEqual(await activeCalls(a), [], 'the call ended');

  const detailed = await json(a.get(`${ME}/call-log`, { view: 'Detailed' }));
  assert.ok(detailed.uri.startsWith(`${server.url}${A_PATH}/call-log?`), detailed.uri);
  assert.match(detailed.uri, /[?&]view=Detailed(&|$)/);
  const recs = detailed.records.filter((r) => r.action === 'RingOut Web' && r.to?.phoneNumber === to);
  assert.equal(recs.length, 1, JSON.stringify(detailed.records.map((r) => [r.action, r.to])));
  const rec = recs[0];
  assert.equal(rec.uri, `${server.url}${A_PATH}/call-log/${rec.id}`);
  assert.equal(rec.type, 'Voice');
  assert.equal(rec.direction, 'Outbound');
  assert.equal(rec.result, 'Call connected');
  assert.equal(rec.from.phoneNumber, A_NUMBER);
  assert.equal(rec.startTime, started);
  assert.equal(rec.duration, 2 * RING + 10, 'from the first ring to the hang-up');
  assert.equal(String(rec.extension.id), String(EXT_101));
  assert.match(rec.telephonySessionId, /^s-/);
  assert.equal(typeof rec.sessionId, 'string');

  // Legs: the leg to Ada's phone (master) and the leg to the callee.
  assert.ok(Array.isArray(rec.legs), 'view=Detailed has legs');
  assert.equal(rec.legs.length, 2, JSON.stringify(rec.legs));
  const master = rec.legs.filter((l) => l.master);
  assert.equal(master.length, 1, 'one master leg');
  assert.equal(master[0].legType, 'RingOutWebToSubscriber');
  assert.equal(master[0].action, 'RingOut Web');
  assert.equal(master[0].direction, 'Outbound');
  const other = rec.legs.find((l) => !l.master);
  assert.equal(other.legType, 'RingOutWebToCaller');
  assert.equal(other.to.phoneNumber, to);
  for (const l of rec.legs) {
    assert.equal(l.type, 'Voice');
    assert.equal(typeof l.duration, 'number');
    assert.equal(typeof l.startTime, 'string');
  }

  // The default view is Simple: the same record without legs.
  const simple = await json(a.get(`${ME}/call-log`));
  assert.match(simple.uri, /[?&]view=Simple(&|$)/, 'the effective view is echoed');
  const srec = simple.records.find((r) => r.id === rec.id);
  assert.ok(srec, 'listed in the Simple view');
  assert.equal(srec.legs, undefined);

  const byId = await json(a.get(`${ME}/call-log/${rec.id}`, { view: 'Detailed' }));
  assert.equal(byId.id, rec.id);
  assert.equal(byId.action, 'RingOut Web');
  assert.deepEqual(byId.legs.map((l) => l.legType), rec.legs.map((l) => l.legType));
});

test('call-log-sync: FSync, then ISync after another call returns only its record; a second ISync returns nothing', async () => {
  const a = await fresh({ talkSeconds: 5 });
  const full = await json(a.get(`${ME}/call-log-sync`, { syncType: 'FSync' }));
  assert.equal(full.syncInfo.syncType, 'FSync');
  assert.equal(typeof full.syncInfo.syncToken, 'string');
  assert.ok(full.syncInfo.syncToken.length > 0);
  assert.equal(typeof full.syncInfo.syncTime, 'string');
  assert.ok(full.records.length >= 1, 'the seeded history is in the full sync');
  assert.ok(full.uri.startsWith(`${server.url}${A_PATH}/call-log-sync`), full.uri);

  const to = '+14155550134';
  await ringOut(a, to);
  await advance(2 * RING + 5);
  assert.deepEqual(await activeCalls(a), [], 'the call ended');

  const inc = await json(a.get(`${ME}/call-log-sync`, { syncType: 'ISync', syncToken: full.syncInfo.syncToken }));
  assert.equal(inc.syncInfo.syncType, 'ISync');
  assert.equal(inc.records.length, 1, JSON.stringify(inc.records.map((r) => [r.action, r.to])));
  assert.equal(inc.records[0].action, 'RingOut Web');
  assert.equal(inc.records[0].to.phoneNumber, to);
  assert.equal(inc.records[0].result, 'Call connected');
  assert.ok(!full.records.some((r) => r.id === inc.records[0].id), 'a record the full sync did not have');
  assert.notEqual(inc.syncInfo.syncToken, full.syncInfo.syncToken);

  const again = await json(a.get(`${ME}/call-log-sync`, { syncType: 'ISync', syncToken: inc.syncInfo.syncToken }));
  assert.equal(again.syncInfo.syncType, 'ISync');
  assert.deepEqual(again.records, [], 'nothing changed since the last ISync');
});

test('refusals: ring-out without `to` (CMN-100), with a malformed number (CMN-101), call-log view=Foo (CMN-101), ISync without a token (CMN-100)', async () => {
  const a = await fresh();

  const noTo = await sdkError(a.post(RING_OUT, { from: { phoneNumber: A_NUMBER }, playPrompt: false }));
  assert.equal(noTo.status, 400);
  assertRestError(noTo.body, { errorCode: 'CMN-100', parameterName: 'to.phoneNumber' });
  assert.equal(noTo.message, noTo.body.message);
  assert.match(noTo.message, /to\.phoneNumber/);

  const bad = await sdkError(a.post(RING_OUT, { from: { phoneNumber: A_NUMBER }, to: { phoneNumber: 'not-a-number' } }));
  assert.equal(bad.status, 400);
  assertRestError(bad.body, {
    errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'to.phoneNumber',
    message: 'Parameter [to.phoneNumber] value is invalid.',
  });
  assert.equal(bad.message, 'Parameter [to.phoneNumber] value is invalid.');

  const view = await sdkError(a.get(`${ME}/call-log`, { view: 'Foo' }));
  assert.equal(view.status, 400);
  assertRestError(view.body, {
    errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'view', message: 'Parameter [view] value is invalid.',
  });
  assert.equal(view.message, 'Parameter [view] value is invalid.');

  const syncView = await sdkError(a.get(`${ME}/call-log-sync`, { syncType: 'FSync', view: 'Foo' }));
  assert.equal(syncView.status, 400);
  assertRestError(syncView.body, { errorCode: 'CMN-101', topCode: 'InvalidParameter', parameterName: 'view' });

  const noToken = await sdkError(a.get(`${ME}/call-log-sync`, { syncType: 'ISync' }));
  assert.equal(noToken.status, 400);
  assertRestError(noToken.body, { errorCode: 'CMN-100', parameterName: 'syncToken' });

  assert.deepEqual(await activeCalls(a), [], 'no call was started');
});

test('a simulated inbound call, answered and recorded: WebHook telephony/sessions notifications (extension and account filters), the recording in the call log and its content', async () => {
  const a = await fresh();
  const b = await loginSDK(server, EXT_102);
  const rvB = await startWebhookReceiver();
  const rvA = await startWebhookReceiver();
  try {
    const hook = (platform, address, eventFilters) => json(platform.post('/restapi/v1.0/subscription', {
      eventFilters, deliveryMode: { transportType: 'WebHook', address },
    }));
    const subB = await hook(b, rvB.url, [`${ME}/telephony/sessions`]);
    const extEvent = `/restapi/v1.0/account/${ACCOUNT_1}/extension/${EXT_102}/telephony/sessions`;
    const accEvent = `/restapi/v1.0/account/${ACCOUNT_1}/telephony/sessions`;
    assert.deepEqual(subB.eventFilters, [extEvent]);
    const subA = await hook(a, rvA.url, ['/restapi/v1.0/account/~/telephony/sessions']);
    assert.deepEqual(subA.eventFilters, [accEvent]);

    const sim = await server.control('/calls', {
      method: 'POST',
      body: JSON.stringify({ from: CALLER, to: B_NUMBER, outcome: 'answered', answerAfter: 2, duration: 30, recorded: true }),
    });
    assert.match(sim.telephonySessionId, /^s-/);
    await advance(2); // Grace answers
    await advance(30); // the caller hangs up

    const codes = (list) => list.flatMap((n) => n.body.body.parties.filter((p) => p.extensionId === String(EXT_102)).map((p) => p.status.code));
    await rvB.waitFor((list) => codes(list).includes('Disconnected'));
    await rvA.waitFor((list) => codes(list).includes('Disconnected'));
    for (const [rv, event, sub, owner] of [[rvB, extEvent, subB, EXT_102], [rvA, accEvent, subA, EXT_101]]) {
      const mine = rv.notifications.filter((n) => n.body.body.telephonySessionId === sim.telephonySessionId);
      assert.ok(mine.length >= 3, JSON.stringify(rv.notifications.map((n) => n.body)));
      for (const n of mine) {
        assert.equal(n.body.event, event);
        assert.equal(n.body.subscriptionId, sub.id);
        assert.equal(n.body.ownerId, String(owner));
        assert.equal(n.body.body.accountId, String(ACCOUNT_1));
        assert.equal(n.body.body.sessionId, sim.sessionId);
        assert.equal(n.body.body.origin.type, 'Call');
      }
      const seqs = mine.map((n) => n.body.body.sequence);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `in order: ${seqs}`);
      assert.equal(new Set(seqs).size, seqs.length, `one notification per change: ${seqs}`);
      const seen = codes(mine);
      assert.equal(seen.at(-1), 'Disconnected', JSON.stringify(seen));
      assert.ok(seen.indexOf('Answered') > 0 && seen.indexOf('Answered') < seen.indexOf('Disconnected'), JSON.stringify(seen));
      assert.ok(['Setup', 'Proceeding'].includes(seen[0]), JSON.stringify(seen));
      const answered = mine.find((n) => n.body.body.parties.some((p) => p.status.code === 'Answered')).body.body.parties
        .find((p) => p.extensionId === String(EXT_102));
      assert.equal(answered.direction, 'Inbound');
      assert.equal(answered.from.phoneNumber, CALLER);
      assert.equal(answered.to.phoneNumber, B_NUMBER);
      assert.equal(answered.recordings?.[0]?.active, true, 'recorded from the answer on');
    }

    // Grace's call log: inbound, accepted, 32 s, with its recording.
    const log = await json(b.get(`${ME}/call-log`, { telephonySessionId: sim.telephonySessionId, view: 'Detailed' }));
    assert.equal(log.records.length, 1, JSON.stringify(log.records));
    const rec = log.records[0];
    assert.equal(rec.direction, 'Inbound');
    assert.equal(rec.result, 'Accepted');
    assert.equal(rec.duration, 32);
    assert.equal(rec.from.phoneNumber, CALLER);
    assert.ok(rec.recording, 'the record links its recording');
    assert.equal(rec.recording.uri, `${server.url}/restapi/v1.0/account/${ACCOUNT_1}/recording/${rec.recording.id}`);
    assert.equal(rec.recording.contentUri, `${rec.recording.uri}/content`);
    assert.equal(rec.recording.type, 'Automatic');

    const meta = await json(b.get(`/restapi/v1.0/account/~/recording/${rec.recording.id}`));
    assert.equal(meta.id, rec.recording.id);
    assert.equal(meta.duration, 30, 'recorded from the answer to the hang-up');
    const content = await b.get(rec.recording.contentUri);
    assert.equal(content.status, 200);
    assert.match(content.headers.get('content-type'), /^audio\/(x-)?wav/);
    const bytes = Buffer.from(await content.arrayBuffer());
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WAVE');
  } finally {
    await rvA.close();
    await rvB.close();
  }
});
