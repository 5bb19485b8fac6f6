// The track list: one row per track, grouped by document type in dependency order. Each row
// shows its station sequence as chips (bind → asm → aud, the remediation station drawn as a
// loop back into its audit), a live timer on the station at work, and expands into station
// detail. Families above FANOUT_LIMIT tracks collapse into a "+N more" row; a fan-out's children
// above it collapse into their family's head, which says the server's progress and opens on click.

import { h, svg, reconcile } from './dom.js';
import { canOperate } from './auth.js';
import {
  state, tiers, isExpanded, interruptFor, urgentState, whyOf, workNow, waitNow, inStateNow,
} from './store.js';
import {
  ACTIVE, TERMINAL, STOPPING, URGENCY, CANCEL_KINDS, INTERRUPT_TYPE_TEXT, KIND_TITLE,
  STATION_STATE_TEXT, trackStateText, shortStateText, remediationText, stationLabel,
  humanize, took, clock, timeOfDay, etaText,
} from './vocab.js';

export const FANOUT_LIMIT = 15;
const FANOUT_VISIBLE = 5;

// Loop geometry: keep in step with --chip-w and --conn-w in line.css.
const CHIP_W = 84;
const CONN_W = 22;

const rows = new Map();          // track_id -> { el, parts, sig }
const familyHeads = new Map();   // document_type -> { el, text, toggle }
const fanoutRows = new Map();    // document_type -> element
const openFamilies = new Set();  // fan-out families the operator opened

let actions = null;
let docStates = new Map();       // document_type -> most urgent state of its tracks

/** Wire the row controls to the page: { start, cancel, toggle, showInterrupt, toggleFamily }. */
export function bindTrackActions(handlers) {
  actions = handlers;
}

export function toggleFamily(doc) {
  if (openFamilies.has(doc)) openFamilies.delete(doc);
  else openFamilies.add(doc);
}

export function renderTracks(root) {
  if (!state.loaded) {
    reconcile(root, [h('p', { class: 'empty-note' }, state.waitNote ?? `Loading tracks of project ${state.projectId ?? ''}…`)]);
    return;
  }
  if (state.tracks.size === 0) {
    reconcile(root, [h('p', { class: 'empty-note' },
      'No tracks yet — press Run Full Line to create a track for every document type.')]);
    return;
  }
  const { families, ordered } = tiers();
  docStates = new Map([...families].map(([doc, list]) => [doc, urgentState(list)]));
  const nodes = [];
  const seen = new Set();
  for (const doc of ordered) {
    const list = families.get(doc);
    const parent = fanOutParent(list);
    if (list.length > 1 || parent) nodes.push(familyHead(doc, list, parent));
    // A fan-out collapses on the server's count of its children, not on how many of them the page has heard of yet.
    if (parent && fanOutSize(parent) > FANOUT_LIMIT && !openFamilies.has(doc)) continue; // collapsed into its head until opened
    let visible = list;
    let hidden = [];
    if (list.length > FANOUT_LIMIT && !openFamilies.has(doc)) {
      const sorted = [...list].sort((a, b) => URGENCY.indexOf(a.state) - URGENCY.indexOf(b.state));
      visible = sorted.slice(0, FANOUT_VISIBLE);
      hidden = sorted.slice(FANOUT_VISIBLE);
    }
    for (const t of visible) {
      nodes.push(trackRow(t));
      seen.add(t.track_id);
    }
    if (list.length > FANOUT_LIMIT && !parent) nodes.push(fanoutRow(doc, list, hidden));
  }
  for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);
  reconcile(root, nodes);
}

// ---- one track -------------------------------------------------------------------------

function trackRow(t) {
  let row = rows.get(t.track_id);
  if (!row) {
    row = createRow(t);
    rows.set(t.track_id, row);
  }
  const view = viewOf(t);
  const sig = JSON.stringify(view) + canOperate();
  if (sig !== row.sig) {
    row.sig = sig;
    paintRow(row, t, view);
  }
  paintProgress(row, t);
  return row.el;
}

