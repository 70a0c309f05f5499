// The console: one view at a time (#directory, #messages, …), each a function that reads what it
// shows and returns nodes. The live stream re-renders the current view when the state changes.
import { h, table, options } from './dom.js';
import { get, send } from './api.js';

const C = '/_rcemu/console/api';
const R = '/_rcemu';
const PAGE = 50;

const state = {
  view: 'directory',
  dir: [], // accounts with extensions and numbers
  ext: null, // selected extension id (messages, chats)
  account: null, // selected account id (call log)
  msgOffset: 0,
  logOffset: 0,
  chat: null,
  requests: [], // newest first, kept to 500
  filter: { app: '', status: '', path: '' },
  resetArmed: false,
};

const view = document.getElementById('view');
const statusLine = document.getElementById('status');

function say(text) {
  statusLine.textContent = text ?? '';
}

const when = (t) => (t ? String(t).replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '');
const party = (p) => (p ? [p.phoneNumber ?? p.extensionNumber ?? '', p.name ? ` (${p.name})` : ''].join('') : '');
const users = () => state.dir.flatMap((a) => a.extensions.map((e) => ({ ...e, account: a })));
const extLabel = (e) => `${e.extensionNumber} ${e.name} — ${e.account.companyName || e.account.id}`;
const directNumber = (extId) => state.dir.flatMap((a) => a.phoneNumbers).find((n) => n.extensionId === extId && n.usageType === 'DirectNumber')?.phoneNumber ?? '';

async function loadDirectory() {
  state.dir = (await get(`${C}/directory`)).records;
  const u = users();
  if (state.ext == null || !u.some((e) => e.id === state.ext)) state.ext = u.find((e) => e.type === 'User')?.id ?? u[0]?.id ?? null;
  if (state.account == null) state.account = state.dir[0]?.id ?? null;
}

function extSelect(onchange) {
  return h('select', { 'aria-label': 'extension', id: 'ext', onchange: (ev) => onchange(Number(ev.target.value)) },
    options(users().map((e) => [e.id, extLabel(e)]), state.ext));
}

function pager(offset, count, total, move) {
  const last = total == null ? count < PAGE : offset + PAGE >= total;
  return h('div', { class: 'bar' },
    h('button', { disabled: offset === 0, onclick: () => move(Math.max(0, offset - PAGE)) }, '‹ newer'),
    h('span', { class: 'muted' }, count === 0 ? 'empty' : `${offset + 1}–${offset + count}${total != null ? ` of ${total}` : ''}`),
    h('button', { disabled: last, onclick: () => move(offset + PAGE) }, 'older ›'));
}

/** act runs an action, reports its failure in the status line, and re-renders. */
function act(fn) {
  return async (ev) => {
    ev?.preventDefault?.();
    try {
      say('');
      await fn(ev);
      await render();
    } catch (e) {
      say(e.message);
    }
  };
}

const field = (id, label, value = '', attrs = {}) => h('label', null, `${label} `, h('input', { id, value, ...attrs }));
const val = (id) => document.getElementById(id).value.trim();

// ---- views ----

