// The track's drawer: every run of every station (history and attempts included), the selected
// run's details, live log and artifacts, and, at a manual station, the operator's outcome form.
// What it shows is what GET /production/track/{id} and the run endpoints answer.

import { h } from '../dom.js';
import { getJson, send, canOperate, events, detail, at, duration } from './api.js';
import { LogView } from './logs.js';
import { markdown, json, link } from './render.js';
import { token } from '../auth.js';

let current = null;

export function openTrack(trackId, taskId, projectId) {
  closeDrawer();
  const body = h('div', { class: 'wb-drawer-body' }, h('p', { text: 'Loading the track…' }));
  const close = h('button', { class: 'btn wb-close', type: 'button', text: 'Close', 'aria-label': 'Close the run drawer' });
  const note = h('p', { id: 'wb-manual-note', class: 'cmd-note', role: 'status' });
  const el = h('aside', { id: 'wb-drawer', class: 'wb-drawer', role: 'dialog', 'aria-label': 'Runs of the track', dataset: { trackId } },
    h('header', { class: 'wb-drawer-head' }, h('h3', { id: 'wb-drawer-title', text: 'Track' }), close), note, body);
  close.addEventListener('click', closeDrawer);
  document.body.append(el);
  current = { el, body, note, trackId, taskId, projectId, log: null, source: null };
  load(current);
}

export function closeDrawer() {
  if (!current) return;
  current.log?.stop();
  current.source?.close();
  current.el.remove();
  current = null;
}

async function load(c) {
  const serial = (c.serial = (c.serial ?? 0) + 1);
  let track;
  try {
    track = await getJson(`/production/track/${encodeURIComponent(c.trackId)}`);
  } catch (p) {
    c.body.replaceChildren(h('p', { class: 'wb-refused', text: `Track ${c.trackId} not available: ${p.message}` }));
    return;
  }
  if (current !== c || serial !== c.serial) return;
  c.track = track;
  c.el.querySelector('#wb-drawer-title').textContent = `${track.title ?? track.document_type} · ${track.state.replace('_', ' ')}`;
  c.el.dataset.state = track.state;
  const runs = [...(track.runs ?? [])].reverse();
  if (!c.taskId && runs.length) c.taskId = runs[0].task_id;
  const table = h('table', { class: 'wb-runs-of-track' },
    h('thead', null, h('tr', null, ...['Station', 'Run', 'Attempt', 'Status', 'Outcome', 'Executor', 'Progress'].map((t) => h('th', { text: t })))),
    h('tbody', null, runs.map((r) => {
      const row = h('tr', { class: r.task_id === c.taskId ? 'selected' : null, dataset: { taskId: r.task_id, status: r.status }, tabindex: '0' },
        h('td', { text: r.station }), h('td', { text: `${r.run_no}` }), h('td', { text: `${r.attempt}/${r.max_attempts}` }),
        h('td', { text: r.status }), h('td', { text: r.outcome ?? '—' }), h('td', { text: r.executor_id ?? '—' }),
        h('td', { text: r.progress == null ? '—' : `${Math.round(r.progress * 100)} %` }));
      const pick = () => { c.taskId = r.task_id; load(c); };
      row.addEventListener('click', pick);
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter') pick(); });
      return row;
    })));
  const parts = [manual(c, track), h('h4', { text: `Runs (${runs.length})` }), runs.length ? table : h('p', { text: 'No station has run yet.' })];
  const selected = runs.find((r) => r.task_id === c.taskId);
  if (selected) parts.push(runDetail(c, selected));
  // The log of the run still selected is kept as it is (its page, filter, scroll and live stream).
  const kept = selected && c.log?.taskId === selected.task_id ? c.log : null;
  const top = kept ? kept.viewport.scrollTop : 0;
  if (!kept) {
    c.log?.stop();
    c.log = null;
  }
  c.body.replaceChildren(...parts.filter(Boolean));
  if (selected) {
    c.log = kept ?? new LogView(selected.task_id);
    c.body.append(c.log.el);
    if (kept) kept.viewport.scrollTop = top;
    const shown = await artifacts(selected.task_id);
    if (current !== c || serial !== c.serial) return;
    c.body.append(shown);
  }
  watch(c, track);
}

/** The drawer follows its track: a change of one of its runs reloads it. */
function watch(c, track) {
  if (c.source) return;
  c.source = events(`/api/v1/runs?stream=true&project=${encodeURIComponent(c.projectId ?? track.project_id ?? '')}&document_type=${encodeURIComponent(track.document_type)}`);
  c.source.addEventListener('run', (e) => {
    const run = JSON.parse(e.data);
    if (run.track_id !== c.trackId || current !== c) return;
    // Only a change of what the drawer shows reloads it (a new run, or a run's status, outcome or attempt).
    const shown = (c.track?.runs ?? []).find((r) => r.task_id === run.task_id);
    if (shown && shown.status === run.status && shown.outcome === run.outcome && shown.attempt === run.attempt
      && shown.progress === run.progress) return;
    clearTimeout(c.reload);
    c.reload = setTimeout(() => { if (!c.body.contains(document.activeElement) || document.activeElement === document.body) load(c); }, 300);
  });
}

function field(label, value) {
  return [h('dt', { text: label }), h('dd', { text: value ?? '—' })];
}

