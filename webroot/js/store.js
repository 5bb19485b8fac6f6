// The dashboard's model of one project's line: the /production snapshot plus every bridge
// event applied after it, in sequence order. Renderers read `state` and the derived helpers;
// they never change it.

import { ACTIVE, STOPPING, TERMINAL, TRACK_STATES, URGENCY } from './vocab.js';

const HEARTBEAT_STALE_MS = 60_000;

export const state = {
  projectId: null,
  line: null,
  lineTitle: null,
  serverLineState: null,
  lastSeq: -1,
  loaded: false,
  loading: false,          // a /production request is in flight: events are buffered
  waitNote: null,          // what the dashboard waits for before it can show the line
  buffer: [],
  tracks: new Map(),       // track_id -> track (+ local fields prefixed with _)
  interrupts: new Map(),   // interrupt_id -> interrupt
  executors: new Map(),    // executor_id -> executor (+ _seenAt, _pulse)
  queue: { depth: 0, by_capability: {} },
  noExecutorsFor: [],
  overrides: new Map(),    // track_id -> expanded true/false chosen by the operator
  focusRemediating: null,  // the one remediating track that auto-expands
  flow: null,              // the project's flow metrics, bottleneck and forecast (GET /production/metrics, then flow_metrics)
  flowV: 0,                // bumped when flow changes: renderers compare it
  inbox: new Map(),        // interrupt_id -> inbox item, across projects (GET /api/v1/inbox, then pl.inbox)
  inboxLoaded: false,
  inboxV: 0,
  etaAt: null,             // when the project is expected to finish (null: it waits for an operator, or is done)
  finishMoving: null,      // when the tracks that can finish will have finished
};

const listeners = new Set();
export function subscribe(fn) { listeners.add(fn); }
export function changed() { for (const fn of listeners) fn(); }

export function reset(projectId) {
  state.projectId = projectId;
  state.line = null;
  state.lineTitle = null;
  state.serverLineState = null;
  state.lastSeq = -1;
  state.loaded = false;
  state.loading = false;
  state.waitNote = null;
  state.buffer = [];
  state.tracks = new Map();
  state.interrupts = new Map();
  state.overrides = new Map();
  state.focusRemediating = null;
  state.flow = null;
  state.flowV++;
  state.etaAt = null;
  state.finishMoving = null;
  changed();
}

export function beginLoad() {
  state.loading = true;
  if (state.waitNote) {
    state.waitNote = null;
    changed();
  }
}

/** Say what the dashboard waits for while it has no line state (null: just loading). */
export function waitingFor(note) {
  state.waitNote = note;
  changed();
}

export function abandonLoad() {
  state.loading = false;
  if (state.loaded) replayBuffer();
  changed();
}

// ---- snapshot --------------------------------------------------------------------------

export function applySnapshot(snap) {
  const now = Date.now();
  const previous = state.tracks;
  state.projectId = snap.project_id ?? state.projectId;
  state.line = snap.line ?? null;
  state.lineTitle = snap.line_title ?? null;
  state.lineVersion = snap.line_version ?? null;
  state.serverLineState = snap.line_state ?? null;
  state.lastSeq = Number.isFinite(snap.last_seq) ? snap.last_seq : 0;
  state.etaAt = snap.eta_at ?? null;
  state.finishMoving = snap.finish_at_moving ?? null;

  state.tracks = new Map();
  for (const raw of snap.tracks ?? []) {
    const t = { ...raw, stations: (raw.stations ?? []).map((s) => ({ ...s })) };
    const active = activeStation(t);
    const base = active ? active.elapsed_ms : t.elapsed_ms;
    t._timer = { baseMs: Number(base) || 0, at: now };
    t._v = 0;
    const old = previous.get(t.track_id);
    if (old && old._progress && old.current_station === t.current_station) t._progress = old._progress;
    t._whyState = t.why ? t.state : null;
    state.tracks.set(t.track_id, t);
  }

  state.interrupts = new Map();
  for (const i of snap.interrupts ?? []) state.interrupts.set(i.interrupt_id, { ...i });

  if (Array.isArray(snap.executors)) {
    const executors = new Map();
    for (const e of snap.executors) {
      const prev = state.executors.get(e.executor_id);
      executors.set(e.executor_id, { ...e, _seenAt: heartbeatAt(e.last_heartbeat, now), _pulse: prev ? prev._pulse : 0 });
    }
    state.executors = executors;
  }
  if (snap.queue) state.queue = { depth: snap.queue.depth ?? 0, by_capability: snap.queue.by_capability ?? {} };
  if (Array.isArray(snap.no_executors_for)) state.noExecutorsFor = [...snap.no_executors_for];

  for (const id of [...state.overrides.keys()]) if (!state.tracks.has(id)) state.overrides.delete(id);
  state.loaded = true;
  state.loading = false;
  state.waitNote = null;
  refocus();

  dropCovered();
  replayBuffer();
  changed();
}

