// JSON over HTTP for the designer, with the dashboard's bearer token. A refusal keeps the
// server's whole body (its findings too).

import { token } from '../auth.js';

export class Refused extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new Refused(0, { detail: 'the server is not reachable' });
  }
  let json = {};
  try { json = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) throw new Refused(res.status, json);
  return json;
}

/** The role of the dashboard's token, read from its payload (display only: the server decides). */
export function role() {
  const t = token();
  if (!t) return null;
  try {
    const part = t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '==='.slice((part.length + 3) % 4))).role ?? null;
  } catch {
    return null;
  }
}