function createRow(t) {
  const parts = {};
  parts.ident = h('div', { class: 'track-ident', role: 'button', tabindex: '0' });
  parts.stations = h('div', { class: 'stations' });
  parts.buttons = h('div', { class: 'track-buttons' });
  parts.note = h('span', { class: 'cmd-note', role: 'status' });
  parts.menu = cancelMenu(t, parts.note);
  parts.eta = h('span', { class: 'track-eta mono' });
  parts.actions = h('div', { class: 'track-actions' }, parts.eta, parts.buttons, parts.menu, parts.note);
  parts.progress = h('div', { class: 'track-progress' }, h('i'));
  parts.detail = h('div', { class: 'track-detail' });
  const el = h('article', { class: 'track', dataset: { trackId: t.track_id } },
    h('div', { class: 'track-row' }, parts.ident, parts.stations, parts.actions),
    parts.progress,
    parts.detail);
  const toggle = () => actions && actions.toggle(t.track_id);
  parts.ident.addEventListener('click', toggle);
  parts.ident.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(); }
  });
  return { el, parts, sig: null };
}

/** Everything a row shows, as plain data: the row is repainted only when this changes. */
function viewOf(t) {
  const interrupt = interruptFor(t.track_id);
  const why = whyOf(t);
  return {
    state: t.state,
    title: t.title || humanize(t.document_type),
    doc: t.document_type,
    stateText: trackStateText(t),
    sub: why ? why.text : waitText(t, interrupt),
    cause: why ? why.cause : null,
    eta: TERMINAL.has(t.state) ? null : (t.eta_at ?? null),
    etaStop: t.eta_stop ?? null,
    expanded: isExpanded(t),
    rem: [t.remediation_count ?? 0, t.max_remediations ?? null],
    reason: t.reason ?? null,
    interrupt: interrupt ? interrupt.interrupt_id : null,
    asOf: t.as_of,
    version: t.version,
    stations: (t.stations ?? []).map((s) => [s.id, s.kind, s.state, s.work_ms, s.wait_ms, s.working, s.runs, s.capability, s.short]),
    deps: (t.depends_on ?? []).map((d) => [d, depState(d)]),
    entered: t.state_entered_at ?? null,
  };
}

function paintRow(row, t, view) {
  const { el, parts } = row;
  el.dataset.documentType = t.document_type ?? '';
  el.dataset.state = t.state;
  el.dataset.version = String(t.version ?? '');
  el.dataset.expanded = String(view.expanded);
  el.className = `track s-${t.state}${view.expanded ? ' expanded' : ''}`;

  parts.ident.setAttribute('aria-expanded', String(view.expanded));
  parts.ident.replaceChildren(
    h('span', { class: 'caret', 'aria-hidden': 'true' }),
    h('div', { class: 'track-title' },
      h('span', { class: 'title-text', title: view.title }, view.title),
      h('span', { class: 'doc-type' }, view.doc)),
    h('span', { class: 'state-text', dataset: { state: t.state }, title: view.stateText }, view.stateText),
    h('span', { class: 'wait-text', title: view.sub, dataset: { cause: view.cause } }, view.sub),
  );
  paintEta(parts.eta, view);

  parts.stations.replaceChildren(...stationChips(t));

  const buttons = [];
  // A viewer's token gets no control that would change anything (the server refuses them anyway).
  const operate = canOperate();
  if (t.state === 'queued' && operate) {
    buttons.push(h('button', {
      class: 'btn start-production', type: 'button', dataset: { doc: t.document_type },
      onclick: (e) => actions && actions.start(t.document_type, parts.note, e.currentTarget),
    }, 'Start Production'));
  }
  if (view.interrupt && operate) {
    buttons.push(h('button', {
      class: ['btn', 'answer', t.state === 'halted' ? 'btn-halted' : 'btn-attention'], type: 'button',
      onclick: () => actions && actions.showInterrupt(view.interrupt),
    }, t.state === 'halted' ? 'Review' : 'Answer'));
  }
  parts.buttons.replaceChildren(...buttons);
  parts.menu.hidden = TERMINAL.has(t.state) || !operate;

  parts.detail.hidden = !view.expanded;
  if (view.expanded) parts.detail.replaceChildren(...detail(t, view));
  else parts.detail.replaceChildren();
}