/** Events that arrived while a snapshot was loading, applied as if they arrived now. */
function replayBuffer() {
  const buffered = state.buffer;
  state.buffer = [];
  for (const ev of buffered) {
    if (typeof ev.seq === 'number' && !isExecutorEvent(ev)) ingestInOrder(ev);
    else applyEvent(ev);
  }
}

// ---- events ----------------------------------------------------------------------------

/**
 * Take one event from the bridge. Returns 'unknown' when it names a track the dashboard
 * does not know (the caller then refetches /production once).
 */
export function ingest(ev) {
  if (!ev || typeof ev !== 'object') return undefined;
  if (!state.loaded || state.loading) {
    // executor status is not part of the project snapshot's sequence: apply it at once
    if (isExecutorEvent(ev)) {
      applyEvent(ev);
      changed();
    } else {
      state.buffer.push(ev);
    }
    return undefined;
  }
  if (typeof ev.seq === 'number' && !isExecutorEvent(ev)) {
    return ingestInOrder(ev);
  }
  const outcome = applyEvent(ev);
  changed();
  return outcome;
}

// A project's events carry seq 1, 2, 3, … with no hole. Delivery over the bridge can cross event
// loops and nodes, so an event may arrive before the one just ahead of it: hold it back and apply
// the project's events strictly in order. A hole that stays open means a missed event: the
// caller then reloads the snapshot (returns 'gap').
const early = new Map();
let gapTimer = null;
let gapListener = () => {};
const GAP_GRACE_MS = 1500;

/** Called when a hole in the sequence stays open past the grace time: reload the snapshot. */
export function onGap(listener) {
  gapListener = listener;
}

function ingestInOrder(ev) {
  if (ev.seq <= state.lastSeq) return undefined;
  early.set(ev.seq, ev);
  let outcome;
  while (early.has(state.lastSeq + 1)) {
    const next = early.get(state.lastSeq + 1);
    early.delete(next.seq);
    if (applyEvent(next) === 'unknown') outcome = 'unknown';
    state.lastSeq = Math.max(state.lastSeq, next.seq);
  }
  changed();
  if (early.size === 0) {
    clearTimeout(gapTimer);
    gapTimer = null;
  } else if (gapTimer === null) {
    // One timer per hole, not a poll: it fires once, and only if the hole is still open then.
    gapTimer = setTimeout(() => {
      gapTimer = null;
      if (early.size > 0) gapListener();
    }, GAP_GRACE_MS);
  }
  return outcome;
}

/** The snapshot moved lastSeq on: forget held events it already covers. */
export function dropCovered() {
  for (const seq of [...early.keys()]) if (seq <= state.lastSeq) early.delete(seq);
  if (early.size === 0) {
    clearTimeout(gapTimer);
    gapTimer = null;
  }
}

function isExecutorEvent(ev) {
  return ev.type === 'executor_status' || ev.type === 'queue_depth' || (!ev.type && ev.executor_id);
}