const views = {
  directory: ['Accounts', async () => state.dir.map((a) => h('section', null,
    h('h2', null, `${a.companyName || 'Account'} · ${a.id} · ${a.mainNumber}`),
    table([['id', (e) => e.id], ['ext', (e) => e.extensionNumber], ['name', (e) => e.name], ['type', (e) => e.type],
      ['status', (e) => e.status], ['admin', (e) => (e.admin ? 'yes' : '')], ['email', (e) => e.contact?.email]],
    a.extensions, { class: 'extensions' }),
    table([['number', (n) => n.phoneNumber], ['usage', (n) => n.usageType], ['type', (n) => n.type],
      ['extension', (n) => n.extensionId || ''], ['features', (n) => (n.features ?? []).join(', ')]], a.phoneNumbers)))],

  messages: ['Messages', async () => {
    const [page, outbox] = await Promise.all([
      state.ext == null ? { records: [], total: 0 } : get(`${C}/messages?extensionId=${state.ext}&offset=${state.msgOffset}&limit=${PAGE}`),
      get(`${R}/outbox?limit=20`)]);
    return [
      h('div', { class: 'bar' }, extSelect((id) => { state.ext = id; state.msgOffset = 0; render(); }),
        pager(state.msgOffset, page.records.length, page.total, (o) => { state.msgOffset = o; render(); })),
      table([['time', (m) => when(m.creationTime)], ['id', (m) => m.id], ['type', (m) => m.type], ['dir', (m) => m.direction],
        ['from', (m) => party(m.from)], ['to', (m) => (m.to ?? []).map(party).join(', ')], ['text', (m) => m.subject, 'text'],
        ['status', (m) => [m.messageStatus, m.deliveryErrorCode].filter(Boolean).join(' ')], ['read', (m) => m.readStatus],
        ['availability', (m) => m.availability]], page.records, { id: 'messages' }),
      h('h2', null, 'Simulate an inbound message'),
      h('form', { id: 'inbound', onsubmit: act(async () => {
        const body = { type: val('inbound-type'), from: val('inbound-from'), to: val('inbound-to'), text: val('inbound-text') };
        if (body.type === 'Fax') body.pages = 1;
        const m = await send('POST', `${R}/inbound`, body);
        say(`${m.type} ${m.id} stored`);
      }) },
      h('select', { id: 'inbound-type', 'aria-label': 'type' }, options([['SMS', 'SMS'], ['Fax', 'Fax'], ['VoiceMail', 'Voicemail']], 'SMS')),
      field('inbound-from', 'from', '+15551230000'), field('inbound-to', 'to', directNumber(state.ext)),
      field('inbound-text', 'text', '', { size: 40 }), h('button', { id: 'inbound-send' }, 'Send inbound')),
      h('h2', null, 'Outbox (to outside numbers)'),
      table([['time', (m) => when(m.creationTime)], ['id', (m) => m.id], ['from', (m) => party(m.from)],
        ['to', (m) => (m.to ?? []).map(party).join(', ')], ['text', (m) => m.text, 'text'],
        ['status', (m) => [m.messageStatus, m.deliveryErrorCode].filter(Boolean).join(' ')]], outbox.records, { id: 'outbox' }),
    ];
  }],

  calls: ['Calls', async () => {
    const [live, log] = await Promise.all([get(`${R}/calls`),
      state.account == null ? { records: [] } : get(`${C}/call-log?accountId=${state.account}&offset=${state.logOffset}&limit=${PAGE}`)]);
    return [
      h('h2', null, 'Calls in progress'),
      table([['session', (c) => c.telephonySessionId], ['origin', (c) => c.origin], ['since', (c) => when(c.creationTime)],
        ['parties', (c) => c.parties.map((p) => `${party(p.from)} → ${party(p.to)}: ${p.status}`).join('; ')],
        ['', (c) => h('button', { onclick: act(() => send('DELETE', `${R}/calls/${encodeURIComponent(c.telephonySessionId)}`)) }, 'end')]],
      live.records),
      h('h2', null, 'Simulate an inbound call'),
      h('form', { onsubmit: act(async () => {
        const c = await send('POST', `${R}/calls`, { from: val('call-from'), to: val('call-to'), outcome: val('call-outcome') });
        say(`call ${c.telephonySessionId} started`);
      }) },
      field('call-from', 'from', '+15551230000'), field('call-to', 'to', directNumber(state.ext)),
      h('select', { id: 'call-outcome', 'aria-label': 'outcome' },
        options([['', 'rings'], ['answered', 'answered'], ['missed', 'missed'], ['voicemail', 'voicemail'], ['busy', 'busy'], ['rejected', 'rejected']], '')),
      h('button', null, 'Call')),
      h('h2', null, 'Call log'),
      h('div', { class: 'bar' },
        h('select', { 'aria-label': 'account', onchange: (ev) => { state.account = Number(ev.target.value); state.logOffset = 0; render(); } },
          options(state.dir.map((a) => [a.id, `${a.companyName || a.id}`]), state.account)),
        pager(state.logOffset, log.records.length, null, (o) => { state.logOffset = o; render(); })),
      table([['start', (r) => when(r.startTime)], ['type', (r) => r.type], ['dir', (r) => r.direction], ['from', (r) => party(r.from)],
        ['to', (r) => party(r.to)], ['result', (r) => r.result], ['seconds', (r) => Math.round(r.duration / 1e9)],
        ['extension', (r) => r.extensionId]], log.records),
    ];
  }],

  chats: ['Chats', async () => {
    const e = users().find((x) => x.id === state.ext);
    if (!e) return h('p', null, 'no extension');
    const q = `accountId=${e.accountId}&extensionId=${e.id}`;
    const chats = (await get(`${C}/chats?${q}`)).records;
    if (!chats.some((c) => c.id === state.chat)) state.chat = chats[0]?.id ?? null;
    const posts = state.chat ? (await get(`${C}/posts?${q}&chatId=${encodeURIComponent(state.chat)}`)).records : [];
    return [
      h('div', { class: 'bar' }, extSelect((id) => { state.ext = id; state.chat = null; render(); })),
      table([['chat', (c) => h('button', { onclick: () => { state.chat = c.id; render(); } }, c.name || c.id)], ['type', (c) => c.type],
        ['status', (c) => c.status], ['modified', (c) => when(c.lastModifiedTime)]], chats),
      h('h2', null, `Posts of ${state.chat ?? '—'}`),
      table([['time', (p) => when(p.creationTime)], ['creator', (p) => p.creatorId], ['type', (p) => p.type], ['text', (p) => p.text, 'text']], posts),
    ];
  }],

  subscriptions: ['Subscriptions', async () => {
    const s = await get(`${C}/subscriptions`);
    return [
      table([['id', (x) => x.id], ['extension', (x) => x.extensionId], ['app', (x) => x.clientId], ['transport', (x) => x.deliveryMode?.transportType],
        ['address', (x) => x.deliveryMode?.address], ['status', (x) => x.status], ['filters', (x) => (x.eventFilters ?? []).join('\n'), 'text'],
        ['expires', (x) => when(x.expirationTime)]], s.records),
      h('h2', null, 'WebHook attempts'),
      table([['time', (a) => when(a.time)], ['subscription', (a) => a.subscriptionId], ['#', (a) => a.attempt], ['address', (a) => a.address],
        ['status', (a) => a.status || a.error], ['ms', (a) => a.latencyMs?.toFixed(1)], ['rules', (a) => (a.brokenRules ?? []).join(', ')]], s.attempts),
      h('h2', null, 'WebSocket sessions'),
      table([['session', (x) => x.id], ['app', (x) => x.clientId], ['extension', (x) => x.extensionId], ['connected', (x) => (x.connected ? 'yes' : 'no')],
        ['sequence', (x) => x.sequence], ['missed', (x) => x.missed], ['since', (x) => when(x.creationTime)]], s.sessions),
    ];
  }],

  requests: ['Requests', async () => {
    const [recent, ua] = await Promise.all([state.requests.length ? null : get(`${R}/requests?limit=500`), get(`${R}/user-agents`)]);
    if (recent) state.requests = recent.records;
    const f = state.filter;
    const apps = [...new Set(state.requests.map((e) => e.clientId ?? ''))].sort();
    const rows = state.requests.filter((e) => (!f.app || (e.clientId ?? '') === f.app)
      && (!f.status || String(e.status).startsWith(f.status.replace(/x+$/i, '')))
      && (!f.path || e.path.includes(f.path))).slice(0, 200);
    const setFilter = (k) => (ev) => { f[k] = ev.target.value.trim(); render(); };
    return [
      h('div', { class: 'bar' },
        h('select', { id: 'filter-app', 'aria-label': 'app', onchange: setFilter('app') }, options([['', 'any app'], ...apps.filter(Boolean).map((a) => [a, a])], f.app)),
        h('input', { id: 'filter-status', placeholder: 'status (200, 4xx)', value: f.status, onchange: setFilter('status') }),
        h('input', { id: 'filter-path', placeholder: 'path contains', value: f.path, onchange: setFilter('path') }),
        h('span', { class: 'muted' }, `${rows.length} shown`)),
      table([['time', (e) => when(e.time)], ['method', (e) => e.method], ['path', (e) => e.path + (e.query ? `?${e.query}` : ''), 'text'],
        ['status', (e) => h('span', { class: e.status >= 400 ? 'bad' : '' }, e.status)], ['error', (e) => e.errorCode], ['app', (e) => e.clientId],
        ['user agent', (e) => e.userAgent, 'text'], ['ms', (e) => (e.durationNs / 1e6).toFixed(1)]], rows, { id: 'requests' }),
      h('h2', null, 'User-Agent report'),
      table([['app', (a) => a.clientId], ['requests', (a) => a.requests],
        ['agents', (a) => a.userAgents.map((u) => `${u.value} ×${u.requests}${u.conforming ? '' : ' (malformed)'}`).join('\n'), 'text'],
        ['violations', (a) => a.violations.map((v) => `${v.rule}: ${v.message} (${v.count})`).join('\n'), 'text']], ua.apps),
    ];
  }],

  actions: ['Clock & state', async () => {
    const [clock, snaps] = await Promise.all([get(`${R}/clock`), get(`${R}/snapshots`)]);
    return [
      h('h2', null, 'Clock'),
      h('p', null, `now ${when(clock.now)} UTC${clock.frozen ? ' (frozen)' : ''}`),
      h('form', { onsubmit: act(() => send('POST', `${R}/clock`, { advance: val('clock-advance') })) },
        field('clock-advance', 'advance by', '1h'), h('button', null, 'Advance')),
      h('form', { onsubmit: act(() => send('POST', `${R}/clock`, { set: val('clock-set') })) },
        field('clock-set', 'set to', clock.now), h('button', null, 'Set')),
      h('div', { class: 'bar' },
        h('button', { onclick: act(() => send('POST', `${R}/clock`, { freeze: !clock.frozen })) }, clock.frozen ? 'Resume' : 'Freeze'),
        h('button', { onclick: act(() => send('POST', `${R}/clock`, { reset: true })) }, 'Back to real time')),
      h('h2', null, 'Reset'),
      h('button', { id: 'reset', onclick: act(async () => {
        if (!state.resetArmed) { state.resetArmed = true; say('Click Reset again to return everything to the seed.'); return; }
        state.resetArmed = false;
        await send('POST', `${R}/reset`);
        state.requests = [];
        await loadDirectory();
        say('reset to the seed');
      }) }, state.resetArmed ? 'Reset: sure?' : 'Reset'),
      h('h2', null, 'Snapshots'),
      h('form', { onsubmit: act(() => send('PUT', `${R}/snapshots/${encodeURIComponent(val('snap-name'))}`)) },
        field('snap-name', 'name', 'checkpoint'), h('button', null, 'Save')),
      table([['name', (s) => s.name], ['saved', (s) => when(s.creationTime)], ['bytes', (s) => s.size],
        ['', (s) => [h('button', { onclick: act(async () => { await send('POST', `${R}/snapshots/${encodeURIComponent(s.name)}/restore`); await loadDirectory(); say(`restored ${s.name}`); }) }, 'restore'), ' ',
          h('button', { onclick: act(() => send('DELETE', `${R}/snapshots/${encodeURIComponent(s.name)}`)) }, 'delete')]]],
      snaps.records ?? snaps.snapshots ?? []),
    ];
  }],
};

