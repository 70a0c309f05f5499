// Shared helpers for the rcemu end-to-end tests: run the emulator binary on a free loopback port
// with a throwaway in-memory database (or a SQLite file a second run can reopen), talk to its
// control plane, and build clients with the official RingCentral SDKs exactly as an application
// would.
//
// The binary comes from RCEMU_BIN when set; otherwise it is built from the repository root with
// `go build` into a fixed temp path (Go only relinks when the sources changed, so repeat builds
// are cheap).

import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { SDK } from '@ringcentral/sdk';
import RingCentral from '@rc-ex/core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

// Seeded identities (internal/seed/default.yaml); stable across fresh starts.
export const ACCOUNT_1 = 159048008;
export const ACCOUNT_2 = 259048008;
export const EXT_101 = 171857008; // admin, Ada Lovelace
export const EXT_102 = 171858008; // Grace Hopper
export const EXT_103 = 171859008; // Alan Turing
export const DEPT_200 = 171860008; // Department "Support"
export const PUBLIC_CLIENT_ID = 'rcemuPublicClientId001';
export const REDIRECT_URI = 'http://localhost:5000/oauth2callback';

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// lock serialises builds when several test processes start at once.
async function withLock(dir, fn) {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      if (Date.now() > deadline) {
        rmSync(lock, { recursive: true, force: true }); // a crashed builder left it
        continue;
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

let binaryPromise;

/** binary returns the path of the rcemu executable, building it when RCEMU_BIN is not set. */
export function binary() {
  if (process.env.RCEMU_BIN) return Promise.resolve(process.env.RCEMU_BIN);
  binaryPromise ??= (async () => {
    const dir = path.join(os.tmpdir(), 'rcemu-e2e-bin');
    mkdirSync(dir, { recursive: true });
    const out = path.join(dir, 'rcemu');
    await withLock(dir, () => {
      execFileSync('go', ['build', '-o', out, './cmd/rcemu'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    });
    return out;
  })();
  return binaryPromise;
}

const running = new Set();
function killAll() {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}
process.on('exit', killAll);
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(sig, () => {
    killAll();
    process.exit(code);
  });
}

/**
 * startServer runs `rcemu serve --addr 127.0.0.1:0 --db :memory:` (port 0: the kernel picks a
 * free port, which the emulator reports as RC_SERVER_URL), waits for /_rcemu/health and returns
 * the URL, the credentials document and a stop function.
 *
 * options.db names a SQLite file instead of `:memory:`, so that a test can stop the emulator
 * (stop() is a graceful SIGTERM shutdown) and start another one on the same state; the caller
 * owns the file (see tempDir). Every start listens on a new port. options.seed names a seed
 * file for the new database.
 */
export async function startServer({ db = ':memory:', seed } = {}) {
  const bin = await binary();
  if (db === ':memory:' && process.env.RCEMU_TEST_POSTGRES) db = freshPostgres();
  const args = ['serve', '--addr', '127.0.0.1:0', '--db', db, '--log-level', 'warn'];
  if (seed) args.push('--seed', seed);
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.setEncoding('utf8');
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rcemu did not print RC_SERVER_URL within 15 s\nstdout:\n${stdout}\nstderr:\n${stderr}`)), 15_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/^RC_SERVER_URL=(\S+)$/m);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`rcemu exited early (code ${code}, signal ${signal})\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/_rcemu/health`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`rcemu at ${url} never became healthy\nstderr:\n${stderr}`);
    await sleep(50);
  }
  const creds = await (await fetch(`${url}/_rcemu/credentials`)).json();

  const control = async (p, init = {}) => {
    const r = await fetch(`${url}/_rcemu${p}`, {
      ...init,
      headers: init.body ? { 'Content-Type': 'application/json', ...(init.headers ?? {}) } : init.headers,
    });
    const text = await r.text();
    assert.ok(r.status < 300, `control ${init.method ?? 'GET'} ${p} → ${r.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };

  return {
    url,
    creds,
    /** user returns the credentials entry of an extension id. */
    user(extensionId) {
      const u = creds.users.find((x) => x.extensionId === String(extensionId));
      assert.ok(u, `no credentials for extension ${extensionId}`);
      return u;
    },
    control,
    reset: () => control('/reset', { method: 'POST' }),
    advanceClock: (advance) => control('/clock', { method: 'POST', body: JSON.stringify({ advance }) }),
    requests: async (limit = 1000) => (await control(`/requests?limit=${limit}`)).records,
    userAgents: async () => (await control('/user-agents')).apps,
    stderr: () => stderr,
    /**
     * stop sends SIGTERM (a graceful shutdown), falls back to SIGKILL after 3 s, and returns how
     * the process ended: { code, signal } (code 0 and signal null for a clean shutdown).
     */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        running.delete(child);
        return { code: child.exitCode, signal: child.signalCode };
      }
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      const how = await exited;
      clearTimeout(t);
      running.delete(child);
      return how;
    },
  };
}

/**
 * tempDir makes a fresh directory under the OS temp dir and returns { dir, remove }; remove()
 * deletes it with everything in it (a SQLite file with its -wal and -shm companions).
 */
export function tempDir(prefix = 'rcemu-e2e-') {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let sdkCounter = 0;

/**
 * newSDK builds an @ringcentral/sdk client for the emulator. Every instance gets its own cache
 * prefix: in Node all SDK instances share one in-memory localStorage, and the default prefix
 * would make them overwrite each other's tokens.
 */
export function newSDK(server, options = {}) {
  sdkCounter += 1;
  return new SDK({
    server: server.url,
    clientId: server.creds.clientId,
    clientSecret: server.creds.clientSecret,
    cachePrefix: `rcemu-e2e-${process.pid}-${sdkCounter}-`,
    ...options,
  });
}

/** newRC builds an @rc-ex/core client for the emulator. */
export function newRC(server, options = {}) {
  return new RingCentral({
    server: server.url,
    clientId: server.creds.clientId,
    clientSecret: server.creds.clientSecret,
    ...options,
  });
}

/** loginSDK returns a platform logged in with the JWT of an extension. */
export async function loginSDK(server, extensionId = EXT_101, options = {}) {
  const sdk = newSDK(server, options);
  const platform = sdk.platform();
  await platform.login({ jwt: server.user(extensionId).jwt });
  return platform;
}

/** loginRC returns an @rc-ex/core client authorized with the JWT of an extension. */
export async function loginRC(server, extensionId = EXT_101, options = {}) {
  const rc = newRC(server, options);
  await rc.authorize({ jwt: server.user(extensionId).jwt });
  return rc;
}

/** rejection awaits a call expected to fail and returns its error. */
async function rejection(promise, client) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e, `expected the ${client} call to fail with an error`);
    return e;
  }
  assert.fail(`expected the ${client} call to fail`);
}