function applyEvent(ev) {
  const type = ev.type ?? (ev.executor_id ? 'executor_status' : undefined);
  if (type === 'executor_status') return executorStatus(ev);
  if (type === 'queue_depth') return queueDepth(ev);
  if (ev.project && state.projectId && ev.project !== state.projectId) return undefined;

  const sequenced = typeof ev.seq === 'number';
  if (sequenced && ev.seq <= state.lastSeq) return undefined;

  let outcome;
  switch (type) {
    case 'station_transition': outcome = stationTransition(ev); break;
    case 'line_stopped': outcome = lineStopped(ev); break;
    case 'interrupt_resolved': state.interrupts.delete(ev.interrupt_id); break;
    case 'production_complete': outcome = productionComplete(ev); break;
    case 'line_progress':
      if (ev.line_state) state.serverLineState = ev.line_state;
      break;
    case 'task_progress': taskProgress(ev); break;
    case 'flow_metrics': applyFlowMetrics(ev); break;
    case 'sla_breached': slaBreached(ev); break;
    default: break;
  }
  if (outcome === 'unknown') return outcome;
  if (sequenced) state.lastSeq = ev.seq;
  refocus();
  return outcome;
}

function stationTransition(ev) {
  const t = state.tracks.get(ev.track_id);
  if (!t) return 'unknown';
  const now = Date.now();
  // close the clock of the station that was at work
  const was = activeStation(t);
  if (was) was.elapsed_ms = liveElapsed(t, now);

  const before = t.state;
  if (TRACK_STATES.includes(ev.state)) t.state = ev.state;
  if (ev.station != null) t.current_station = ev.station;
  if (ev.station_index != null) t.station_index = ev.station_index;
  if (ev.remediation_count != null) t.remediation_count = ev.remediation_count;
  if (ev.max_remediations != null) t.max_remediations = ev.max_remediations;
  if ('reason' in ev) t.reason = ev.reason;
  if (ev.at) t.state_entered_at = ev.at;
  t.elapsed_ms = Number(ev.elapsed_ms) || 0;
  t._timer = { baseMs: t.elapsed_ms, at: now };
  restation(t, ev.station, ev.station_index);
  if (was && was !== activeStation(t)) t._progress = null;
  entered(t, before);
  return undefined;
}

function lineStopped(ev) {
  const t = state.tracks.get(ev.track_id);
  state.interrupts.set(ev.interrupt_id, {
    interrupt_id: ev.interrupt_id,
    track_id: ev.track_id,
    document_type: ev.document_type,
    type: ev.interrupt_type,
    reason: ev.reason,
    payload: ev.payload ?? {},
    created_at: ev.at ?? new Date().toISOString(),
  });
  if (!t) return 'unknown';
  if (ACTIVE.has(t.state) || t.state === 'queued') {
    const before = t.state;
    const was = activeStation(t);
    if (was) was.elapsed_ms = liveElapsed(t);
    t.state = ev.interrupt_type === 'audit_review' ? 'halted' : 'awaiting_operator';
    if (ev.reason) t.reason = ev.reason;
    t._timer = { baseMs: 0, at: Date.now() };
    restation(t, t.current_station, t.station_index);
    entered(t, before);
  }
  return undefined;
}

function productionComplete(ev) {
  const t = state.tracks.get(ev.track_id) ?? [...state.tracks.values()].find(
    (x) => !ev.track_id && x.document_type === ev.document_type && !TERMINAL.has(x.state));
  if (!t) return ev.track_id ? 'unknown' : undefined;
  if (TRACK_STATES.includes(ev.outcome) && t.state !== ev.outcome) {
    const before = t.state;
    const was = activeStation(t);
    if (was) was.elapsed_ms = liveElapsed(t);
    t.state = ev.outcome;
    restation(t, t.current_station, t.station_index);
    t._progress = null;
    entered(t, before);
  }
  return undefined;
}

function taskProgress(ev) {
  const t = state.tracks.get(ev.track_id);
  if (!t) return;
  const value = Number(ev.progress);
  t._progress = {
    value: Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : null,
    message: ev.message ?? '',
    task_id: ev.task_id,
  };
}