// ---- rendering ----

let rendering = null;
let again = false;

/** render draws the current view; calls during a render coalesce into one more. */
async function render() {
  if (rendering) { again = true; return rendering; }
  rendering = (async () => {
    do {
      again = false;
      const name = state.view;
      try {
        const nodes = await views[name][1]();
        if (name !== state.view) continue;
        const focus = document.activeElement?.id;
        view.replaceChildren(...[nodes].flat());
        if (focus) document.getElementById(focus)?.focus();
      } catch (e) {
        say(e.message);
      }
    } while (again);
    rendering = null;
  })();
  return rendering;
}

function tabs() {
  const nav = document.getElementById('tabs');
  nav.replaceChildren(...Object.entries(views).map(([name, [label]]) => h('button', {
    dataset: { view: name }, 'aria-current': name === state.view ? 'page' : null,
    onclick: () => { location.hash = name; },
  }, label)));
}

function route() {
  const name = location.hash.slice(1);
  state.view = views[name] ? name : 'directory';
  tabs();
  render();
}

async function tick() {
  try {
    const c = await get(`${R}/clock`);
    document.getElementById('clock').textContent = `${when(c.now)} UTC${c.frozen ? ' ❄' : ''}`;
  } catch { /* the live badge says when rcemu is gone */ }
}

