// What the dashboard holds: what the server said last. GET /production once (and after a
// reconnect or a missed event), then the events of the project's dashboard channel (pl.view.P),
// each carrying the view of the track it changed and the project's head exactly as
// GET /production renders them. Nothing here works out a state, a count or a time: a view that
// arrives replaces the one held, when it is newer. Renderers read `state`; they never change it.

import { ACTIVE, STOPPING, URGENCY } from './vocab.js';

const HEARTBEAT_STALE_MS = 60_000;

export const state = {
  projectId: null,
  line: null,
  lineTitle: null,
  head: null,              // the project's head: summary, line_state, eta_at, finish_at_moving, last_seq, interrupts
  lastSeq: -1,             // the last project event applied in order (a hole that stays open reloads)
  loaded: false,
  loading: false,
  waitNote: null,          // what the dashboard waits for before it can show the line
  buffer: [],
  tracks: new Map(),       // track_id -> the server's view of the track (+ _asOfMs, _progress)
  executors: new Map(),    // executor_id -> executor (+ _seenAt, _pulse)
  queue: { depth: 0, by_capability: {} },
  noExecutorsFor: [],
  overrides: new Map(),    // track_id -> expanded true/false chosen by the operator
  focusRemediating: null,  // the one remediating track that auto-expands
  flow: null,              // the project's flow metrics (GET /production/metrics, then flow_metrics)
  flowV: 0,
  inbox: new Map(),        // interrupt_id -> inbox item, across projects (GET /api/v1/inbox, then pl.inbox)
  inboxLoaded: false,
  inboxAsOf: '',
  inboxV: 0,
  slaActions: [],          // what the SLA policy did lately, newest first (the inbox's sla_actions)
  projects: null,          // the project selector's list (GET /api/v1/projects, then pl.projects)
  projectsV: 0,
  refusal: null,           // the server's refusal of this project (an unknown project: the projects there are)
};

const listeners = new Set();
export function subscribe(fn) { listeners.add(fn); }
export function changed() { for (const fn of listeners) fn(); }

let reloadListener = () => {};
/** Called when what arrived cannot be applied (a hole in the sequence, a change without its view). */
export function onReload(listener) { reloadListener = listener; }

export function reset(projectId) {
  state.projectId = projectId;
  state.line = null;
  state.lineTitle = null;
  state.head = null;
  state.lastSeq = -1;
  state.loaded = false;
  state.loading = false;
  state.waitNote = null;
  state.refusal = null;
  state.buffer = [];
  state.tracks = new Map();
  state.overrides = new Map();
  state.focusRemediating = null;
  state.flow = null;
  state.flowV++;
  early.clear();
  changed();
}

export function beginLoad() {
  state.loading = true;
  if (state.waitNote) {
    state.waitNote = null;
    changed();
  }
}

/** Say what the dashboard waits for while it has no line state. */
export function waitingFor(note, refusal = null) {
  state.waitNote = note;
  state.refusal = refusal;
  changed();
}

export function abandonLoad() {
  state.loading = false;
  const buffered = state.buffer;
  state.buffer = [];
  if (state.loaded) for (const ev of buffered) apply(ev);
  changed();
}

// ---- what the server says ----------------------------------------------------------------

/** A GET /production body: everything is replaced. */
export function applySnapshot(snap) {
  const previous = state.tracks;
  state.projectId = snap.project_id ?? state.projectId;
  state.line = snap.line ?? null;
  state.lineTitle = snap.line_title ?? null;
  state.head = null;
  applyHead(snap);
  state.lastSeq = Number.isFinite(snap.last_seq) ? snap.last_seq : 0;
  state.tracks = new Map();
  for (const view of snap.tracks ?? []) {
    const old = previous.get(view.track_id);
    applyTrack(view, old && old.current_station === view.current_station ? old._progress : null);
  }
  if (Array.isArray(snap.executors)) {
    const executors = new Map();
    const now = Date.now();
    for (const e of snap.executors) {
      const prev = state.executors.get(e.executor_id);
      executors.set(e.executor_id, { ...e, _seenAt: heartbeatAt(e.last_heartbeat, now), _pulse: prev ? prev._pulse : 0 });
    }
    state.executors = executors;
  }
  for (const id of [...state.overrides.keys()]) if (!state.tracks.has(id)) state.overrides.delete(id);
  state.loaded = true;
  state.loading = false;
  state.waitNote = null;
  state.refusal = null;
  for (const seq of [...early.keys()]) if (seq <= state.lastSeq) early.delete(seq);
  const buffered = state.buffer;
  state.buffer = [];
  for (const ev of buffered) apply(ev);
  refocus();
  changed();
}