function executorStatus(ev) {
  const prev = state.executors.get(ev.executor_id) ?? {};
  state.executors.set(ev.executor_id, {
    ...prev,
    ...ev,
    _seenAt: heartbeatAt(ev.last_heartbeat),
    _pulse: (prev._pulse ?? 0) + 1,
  });
  return undefined;
}

function queueDepth(ev) {
  state.queue = { depth: ev.depth ?? 0, by_capability: ev.by_capability ?? {} };
  if (Array.isArray(ev.no_executors_for)) state.noExecutorsFor = [...ev.no_executors_for];
  return undefined;
}

// ---- line analytics --------------------------------------------------------------------

/**
 * The project's flow metrics (a GET /production/metrics body or a flow_metrics event): kept for
 * the Inspect and Plan views; each track's why and ETA go on its row.
 */
export function applyFlowMetrics(m) {
  if (!m || (m.project_id ?? m.project) !== state.projectId) return;
  if (state.flow && state.flow.as_of && m.as_of && m.as_of < state.flow.as_of) return;
  state.flow = m;
  state.flowV++;
  for (const x of m.tracks ?? []) {
    const t = state.tracks.get(x.track_id);
    if (!t) continue;
    t.why = x.why ?? null;
    t._whyState = x.state;
    t.eta_at = x.eta_at ?? null;
    t.eta_stop = x.eta_stop ?? null;
  }
  if (m.forecast) {
    state.etaAt = m.forecast.eta_at ?? null;
    state.finishMoving = m.forecast.finish_at_moving ?? null;
  }
}

/** The server's why of a track, when it speaks of the state the track is in now. */
export function whyOf(t) {
  return t.why && t._whyState === t.state ? t.why : null;
}

export function applyFlowSnapshot(m) {
  applyFlowMetrics(m);
  changed();
}

/** What the operator is asked for: an audit review the circuit breaker did not open is a halt. */
export function inboxKind(type, reason) {
  if (type === 'audit_review' && !String(reason ?? '').startsWith('circuit breaker')) return 'halt';
  return type;
}

export function applyInbox(body) {
  state.inbox = new Map();
  for (const i of body.items ?? []) state.inbox.set(i.interrupt_id, { ...i });
  state.inboxLoaded = true;
  state.inboxV++;
  changed();
}

/** One event of pl.inbox: an interrupt opened or closed anywhere, or an SLA passed. */
export function ingestInbox(ev) {
  if (!ev || typeof ev !== 'object') return;
  if (ev.type === 'inbox_opened') {
    if (!state.inbox.has(ev.interrupt_id)) {
      const opened = Date.parse(ev.created_at);
      const due = Number.isFinite(opened) && ev.sla_seconds ? new Date(opened + ev.sla_seconds * 1000).toISOString() : null;
      state.inbox.set(ev.interrupt_id, {
        interrupt_id: ev.interrupt_id,
        project_id: ev.project,
        track_id: ev.track_id,
        document_type: ev.document_type,
        type: ev.interrupt_type,
        kind: inboxKind(ev.interrupt_type, ev.reason),
        reason: ev.reason,
        created_at: ev.created_at,
        sla_seconds: ev.sla_seconds ?? null,
        due_at: due,
        breached: false,
      });
    }
  } else if (ev.type === 'inbox_closed') {
    state.inbox.delete(ev.interrupt_id);
  } else if (ev.type === 'sla_breached') {
    slaBreached(ev);
    return;
  } else {
    return;
  }
  state.inboxV++;
  changed();
}

function slaBreached(ev) {
  const item = state.inbox.get(ev.interrupt_id);
  if (item && !item.breached) {
    item.breached = true;
    item.breached_at = ev.breached_at;
    state.inboxV++;
  }
  const i = state.interrupts.get(ev.interrupt_id);
  if (i) i.sla_breached = true;
}

/** An operator answer was accepted: drop the interrupt without waiting for the event. */
export function resolvedLocally(interruptId) {
  state.interrupts.delete(interruptId);
  if (state.inbox.delete(interruptId)) state.inboxV++;
  changed();
}

