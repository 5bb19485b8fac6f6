// The operator token: taken once from ?token= (the URL the server prints at start), kept in
// localStorage as `pl.token`, sent as a bearer token on every fetch and as the `token` header
// of every bridge frame.

const KEY = 'pl.token';
let current = null;

/** Read ?token= from the address bar, store it, and remove it from the address bar. */
export function captureToken() {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    remember(fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  if (!current) {
    try { current = window.localStorage.getItem(KEY); } catch { current = null; }
  }
  return current;
}

export function token() {
  return current;
}

export function remember(value) {
  current = value ? String(value).trim() : null;
  try {
    if (current) window.localStorage.setItem(KEY, current);
    else window.localStorage.removeItem(KEY);
  } catch {
    // storage disabled: keep the token for this page only
  }
}

/**
 * The role the token names (viewer, operator, admin, executor), or null: read from its payload for
 * presentation only (the server decides every call). The one reading of it for every view.
 */
export function role() {
  const t = current;
  if (!t) return null;
  try {
    const part = t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='))).role ?? null;
  } catch {
    return null;
  }
}

/** Whether the token may change things (operator or admin): else no control that changes anything is drawn. */
export function canOperate() {
  const r = role();
  return r === 'operator' || r === 'admin';
}

/** A request the server would not honour; `status` is the HTTP status (0: not reachable). */
export class Refusal {
  constructor(status, message) {
    this.status = status;
    this.message = message;
  }
  get unauthorized() { return this.status === 401; }
}

/** GET a JSON resource with the bearer token. Throws a Refusal for any non-2xx answer. */
export async function getJson(path) {
  const headers = { Accept: 'application/json' };
  if (current) headers.Authorization = `Bearer ${current}`;
  let res;
  try {
    res = await fetch(path, { headers, cache: 'no-store' });
  } catch {
    throw new Refusal(0, 'the server is not reachable');
  }
  if (!res.ok) {
    let message = res.statusText || `HTTP ${res.status}`;
    try {
      const body = await res.json();
      message = body.message || body.reason || body.detail || message;
    } catch {
      // not JSON: keep the status text
    }
    throw new Refusal(res.status, message);
  }
  return res.json();
}
