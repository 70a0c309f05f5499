// The README's first command on a fresh machine: a fresh clone of the repository, `go run
// ./cmd/rcemu` with an empty user cache. rcemu fetches RingCentral's OpenAPI spec from the npm
// registry itself (here a local registry serving the real package tarball, which `npm pack`
// obtains), and the whole API answers: a spec-only operation, and a spec-served collection that
// keeps what the SDK writes. The second start, with the registry gone, is warm and offline.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { repoRoot, tempDir, loginSDK, EXT_101 } from './helpers.mjs';

const PACKAGE = 'ringcentral-open-api-parser';
const VERSION = '0.15.9';

let tmp;
let clone;
let tarball;
let registry;
let registryHits = 0;
const cacheHome = () => path.join(tmp.dir, 'cache');

before(async () => {
  tmp = tempDir('rcemu-e2e-clone-');
  clone = path.join(tmp.dir, 'rcemu');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone], { stdio: ['ignore', 'ignore', 'inherit'] });
  const packDir = path.join(tmp.dir, 'pack');
  mkdirSync(packDir);
  execFileSync('npm', ['pack', `${PACKAGE}@${VERSION}`, '--pack-destination', packDir, '--silent'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' },
    shell: false,
  });
  const tgz = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, 'npm pack left no tarball');
  tarball = readFileSync(path.join(packDir, tgz));
  registry = http.createServer((req, res) => {
    registryHits += 1;
    if (req.url.endsWith(`/-/${PACKAGE}-${VERSION}.tgz`)) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': tarball.length });
      res.end(tarball);
      return;
    }
    res.writeHead(404).end(); // no packument: rcemu falls back to the conventional tarball path
  });
  await new Promise((resolve) => registry.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  registry?.close();
  tmp?.remove();
});

// goRun starts `go run ./cmd/rcemu serve` in the clone and resolves with the server once it
// prints RC_SERVER_URL; its user cache is the test's own empty directory (Go's build cache stays
// the machine's, so nothing is compiled twice).
async function goRun(registryURL) {
  const gocache = execFileSync('go', ['env', 'GOCACHE'], { encoding: 'utf8' }).trim();
  const child = spawn('go', ['run', './cmd/rcemu', 'serve', '--addr', '127.0.0.1:0', '--db', ':memory:'], {
    cwd: clone,
    detached: true, // its own process group: go run and the rcemu it started stop together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CACHE_HOME: cacheHome(), GOCACHE: gocache, RCEMU_NPM_REGISTRY: registryURL, RCEMU_SPEC: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no RC_SERVER_URL within 240 s\n${stderr}`)), 240_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/^RC_SERVER_URL=(\S+)$/m);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`go run exited ${code}\n${stderr}`));
    });
  });
  const creds = await (await fetch(`${url}/_rcemu/credentials`)).json();
  return {
    url,
    creds,
    user: (id) => creds.users.find((u) => u.extensionId === String(id)),
    stderr: () => stderr,
    async stop() {
      const done = new Promise((resolve) => child.once('exit', resolve));
      const group = (sig) => {
        try {
          process.kill(-child.pid, sig);
        } catch {
          // already gone
        }
      };
      group('SIGTERM');
      const t = setTimeout(() => group('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
      await new Promise((resolve) => setTimeout(resolve, 200));
      group('SIGKILL'); // whatever of the group outlived go run
    },
  };
}

test('a fresh clone: go run fetches the spec, serves a spec-only operation and keeps a spec-served record; the next start is warm and offline', { timeout: 600_000 }, async () => {
  const regURL = `http://127.0.0.1:${registry.address().port}/`;
  let server = await goRun(regURL);
  try {
    assert.ok(registryHits > 0, 'the registry was not asked');
    assert.match(server.stderr(), /fetching the RingCentral OpenAPI spec \(ringcentral-open-api-parser@0\.15\.9\)/);
    assert.ok(existsSync(path.join(cacheHome(), 'rcemu', 'spec', 'rc-public-openapi.yml')), 'the spec is not in the user cache');

    const platform = await loginSDK(server, EXT_101);
    // A spec-only operation: no hand-written handler serves call queues.
    const queues = await (await platform.get('/restapi/v1.0/account/~/call-queues')).json();
    assert.ok(Array.isArray(queues.records), JSON.stringify(queues));

    // A spec-served collection keeps what is written, with the SDK's own calls.
    const base = '/restapi/v1.0/account/~/extension/~/forwarding-number';
    const made = await (await platform.post(base, { phoneNumber: '+16505550177', label: 'Lab phone', type: 'Other' })).json();
    assert.equal(made.label, 'Lab phone');
    const read = await (await platform.get(`${base}/${made.id}`)).json();
    assert.deepEqual(read, made);
    const list = await (await platform.get(base)).json();
    assert.deepEqual(list.records.map((r) => r.id), [made.id]);
    const patched = await (await platform.send({ method: 'PUT', url: `${base}/${made.id}`, body: { phoneNumber: '+16505550178' } })).json();
    assert.equal(patched.phoneNumber, '+16505550178');
    assert.equal(patched.label, undefined, 'PUT replaces: the label it left out is gone');
    await platform.delete(`${base}/${made.id}`);
    const gone = await platform.get(`${base}/${made.id}`).then(() => null, (e) => e);
    assert.ok(gone, 'the deleted record is still readable');
    assert.equal(gone.response.status, 404);
    assert.equal((await gone.response.json()).errorCode, 'CMN-102');
  } finally {
    await server.stop();
  }

  const hits = registryHits;
  await new Promise((resolve) => registry.close(resolve));
  server = await goRun(regURL);
  try {
    assert.equal(registryHits, hits, 'the warm start asked the registry');
    assert.doesNotMatch(server.stderr(), /fetching/);
    const platform = await loginSDK(server, EXT_101);
    const r = await platform.get('/restapi/v1.0/account/~/call-queues');
    assert.equal(r.status, 200);
  } finally {
    await server.stop();
  }
});
