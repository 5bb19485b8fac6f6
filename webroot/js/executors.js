// Executors with a heartbeat pulse, and the station-task queue by capability.

import { h, reconcile, replay } from './dom.js';
import { state, isOffline } from './store.js';
import { ago, humanize, plural } from './vocab.js';

const cards = new Map(); // executor_id -> { el, sig, pulse }

export function renderExecutors(list, queueEl) {
  const now = Date.now();
  const all = [...state.executors.values()].sort((a, b) => {
    const rank = (x) => (isOffline(x, now) ? 2 : x.status === 'busy' ? 0 : 1);
    return rank(a) - rank(b) || String(a.executor_id).localeCompare(String(b.executor_id));
  });
  const nodes = [];
  const keep = new Set();
  for (const x of all) {
    keep.add(x.executor_id);
    let card = cards.get(x.executor_id);
    if (!card) {
      card = { el: h('article', { class: 'executor', dataset: { executorId: x.executor_id } }), sig: null, pulse: x._pulse };
      cards.set(x.executor_id, card);
    }
    paint(card, x, now);
    nodes.push(card.el);
  }
  for (const id of [...cards.keys()]) if (!keep.has(id)) cards.delete(id);
  if (!nodes.length) {
    nodes.push(h('p', { class: 'empty-note' }, state.loaded
      ? 'No executors connected — queued station tasks wait until one registers.'
      : 'Loading executors…'));
  }
  reconcile(list, nodes);
  renderQueue(queueEl);
}

function statusOf(x, now) {
  return isOffline(x, now) ? 'offline' : (x.status || 'idle');
}

/** What an executor works on, in the line's words: "Epic backlog · assemble", never a task id. */
function taskText(task) {
  if (!task) return null;
  if (typeof task === 'string') {
    for (const t of state.tracks.values()) {
      if (t.current_task && t.current_task.task_id === task) {
        const station = (t.stations ?? []).find((s) => s.id === t.current_station);
        return `${t.title || humanize(t.document_type)} · ${station ? station.kind : t.current_station}`;
      }
    }
    return 'a station task of another project';
  }
  const what = task.document_type ? humanize(task.document_type) : task.track_id;
  const where = task.station ?? task.kind;
  return [what, where].filter(Boolean).join(' · ') || task.task_id || JSON.stringify(task);
}

function paint(card, x, now) {
  const status = statusOf(x, now);
  const task = taskText(x.current_task);
  const caps = Array.isArray(x.capabilities) ? x.capabilities : [];
  const sig = JSON.stringify([status, task, caps, x.stations_completed, x.type, x.environment]);
  const el = card.el;
  if (sig !== card.sig) {
    card.sig = sig;
    el.dataset.status = status;
    el.className = `executor x-${status}`;
    let doing;
    if (status === 'offline') doing = 'Offline — no heartbeat for more than 60 s';
    else if (status === 'busy') doing = task ? `working on ${task}` : 'Busy — station task in hand';
    else doing = 'Idle — waiting for a station task';
    el.replaceChildren(
      h('span', { class: 'heartbeat', title: 'Heartbeat' }),
      h('div', { class: 'x-main' },
        h('div', { class: 'x-line' },
          h('span', { class: 'x-id mono' }, x.executor_id),
          h('span', { class: ['x-status', `x-${status}`] }, humanize(status))),
        h('div', { class: 'x-task', title: typeof x.current_task === 'object' && x.current_task ? JSON.stringify(x.current_task) : '' }, doing),
        h('div', { class: 'x-meta' },
          ...caps.map((c) => h('span', { class: 'cap' }, c)),
          h('span', { class: 'x-done mono' }, plural(x.stations_completed ?? 0, 'station')),
          h('span', { class: 'x-beat mono', dataset: { since: x._seenAt } }, `beat ${ago(now - x._seenAt)}`))));
    card.pulse = -1;
  }
  if (card.pulse !== x._pulse) {
    card.pulse = x._pulse;
    const dot = el.querySelector('.heartbeat');
    if (dot && status !== 'offline' && x._pulse > 0) replay(dot, 'pulse');
  }
}

function renderQueue(el) {
  const q = state.queue ?? { depth: 0, by_capability: {} };
  const entries = Object.entries(q.by_capability ?? {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const sig = JSON.stringify([q.depth, entries, state.noExecutorsFor, state.loaded]);
  if (el.dataset.sig === sig) return;
  el.dataset.sig = sig;
  el.dataset.depth = String(q.depth ?? 0);
  el.replaceChildren(
    h('div', { class: 'queue-head' },
      h('span', null, 'Station tasks queued'),
      h('span', { class: 'queue-total mono' }, String(q.depth ?? 0))),
    !state.loaded && !entries.length
      ? h('p', { class: 'empty-note calm' }, 'Queue depth arrives with the line state.')
      : entries.length
      ? h('div', { class: 'queue-caps' }, ...entries.map(([cap, n]) => {
        const starved = state.noExecutorsFor.includes(cap);
        return h('div', { class: ['qcap', starved && 'starved'], dataset: { capability: cap } },
          h('span', { class: 'qcap-name mono' }, cap),
          h('span', { class: 'qcap-bar' }, h('i', { style: { width: `${(100 * n) / max}%` } })),
          h('span', { class: 'qcap-n mono' }, String(n)),
          starved ? h('span', { class: 'qcap-note' }, 'no executor') : null);
      }))
      : h('p', { class: 'empty-note calm' }, 'Queue empty — every station task has an executor.'));
}