/**
 * sdkError awaits a call expected to fail through @ringcentral/sdk and returns what the SDK
 * exposes: the error, its message, the response status and headers, and the parsed body.
 */
export async function sdkError(promise) {
  const err = await rejection(promise, 'SDK');
  assert.ok(err.response, `expected an ApiError with a response, got: ${err?.stack ?? err}`);
  const body = await err.response.clone().json();
  return { err, message: err.message, status: err.response.status, headers: err.response.headers, body };
}

/** rcError does the same for @rc-ex/core, whose RestException carries the axios response. */
export async function rcError(promise) {
  const err = await rejection(promise, 'rc-ex');
  assert.equal(err.constructor?.name, 'RestException', `expected a RestException, got: ${err?.stack ?? err}`);
  return { err, message: err.message, status: err.response.status, headers: err.response.headers, body: err.response.data };
}

/**
 * probe calls GET /restapi/v1.0/account/~/extension/~ with a given access token through
 * @rc-ex/core (which, unlike @ringcentral/sdk, never refreshes behind the caller's back) and
 * returns {status, body}.
 */
export async function probe(server, accessToken) {
  const rc = newRC(server);
  rc.token = { access_token: accessToken, token_type: 'bearer' };
  try {
    const r = await rc.get('/restapi/v1.0/account/~/extension/~');
    return { status: r.status, body: r.data };
  } catch (e) {
    if (!e.response) throw e;
    return { status: e.response.status, body: e.response.data };
  }
}

/** assertRestError checks the platform's legacy error envelope. */
export function assertRestError(body, { errorCode, topCode = errorCode, parameterName, permissionName, message }) {
  assert.ok(Array.isArray(body.errors), `errors must be an array: ${JSON.stringify(body)}`);
  assert.ok(body.errors.length >= 1, `errors must not be empty: ${JSON.stringify(body)}`);
  const first = body.errors[0];
  assert.equal(first.errorCode, errorCode, JSON.stringify(body));
  assert.equal(body.errorCode, topCode, JSON.stringify(body));
  assert.equal(typeof first.message, 'string');
  assert.ok(first.message.length > 0);
  assert.equal(body.message, first.message, 'top-level message repeats the first error');
  if (message !== undefined) assert.equal(first.message, message);
  if (parameterName !== undefined) {
    assert.equal(first.parameterName, parameterName, JSON.stringify(body));
    assert.equal(body.parameterName, parameterName, JSON.stringify(body));
  }
  if (permissionName !== undefined) {
    assert.equal(first.permissionName, permissionName, JSON.stringify(body));
    assert.equal(body.permissionName, permissionName, JSON.stringify(body));
  }
}

/** uris collects every "uri" string in a JSON document, with its path for messages. */
export function uris(doc, at = '$', out = []) {
  if (Array.isArray(doc)) {
    doc.forEach((v, i) => uris(v, `${at}[${i}]`, out));
  } else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if ((k === 'uri' || k === 'contentUri') && typeof v === 'string') out.push({ at: `${at}.${k}`, uri: v });
      else uris(v, `${at}.${k}`, out);
    }
  }
  return out;
}