/** The row's finish time: when the forecast expects the track to stabilize, ticking down in place. */
function paintEta(el, view) {
  el.hidden = !view.eta && !(view.etaStop && !TERMINAL.has(view.state) && view.state !== 'queued');
  if (view.eta) {
    el.dataset.eta = view.eta;
    el.dataset.until = String(Date.parse(view.eta));
    el.className = 'track-eta mono countdown';
    el.textContent = etaText(view.eta);
    el.title = `Expected to finish at ${timeOfDay(view.eta)}, from the line's forecast`;
  } else {
    delete el.dataset.eta;
    delete el.dataset.until;
    el.className = 'track-eta mono no-eta';
    el.textContent = 'no ETA';
    el.title = view.etaStop ? `No finish time: ${view.etaStop}` : 'No finish time';
  }
}

function paintProgress(row, t) {
  const p = t._progress;
  const bar = row.parts.progress;
  const show = p && p.value != null && (ACTIVE.has(t.state));
  bar.hidden = !show;
  if (show) bar.firstChild.style.width = `${(p.value * 100).toFixed(1)}%`;
  const chipBar = row.parts.stations.querySelector('.station[data-state="active"] .chip-progress i');
  if (chipBar) chipBar.style.width = show ? `${(p.value * 100).toFixed(1)}%` : '0%';
  const msg = row.parts.detail.querySelector('.progress-message');
  if (msg) {
    msg.textContent = p && p.message ? p.message : 'No progress reported by the executor yet';
    const pct = row.parts.detail.querySelector('.progress-pct');
    if (pct) pct.textContent = p && p.value != null ? `${Math.round(p.value * 100)}%` : '—';
    const dbar = row.parts.detail.querySelector('.detail-progress i');
    if (dbar) dbar.style.width = p && p.value != null ? `${(p.value * 100).toFixed(1)}%` : '0%';
  }
  const wait = row.parts.ident.querySelector('.wait-text');
  const why = whyOf(t);
  if (wait && p && p.message && ACTIVE.has(t.state) && (!why || why.moving)) {
    const pct = p.value != null ? `${Math.round(p.value * 100)}% · ` : '';
    wait.textContent = `${pct}${p.message}`;
  }
}

function depState(doc) {
  return docStates.get(doc) ?? 'queued';
}

/** What the track waits for, when the server's why has not said it: its reason, in its state's words. */
function waitText(t, interrupt) {
  if (interrupt) return `${INTERRUPT_TYPE_TEXT[interrupt.type] ?? humanize(interrupt.type)} — ${interrupt.reason || 'answer in the operator inbox'}`;
  if (t.state === 'stabilized') {
    const total = (t.stations ?? []).reduce((sum, s) => sum + (Number(s.work_ms) || 0), 0);
    return total > 0 ? `Production complete · ${took(total)} of station work` : 'Production complete';
  }
  return t.reason || trackStateText(t);
}

// ---- station chips ---------------------------------------------------------------------

function stationChips(t) {
  const list = t.stations ?? [];
  if (!list.length) return [h('span', { class: 'no-stations' }, 'No stations reported')];
  const items = [];
  list.forEach((s, i) => {
    const last = items[items.length - 1];
    if (s.kind === 'remediate' && last && last.kind === 'chip' && last.station.kind === 'audit') {
      items[items.length - 1] = { kind: 'loop', audit: last.station, rem: s };
    } else {
      items.push({ kind: 'chip', station: s, index: i });
    }
  });
  const loops = items.filter((item) => item.kind === 'loop').length;
  // each connector travels with the item after it, so a wrapped line starts with an arrow
  return items.map((item, n) => {
    const body = item.kind === 'loop' ? loop(t, item.audit, item.rem, loops === 1) : chip(t, item.station);
    if (n === 0) return body;
    const prev = items[n - 1];
    const prevStation = prev.kind === 'loop' ? prev.audit : prev.station;
    return h('div', { class: 'step' },
      h('span', { class: ['conn', prevStation.state === 'complete' && 'done'], 'aria-hidden': 'true' }),
      body);
  });
}

