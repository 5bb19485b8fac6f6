// Projects from the page: create one on a line, of its current version or one picked (an
// Idempotency-Key behind the button, so a double click makes one project), start its whole line or one document, archive a finished one
// (it leaves the selector and stays readable: "Archived" lists them).

import { h } from '../dom.js';
import { getJson, send, canOperate, detail } from './api.js';

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `k-${Date.now()}-${Math.random().toString(16).slice(2)}`);

export function projectsView() {
  const note = h('p', { id: 'wb-projects-note', class: 'cmd-note', role: 'status' });
  const list = h('tbody', { id: 'wb-projects-rows' });
  const archived = h('ul', { id: 'wb-archived' });
  const el = h('section', { id: 'wb-projects-view', class: 'wb-view' }, h('h3', { text: 'Projects' }));
  const say = (reply, ok) => {
    note.dataset.tone = reply.status < 300 ? 'ok' : 'refused';
    note.textContent = reply.status < 300 ? ok : `Refused (${reply.status}): ${detail(reply)}`;
  };
  let lines = [];

  if (canOperate()) {
    const id = h('input', { id: 'wb-new-id', placeholder: 'project id (optional)', 'aria-label': 'Project id' });
    const line = h('select', { id: 'wb-new-line', 'aria-label': 'Line' });
    // The line's versions, as GET /api/v1/lines/{name}/versions lists them; "" is its current one
    // (the server's default, so a version stored meanwhile is the one a project gets).
    const version = h('select', { id: 'wb-new-version', 'aria-label': 'Line version' });
    const create = h('button', { id: 'wb-create', class: 'btn btn-primary', type: 'submit', text: 'Create project' });
    let key = newKey();
    // A new project (another id, line or version) gets a new key; repeats of the same click keep it.
    id.addEventListener('input', () => { key = newKey(); });
    line.addEventListener('change', () => { key = newKey(); versions(); });
    version.addEventListener('change', () => { key = newKey(); });
    const form = h('form', { id: 'wb-create-form', class: 'wb-filters' }, id, line, version, create);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { line: line.value };
      if (id.value.trim()) body.project_id = id.value.trim();
      if (version.value) body.line_version = Number(version.value);
      const reply = await send('POST', '/api/v1/projects', body, { 'Idempotency-Key': key });
      say(reply, reply.body.created ? `Project ${reply.body.project_id} created on ${reply.body.line} v${reply.body.line_version}`
        : `Project ${reply.body.project_id} exists already (same request)`);
      if (reply.status < 300) load();
    });
    async function versions() {
      const name = line.value;
      version.replaceChildren(new Option('current version', ''));
      delete version.dataset.current;
      if (!name) return;
      let b;
      try {
        b = await getJson(`/api/v1/lines/${encodeURIComponent(name)}/versions`);
      } catch (p) {
        note.textContent = `versions of ${name} not available: ${p.message}`;
        return;
      }
      if (line.value !== name) return;
      const newest = [...b.versions].reverse();
      version.replaceChildren(new Option(`current (v${b.current_version})`, ''), ...newest.map((v) =>
        new Option(`v${v.version}${v.note ? ` · ${v.note}` : ''} · ${String(v.created_at).slice(0, 10)}`, String(v.version))));
      version.dataset.current = String(b.current_version);
    }
    el.append(form);
    getJson('/api/v1/lines').then((b) => {
      lines = b.lines;
      line.replaceChildren(...lines.filter((l) => !l.retired).map((l) => new Option(`${l.title} (${l.name})`, l.name)));
      versions();
      load();
    }).catch((p) => { note.textContent = `lines not available: ${p.message}`; });
  }

  el.append(note, h('table', { class: 'wb-table' }, h('thead', null, h('tr', null,
    ...['Project', 'Line', 'Stabilized', ''].map((t) => h('th', { text: t })))), list), h('h4', { text: 'Archived' }), archived);

  async function load() {
    let active;
    let old;
    try {
      [active, old] = await Promise.all([getJson('/api/v1/projects'), getJson('/api/v1/projects?archived=true')]);
    } catch (p) {
      note.textContent = `projects not available: ${p.message}`;
      return;
    }
    list.replaceChildren(...active.projects.map((p) => {
      const s = p.summary ?? {};
      const actions = h('td', { class: 'wb-actions' });
      if (canOperate()) {
        const all = h('button', { class: 'btn wb-start-line', type: 'button', text: 'Start whole line' });
        all.addEventListener('click', async () => {
          const r = await send('POST', `/production/start?project=${encodeURIComponent(p.project_id)}`);
          say(r, `Line of ${p.project_id} started: ${r.body.started ?? 0} tracks queued`);
          load();
        });
        const types = (lines.find((l) => l.name === p.line)?.document_types ?? []);
        const doc = h('select', { class: 'wb-start-doc-type', 'aria-label': 'Document to start' }, ...types.map((t) => new Option(t.title, t.name)));
        const one = h('button', { class: 'btn wb-start-doc', type: 'button', text: 'Start document' });
        one.addEventListener('click', async () => {
          const r = await send('POST', `/production/start?project=${encodeURIComponent(p.project_id)}&doc=${encodeURIComponent(doc.value)}`);
          say(r, `${doc.value} of ${p.project_id} started`);
          load();
        });
        const archive = h('button', { class: 'btn wb-archive', type: 'button', text: 'Archive' });
        archive.addEventListener('click', async () => {
          const r = await send('POST', `/api/v1/projects/${encodeURIComponent(p.project_id)}/archive`, {});
          say(r, `Project ${p.project_id} archived: it leaves the selector and stays readable`);
          load();
        });
        actions.append(all, doc, one, archive);
      }
      const open = h('a', { href: `/?project=${encodeURIComponent(p.project_id)}`, text: 'Open' });
      actions.prepend(open);
      return h('tr', { dataset: { projectId: p.project_id } }, h('td', { text: p.project_id }), h('td', { text: p.line_version ? `${p.line} v${p.line_version}` : p.line }),
        h('td', { text: `${s.stabilized ?? 0}/${s.total ?? 0}` }), actions);
    }));
    archived.replaceChildren(...(old.projects.length ? old.projects.map((p) => h('li', { dataset: { projectId: p.project_id } },
      h('a', { href: `/?project=${encodeURIComponent(p.project_id)}`, text: p.project_id }), ` · ${p.line} · archived ${p.archived_at}`))
      : [h('li', { text: 'none' })]));
  }
  if (!canOperate()) load();
  return { el, close: () => {} };
}