// ---- stations --------------------------------------------------------------------------

function stationIndex(t, stationId, index) {
  const list = t.stations ?? [];
  if (stationId != null) {
    const i = list.findIndex((s) => s.id === stationId);
    if (i >= 0) return i;
  }
  if (Number.isInteger(index) && index >= 0 && index < list.length) return index;
  return -1;
}

/** Recompute every station's state from the track's state and its current station. */
function restation(t, stationId, index) {
  const list = t.stations ?? [];
  if (!list.length) return;
  const st = t.state;
  const at = stationIndex(t, stationId, index);
  list.forEach((s, i) => {
    const loop = s.kind === 'remediate';
    if (st === 'queued' || st === 'blocked') {
      s.state = loop ? 'idle' : 'queued';
      s.elapsed_ms = 0;
    } else if (st === 'stabilized') {
      s.state = loop ? 'idle' : 'complete';
    } else if (st === 'escalated' || st === 'cancelled') {
      if (s.state === 'active') s.state = loop ? 'idle' : 'queued';
    } else if (at < 0) {
      // no station named: leave the chips as they are
    } else if (i === at) {
      if (st === 'awaiting_operator' || st === 'halted') s.state = st;
      else s.state = 'active';
      if (s.state === 'active') s.elapsed_ms = t.elapsed_ms ?? 0;
    } else if (loop) {
      s.state = 'idle';
    } else if (i < at) {
      s.state = 'complete';
    } else {
      s.state = 'queued';
    }
  });
  // while remediating, the audit the loop returns to will run again
  if (st === 'remediating' && at > 0 && list[at].kind === 'remediate') {
    for (let i = at - 1; i >= 0; i--) {
      if (list[i].kind === 'audit') { list[i].state = 'queued'; break; }
    }
  }
}

export function activeStation(t) {
  return (t.stations ?? []).find((s) => s.state === 'active' || s.state === 'awaiting_operator') ?? null;
}

export function liveElapsed(t, now = Date.now()) {
  const timer = t._timer ?? { baseMs: t.elapsed_ms ?? 0, at: now };
  return timer.baseMs + Math.max(0, now - timer.at);
}

// ---- expansion -------------------------------------------------------------------------

function entered(t, before) {
  t._v = (t._v ?? 0) + 1;
  t._enteredAt = Date.now();
  const wasWorking = ACTIVE.has(before) || STOPPING.has(before);
  const isWorking = ACTIVE.has(t.state) || STOPPING.has(t.state);
  // a track that becomes active (or stabilizes) goes back to automatic expansion
  if ((isWorking && !wasWorking) || t.state === 'stabilized') state.overrides.delete(t.track_id);
}

function refocus() {
  const focus = state.focusRemediating && state.tracks.get(state.focusRemediating);
  if (focus && focus.state === 'remediating') return;
  state.focusRemediating = null;
  let best = null;
  for (const t of state.tracks.values()) {
    if (t.state !== 'remediating' || state.overrides.get(t.track_id) === false) continue;
    if (!best || (t._enteredAt ?? 0) > (best._enteredAt ?? 0)) best = t;
  }
  if (best) state.focusRemediating = best.track_id;
}

/** Tracks expand when active, collapse when done; one remediating track at most. */
export function isExpanded(t) {
  if (state.overrides.has(t.track_id)) return state.overrides.get(t.track_id);
  if (t.state === 'remediating') return state.focusRemediating === t.track_id;
  return ACTIVE.has(t.state) || STOPPING.has(t.state);
}

export function toggleExpanded(trackId) {
  const t = state.tracks.get(trackId);
  if (!t) return;
  state.overrides.set(trackId, !isExpanded(t));
  t._v = (t._v ?? 0) + 1;
  changed();
}

export function expandDocument(documentType) {
  for (const t of state.tracks.values()) {
    if (t.document_type === documentType) state.overrides.set(t.track_id, true);
  }
  changed();
}