function chip(t, s) {
  const st = s.state || 'queued';
  const label = stationLabel(s);
  let timing;
  if (st === 'active' && s.working) {
    // an executor holds the station: its work time ticks (main.js)
    timing = h('span', { class: 'elapsed work', dataset: { baseMs: s.work_ms ?? 0, at: t._asOfMs } }, clock(workNow(t, s)));
  } else if (st === 'active') {
    timing = h('span', { class: 'elapsed waiting', dataset: { baseMs: s.wait_ms ?? 0, at: t._asOfMs }, title: 'waiting for an executor' },
      clock(waitNow(t, s)));
  } else if (st === 'complete') {
    timing = h('span', { class: 'took' }, took(s.work_ms));
  } else if (st === 'awaiting_operator' || st === 'halted') {
    timing = h('span', { class: 'elapsed dim', dataset: { baseMs: t.elapsed_ms ?? 0, at: t._asOfMs } }, clock(inStateNow(t)));
  } else {
    timing = h('span', { class: 'took dim' }, st === 'idle' ? (s.runs ? `${s.runs}×` : '—') : (STATION_STATE_TEXT[st] ?? st));
  }
  const title = `${KIND_TITLE[s.kind] ?? humanize(s.kind)} · ${s.id} — ${STATION_STATE_TEXT[st] ?? st}`
    + ` · worked ${took(s.work_ms ?? 0)}, waited ${took(s.wait_ms ?? 0)} for an executor`
    + (s.runs > 1 ? ` · ${s.runs} runs` : '')
    + (s.capability ? ` · capability ${s.capability}` : '');
  return h('div', {
    class: ['station', `st-${st}`], title,
    dataset: {
      station: s.id, state: st, kind: s.kind, runs: s.runs ?? 0,
      workMs: s.work_ms ?? 0, waitMs: s.wait_ms ?? 0, working: String(!!s.working), asOf: t._asOfMs,
    },
  },
  h('span', { class: 'station-label' }, st === 'complete' ? h('b', { class: 'tick', 'aria-hidden': 'true' }, '✓ ') : null, label),
  timing,
  st === 'active' ? h('span', { class: 'chip-progress' }, h('i')) : null);
}

function loop(t, audit, rem, onlyLoop) {
  const active = rem.state === 'active';
  // remediation_count is per track: with several loops it cannot be pinned on one of them
  const used = onlyLoop && (t.remediation_count ?? 0) > 0;
  const w = CHIP_W * 2 + CONN_W;
  const fromX = CHIP_W + CONN_W + CHIP_W / 2;
  const toX = CHIP_W / 2;
  let label = null;
  if (active) label = `Remediating (${remediationText(t)})`;
  else if (used) label = `remediations ${remediationText(t)}`;
  const curve = svg('svg', {
    class: 'loop-curve', width: w, height: 24, viewBox: `0 0 ${w} 24`, 'aria-hidden': 'true',
  },
  svg('path', {
    class: 'loop-path',
    d: `M ${fromX} 1 C ${fromX} 18, ${toX} 18, ${toX} 3`,
    'marker-end': 'url(#loop-arrow)',
  }),
  label ? svg('text', { class: 'loop-label', x: w / 2, y: 23, 'text-anchor': 'middle' }, label) : null);
  return h('div', {
    class: ['loop', active && 'loop-active', used && 'loop-used'],
    dataset: { remediationCount: t.remediation_count ?? 0 },
    title: `Audit rejected → remediate → audit again (${remediationText(t)})`,
  },
  chip(t, audit),
  h('span', { class: ['conn', 'conn-reject', active && 'hot'], 'aria-hidden': 'true' }),
  chip(t, rem),
  curve);
}

// ---- expanded detail -------------------------------------------------------------------

