// The control center's Inspect and Plan modes, drawn from the project's flow metrics
// (GET /production/metrics once, then every flow_metrics event the line pushes).
//   Inspect: flow per station (the bottleneck highlighted, with its evidence), per document
//            type and for the line; remediation loops; executor utilisation per capability.
//   Plan:    when the project finishes and why it might not, each track's finish on a time
//            line, capacity per capability, and what one more executor would change.

import { h, svg, reconcile } from './dom.js';
import { state, whyOf } from './store.js';
import {
  KIND_TITLE, humanize, took, timeOfDay, etaText, pct, perMin, trackStateText, TERMINAL,
} from './vocab.js';

let inspectSig = null;
let planSig = null;

const p50 = (x) => (x && x.p50 != null ? took(x.p50) : '—');
const p90 = (x) => (x && x.p90 != null ? took(x.p90) : '—');

function waitingNote(text) {
  return h('p', { class: 'empty-note' }, text);
}

// ---- Inspect -----------------------------------------------------------------------------

export function renderInspect(root) {
  const m = state.flow;
  const sig = `${state.flowV}|${state.projectId}|${state.loaded}`;
  if (sig === inspectSig) return;
  inspectSig = sig;
  if (!m) {
    reconcile(root, [waitingNote(state.loaded ? 'Flow metrics arrive with the first move of the line…'
      : `Loading flow metrics of project ${state.projectId ?? ''}…`)]);
    return;
  }
  root.replaceChildren(
    h('div', { class: 'inspect-top' }, bottleneckCard(m), lineCard(m)),
    h('section', { class: 'panel flow-panel' },
      h('header', { class: 'panel-head' },
        h('h2', null, 'Flow per station'),
        h('span', { class: 'panel-hint' }, scopeText(m))),
      stationTable(m)),
    h('div', { class: 'inspect-grid' },
      h('section', { class: 'panel' },
        h('header', { class: 'panel-head' }, h('h2', null, 'Remediation loops')),
        loops(m)),
      h('section', { class: 'panel' },
        h('header', { class: 'panel-head' }, h('h2', null, 'Executor utilisation'),
          h('span', { class: 'panel-hint' }, 'busy time ÷ (window × executors online)')),
        utilisation(m)),
      h('section', { class: 'panel' },
        h('header', { class: 'panel-head' }, h('h2', null, 'Per document type')),
        typeTable(m))));
}

function scopeText(m) {
  const n = m.scope?.projects ?? 0;
  const mins = Math.round((m.window_seconds ?? 300) / 60);
  return `line ${m.line} · ${n} project${n === 1 ? '' : 's'} in the last ${mins} min · updated ${timeOfDay(m.as_of)}`;
}

function bottleneckCard(m) {
  const b = m.bottleneck;
  if (!b) {
    return h('section', { id: 'bottleneck', class: 'panel bottleneck-card calm', dataset: { station: '' } },
      h('header', { class: 'panel-head' }, h('h2', null, 'Bottleneck')),
      h('p', { class: 'empty-note calm below-capacity' }, m.capacity ?? 'The line runs below capacity.'));
  }
  const e = b.evidence ?? {};
  const figures = [
    ['Demand', e.demand == null ? 'no executor' : pct(e.demand), 'of what its executors can do'],
    ['Utilisation', pct(e.utilisation), `${e.executors ?? 0} executor${e.executors === 1 ? '' : 's'} with ${b.capability}`],
    ['Queued', String(e.queued ?? 0), e.queued > 0 && e.queue_growth_per_min > 0 ? `growing ${perMin(e.queue_growth_per_min)}` : 'not growing'],
    ['Wait p50 / p90', `${p50(e.wait_ms)} / ${p90(e.wait_ms)}`, 'queued → claimed'],
    ['Per run', e.mean_service_ms == null ? 'not measured yet' : took(e.mean_service_ms), 'recent mean'],
    ['Next station', e.next_highest_demand == null ? '—' : pct(e.next_highest_demand), 'the next highest demand'],
  ];
  const st = (m.stations ?? []).find((s) => s.station === b.station && s.document_type === b.document_type);
  return h('section', {
    id: 'bottleneck', class: 'panel bottleneck-card',
    dataset: { station: b.station, documentType: b.document_type, capability: b.capability, measured: String(!!(st && st.measured)) },
  },
  h('header', { class: 'panel-head' },
    h('h2', null, 'Bottleneck'),
    h('span', { class: 'bn-where' }, h('b', { class: 'mono' }, b.station), ` of ${humanize(b.document_type)}`,
      h('span', { class: 'cap' }, b.capability))),
  h('p', { class: 'bn-reason' }, b.reason),
  h('dl', { class: 'bn-evidence' }, ...figures.flatMap(([k, v, hint]) => [
    h('dt', null, k), h('dd', null, h('b', { class: 'mono' }, v), h('span', { class: 'dim' }, ` ${hint}`))])));
}

