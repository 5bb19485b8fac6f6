// The seed-001 dashboard at /assembly-line/dashboard: build intents queued (with their estimated
// start and what they wait for), in progress (phase, executor, progress) and completed (with the
// evidence of their verification). The server sends the whole view on every change (SSE,
// /assembly-line/queue?stream=true); the page shows it as it comes.

import { h } from '../dom.js';
import { captureToken, remember, token } from '../auth.js';
import { events, at } from './api.js';

captureToken();
const $ = (id) => document.getElementById(id);

function intent(i, kind) {
  const parts = [h('b', { class: 'wb-intent-title', text: i.title }), h('span', { class: 'mono wb-intent-id', text: ` ${i.intent_id}` }),
    h('span', { class: 'wb-intent-prio', text: ` · priority ${i.priority}` })];
  if (kind === 'queued') {
    parts.push(h('div', { class: 'wb-intent-eta', text: i.estimated_start ? `starts about ${at(i.estimated_start)}` : 'no estimate yet' }),
      h('div', { class: 'wb-intent-wait', text: `waits for ${i.waiting_for}` }));
  } else if (kind === 'in-progress') {
    parts.push(h('div', { class: 'wb-intent-phase', text: `${i.current_phase} · ${i.station ?? ''} · ${i.state.replace('_', ' ')}` }),
      h('div', { class: 'wb-intent-exec', text: i.assigned_to ? `at ${i.assigned_to}` : i.requires_human_review ? 'waits for an operator' : 'waiting for an executor' }),
      h('progress', { max: 1, value: i.progress ?? 0, 'aria-label': 'progress' }),
      i.progress_message ? h('div', { text: i.progress_message }) : null);
  } else {
    parts.push(h('div', { class: 'wb-intent-result', text: `${i.state} · verification level ${i.verification_level}${i.quality_score != null ? ` · score ${i.quality_score}` : ''}` }),
      h('details', { class: 'wb-evidence' }, h('summary', { text: `evidence (${(i.evidence ?? []).length} audits)` }),
        h('ul', null, (i.evidence ?? []).map((e) => h('li', null, `${e.station}: ${e.outcome}, level ${e.verification_level ?? '—'}`,
          e.score != null ? `, score ${e.score}` : '', e.findings ? ` — ${[].concat(e.findings).join('; ')}` : '')))));
  }
  return h('li', { class: 'wb-intent', dataset: { intentId: i.intent_id, status: i.status } }, ...parts);
}

// Each pushed view replaces the lists; an intent whose view did not change keeps its element (and an
// unfolded evidence stays unfolded, also when the intent changes).
const shown = new Map();     // `${kind}:${intent_id}` -> { sig, el }
const unfolded = new Set();  // intent ids whose evidence the operator opened

function element(i, kind) {
  const key = `${kind}:${i.intent_id}`;
  const sig = JSON.stringify(i);
  const known = shown.get(key);
  if (known && known.sig === sig) return known.el;
  const el = intent(i, kind);
  const details = el.querySelector('details.wb-evidence');
  if (details) {
    details.open = unfolded.has(i.intent_id);
    details.addEventListener('toggle', () => { if (details.open) unfolded.add(i.intent_id); else unfolded.delete(i.intent_id); });
  }
  shown.set(key, { sig, el });
  return el;
}

function show(q) {
  const keep = new Set();
  for (const [kind, list] of [['queued', q.queued], ['in-progress', q.in_progress], ['completed', q.completed]]) {
    $(`intents-${kind}`).replaceChildren(...list.map((i) => { keep.add(`${kind}:${i.intent_id}`); return element(i, kind); }));
    $(`count-${kind}`).textContent = String(list.length);
  }
  for (const key of [...shown.keys()]) if (!keep.has(key)) shown.delete(key);
}

let source = null;
function connect() {
  source?.close();
  const state = $('intents-state');
  source = events('/assembly-line/queue?stream=true');
  source.addEventListener('queue', (e) => {
    state.dataset.state = 'live';
    state.lastChild.textContent = 'Live';
    show(JSON.parse(e.data));
  });
  source.onerror = () => {
    state.dataset.state = 'reconnecting';
    state.lastChild.textContent = 'Reconnecting…';
    fetch('/assembly-line/queue', { headers: { Authorization: `Bearer ${token() ?? ''}` } }).then((r) => {
      if (r.status === 401) { source.close(); $('token-prompt').hidden = false; }
    });
  };
}

$('token-prompt').addEventListener('submit', (e) => {
  e.preventDefault();
  remember($('token-input').value);
  $('token-prompt').hidden = true;
  connect();
});
connect();
