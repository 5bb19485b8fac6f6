// The runs view across projects (GET /api/v1/runs: filters, order, server-side cursor paging),
// live by SSE with the same filter, one click to a run's track; and assignment: reserve a queued
// task for a named executor, release a held one, and who holds what (GET /api/v1/assignments).

import { h } from '../dom.js';
import { getJson, send, canOperate, events, detail, at, duration } from './api.js';

export function runsView(openTrack) {
  const f = {
    status: h('select', { id: 'wb-f-status', 'aria-label': 'Status' }, ...['', 'queued', 'claimed', 'completed', 'cancelled', 'dropped']
      .map((v) => new Option(v || 'any status', v))),
    project: h('input', { id: 'wb-f-project', placeholder: 'project', 'aria-label': 'Project' }),
    document_type: h('input', { id: 'wb-f-doc', placeholder: 'document type', 'aria-label': 'Document type' }),
    station: h('input', { id: 'wb-f-station', placeholder: 'station', 'aria-label': 'Station' }),
    executor: h('input', { id: 'wb-f-executor', placeholder: 'executor', 'aria-label': 'Executor' }),
    from: h('input', { id: 'wb-f-from', type: 'datetime-local', 'aria-label': 'Created from' }),
    to: h('input', { id: 'wb-f-to', type: 'datetime-local', 'aria-label': 'Created before' }),
    sort: h('select', { id: 'wb-f-sort', 'aria-label': 'Order' }, new Option('newest first', '-created_at'), new Option('oldest first', 'created_at'),
      new Option('completed, newest first', '-completed_at'), new Option('completed, oldest first', 'completed_at')),
  };
  const apply = h('button', { id: 'wb-f-apply', class: 'btn', type: 'submit', text: 'Show runs' });
  const more = h('button', { id: 'wb-runs-more', class: 'btn', type: 'button', text: 'More', hidden: true });
  const note = h('p', { id: 'wb-runs-note', class: 'cmd-note', role: 'status' });
  const tbody = h('tbody', { id: 'wb-runs-rows' });
  const table = h('table', { id: 'wb-runs', class: 'wb-table' }, h('thead', null, h('tr', null,
    ...['Project', 'Document', 'Station', 'Run', 'Status', 'Outcome', 'Executor', 'Reserved for', 'Queued', 'Work', ''].map((t) => h('th', { text: t })))), tbody);
  const form = h('form', { class: 'wb-filters' }, ...Object.values(f), apply);
  const holders = h('section', { id: 'wb-assignments', class: 'wb-assignments' });
  const el = h('section', { id: 'wb-runs-view', class: 'wb-view' }, h('h3', { text: 'Runs' }), form, note, table, more,
    h('h3', { text: 'Who holds what' }), holders);
  let cursor = null;
  let source = null;
  const rows = new Map();

  const query = () => {
    const q = new URLSearchParams();
    for (const [k, input] of Object.entries(f)) {
      if (k === 'sort' || !input.value) continue;
      q.set(k, k === 'from' || k === 'to' ? new Date(input.value).toISOString() : input.value.trim());
    }
    return q;
  };

  const row = (r) => {
    const actions = h('td', { class: 'wb-actions' });
    const open = h('button', { class: 'btn wb-open-track', type: 'button', text: 'Track' });
    open.addEventListener('click', () => openTrack(r.track_id, r.task_id, r.project_id));
    actions.append(open);
    if (canOperate() && r.status === 'queued' && !r.reserved_for) {
      const who = h('input', { class: 'wb-reserve-for', placeholder: 'executor', 'aria-label': 'Reserve for executor', size: 10 });
      const go = h('button', { class: 'btn wb-reserve', type: 'button', text: 'Reserve' });
      go.addEventListener('click', async () => {
        const reply = await send('POST', `/api/v1/runs/${encodeURIComponent(r.task_id)}/reserve`, { executor_id: who.value.trim() });
        say(reply, `Reserved for ${who.value.trim()}`);
        if (reply.status < 300) { put(reply.body); loadHolders(); }
      });
      actions.append(who, go);
    }
    if (canOperate() && (r.status === 'claimed' || r.reserved_for)) {
      const rel = h('button', { class: 'btn wb-release', type: 'button', text: r.status === 'claimed' ? 'Hand back to queue' : 'Release' });
      rel.addEventListener('click', async () => {
        const reply = await send('POST', `/api/v1/runs/${encodeURIComponent(r.task_id)}/release`, {});
        say(reply, reply.body.was === 'claimed'
          ? `Released from ${reply.body.held_by}: back on the queue for any executor; ${reply.body.held_by} is told to stop on its next heartbeat`
          : 'Released: back on the queue for any executor');
        if (reply.status < 300) { put(reply.body); loadHolders(); }
      });
      actions.append(rel);
    }
    return h('tr', { dataset: { taskId: r.task_id, status: r.status, trackId: r.track_id } },
      h('td', { text: r.project_id }), h('td', { text: r.document_type }), h('td', { text: r.station }),
      h('td', { text: `${r.run_no} · attempt ${r.attempt}` }), h('td', { class: 'wb-status', text: r.status }), h('td', { text: r.outcome ?? '—' }),
      h('td', { text: r.executor_id ?? '—' }), h('td', { text: r.reserved_for ? `${r.reserved_for} until ${at(r.reserved_until)}` : '—' }),
      h('td', { text: at(r.created_at) }), h('td', { text: duration(r.work_ms) }), actions);
  };

  function put(r, append) {
    const sig = JSON.stringify(r);
    const old = rows.get(r.task_id);
    if (old && old.dataset.sig === sig) {
      // the same run again: the row stays (and what is typed into it)
      if (append) tbody.append(old);
      return;
    }
    const el2 = row(r);
    el2.dataset.sig = sig;
    rows.set(r.task_id, el2);
    if (old) old.replaceWith(el2);
    else if (append) tbody.append(el2);
    else if (f.sort.value === '-created_at') tbody.prepend(el2);
    else tbody.append(el2);
  }

  function say(reply, ok) {
    note.dataset.tone = reply.status < 300 ? 'ok' : 'refused';
    note.textContent = reply.status < 300 ? ok : `Refused (${reply.status}): ${detail(reply)}`;
  }

  async function page(first) {
    const q = query();
    q.set('sort', f.sort.value);
    q.set('limit', '50');
    if (!first && cursor) q.set('cursor', cursor);
    try {
      const body = await getJson(`/api/v1/runs?${q}`);
      if (first) {
        const keep = new Set(body.runs.map((r) => r.task_id));
        for (const [id, el2] of rows) if (!keep.has(id)) { el2.remove(); rows.delete(id); }
      }
      body.runs.forEach((r) => put(r, true));
      cursor = body.next_cursor;
      more.hidden = !cursor;
      note.dataset.tone = 'ok';
      note.textContent = `${rows.size} runs shown${cursor ? ' · more on the server' : ''}`;
    } catch (p) {
      note.dataset.tone = 'refused';
      note.textContent = `Refused (${p.status}): ${p.message}`;
    }
  }

  function live() {
    source?.close();
    source = events(`/api/v1/runs?stream=true&${query()}`);
    source.addEventListener('run', (e) => {
      put(JSON.parse(e.data));
      // who holds what follows the runs: read again once the burst of changes is over
      clearTimeout(holdersTimer);
      holdersTimer = setTimeout(loadHolders, 300);
    });
  }

  let holdersTimer = null;
  async function loadHolders() {
    try {
      const a = await getJson('/api/v1/assignments');
      const list = Object.entries(a.by_executor);
      holders.replaceChildren(list.length ? h('ul', null, list.map(([who, x]) => h('li', { dataset: { executor: who } },
        h('b', { text: who }), ` holds ${x.holds.length} · reserved ${x.reserved.length}`))) : h('p', { text: 'No task is held or reserved.' }));
    } catch (p) {
      holders.replaceChildren(h('p', { text: `not available: ${p.message}` }));
    }
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); page(true); live(); });
  more.addEventListener('click', () => page(false));
  page(true);
  live();
  loadHolders();
  return { el, close: () => { clearTimeout(holdersTimer); source?.close(); } };
}
