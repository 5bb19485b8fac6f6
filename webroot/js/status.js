// The line status bar ("Production Line: Active | 3/7 Stabilized"), the state counts, the
// queue depth, the bridge state and the "No executors available" banners.

import { h, reconcile } from './dom.js';
import { canOperate } from './auth.js';
import { state, summary, lineState } from './store.js';
import { LINE_STATE_TEXT, humanize, plural, etaText, timeOfDay } from './vocab.js';

const COUNTS = [
  ['active', 'active', 's-assembling'],
  ['queued', 'queued', 's-queued'],
  ['blocked', 'blocked', 's-blocked'],
  ['awaiting_operator', 'input required', 's-awaiting_operator'],
  ['halted', 'halted', 's-halted'],
  ['escalated', 'escalated', 's-escalated'],
  ['cancelled', 'cancelled', 's-cancelled'],
  ['stabilized', 'stabilized', 's-stabilized'],
];

const BRIDGE_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

let lastSig = null;

export function renderStatus(els, bridgeState) {
  const s = summary();
  const ls = state.loaded ? lineState() : state.refusal ? 'unknown' : 'loading';
  const head = state.head ?? {};
  const sig = JSON.stringify([s, ls, bridgeState, state.queue, state.noExecutorsFor, state.loaded, state.waitNote, (head.interrupts ?? []).length,
    state.lineTitle, head.line_version, state.projectId, head.eta_at, head.finish_at_moving, state.refusal]);
  if (sig === lastSig) return;
  lastSig = sig;

  // "Production Line: Active | 3/7 Stabilized" — textContent is exactly that sentence
  const lineText = ls === 'loading' ? 'Loading' : ls === 'unknown' ? `no project ${state.projectId}` : (LINE_STATE_TEXT[ls] ?? humanize(ls));
  els.lineStatus.dataset.lineState = ls;
  els.lineStatus.replaceChildren(
    h('span', { class: 'ls-name' }, 'Production Line: '),
    h('span', { class: 'ls-state' }, lineText),
    h('span', { class: 'ls-sep' }, ' | '),
    h('span', { class: 'ls-frac mono' }, `${s.stabilized ?? 0}/${s.total ?? 0}`),
    h('span', { class: 'ls-word' }, ' Stabilized'));
  els.lineNote.textContent = lineNote(ls, s);
  els.lineTitle.textContent = (state.lineTitle || (state.line ? humanize(state.line) : ''))
    + (head.line_version ? ` · v${head.line_version}` : '');

  els.summary.replaceChildren(...COUNTS.map(([key, label, cls]) => h('span', {
    class: ['count', cls, !s[key] && 'zero'], dataset: { key, count: s[key] ?? 0 }, title: `${s[key] ?? 0} ${label}`,
  }, h('i', { class: 'dot' }), h('b', { class: 'mono' }, String(s[key] ?? 0)), ` ${label}`)));

  const depth = state.queue?.depth ?? 0;
  els.queueDepth.dataset.depth = String(depth);
  els.queueDepth.replaceChildren(h('span', { class: 'qd-label' }, 'Queue '), h('b', { class: 'mono' }, String(depth)));
  els.queueDepth.title = `${plural(depth, 'station task')} waiting for an executor`;

  els.bridgeState.dataset.state = bridgeState;
  els.bridgeState.replaceChildren(h('i', { class: 'dot' }), BRIDGE_TEXT[bridgeState] ?? humanize(bridgeState));
  els.bridgeState.title = bridgeState === 'live'
    ? 'Live updates over the event-bus bridge'
    : 'The event-bus bridge is not connected; updates resume when it is';

  els.runFullLine.hidden = !canOperate(); // a viewer's token gets no control that changes anything
  els.runFullLine.disabled = bridgeState !== 'live' || !state.loaded;
  els.runFullLine.title = bridgeState !== 'live'
    ? 'Waiting for the event-bus bridge'
    : ls === 'complete' ? `Nothing to start: ${s.stabilized}/${s.total} stabilized` : 'Start every track whose dependencies are stabilized';

  renderEta(els.lineEta, ls, s);
  renderBanners(els.banners);
  document.title = `${lineText} ${s.stabilized ?? 0}/${s.total ?? 0} · ${state.projectId ?? ''} · Production Line`;
}

function lineNote(ls, s) {
  if (ls === 'loading' || ls === 'unknown') return state.waitNote ?? `Loading line state of project ${state.projectId ?? ''}…`;
  const open = (state.head?.interrupts ?? []).length;
  switch (ls) {
    case 'idle':
      return s.total ? 'Idle — press Run Full Line to start every track whose dependencies are clear' : 'Idle — no tracks yet';
    case 'active': {
      const bits = [];
      if (s.active) bits.push(`${plural(s.active, 'track')} at a station`);
      if (s.queued) bits.push(`${s.queued} queued`);
      if (s.blocked) bits.push(`${s.blocked} blocked on dependencies`);
      return `Active — ${bits.join(', ') || 'tracks moving'}`;
    }
    case 'stopped': {
      const bits = [];
      if (open) bits.push(`${plural(open, 'interrupt')} ${open === 1 ? 'awaits' : 'await'} an operator`);
      if (s.halted) bits.push(`${plural(s.halted, 'track')} halted, requires review`);
      return `Stopped — ${bits.join('; ') || 'input required'}. Other tracks keep moving.`;
    }
    case 'complete':
      return `Complete — ${s.stabilized} stabilized${s.escalated ? `, ${s.escalated} escalated` : ''}${s.cancelled ? `, ${s.cancelled} cancelled` : ''}`;
    default:
      return '';
  }
}

/** The project's finish time from the forecast, ticking down in place (main.js). */
function renderEta(el, ls, s) {
  if (!el) return;
  const open = (s.total ?? 0) - (s.stabilized ?? 0) - (s.escalated ?? 0) - (s.cancelled ?? 0);
  if (!state.loaded || ls === 'complete' || ls === 'idle' || open === 0) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  const etaAt = state.head?.eta_at;
  const finishMoving = state.head?.finish_at_moving;
  if (etaAt) {
    el.dataset.eta = etaAt;
    el.className = 'line-eta mono countdown';
    el.textContent = etaText(etaAt);
    el.title = `The project is expected to finish at ${timeOfDay(etaAt)} (see Plan)`;
  } else {
    delete el.dataset.eta;
    el.className = 'line-eta mono no-eta';
    el.textContent = finishMoving ? `No ETA — moving tracks done at ${timeOfDay(finishMoving)}` : 'No ETA — the line waits';
    el.title = 'Some tracks wait for an operator or an executor; see Plan for why';
  }
}

function renderBanners(root) {
  const nodes = [];
  for (const cap of state.noExecutorsFor ?? []) {
    const waiting = state.queue?.by_capability?.[cap] ?? 0;
    nodes.push(h('div', { class: 'banner no-executors', role: 'status', dataset: { capability: cap } },
      h('b', null, `No executors available for ${cap}`),
      h('span', null, waiting
        ? ` — ${plural(waiting, 'station task')} queued; work starts as soon as an executor with capability ${cap} connects.`
        : ` — work starts as soon as an executor with capability ${cap} connects.`)));
  }
  reconcile(root, nodes);
}