function lineCard(m) {
  const l = m.line_metrics ?? {};
  const rows = [
    ['Work in progress', String(l.wip ?? 0), `${l.stopped ?? 0} stopped for an operator`],
    ['Started / finished', `${perMin(l.arrivals_per_min)} / ${perMin(l.completions_per_min)}`, `${l.finished ?? 0} finished in the window`],
    ['Cycle p50 / p90', `${p50(l.cycle_ms)} / ${p90(l.cycle_ms)}`, 'first station queued → finished'],
    ['Wait p50 / p90', `${p50(l.wait_ms)} / ${p90(l.wait_ms)}`, 'per station task'],
    ['First-pass yield', pct(l.first_pass_yield), 'tracks whose audits passed the first time'],
    ['Remediation rate', pct(l.remediation_rate), `of ${l.audit_runs ?? 0} audit runs rejected`],
    ['Cycle at this pace', l.littles_law_cycle_ms == null ? '—' : took(l.littles_law_cycle_ms), 'work in progress ÷ tracks finished per minute'],
  ];
  return h('section', { id: 'line-flow', class: 'panel line-card' },
    h('header', { class: 'panel-head' }, h('h2', null, 'The line'), h('span', { class: 'panel-hint' }, humanize(m.line_title ?? m.line))),
    h('dl', { class: 'line-figures' }, ...rows.flatMap(([k, v, hint]) => [
      h('dt', null, k), h('dd', null, h('b', { class: 'mono' }, v), h('span', { class: 'dim' }, ` ${hint}`))])));
}

function bar(value, cls) {
  const v = value == null ? 1 : Math.max(0, Math.min(1, Number(value)));
  return h('span', { class: ['bar', cls] }, h('i', { style: { width: `${(v * 100).toFixed(1)}%` } }));
}

function stationTable(m) {
  const head = h('div', { class: 'flow-row flow-head' },
    ...['Station', 'Capability', 'WIP', 'In / out', 'Wait p50 · p90', 'Cycle p50 · p90', 'Per run', 'Demand', 'Yield · rem.']
      .map((t) => h('span', null, t)));
  const rows = (m.stations ?? []).map((s) => {
    const isB = !!s.bottleneck;
    return h('div', {
      class: ['flow-row', 'flow-station', isB && 'bottleneck', s.kind === 'remediate' && 'rem-station'],
      dataset: { documentType: s.document_type, station: s.station, bottleneck: String(isB), kind: s.kind },
      title: `${KIND_TITLE[s.kind] ?? humanize(s.kind)} station ${s.station} of ${s.document_type}`,
    },
    h('span', { class: 'fs-name' }, h('b', { class: 'mono' }, s.short ?? s.station), h('span', { class: 'dim' }, ` ${humanize(s.document_type)}`),
      isB ? h('span', { class: 'bn-tag' }, 'bottleneck') : null),
    h('span', { class: 'mono dim' }, s.capability),
    h('span', { class: 'mono' }, `${s.queued ?? 0} queued · ${s.in_service ?? 0} at work`),
    h('span', { class: 'mono' }, `${perMin(s.arrivals_per_min)} / ${perMin(s.completions_per_min)}`),
    h('span', { class: 'mono' }, `${p50(s.wait_ms)} · ${p90(s.wait_ms)}`),
    h('span', { class: 'mono' }, `${p50(s.cycle_ms)} · ${p90(s.cycle_ms)}`),
    h('span', { class: 'mono', title: s.measured ? 'mean of its recent runs' : `not measured yet; the forecast assumes ${took(s.model_service_ms)}` },
      s.mean_service_ms == null ? '—' : took(s.mean_service_ms), s.measured ? null : h('span', { class: 'dim' }, ' ~')),
    h('span', { class: 'demand' }, bar(s.demand, s.demand == null || s.demand >= 0.85 ? 'hot' : s.demand >= 0.6 ? 'warm' : null),
      h('span', { class: 'mono' }, s.demand == null ? 'no executor' : pct(s.demand))),
    h('span', { class: 'mono' }, s.kind === 'audit' ? `${pct(s.first_pass_yield)} · ${pct(s.remediation_rate)}` : '—'));
  });
  return h('div', { id: 'flow-stations', class: 'flow-table' }, head, ...rows);
}

