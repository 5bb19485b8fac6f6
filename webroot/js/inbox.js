// The operator inbox: everything that waits for an operator, across projects — approvals,
// clarifications, constraint conflicts, audit reviews and halts — oldest first, with its age and
// an SLA countdown that ticks locally (main.js). An item of the project shown carries its answer
// card; one of another project opens that project. Loaded once from /api/v1/inbox, then replaced
// by each pl.inbox event, which carries the whole inbox as the server reads it.

import { h, reconcile } from './dom.js';
import { state } from './store.js';
import { canOperate } from './auth.js';
import { interruptCard, keepCards } from './interrupts.js';
import { INBOX_KIND_TEXT, humanize, clock, slaText } from './vocab.js';

let actions = null;
let lastSig = null;
const items = new Map(); // interrupt_id -> element

/** { open(item) }: the operator picked an item of another project. */
export function bindInboxActions(handlers) {
  actions = handlers;
}

export function renderInbox(list, countEl) {
  const sig = `${state.inboxV}|${state.inboxLoaded}|${state.projectId}|${state.loaded}|${canOperate()}`;
  if (sig === lastSig) return;
  lastSig = sig;
  const open = [...state.inbox.values()]
    .sort((a, b) => String(a.created_at ?? '').localeCompare(String(b.created_at ?? '')) || String(a.interrupt_id).localeCompare(String(b.interrupt_id)));
  const breached = open.filter((i) => i.breached).length;
  countEl.textContent = String(open.length);
  countEl.dataset.count = String(open.length);
  countEl.dataset.breached = String(breached);
  countEl.title = `${open.length} open across projects, ${breached} past their SLA`;
  const nodes = open.map(paint);
  const keep = new Set(open.map((i) => i.interrupt_id));
  for (const id of [...items.keys()]) if (!keep.has(id)) items.delete(id);
  keepCards(keep);
  if (!nodes.length) {
    nodes.push(h('p', { class: 'empty-note calm' },
      state.inboxLoaded ? 'Inbox empty — no project waits for an operator.' : 'Loading the operator inbox…'));
  }
  reconcile(list, nodes);
}

function paint(i) {
  const kind = i.kind ?? i.type;
  const due = Date.parse(i.due_at);
  const here = i.project_id === state.projectId;
  // Only an operator's token gets the answer card; a viewer reads the item as it stands.
  const answerable = here && canOperate();
  const sig = JSON.stringify([kind, i.reason, i.breached, i.due_at, here, answerable, i.document_type, i.project_id]);
  let el = items.get(i.interrupt_id);
  if (el && el.dataset.sig === sig) return el;
  if (!el) {
    el = h('article', { class: 'inbox-item' });
    el.addEventListener('click', (e) => {
      if (el.dataset.here === 'true' || !actions) return;
      e.preventDefault();
      actions.open(state.inbox.get(el.dataset.interruptId));
    });
    el.addEventListener('keydown', (e) => {
      if (el.dataset.here === 'true' || !actions) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        actions.open(state.inbox.get(el.dataset.interruptId));
      }
    });
    items.set(i.interrupt_id, el);
  }
  el.dataset.sig = sig;
  el.dataset.interruptId = i.interrupt_id;
  el.dataset.kind = kind;
  el.dataset.project = i.project_id ?? '';
  el.dataset.here = String(here);
  el.dataset.breached = String(!!i.breached);
  el.className = ['inbox-item', `kind-${kind}`, i.breached ? 'breached' : null, here ? 'here' : null].filter(Boolean).join(' ');
  el.tabIndex = here ? -1 : 0;
  el.setAttribute('role', here ? 'group' : 'button');
  el.title = here ? '' : `Open project ${i.project_id} to answer`;
  const since = Date.parse(i.created_at);
  const sla = h('div', { class: 'inbox-foot' },
    h('span', {
      class: ['sla', 'mono', i.breached ? 'passed' : null],
      dataset: { due: Number.isFinite(due) ? due : '' },
      title: i.sla_seconds ? `SLA ${Math.round(i.sla_seconds / 60)} min for ${humanize(i.type ?? kind).toLowerCase()}` : 'No SLA',
    }, slaText(due)),
    i.breached ? h('span', { class: 'sla-flag' }, 'SLA breached') : null);
  if (answerable) {
    el.replaceChildren(interruptCard(i), sla);
    return el;
  }
  el.replaceChildren(
    h('div', { class: 'inbox-head' },
      h('span', { class: 'badge' }, INBOX_KIND_TEXT[kind] ?? humanize(kind)),
      h('span', { class: 'inbox-where' },
        h('span', { class: 'mono inbox-project' }, i.project_id ?? ''),
        ' · ',
        humanize(i.document_type ?? '')),
      h('span', { class: 'waited mono', dataset: { since: Number.isFinite(since) ? since : Date.now() } },
        clock(Date.now() - (Number.isFinite(since) ? since : Date.now())))),
    i.reason ? h('p', { class: 'inbox-reason' }, i.reason) : null,
    sla);
  return el;
}
