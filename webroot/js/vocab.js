// Production vocabulary (SPEC §2): every text an operator reads about a state comes from here.

export const TRACK_STATES = [
  'queued', 'blocked', 'binding', 'assembling', 'auditing', 'remediating',
  'awaiting_operator', 'halted', 'stabilized', 'escalated', 'cancelled',
];

/** A station is doing work for these track states. */
export const ACTIVE = new Set(['binding', 'assembling', 'auditing', 'remediating']);
/** Final states: the track never moves again. */
export const TERMINAL = new Set(['stabilized', 'escalated', 'cancelled']);
/** States that stop the line until an operator acts. */
export const STOPPING = new Set(['awaiting_operator', 'halted']);

/** Most urgent first: used to colour a fan-out family and to sort its rows. */
export const URGENCY = [
  'awaiting_operator', 'halted', 'remediating', 'auditing', 'assembling', 'binding',
  'queued', 'blocked', 'escalated', 'cancelled', 'stabilized',
];

export const KIND_SHORT = { bind: 'bind', assemble: 'asm', audit: 'aud', remediate: 'rem' };
export const KIND_TITLE = { bind: 'Bind', assemble: 'Assemble', audit: 'Audit', remediate: 'Remediate' };

export const LINE_STATE_TEXT = {
  idle: 'Idle', active: 'Active', stopped: 'Stopped', complete: 'Complete',
};

export const INTERRUPT_TYPE_TEXT = {
  clarification: 'Clarification',
  audit_review: 'Audit review',
  constraint_conflict: 'Constraint conflict',
  approval: 'Approval',
};

export const INBOX_KIND_TEXT = {
  approval: 'Approval',
  clarification: 'Clarification',
  constraint_conflict: 'Constraint conflict',
  audit_review: 'Audit review',
  halt: 'Halt',
};

export const CANCEL_KINDS = [
  { kind: 'qc_reject', text: 'QC reject', hint: 'a replacement track is started' },
  { kind: 'redesign', text: 'Redesign', hint: 'the track is re-bound from the current definition' },
  { kind: 'permanent', text: 'Cancel permanently', hint: 'dependents become blocked' },
];

export function remediationText(t) {
  const max = t.max_remediations ?? '?';
  const n = Math.max(t.remediation_count ?? 0, t.state === 'remediating' ? 1 : 0);
  return `${n}/${max}`;
}

/** The full state text of a track, exactly as SPEC §2 words it. */
export function trackStateText(t) {
  switch (t.state) {
    case 'queued': return 'Queued';
    case 'blocked': return 'Blocked (awaiting dependencies)';
    case 'binding': return 'Binding…';
    case 'assembling': return 'Assembling…';
    case 'auditing': return 'Auditing…';
    case 'remediating': return `Remediating (${remediationText(t)})`;
    case 'awaiting_operator': return 'Line stopped: input required';
    case 'halted': return 'Production halted — requires review';
    case 'stabilized': return 'Stabilized';
    case 'escalated': return 'Escalated';
    case 'cancelled': return 'Cancelled';
    default: return t.state ? humanize(t.state) : 'Unknown state';
  }
}

/** A short state label for tight places (graph nodes, pills in lists). */
export function shortStateText(state, t) {
  switch (state) {
    case 'blocked': return 'Blocked';
    case 'binding': return 'Binding';
    case 'assembling': return 'Assembling';
    case 'auditing': return 'Auditing';
    case 'remediating': return t ? `Remediating ${remediationText(t)}` : 'Remediating';
    case 'awaiting_operator': return 'Input required';
    case 'halted': return 'Halted';
    default: return trackStateText({ state });
  }
}

export const STATION_STATE_TEXT = {
  queued: 'queued',
  active: 'at work',
  complete: 'complete',
  idle: 'not in use',
  awaiting_operator: 'input required',
  halted: 'halted',
};

export function humanize(id) {
  const s = String(id ?? '').replace(/[_-]+/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : '';
}

export function stationLabel(st) {
  return st.short || KIND_SHORT[st.kind] || st.id || '?';
}

// ---- figures ---------------------------------------------------------------------------

const pad2 = (n) => String(n).padStart(2, '0');

/** A running clock: 00:08, 01:04, 1:02:03. */
export function clock(ms) {
  const total = Math.max(0, Math.floor((ms ?? 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${pad2(m)}:${pad2(s)}`;
}

/** A finished duration: 150 ms, 8.2 s, 1 m 04 s, 2 h 03 m. */
export function took(ms) {
  if (ms == null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${pad2(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad2(Math.floor((s % 3600) / 60))} m`;
}

/** How long ago: now, 4 s ago, 3 m ago, 2 h ago. */
export function ago(ms) {
  if (ms == null || !Number.isFinite(ms)) return 'never';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 2) return 'now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} m ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

export function timeOfDay(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** A span in whole seconds for countdowns: 42 s, 3 m 05 s, 2 h 10 m. */
export function span(ms) {
  const s = Math.max(0, Math.ceil((ms ?? 0) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${pad2(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad2(Math.floor((s % 3600) / 60))} m`;
}

/** Time left until a moment: in 42 s, in 3 m 05 s; "now" once it has come. */
export function until(ms) {
  if (ms == null || !Number.isFinite(ms)) return '—';
  if (ms <= 500) return 'now';
  return `in ${span(ms)}`;
}

/** A finish time as the line shows it: ETA 14:02:05 · in 1 m 05 s. */
export function etaText(iso, now = Date.now()) {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return 'no ETA';
  return `ETA ${timeOfDay(iso)} · ${until(at - now)}`;
}

/** An SLA countdown: 4 m 10 s left, or passed 1 m 02 s ago. */
export function slaText(dueMs, now = Date.now()) {
  if (!Number.isFinite(dueMs)) return 'no SLA';
  const left = dueMs - now;
  return left > 0 ? `SLA ${span(left)} left` : `SLA passed ${span(-left)} ago`;
}

/** A share as a percentage: 0.375 -> 38 %. */
export function pct(v) {
  return v == null || !Number.isFinite(Number(v)) ? '—' : `${Math.round(Number(v) * 100)} %`;
}

/** A rate per minute: 3.25/min. */
export function perMin(v) {
  if (v == null || !Number.isFinite(Number(v))) return '—';
  const n = Number(v);
  return `${n >= 10 ? n.toFixed(0) : n.toFixed(1)}/min`;
}
