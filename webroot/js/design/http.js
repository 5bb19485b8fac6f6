// JSON over HTTP for the designer, with the dashboard's bearer token. A refusal keeps the
// server's whole body (its findings too).

import { token, role } from '../auth.js';

export { role };

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

