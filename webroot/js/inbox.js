// The operator inbox: every open interrupt across projects — approvals, clarifications,
// constraint conflicts, audit reviews and halts — oldest first, with its age and an SLA countdown
// that ticks locally (main.js). Loaded once from /api/v1/inbox, then kept by the pl.inbox events.

import { h, reconcile } from './dom.js';
import { state, inboxKind } from './store.js';
import { INBOX_KIND_TEXT, humanize, clock, slaText } from './vocab.js';

let actions = null;
let lastSig = null;
const cards = new Map(); // interrupt_id -> element

/** { open(item) }: the operator picked an item (its interrupt card, or its project). */
export function bindInboxActions(handlers) {
  actions = handlers;
}

export function renderInbox(list, countEl) {
  const sig = `${state.inboxV}|${state.inboxLoaded}|${state.projectId}`;
  if (sig === lastSig) return;
  lastSig = sig;
  const items = [...state.inbox.values()]
    .sort((a, b) => String(a.created_at ?? '').localeCompare(String(b.created_at ?? '')) || String(a.interrupt_id).localeCompare(String(b.interrupt_id)));
  const breached = items.filter((i) => i.breached || (Date.parse(i.due_at) <= Date.now())).length;
  countEl.textContent = String(items.length);
  countEl.dataset.count = String(items.length);
  countEl.dataset.breached = String(breached);
  countEl.title = `${items.length} open across projects, ${breached} past their SLA`;
  const nodes = [];
  const keep = new Set();
  for (const i of items) {
    keep.add(i.interrupt_id);
    const card = paint(i);
    nodes.push(card);
  }
  for (const id of [...cards.keys()]) if (!keep.has(id)) cards.delete(id);
  if (!nodes.length) {
    nodes.push(h('p', { class: 'empty-note calm' },
      state.inboxLoaded ? 'Inbox empty — no project waits for an operator.' : 'Loading the operator inbox…'));
  }
  reconcile(list, nodes);
}

function paint(i) {
  const kind = i.kind ?? inboxKind(i.type, i.reason);
  const due = Date.parse(i.due_at);
  const here = i.project_id === state.projectId;
  const sig = JSON.stringify([kind, i.reason, i.breached, i.due_at, here, i.document_type, i.project_id]);
  let card = cards.get(i.interrupt_id);
  if (card && card.dataset.sig === sig) return card;
  if (!card) {
    card = h('article', { class: 'inbox-item', tabindex: '0', role: 'button' });
    card.addEventListener('click', () => actions && actions.open(state.inbox.get(card.dataset.interruptId)));
    card.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        if (actions) actions.open(state.inbox.get(card.dataset.interruptId));
      }
    });
    cards.set(i.interrupt_id, card);
  }
  card.dataset.sig = sig;
  card.dataset.interruptId = i.interrupt_id;
  card.dataset.kind = kind;
  card.dataset.project = i.project_id ?? '';
  card.dataset.breached = String(!!i.breached);
  card.className = ['inbox-item', `kind-${kind}`, i.breached ? 'breached' : null, here ? 'here' : null].filter(Boolean).join(' ');
  const since = Date.parse(i.created_at);
  card.title = here ? 'Open its interrupt in the panel below' : `Switch to project ${i.project_id}`;
  card.replaceChildren(
    h('div', { class: 'inbox-head' },
      h('span', { class: 'badge' }, INBOX_KIND_TEXT[kind] ?? humanize(kind)),
      h('span', { class: 'inbox-where' },
        h('span', { class: 'mono inbox-project' }, i.project_id ?? ''),
        ' · ',
        humanize(i.document_type ?? '')),
      h('span', { class: 'waited mono', dataset: { since: Number.isFinite(since) ? since : Date.now() } },
        clock(Date.now() - (Number.isFinite(since) ? since : Date.now())))),
    i.reason ? h('p', { class: 'inbox-reason' }, i.reason) : null,
    h('div', { class: 'inbox-foot' },
      h('span', {
        class: ['sla', 'mono', i.breached || due <= Date.now() ? 'passed' : null],
        dataset: { due: Number.isFinite(due) ? due : '' },
        title: i.sla_seconds ? `SLA ${Math.round(i.sla_seconds / 60)} min for ${humanize(i.type ?? kind).toLowerCase()}` : 'No SLA',
      }, slaText(due)),
      i.breached ? h('span', { class: 'sla-flag' }, 'SLA breached') : null));
  return card;
}
