// The operator's workbench, mounted on the dashboard with no change to its own modules: a
// "Runs & logs" button and (for operators) a selection box on every track (found by its
// data-track-id), the Runs and Projects views behind two header buttons, and the bulk bar.
// ?track=ID (and &run=TASK) opens a track's drawer, as the runs view's one click does.

import { h } from '../dom.js';
import { captureToken } from '../auth.js';
import { canOperate, at } from './api.js';
import * as store from '../store.js';
import { openTrack } from './drawer.js';
import { runsView } from './runs.js';
import { projectsView } from './projects.js';
import { selectBox } from './bulk.js';

captureToken();

const project = () => new URLSearchParams(window.location.search).get('project');
let panel = null;

function show(make) {
  panel?.view.close();
  panel?.el.remove();
  const view = make();
  const close = h('button', { class: 'btn wb-close', type: 'button', text: 'Close', 'aria-label': 'Close the workbench view' });
  const el = h('div', { id: 'wb-panel', class: 'wb-panel', role: 'dialog' }, close, view.el);
  close.addEventListener('click', () => { view.close(); el.remove(); panel = null; });
  document.body.append(el);
  panel = { el, view };
}

function open(trackId, taskId, projectId) {
  if (panel) { panel.view.close(); panel.el.remove(); panel = null; }
  openTrack(trackId, taskId, projectId ?? project());
}

function decorate(track) {
  if (track.querySelector(':scope > .wb-track-tools')) return;
  const id = track.dataset.trackId;
  const runs = h('button', { class: 'btn wb-track-runs', type: 'button', text: 'Runs & logs', 'aria-label': 'Runs, logs and artifacts of this track' });
  runs.addEventListener('click', (e) => { e.stopPropagation(); open(id); });
  const tools = h('div', { class: 'wb-track-tools' }, canOperate() ? selectBox(id) : null, runs);
  track.append(tools);
}

// The SLA policy of each inbox item (what happens when its SLA passes), as the server's inbox
// (held by the dashboard's store, replaced by each pl.inbox event) says: nothing is fetched.
function decorateInbox(list) {
  for (const item of list.querySelectorAll('.inbox-item[data-interrupt-id]')) {
    const says = store.state.inbox?.get(item.dataset.interruptId)?.sla_policy?.says;
    const shown = item.querySelector(':scope > .wb-sla-policy');
    if (says && (!shown || shown.textContent !== says)) {
      shown?.remove();
      item.append(h('div', { class: 'wb-sla-policy', text: says }));
    }
  }
}

// What the SLA policy did lately (escalated, answered with the default, or why it could not), newest
// first, under the inbox: the server's sla_actions of the inbox the dashboard holds, redrawn whenever
// the dashboard redraws the inbox's count (each pl.inbox event does).
function slaActions(after) {
  let box = document.getElementById('wb-sla-actions');
  const acted = store.state.slaActions ?? [];
  const sig = JSON.stringify(acted);
  if (box && box.dataset.sig === sig) return;
  if (!box) {
    box = h('section', { id: 'wb-sla-actions', class: 'wb-sla-actions', 'aria-label': 'What the SLA policy did' });
    after.after(box);
  }
  box.dataset.sig = sig;
  box.dataset.count = String(acted.length);
  box.replaceChildren(...(acted.length ? [h('h4', { text: 'SLA policy: done lately' }), h('ul', null, ...acted.map((a) =>
    h('li', { class: 'wb-sla-action', dataset: { interruptId: a.interrupt_id, action: a.action, taken: String(a.taken) } },
      h('span', { class: 'mono', text: `${a.project_id} · ${a.document_type}` }), ' ',
      h('span', { class: 'wb-sla-did', text: a.says }), ' ',
      h('span', { class: 'dim mono', text: `at ${at(a.acted_at)} by ${a.actor}` }))))] : []));
}

function mount() {
  const right = document.querySelector('#status-bar .sb-right');
  if (right && !document.getElementById('wb-open-runs')) {
    const runs = h('button', { id: 'wb-open-runs', class: 'btn', type: 'button', text: 'Runs' });
    const projects = h('button', { id: 'wb-open-projects', class: 'btn', type: 'button', text: 'Projects' });
    const intents = h('a', { id: 'wb-open-intents', class: 'btn', href: '/assembly-line/dashboard', text: 'Intent queue' });
    runs.addEventListener('click', () => show(() => runsView(open)));
    projects.addEventListener('click', () => show(projectsView));
    right.prepend(runs, projects, intents);
  }
  const tracks = document.getElementById('tracks');
  if (tracks) {
    const all = () => tracks.querySelectorAll('[data-track-id]').forEach((t) => { if (t.classList.contains('track')) decorate(t); });
    new MutationObserver(all).observe(tracks, { childList: true, subtree: true });
    all();
  }
  const inbox = document.getElementById('inbox-list');
  if (inbox) {
    new MutationObserver(() => decorateInbox(inbox)).observe(inbox, { childList: true, subtree: true });
    decorateInbox(inbox);
    const count = document.getElementById('inbox-count');
    if (count) new MutationObserver(() => slaActions(inbox)).observe(count, { childList: true, attributes: true, characterData: true });
    slaActions(inbox);
  }
  const params = new URLSearchParams(window.location.search);
  if (params.get('track')) open(params.get('track'), params.get('run'));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
else mount();