function loops(m) {
  const list = m.remediation_loops ?? [];
  if (!list.length) return h('p', { class: 'empty-note calm' }, 'No audit with a remediation loop on this line.');
  return h('div', { id: 'remediation-loops', class: 'loops' }, ...list.map((l) => {
    const w = 150;
    return h('div', { class: ['loop-stat', l.remediating_now > 0 && 'hot'], dataset: { audit: l.audit, documentType: l.document_type } },
      h('div', { class: 'loop-glyph' },
        h('span', { class: 'mono chip-mini' }, l.audit),
        h('span', { class: 'mono chip-mini rem' }, l.remediation),
        svg('svg', { class: 'loop-curve', width: w, height: 18, viewBox: `0 0 ${w} 18`, 'aria-hidden': 'true' },
          svg('path', { class: 'loop-path', d: `M ${w - 40} 1 C ${w - 40} 16, 30 16, 30 3`, 'marker-end': 'url(#loop-arrow)' }))),
      h('div', { class: 'loop-figures' },
        h('span', null, h('b', { class: 'mono' }, String(l.loops ?? 0)), ` loop${l.loops === 1 ? '' : 's'} in ${l.audit_runs ?? 0} audit runs`),
        h('span', null, 'first-pass yield ', h('b', { class: 'mono' }, pct(l.first_pass_yield))),
        h('span', null, 'remediation rate ', h('b', { class: 'mono' }, pct(l.remediation_rate))),
        h('span', null, h('b', { class: 'mono' }, String(l.remediating_now ?? 0)), ' remediating now'),
        h('span', { class: 'dim' }, humanize(l.document_type))));
  }));
}

function utilisation(m) {
  const caps = m.capabilities ?? [];
  if (!caps.length) return h('p', { class: 'empty-note calm' }, 'No executor capability in use yet.');
  const hot = m.bottleneck?.capability;
  return h('div', { id: 'capability-use', class: 'caps' }, ...caps.map((c) => h('div', {
    class: ['cap-row', c.capability === hot && 'bottleneck'], dataset: { capability: c.capability },
  },
  h('span', { class: 'mono' }, c.capability),
  bar(c.utilisation, c.utilisation >= 0.85 ? 'hot' : c.utilisation >= 0.6 ? 'warm' : null),
  h('span', { class: 'mono' }, pct(c.utilisation)),
  h('span', { class: 'dim' }, `${c.busy ?? 0}/${c.executors ?? 0} busy · ${c.queued ?? 0} queued`))));
}