/** The project's head, when it is at least as new as the one held. */
function applyHead(head) {
  if (!head) return;
  const held = state.head;
  if (held && Number(head.last_seq) < Number(held.last_seq)) return;
  if (held && head.last_seq === held.last_seq && String(head.as_of ?? '') < String(held.as_of ?? '')) return;
  state.head = head;
  if (head.queue) state.queue = { depth: head.queue.depth ?? 0, by_capability: head.queue.by_capability ?? {} };
  if (Array.isArray(head.no_executors_for)) state.noExecutorsFor = [...head.no_executors_for];
}

/** A track's view, when it is at least as new as the one held (its version, then its as_of). */
function applyTrack(view, progress) {
  const held = state.tracks.get(view.track_id);
  if (held && (view.version < held.version || (view.version === held.version && String(view.as_of) < String(held.as_of)))) return;
  const t = { ...view, _asOfMs: Date.parse(view.as_of) || Date.now() };
  t._progress = progress !== undefined ? progress : (held && held.current_station === t.current_station ? held._progress : null);
  if (held && held.state !== t.state) {
    t._enteredAt = Date.now();
    const wasWorking = ACTIVE.has(held.state) || STOPPING.has(held.state);
    const isWorking = ACTIVE.has(t.state) || STOPPING.has(t.state);
    if ((isWorking && !wasWorking) || t.state === 'stabilized') state.overrides.delete(t.track_id);
  } else if (held) {
    t._enteredAt = held._enteredAt;
  }
  state.tracks.set(t.track_id, t);
}

// ---- events --------------------------------------------------------------------------------

/** One event of the project's dashboard channel, or of pl.executors. */
export function ingest(ev) {
  if (!ev || typeof ev !== 'object') return;
  if (ev.type === 'executor_status' || (!ev.type && ev.executor_id)) {
    executorStatus(ev);
    changed();
    return;
  }
  if (ev.type === 'queue_depth') {
    state.queue = { depth: ev.depth ?? 0, by_capability: ev.by_capability ?? {} };
    if (Array.isArray(ev.no_executors_for)) state.noExecutorsFor = [...ev.no_executors_for];
    changed();
    return;
  }
  if (ev.project && state.projectId && ev.project !== state.projectId) return;
  if (!state.loaded || state.loading) {
    state.buffer.push(ev);
    return;
  }
  apply(ev);
  refocus();
  changed();
}

// Stored events carry seq 1, 2, 3, … with no hole. One that arrives after a hole is applied at
// once (its views are newer than anything held) and the hole is given a grace time to fill;
// a hole that stays open means a missed event, and the snapshot is read again.
const early = new Map();
let gapTimer = null;
const GAP_GRACE_MS = 1500;

function apply(ev) {
  if (ev.project_view) applyHead(ev.project_view);
  // A fan-out child's event comes with its parent's view: the fan-out's progress, as the server counts it.
  if (ev.parent_view) applyTrack(ev.parent_view);
  if (ev.track_view) applyTrack(ev.track_view);
  else if (ev.track_id && CHANGES_A_TRACK.has(ev.type) && !(typeof ev.seq === 'number' && ev.seq <= state.lastSeq)) {
    // the server could not read the view that goes with this change: ask for the whole line
    reloadListener();
  }
  switch (ev.type) {
    case 'task_progress': taskProgress(ev); break;
    case 'flow_metrics': applyFlowMetrics(ev); break;
    default: break;
  }
  if (typeof ev.seq === 'number') sequenced(ev.seq);
}

const CHANGES_A_TRACK = new Set(['station_transition', 'line_stopped', 'interrupt_resolved', 'production_complete',
  'work_item_complete', 'task_requeued', 'task_claimed']);

function sequenced(seq) {
  if (seq <= state.lastSeq) return;
  early.set(seq, true);
  while (early.has(state.lastSeq + 1)) {
    early.delete(state.lastSeq + 1);
    state.lastSeq += 1;
  }
  if (early.size === 0) {
    clearTimeout(gapTimer);
    gapTimer = null;
  } else if (gapTimer === null) {
    gapTimer = setTimeout(() => {
      gapTimer = null;
      if (early.size > 0) reloadListener();
    }, GAP_GRACE_MS);
  }
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
}

// ---- line analytics --------------------------------------------------------------------------

/**
 * The project's flow metrics (a GET /production/metrics body or a flow_metrics event): kept for
 * the Inspect and Plan views; a track's why and ETA are taken when they are newer than its view.
 */