/** eventually polls fn until it returns a truthy value, which it returns; it fails after ms. */
export async function eventually(fn, what, ms = 5000, every = 25) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/**
 * shutdownWs revokes an @rc-ex/ws extension and makes sure none of its timers or sockets
 * survive. On a socket that is not open, revoke() would wait for an answer that never comes
 * (and leave a 60 s timer behind), then stop before clearing its auto-recover interval; an
 * auto-recover attempt in flight re-arms that interval when it ends.
 */
export async function shutdownWs(ext) {
  if (ext.ws?.readyState === 1) {
    try {
      await ext.revoke();
    } catch {
      // best effort
    }
  }
  ext.disable();
  for (let i = 0; i < 3; i += 1) {
    try {
      await ext._recoverPromise;
    } catch {
      // a failed recovery is fine here
    }
    clearInterval(ext.intervalHandle);
    clearTimeout(ext.pingServerHandle);
  }
  try {
    ext.ws?.close();
  } catch {
    // already closed
  }
}

/**
 * nextEvent resolves with the arguments of the next `name` event of an EventEmitter for which
 * pred(...args) holds; it rejects after ms, and leaves no listener or timer behind.
 */
export function nextEvent(emitter, name, pred = () => true, ms = 5000) {
  return new Promise((resolve, reject) => {
    const onEvent = (...args) => {
      let ok;
      try {
        ok = pred(...args);
      } catch (e) {
        done();
        reject(e);
        return;
      }
      if (ok) {
        done();
        resolve(args);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${ms} ms waiting for a '${name}' event`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      emitter.off(name, onEvent);
    };
    emitter.on(name, onEvent);
  });
}

/**
 * startWebhookReceiver runs a WebHook receiver on 127.0.0.1:0 with node:http, as the platform's
 * samples do: a POST carrying a Validation-Token header and no body is the validation handshake,
 * answered 200 with the token echoed (unless `echo` is false); any other POST is a notification,
 * parsed and recorded with its headers, and answered with `status` (setStatus changes it for
 * the notifications that follow; the handshake is answered 200 whatever it is).
 *
 * It returns { url, validations, notifications, waitFor(predicate|count, ms), setStatus(code),
 * close() }: each recorded notification is { method, url, headers, body, raw, at, status }
 * (headers lower-cased, as node:http gives them; status is what the receiver answered).
 */
export async function startWebhookReceiver({ echo = true, status = 200, path: hookPath = '/webhook' } = {}) {
  const validations = [];
  const notifications = [];
  const waiters = new Set();
  const wake = () => {
    for (const w of waiters) w();
  };
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const token = req.headers['validation-token'];
      if (token !== undefined && raw.length === 0) {
        validations.push({ method: req.method, url: req.url, headers: req.headers, at: Date.now() });
        if (echo) res.setHeader('Validation-Token', token);
        res.setHeader('Content-Type', 'application/json');
        res.statusCode = 200;
        res.end();
        wake();
        return;
      }
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      notifications.push({ method: req.method, url: req.url, headers: req.headers, body, raw, at: Date.now(), status });
      res.statusCode = status;
      res.end();
      wake();
    });
  });
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  return {
    url: `http://127.0.0.1:${port}${hookPath}`,
    validations,
    notifications,
    /** waitFor resolves with the notifications once pred(notifications) holds (a number n means "at least n"). */
    waitFor(pred, ms = 5000) {
      const test = typeof pred === 'number' ? (list) => list.length >= pred : pred;
      if (test(notifications)) return Promise.resolve(notifications);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (test(notifications)) {
            done();
            resolve(notifications);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`receiver: timed out after ${ms} ms; got ${notifications.length} notification(s): ${JSON.stringify(notifications.map((n) => n.body?.event))}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    /** setStatus sets the status the receiver answers the next notifications with. */
    setStatus(code) {
      status = code;
    },
    async close() {
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    },
  };
}

/** unusedAddress returns an http:// URL on 127.0.0.1 where nothing listens (a port just freed). */
export async function unusedAddress(hookPath = '/webhook') {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return `http://127.0.0.1:${port}${hookPath}`;
}

/**
 * freshPostgres creates an empty database on the server RCEMU_TEST_POSTGRES names (with psql,
 * which the PostgreSQL install brings) and returns its URL: with that variable set, every
 * emulator the tests start runs on a PostgreSQL database of its own (make test-postgres).
 */
export function freshPostgres() {
  const name = `rcemu_e2e_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e9)}`;
  execFileSync(process.env.RCEMU_PSQL || 'psql', [process.env.RCEMU_TEST_POSTGRES, '-qc', `CREATE DATABASE ${name}`], { stdio: 'inherit' });
  const u = new URL(process.env.RCEMU_TEST_POSTGRES);
  u.pathname = `/${name}`;
  return u.toString();
}