function typeTable(m) {
  const types = m.document_types ?? [];
  return h('div', { id: 'flow-types', class: 'types' }, ...types.map((t) => h('div', { class: 'type-row', dataset: { documentType: t.document_type } },
    h('b', null, humanize(t.title ?? t.document_type)),
    h('span', { class: 'dim' }, `${t.wip ?? 0} in progress · ${t.finished ?? 0} finished · ${perMin(t.completions_per_min)}`),
    h('span', { class: 'mono' }, `cycle ${p50(t.cycle_ms)} · ${p90(t.cycle_ms)}`),
    h('span', { class: 'mono' }, `yield ${pct(t.first_pass_yield)} · rem. ${pct(t.remediation_rate)}`),
    t.blocked_ms && t.blocked_ms.p50 != null ? h('span', { class: 'mono dim' }, `blocked ${p50(t.blocked_ms)}`) : null)));
}

// ---- Plan --------------------------------------------------------------------------------

export function renderPlan(root) {
  const m = state.flow;
  const trackSig = [...state.tracks.values()].map((t) => [t.track_id, t.state, t.eta_at, t._whyState, t.why && t.why.text]);
  const sig = JSON.stringify([state.flowV, state.projectId, state.loaded, state.head?.eta_at, trackSig]);
  if (sig === planSig) return;
  planSig = sig;
  if (!m && !state.loaded) {
    reconcile(root, [waitingNote(`Loading the forecast of project ${state.projectId ?? ''}…`)]);
    return;
  }
  const f = m?.forecast ?? {};
  root.replaceChildren(
    h('div', { class: 'plan-top' }, finishCard(f), capacityCard(f)),
    h('section', { class: 'panel' },
      h('header', { class: 'panel-head' }, h('h2', null, 'When each track finishes'),
        h('span', { class: 'panel-hint' }, 'from now to the expected finish; bars move as the line does')),
      timeline()),
    h('section', { class: 'panel' },
      h('header', { class: 'panel-head' }, h('h2', null, 'One more executor'),
        h('span', { class: 'panel-hint' }, 'the same forecast, run again with one more executor of each capability')),
      whatIf(f)),
    modelNote(f));
}

function finishCard(f) {
  const eta = state.head?.eta_at ?? f.eta_at ?? null;
  const moving = state.head?.finish_at_moving ?? f.finish_at_moving ?? null;
  const stopped = f.stopped ?? [];
  const unfinished = f.unfinished ?? [...state.tracks.values()].filter((t) => !TERMINAL.has(t.state)).length;
  let big;
  let sub;
  if (unfinished === 0) {
    big = h('span', { class: 'plan-eta done' }, 'Complete');
    sub = 'Every track of the project is finished.';
  } else if (eta) {
    big = h('span', { class: 'plan-eta mono countdown', dataset: { until: Date.parse(eta), eta } }, etaText(eta));
    sub = `${unfinished} track${unfinished === 1 ? '' : 's'} to go · finishes at ${timeOfDay(eta)}`;
  } else {
    big = h('span', { class: 'plan-eta none' }, 'No finish time yet');
    sub = moving ? `The tracks that can move are done by ${timeOfDay(moving)}; the rest wait:` : 'The remaining tracks wait:';
  }
  return h('section', { id: 'plan-finish', class: 'panel finish-card', dataset: { eta: eta ?? '' } },
    h('header', { class: 'panel-head' }, h('h2', null, 'Project finish')),
    h('div', { class: 'finish-body' }, big, h('p', { class: 'finish-sub' }, sub),
      stopped.length ? h('ul', { class: 'stops' }, ...stopped.map((s) => h('li', { dataset: { trackId: s.track_id } },
        h('b', null, humanize(s.document_type)), ` — ${s.stop}`))) : null,
      f.basis ? h('p', { class: 'basis dim' }, `Model: ${f.basis}.`) : null));
}