export function applyFlowMetrics(m) {
  if (!m || (m.project_id ?? m.project) !== state.projectId) return;
  if (state.flow && state.flow.as_of && m.as_of && m.as_of < state.flow.as_of) return;
  state.flow = m;
  state.flowV++;
  for (const x of m.tracks ?? []) {
    const t = state.tracks.get(x.track_id);
    if (!t || x.state !== t.state || String(m.as_of ?? '') <= String(t.as_of ?? '')) continue;
    t.why = x.why ?? null;
    t.eta_at = x.eta_at ?? null;
    t.eta_stop = x.eta_stop ?? null;
  }
}

export function applyFlowSnapshot(m) {
  applyFlowMetrics(m);
  changed();
}

/** The server's why of a track. */
export function whyOf(t) {
  return t.why ?? null;
}

// ---- the operator inbox and the projects ------------------------------------------------------

/** A GET /api/v1/inbox body, or an `inbox` event of pl.inbox carrying the same: the inbox is replaced. */
export function applyInbox(body) {
  if (!body || !Array.isArray(body.items)) return;
  if (state.inboxLoaded && String(body.as_of ?? '') < state.inboxAsOf) return;
  state.inbox = new Map();
  for (const i of body.items) state.inbox.set(i.interrupt_id, { ...i });
  state.slaActions = Array.isArray(body.sla_actions) ? body.sla_actions : [];
  state.inboxAsOf = String(body.as_of ?? '');
  state.inboxLoaded = true;
  state.inboxV++;
  changed();
}

/** One event of pl.inbox: every one carries the whole inbox. */
export function ingestInbox(ev) {
  if (ev && ev.inbox) applyInbox(ev.inbox);
}

/** A GET /api/v1/projects body. */
export function applyProjects(body) {
  state.projects = new Map((body.projects ?? []).map((p) => [p.project_id, p]));
  state.projectsV++;
  changed();
}

/** One event of pl.projects: a project created, its counts changed, or archived (it leaves the list). */
export function ingestProject(ev) {
  if (!ev || !ev.project_id || !state.projects) return;
  if (ev.archived_at) {
    // archived: it leaves the selector (and stays readable by its id)
    if (state.projects.delete(ev.project_id)) {
      state.projectsV++;
      changed();
    }
    return;
  }
  const held = state.projects.get(ev.project_id);
  if (held && Number(ev.last_seq) < Number(held.last_seq ?? -1)) return;
  state.projects.set(ev.project_id, { ...held, ...ev });
  state.projectsV++;
  changed();
}

// ---- reading ---------------------------------------------------------------------------------

export function summary() {
  return state.head?.summary ?? { total: 0 };
}

export function lineState() {
  return state.head?.line_state ?? 'idle';
}

export function interruptFor(trackId) {
  const t = state.tracks.get(trackId);
  return t ? t.interrupt ?? null : null;
}

/** A station's work time now: what the server said, plus the time since, while an executor holds it. */
export function workNow(t, s, now = Date.now()) {
  return (Number(s.work_ms) || 0) + (s.working ? Math.max(0, now - t._asOfMs) : 0);
}

/** A station's wait for an executor now: what the server said, plus the time since, while it is queued. */
export function waitNow(t, s, now = Date.now()) {
  const queued = s.state === 'active' && !s.working;
  return (Number(s.wait_ms) || 0) + (queued ? Math.max(0, now - t._asOfMs) : 0);
}

/** How long the track has been in its state now. */
export function inStateNow(t, now = Date.now()) {
  const ticking = !['stabilized', 'escalated', 'cancelled'].includes(t.state);
  return (Number(t.elapsed_ms) || 0) + (ticking ? Math.max(0, now - t._asOfMs) : 0);
}

export function executorOnTrack(trackId) {
  const t = state.tracks.get(trackId);
  const id = t && t.current_task && t.current_task.status === 'claimed' ? t.current_task.executor_id : null;
  return id ? state.executors.get(id) ?? { executor_id: id } : null;
}

function heartbeatAt(iso, now = Date.now()) {
  const beat = Date.parse(iso);
  return Number.isFinite(beat) ? Math.min(beat, now) : now;
}

export function isOffline(x, now = Date.now()) {
  return x.status === 'offline' || now - (x._seenAt ?? 0) > HEARTBEAT_STALE_MS;
}

// ---- expansion (presentation) ----------------------------------------------------------------

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
  changed();
}

export function expandDocument(documentType) {
  for (const t of state.tracks.values()) {
    if (t.document_type === documentType) state.overrides.set(t.track_id, true);
  }
  changed();
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