function detail(t, view) {
  const stationsTable = h('div', { class: 'detail-stations' },
    ...(t.stations ?? []).map((s) => h('div', { class: ['ds', `st-${s.state}`], dataset: { station: s.id } },
      h('span', { class: 'ds-name' }, stationLabel(s)),
      h('span', { class: 'ds-kind' }, KIND_TITLE[s.kind] ?? humanize(s.kind)),
      h('span', { class: 'ds-state' }, STATION_STATE_TEXT[s.state] ?? s.state),
      h('span', { class: 'ds-time' }, s.working
        ? h('span', { class: 'live-clock', dataset: { baseMs: s.work_ms ?? 0, at: t._asOfMs } }, clock(workNow(t, s)))
        : (s.work_ms ? `worked ${took(s.work_ms)}` : '—')),
      h('span', { class: 'ds-wait' }, s.state === 'active' && !s.working
        ? h('span', { class: 'live-clock', dataset: { baseMs: s.wait_ms ?? 0, at: t._asOfMs } }, clock(waitNow(t, s)))
        : (s.wait_ms ? `waited ${took(s.wait_ms)}` : '')),
      h('span', { class: 'ds-runs mono' }, s.runs ? `${s.runs} ${s.runs === 1 ? 'run' : 'runs'}` : ''),
      s.capability ? h('span', { class: 'ds-cap' }, s.capability) : null)));

  const why = whyOf(t);
  const facts = h('dl', { class: 'facts' },
    h('dt', null, 'Track'), h('dd', { class: 'mono' }, t.track_id),
    why ? h('dt', null, 'Why') : null, why ? h('dd', { class: 'why-cause mono' }, why.cause.replace(/_/g, ' ')) : null,
    view.eta ? h('dt', null, 'Expected finish') : null, view.eta ? h('dd', { class: 'mono' }, timeOfDay(view.eta)) : null,
    h('dt', null, 'In state since'), h('dd', { class: 'mono' }, t.state_entered_at ? timeOfDay(t.state_entered_at) : '—'),
    h('dt', null, 'Remediations'), h('dd', { class: 'mono' }, `${t.remediation_count ?? 0}/${t.max_remediations ?? '?'}`),
    h('dt', null, 'Depends on'), h('dd', null, (t.depends_on ?? []).length
      ? (t.depends_on).map((d) => h('span', { class: ['dep', `s-${depState(d)}`], dataset: { state: depState(d) } }, humanize(d)))
      : h('span', { class: 'dim' }, 'nothing — first tier')));

  const parts = [facts, stationsTable];
  if (ACTIVE.has(t.state)) {
    parts.push(h('div', { class: 'detail-progress-row' },
      h('div', { class: 'detail-progress' }, h('i')),
      h('span', { class: 'progress-pct mono' }, '—'),
      h('span', { class: 'progress-message' }, 'No progress reported by the executor yet')));
  }
  if (view.reason && !view.sub.includes(view.reason)) {
    parts.push(h('p', { class: 'detail-reason' }, h('span', { class: 'dim' }, 'Reason '), view.reason));
  }
  if (STOPPING.has(t.state) && view.interrupt) {
    parts.push(h('p', { class: 'detail-reason attention' },
      t.state === 'halted'
        ? 'Review the findings in the operator inbox: re-run the station with notes, or acknowledge and continue.'
        : 'Answer it in the operator inbox on the right; the track resumes with the answer.'));
  }
  return parts;
}

// ---- cancel menu -----------------------------------------------------------------------

function cancelMenu(t, note) {
  const kind = h('select', { class: 'cancel-kind', 'aria-label': 'Cancellation kind' },
    ...CANCEL_KINDS.map((k) => h('option', { value: k.kind }, `${k.text} — ${k.hint}`)));
  const reason = h('input', {
    class: 'cancel-reason', type: 'text', placeholder: 'Reason (kept in the audit log)', 'aria-label': 'Reason',
  });
  const menu = h('details', { class: 'track-menu' },
    h('summary', { title: 'Track actions', 'aria-label': 'Track actions' }, '⋯'),
    h('form', {
      class: 'menu-panel',
      onsubmit: (e) => {
        e.preventDefault();
        if (!reason.value.trim()) {
          note.textContent = 'Give a reason for the cancellation';
          note.dataset.tone = 'refused';
          reason.focus();
          return;
        }
        actions && actions.cancel(t.track_id, kind.value, reason.value.trim(), note, () => {
          menu.open = false;
          reason.value = '';
        });
      },
    },
    h('div', { class: 'menu-title' }, 'Cancel this track'),
    kind, reason,
    h('button', { class: 'btn btn-danger cancel-track', type: 'submit' }, 'Cancel track')));
  return menu;
}

// ---- family rows -----------------------------------------------------------------------

/** The track whose fan-out made these children (the server's view of it carries the progress), or null. */
function fanOutParent(list) {
  const id = list.find((t) => t.parent_track_id)?.parent_track_id;
  const parent = id ? state.tracks.get(id) : null;
  return parent && parent.fan_out ? parent : null;
}

/** How many children the server counts in the fan-out of {@code parent} ({@code fan_out.children}). */
function fanOutSize(parent) {
  return parent.fan_out.children ?? 0;
}