function capacityCard(f) {
  const caps = f.capacity ?? [];
  return h('section', { id: 'plan-capacity', class: 'panel capacity-card' },
    h('header', { class: 'panel-head' }, h('h2', null, 'Capacity per capability')),
    caps.length ? h('div', { class: 'capacity' },
      h('div', { class: 'cap-line head' }, ...['Capability', 'Executors', 'Busy', 'Queued', 'Work ahead', 'Drains in'].map((t) => h('span', null, t))),
      ...caps.map((c) => h('div', { class: ['cap-line', c.executors === 0 && 'starved'], dataset: { capability: c.capability } },
        h('span', { class: 'mono' }, c.capability),
        h('span', { class: 'mono' }, String(c.executors)),
        h('span', { class: 'mono' }, String(c.busy)),
        h('span', { class: 'mono' }, String(c.queued)),
        h('span', { class: 'mono' }, took(c.work_ahead_ms)),
        h('span', { class: 'mono' }, c.drain_ms == null ? 'no executor' : took(c.drain_ms)))))
      : h('p', { class: 'empty-note calm' }, 'No work left for any capability.'));
}

function timeline() {
  const now = Date.now();
  const rows = [...state.tracks.values()].filter((t) => !TERMINAL.has(t.state))
    .sort((a, b) => (Date.parse(a.eta_at) || Infinity) - (Date.parse(b.eta_at) || Infinity));
  if (!rows.length) return h('p', { class: 'empty-note calm' }, 'Nothing left to finish.');
  const horizon = Math.max(60_000, ...rows.map((t) => (Date.parse(t.eta_at) || now) - now));
  return h('div', { id: 'plan-tracks', class: 'timeline' }, ...rows.map((t) => {
    const eta = Date.parse(t.eta_at);
    const why = whyOf(t);
    const width = Number.isFinite(eta) ? Math.max(0.5, Math.min(100, (100 * (eta - now)) / horizon)) : 0;
    return h('div', { class: ['plan-track', `s-${t.state}`, !Number.isFinite(eta) && 'no-eta'], dataset: { trackId: t.track_id, eta: t.eta_at ?? '' } },
      h('span', { class: 'pt-name' }, h('b', null, t.title || humanize(t.document_type)), h('span', { class: 'dim' }, ` ${trackStateText(t)}`)),
      h('span', { class: 'pt-bar' }, Number.isFinite(eta) ? h('i', { style: { width: `${width.toFixed(1)}%` } }) : null),
      h('span', { class: 'pt-eta mono countdown', dataset: Number.isFinite(eta) ? { until: eta, eta: t.eta_at } : {} },
        Number.isFinite(eta) ? etaText(t.eta_at, now) : 'no ETA'),
      h('span', { class: 'pt-why', title: why ? why.text : (t.eta_stop ?? '') }, why ? why.text : (t.eta_stop ?? '')));
  }));
}

function whatIf(f) {
  const list = f.what_if ?? [];
  if (!list.length) return h('p', { class: 'empty-note calm' }, 'Nothing left that another executor could speed up.');
  return h('div', { id: 'plan-what-if', class: 'what-ifs' }, ...list.map((w) => {
    let effect;
    if (w.unblocks) effect = `lets the project finish, at ${timeOfDay(w.eta_at)}`;
    else if (w.saves_ms > 0) effect = `finishes ${took(w.saves_ms)} sooner${w.eta_at ? `, at ${timeOfDay(w.eta_at)}` : ''}`;
    else effect = 'changes nothing: this capability is not what the project waits for';
    return h('div', { class: ['what-if', (w.saves_ms > 0 || w.unblocks) && 'helps'], dataset: { capability: w.capability } },
      h('span', { class: 'mono' }, `+1 ${w.capability}`), h('span', null, effect));
  }));
}

function modelNote(f) {
  const model = f.model;
  if (!model) return null;
  const stations = (model.stations ?? []).map((s) => `${s.station} of ${humanize(s.document_type)} ${took(s.mean_service_ms)}`
    + (s.samples ? ` (${s.samples} runs)` : ' (assumed)') + (s.reject_share ? `, rejects ${pct(s.reject_share)}` : ''));
  return h('p', { class: 'model-note dim' },
    `Station times used: ${stations.join(' · ') || '—'}. Claim turnaround ${took(model.turnaround_ms)}; `
    + `a station never run takes ${took(model.default_station_ms)} until one is.`);
}