// ---- live updates ----

let refresh = null;
function soon(fn, ms = 60) {
  if (!refresh) refresh = setTimeout(() => { refresh = null; fn(); }, ms);
}

function live() {
  const badge = document.getElementById('live');
  const es = new EventSource('/_rcemu/console/events');
  es.onopen = () => { badge.className = 'on'; badge.textContent = 'live'; };
  es.onerror = () => { badge.className = 'off'; badge.textContent = 'reconnecting'; };
  es.addEventListener('event', (ev) => {
    const e = JSON.parse(ev.data);
    soon(async () => {
      if (/extension|account/i.test(e.kind)) await loadDirectory();
      if (state.view !== 'requests') await render();
      tick();
    });
  });
  es.addEventListener('requests', (ev) => {
    state.requests = [...JSON.parse(ev.data), ...state.requests].slice(0, 500);
    if (state.view === 'requests') soon(render);
  });
  es.addEventListener('overflow', () => {
    // The stream fell behind and was closed: start again and re-read everything.
    es.close();
    state.requests = [];
    setTimeout(() => { live(); render(); }, 500);
  });
}

window.addEventListener('hashchange', route);
try {
  await loadDirectory();
} catch (e) {
  say(e.message);
}
route();
tick();
setInterval(tick, 5000);
live();