function familyHead(doc, list, parent) {
  let head = familyHeads.get(doc);
  if (!head) {
    // The toggle is made once and kept: a progress update repaints the text around it, so a
    // keyboard user's focus stays on it while the children move.
    const toggle = h('button', {
      class: 'btn btn-ghost fanout-toggle', type: 'button', onclick: () => actions && actions.toggleFamily(doc),
    });
    head = { el: h('div', { class: 'family-head', dataset: { documentType: doc } }), text: h('span', { class: 'family-text' }), toggle };
    head.el.append(head.text, toggle);
    familyHeads.set(doc, head);
  }
  const { el, toggle } = head;
  const done = list.filter((t) => t.state === 'stabilized').length;
  const st = urgentState(list);
  const open = openFamilies.has(doc);
  // A fan-out says its progress as the server counts it ("12 of 30 stabilized"); the page does not count it again.
  const progress = parent ? parent.fan_out.progress : null;
  const size = parent ? fanOutSize(parent) : list.length;
  const collapsible = parent && size > FANOUT_LIMIT;
  const sig = `${list.length}|${size}|${done}|${st}|${progress}|${open}|${collapsible}`;
  if (el.dataset.sig !== sig) {
    el.dataset.sig = sig;
    el.dataset.state = st;
    el.dataset.collapsed = String(!!collapsible && !open);
    el.className = `family-head s-${st}`;
    head.text.replaceChildren(
      h('span', { class: 'family-title' }, humanize(doc)),
      progress
        ? h('span', { class: 'family-count mono' }, `fan-out of ${humanize(parent.document_type).toLowerCase()} · `,
          h('span', { class: 'fanout-progress', dataset: { parentTrackId: parent.track_id } }, progress))
        : h('span', { class: 'family-count mono' }, `${list.length} tracks · ${done}/${list.length} stabilized`),
      size > FANOUT_LIMIT ? h('span', { class: 'fanout-tag' }, 'fan-out') : null,
      distribution(list));
    toggle.hidden = !collapsible;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Collapse' : `Show all ${size}`;
  }
  return el;
}

function fanoutRow(doc, list, hidden) {
  let el = fanoutRows.get(doc);
  if (!el) {
    el = h('div', { class: 'fanout-summary', dataset: { documentType: doc } });
    fanoutRows.set(doc, el);
  }
  const open = openFamilies.has(doc);
  const counts = countStates(hidden);
  const sig = `${open}|${list.length}|${hidden.length}|${JSON.stringify(counts)}`;
  if (el.dataset.sig !== sig) {
    el.dataset.sig = sig;
    el.dataset.open = String(open);
    el.dataset.hidden = String(hidden.length);
    const breakdown = Object.entries(counts)
      .sort((a, b) => URGENCY.indexOf(a[0]) - URGENCY.indexOf(b[0]))
      .map(([s, n]) => h('span', { class: ['fo-count', `s-${s}`] }, h('i'), `${n} ${shortStateText(s).toLowerCase()}`));
    el.replaceChildren(
      h('button', {
        class: 'btn btn-ghost fanout-toggle', type: 'button', 'aria-expanded': String(open),
        onclick: () => actions && actions.toggleFamily(doc),
      }, open ? `Show fewer (${FANOUT_VISIBLE} of ${list.length})` : `+${hidden.length} more`),
      open
        ? h('span', { class: 'dim' }, `all ${list.length} ${humanize(doc).toLowerCase()} tracks shown`)
        : h('span', { class: 'fo-breakdown' }, ...breakdown));
  }
  return el;
}

function countStates(list) {
  const counts = {};
  for (const t of list) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return counts;
}

function distribution(list) {
  const counts = countStates(list);
  const bar = h('span', { class: 'distribution', title: Object.entries(counts).map(([s, n]) => `${n} ${shortStateText(s)}`).join(' · ') });
  for (const s of URGENCY.slice().reverse()) {
    if (!counts[s]) continue;
    bar.append(h('i', { class: `s-${s}`, style: { flex: String(counts[s]) } }));
  }
  return bar;
}

/** Bring a document type's first row into view and flash it. */
export function flashDocument(doc) {
  const el = document.querySelector(`.track[data-document-type="${CSS.escape(doc)}"]`)
    ?? document.querySelector(`.family-head[data-document-type="${CSS.escape(doc)}"]`);
  if (!el) return;
  el.scrollIntoView({ behavior: 'smooth', block: 'center' });
  el.classList.remove('flash');
  void el.offsetWidth;
  el.classList.add('flash');
}