function runDetail(c, r) {
  const work = r.claimed_at && r.completed_at ? Date.parse(r.completed_at) - Date.parse(r.claimed_at) : null;
  return h('section', { id: 'wb-run', class: 'wb-run', dataset: { taskId: r.task_id, status: r.status } },
    h('h4', { text: `Run ${r.run_no} of ${r.station} (${r.station_kind})` }),
    h('dl', { class: 'wb-fields' },
      field('Status', r.status), field('Outcome', r.outcome), field('Executor', r.executor_id),
      field('Attempt', `${r.attempt} of ${r.max_attempts}`),
      field('Progress', r.progress == null ? null : `${Math.round(r.progress * 100)} %${r.progress_message ? ` · ${r.progress_message}` : ''}`),
      field('Lease until', r.status === 'claimed' ? at(r.lease_expires_at) : null),
      field('Queued', at(r.created_at)), field('Claimed', at(r.claimed_at)), field('Completed', at(r.completed_at)),
      field('Work time', work == null ? null : duration(work)), field('Task', r.task_id)));
}

async function artifacts(taskId) {
  const box = h('section', { id: 'wb-artifacts', class: 'wb-artifacts' }, h('h4', { text: 'Artifacts' }));
  let list;
  try {
    list = (await getJson(`/api/v1/runs/${encodeURIComponent(taskId)}/artifacts`)).artifacts;
  } catch (p) {
    box.append(h('p', { text: `not available: ${p.message}` }));
    return box;
  }
  if (!list.length) box.append(h('p', { text: 'This run handed in no artifacts.' }));
  for (const a of list) {
    let view;
    if (a.kind === 'url') view = link(a.url);
    else if (a.kind === 'json') {
      try { view = json(typeof a.content === 'string' ? JSON.parse(a.content) : a.content); } catch { view = h('pre', { text: a.content }); }
    } else if (a.kind === 'text' && (a.content_type === 'text/markdown' || a.name.endsWith('.md'))) view = markdown(a.content);
    else if (a.kind === 'text') view = h('pre', { class: 'wb-text', text: a.content });
    else view = h('span', { text: `${a.content_type ?? 'file'} · ${a.size_bytes} bytes` });
    const download = a.kind === 'url' ? null : h('button', { class: 'btn wb-download', type: 'button', text: 'Download' });
    download?.addEventListener('click', () => downloadArtifact(taskId, a.name));
    box.append(h('article', { class: 'wb-artifact', dataset: { name: a.name, kind: a.kind } },
      h('header', null, h('b', { class: 'mono', text: a.name }), h('span', { class: 'wb-kind', text: ` ${a.kind}` }), download), view));
  }
  return box;
}

/** A download needs the bearer token, so it is fetched and handed to the browser as a blob. */
async function downloadArtifact(taskId, name) {
  const res = await fetch(`/api/v1/runs/${encodeURIComponent(taskId)}/artifacts/${encodeURIComponent(name)}`,
    { headers: { Authorization: `Bearer ${token()}` } });
  if (!res.ok) return;
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A manual station waiting for the operator: the outcome form (operators) or a read-only note (viewers). */
function manual(c, track) {
  const station = (track.stations ?? []).find((s) => s.awaiting === 'operator outcome');
  if (!station) return null;
  if (!canOperate()) {
    return h('section', { id: 'wb-manual', class: 'wb-manual', dataset: { readonly: 'true' } },
      h('p', { text: `${station.id} is a manual station: it waits for an operator's outcome (read-only for this token).` }));
  }
  const outcome = h('select', { id: 'wb-outcome', name: 'outcome' }, ...[['stabilized', 'Stabilized'], ['audit_rejected', 'Audit rejected'],
    ['needs_input', 'Needs input'], ['halted', 'Halted']].map(([v, t]) => new Option(t, v)));
  const reason = h('textarea', { id: 'wb-reason', rows: 2, placeholder: 'reason' });
  const findings = h('textarea', { id: 'wb-findings', rows: 3, placeholder: 'findings, one a line' });
  const score = h('input', { id: 'wb-score', type: 'number', step: '0.01', min: '0', max: '1', placeholder: 'score 0–1' });
  const questions = h('textarea', { id: 'wb-questions', rows: 3, placeholder: 'questions, one a line' });
  const note = c.note;
  const submit = h('button', { id: 'wb-manual-submit', class: 'btn btn-primary', type: 'submit', text: 'Record outcome' });
  const rejected = h('div', { class: 'wb-when' }, findings, score);
  const needs = h('div', { class: 'wb-when' }, questions);
  const sync = () => {
    rejected.hidden = outcome.value !== 'audit_rejected';
    needs.hidden = outcome.value !== 'needs_input';
  };
  outcome.addEventListener('change', sync);
  sync();
  const lines = (t) => t.value.split('\n').map((s) => s.trim()).filter(Boolean);
  const form = h('form', { id: 'wb-manual', class: 'wb-manual' },
    h('p', { text: `${station.id} is a manual station: record its outcome. The line checks it as any completion.` }),
    h('label', null, 'Outcome ', outcome), reason, rejected, needs, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { outcome: outcome.value };
    if (reason.value.trim()) body.reason = reason.value.trim();
    if (outcome.value === 'audit_rejected') {
      body.findings = lines(findings);
      if (score.value !== '') body.score = Number(score.value);
    }
    if (outcome.value === 'needs_input') body.questions = lines(questions);
    submit.disabled = true;
    note.textContent = 'Sending the outcome…';
    const reply = await send('POST', `/api/v1/tracks/${encodeURIComponent(c.trackId)}/outcome`, body);
    submit.disabled = false;
    note.dataset.tone = reply.status < 300 ? 'ok' : 'refused';
    note.textContent = reply.status < 300 ? `Outcome recorded: the track is ${reply.body.state ?? 'moving'}` : `Refused (${reply.status}): ${detail(reply)}`;
    if (reply.status < 300) setTimeout(() => current === c && load(c), 400);
  });
  return form;
}
