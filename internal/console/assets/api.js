// Calls to the control plane and the console's reads; every failure becomes an Error with the
// platform's message when the body has one.

async function check(r, what) {
  if (r.ok) return r.status === 204 ? null : r.json();
  let msg = `${what}: ${r.status}`;
  try {
    const b = await r.json();
    msg += ` ${b.message ?? b.errors?.[0]?.message ?? ''}`;
  } catch { /* not JSON */ }
  throw new Error(msg);
}

export async function get(path) {
  return check(await fetch(path, { headers: { Accept: 'application/json' } }), `GET ${path}`);
}

export async function send(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return check(await fetch(path, init), `${method} ${path}`);
}
