// The workbench's calls: JSON reads and writes with the bearer token, and who the token is.
// The server decides everything; the role only hides controls a viewer could not use anyway.

import { token, getJson, Refusal, role, canOperate } from '../auth.js';

export { getJson, Refusal, role, canOperate };

/** Sends a JSON body; resolves {status, body} for any answer the server gave (4xx included). */
export async function send(method, path, body, headers = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    return { status: 0, body: { detail: 'the server is not reachable' } };
  }
  let parsed = {};
  try { parsed = await res.json(); } catch { parsed = {}; }
  return { status: res.status, body: parsed };
}

/** An EventSource on a path that takes ?token= (SSE cannot send headers). */
export function events(path) {
  const sep = path.includes('?') ? '&' : '?';
  return new EventSource(`${path}${sep}token=${encodeURIComponent(token() ?? '')}`);
}

/** A refusal's words: the server's detail. */
export function detail(reply) {
  return reply?.body?.detail || reply?.body?.title || `HTTP ${reply?.status}`;
}

/** "in 12 s", "at 03:00:09": times for people. */
export function at(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour12: false });
}

export function duration(ms) {
  if (ms == null) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
