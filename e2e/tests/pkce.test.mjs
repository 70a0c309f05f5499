// Authorization-code flow with PKCE for the seeded public app: the SDK builds the login URL,
// a "browser" (fetch) fetches the login page and submits its form as user 102, and the SDK
// exchanges the code from the redirect.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

import { startServer, newSDK, newRC, sdkError, rcError, PUBLIC_CLIENT_ID, REDIRECT_URI, EXT_102 } from './helpers.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const b64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function decodeEntities(s) {
  return s.replace(/&#43;/g, '+').replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** parseForm reads the login page's form: its action, hidden fields and login_as buttons. */
function parseForm(html) {
  const form = html.match(/<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>/i) ?? html.match(/<form[^>]*action="([^"]*)"[^>]*method="post"[^>]*>/i);
  assert.ok(form, 'the page has a POST form');
  const hidden = {};
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    const tag = m[0];
    if (!/type="hidden"/i.test(tag)) continue;
    const name = tag.match(/name="([^"]*)"/i)?.[1];
    const value = tag.match(/value="([^"]*)"/i)?.[1] ?? '';
    if (name) hidden[name] = decodeEntities(value);
  }
  const users = [...html.matchAll(/<button\b[^>]*name="login_as"[^>]*value="([^"]*)"/gi)].map((m) => m[1]);
  return { action: decodeEntities(form[1]), hidden, users };
}

/** browserLogin plays the user: open the login page, pick extensionId, follow nothing. */
async function browserLogin(loginUrl, extensionId) {
  const page = await fetch(loginUrl);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  const { action, hidden, users } = parseForm(await page.text());
  assert.ok(users.includes(String(extensionId)), `the page offers ${extensionId}: ${users}`);
  const res = await fetch(new URL(action, loginUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hidden, login_as: String(extensionId) }).toString(),
    redirect: 'manual',
  });
  assert.equal(res.status, 302, await res.clone().text());
  const location = new URL(res.headers.get('location'));
  return { hidden, location };
}

test('@ringcentral/sdk: loginUrl({usePKCE}) → login page → code → platform.login({code})', async () => {
  const sdk = newSDK(server, { clientId: PUBLIC_CLIENT_ID, clientSecret: undefined, redirectUri: REDIRECT_URI });
  const platform = sdk.platform();
  const state = `st-${randomBytes(4).toString('hex')}`;
  const loginUrl = platform.loginUrl({ usePKCE: true, state });
  const verifier = platform.codeVerifier;
  assert.ok(verifier.length >= 43);
  assert.ok(loginUrl.startsWith(`${server.url}/restapi/oauth/authorize?`), loginUrl);

  const { hidden, location } = await browserLogin(loginUrl, EXT_102);
  // The page carried the request through its hidden fields.
  assert.equal(hidden.client_id, PUBLIC_CLIENT_ID);
  assert.equal(hidden.redirect_uri, REDIRECT_URI);
  assert.equal(hidden.state, state);
  assert.equal(hidden.code_challenge_method, 'S256');
  assert.equal(hidden.code_challenge, b64url(createHash('sha256').update(verifier).digest()));

  assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
  const params = platform.parseLoginRedirect(location.search);
  assert.equal(params.state, state);
  assert.equal(params.expires_in, '60');
  assert.ok(params.code);

  // The SDK sends the verifier it generated for loginUrl (no secret: client_id in the body).
  const res = await platform.login({ code: params.code, redirect_uri: REDIRECT_URI });
  const token = await res.json();
  assert.equal(token.owner_id, String(EXT_102));
  assert.ok(token.refresh_token, 'the public app may refresh');
  const me = await (await platform.get('/restapi/v1.0/account/~/extension/~')).json();
  assert.equal(me.id, EXT_102);

  // A code is single-use.
  const again = newSDK(server, { clientId: PUBLIC_CLIENT_ID, clientSecret: undefined, redirectUri: REDIRECT_URI });
  const e = await sdkError(again.platform().login({ code: params.code, redirect_uri: REDIRECT_URI, code_verifier: verifier }));
  assert.ok(e.status >= 400 && e.status < 500, `status ${e.status}`);
  assert.equal(e.body.error, 'invalid_grant');
});

test('@ringcentral/sdk: a wrong code_verifier is refused with invalid_grant', async () => {
  const platform = newSDK(server, { clientId: PUBLIC_CLIENT_ID, clientSecret: undefined, redirectUri: REDIRECT_URI }).platform();
  const { location } = await browserLogin(platform.loginUrl({ usePKCE: true }), EXT_102);
  const code = location.searchParams.get('code');
  const e = await sdkError(platform.login({ code, redirect_uri: REDIRECT_URI, code_verifier: b64url(randomBytes(32)) }));
  assert.ok(e.status >= 400 && e.status < 500, `status ${e.status}`);
  assert.equal(e.body.error, 'invalid_grant');
  assert.equal(e.message, e.body.error_description);
});

test('@rc-ex/core: S256 challenge from node:crypto, rc.authorize({code, redirect_uri, code_verifier})', async () => {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const q = new URLSearchParams({
    response_type: 'code', client_id: PUBLIC_CLIENT_ID, redirect_uri: REDIRECT_URI, state: 'rcex',
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  const { location } = await browserLogin(`${server.url}/restapi/oauth/authorize?${q}`, EXT_102);
  assert.equal(location.searchParams.get('state'), 'rcex');
  assert.equal(location.searchParams.get('expires_in'), '60');

  const rc = newRC(server, { clientId: PUBLIC_CLIENT_ID, clientSecret: undefined });
  const token = await rc.authorize({ code: location.searchParams.get('code'), redirect_uri: REDIRECT_URI, code_verifier: verifier });
  assert.equal(token.owner_id, String(EXT_102));
  const me = await rc.restapi().account().extension().get();
  assert.equal(me.id, EXT_102);

  // Refresh works for the public client too (client_id in the body, no secret).
  const fresh = await rc.refresh();
  assert.notEqual(fresh.access_token, token.access_token);
  assert.equal((await rc.restapi().account().extension().get()).id, EXT_102);
});

test('@rc-ex/core: exchanging a PKCE code without code_verifier is refused', async () => {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const q = new URLSearchParams({
    response_type: 'code', client_id: PUBLIC_CLIENT_ID, redirect_uri: REDIRECT_URI,
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  const { location } = await browserLogin(`${server.url}/restapi/oauth/authorize?${q}`, EXT_102);
  const rc = newRC(server, { clientId: PUBLIC_CLIENT_ID, clientSecret: undefined });
  const e = await rcError(rc.authorize({ code: location.searchParams.get('code'), redirect_uri: REDIRECT_URI, code_verifier: undefined }));
  assert.equal(e.status, 400);
  assert.ok(['invalid_request', 'invalid_grant'].includes(e.body.error), e.body.error);
});