// ---- derived ---------------------------------------------------------------------------

export function summary() {
  const s = {
    total: 0, stabilized: 0, active: 0, blocked: 0, queued: 0,
    awaiting_operator: 0, halted: 0, escalated: 0, cancelled: 0,
  };
  for (const t of state.tracks.values()) {
    s.total++;
    if (ACTIVE.has(t.state)) s.active++;
    else if (t.state in s) s[t.state]++;
  }
  return s;
}

export function lineState() {
  const s = summary();
  if (s.total === 0) return state.serverLineState ?? 'idle';
  if (state.interrupts.size > 0 || s.halted > 0 || s.awaiting_operator > 0) return 'stopped';
  if (s.stabilized + s.escalated + s.cancelled === s.total) return 'complete';
  if (s.active > 0) return 'active';
  return state.serverLineState === 'idle' || !state.serverLineState ? 'idle' : 'active';
}

export function interruptFor(trackId) {
  for (const i of state.interrupts.values()) if (i.track_id === trackId) return i;
  return null;
}

export function executorOnTrack(trackId) {
  for (const x of state.executors.values()) {
    const task = x.current_task;
    if (task && typeof task === 'object' && task.track_id === trackId && !isOffline(x)) return x;
  }
  return null;
}

/** When the executor last beat: its last_heartbeat (never in the future), else now. */
function heartbeatAt(iso, now = Date.now()) {
  const beat = Date.parse(iso);
  return Number.isFinite(beat) ? Math.min(beat, now) : now;
}

export function isOffline(x, now = Date.now()) {
  return x.status === 'offline' || now - (x._seenAt ?? 0) > HEARTBEAT_STALE_MS;
}

/** Most urgent state among some tracks (colours a fan-out family). */
export function urgentState(tracks) {
  let best = null;
  for (const t of tracks) {
    const rank = URGENCY.indexOf(t.state);
    if (rank >= 0 && (best === null || rank < best)) best = rank;
  }
  return best === null ? 'queued' : URGENCY[best];
}

/**
 * Document types in dependency tiers (left to right by depth), the tracks of each type, and
 * the edges between types. Within a tier, types sit near the types they depend on.
 */
export function tiers() {
  const families = new Map();
  for (const t of state.tracks.values()) {
    const key = t.document_type ?? t.track_id;
    if (!families.has(key)) families.set(key, []);
    families.get(key).push(t);
  }
  const deps = new Map();
  for (const [doc, list] of families) {
    const set = new Set();
    for (const t of list) for (const d of t.depends_on ?? []) if (families.has(d) && d !== doc) set.add(d);
    deps.set(doc, [...set]);
  }
  const depth = new Map();
  const visiting = new Set();
  const depthOf = (doc) => {
    if (depth.has(doc)) return depth.get(doc);
    if (visiting.has(doc)) return 0; // a cycle: the server refuses these; stay calm anyway
    visiting.add(doc);
    let d = 0;
    for (const dep of deps.get(doc)) d = Math.max(d, depthOf(dep) + 1);
    visiting.delete(doc);
    depth.set(doc, d);
    return d;
  };
  const order = [...families.keys()];
  for (const doc of order) depthOf(doc);

  const columns = [];
  for (const doc of order) {
    const d = depth.get(doc);
    while (columns.length <= d) columns.push([]);
    columns[d].push(doc);
  }
  const position = new Map();
  columns.forEach((col, c) => {
    if (c > 0) {
      const center = (doc) => {
        const ds = deps.get(doc).filter((x) => position.has(x));
        if (!ds.length) return Number.MAX_SAFE_INTEGER;
        return ds.reduce((sum, x) => sum + position.get(x), 0) / ds.length;
      };
      const firstSeen = new Map(col.map((doc, i) => [doc, i]));
      col.sort((a, b) => center(a) - center(b) || firstSeen.get(a) - firstSeen.get(b));
    }
    col.forEach((doc, i) => position.set(doc, i));
  });
  return { families, deps, depth, columns, ordered: columns.flat() };
}
