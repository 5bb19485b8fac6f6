// Production Line dashboard: wires the snapshot (/production, fetched once and after a bridge
// reconnect), the project's dashboard channel (pl.view.P: every event with the views it changed,
// as the server renders them), the operator inbox (pl.inbox) and the project list (pl.projects),
// the renderers and the operator commands. Nothing here polls: the only timer re-renders clock
// texts locally.

import { captureToken, token, remember, getJson } from './auth.js';
import { Bridge } from './bridge.js';
import * as store from './store.js';
import { renderStatus } from './status.js';
import { renderGraph } from './graph.js';
import { renderTracks, bindTrackActions, toggleFamily, flashDocument } from './tracks.js';
import { bindInterruptActions, focusInterrupt } from './interrupts.js';
import { renderExecutors } from './executors.js';
import { renderInbox, bindInboxActions } from './inbox.js';
import { renderInspect, renderPlan } from './flow.js';
import { clock, ago, humanize, etaText, slaText } from './vocab.js';

const $ = (id) => document.getElementById(id);
const els = {
  lineStatus: $('line-status'),
  lineNote: $('line-note'),
  lineTitle: $('line-title'),
  summary: $('summary'),
  queueDepth: $('queue-depth'),
  bridgeState: $('bridge-state'),
  runFullLine: $('run-full-line'),
  runNote: $('run-note'),
  banners: $('banners'),
  loadNote: $('load-note'),
  tokenPrompt: $('token-prompt'),
  tokenInput: $('token-input'),
  tokenWhy: $('token-why'),
  projectSelect: $('project-select'),
  projectName: $('project-name'),
  graph: $('dependency-graph'),
  tracks: $('tracks'),
  executors: $('executors'),
  queue: $('queue'),
  lineEta: $('line-eta'),
  inboxList: $('inbox-list'),
  inboxCount: $('inbox-count'),
  layout: $('layout'),
  inspectView: $('inspect-view'),
  planView: $('plan-view'),
  modeTabs: [...document.querySelectorAll('#modes .mode')],
};

captureToken();
const params = new URLSearchParams(window.location.search);
let projectId = params.get('project') || 'demo';
const focusDoc = params.get('focus');
let bridgeState = 'connecting';
const MAX_BUFFER = 5000;

// ---- rendering -------------------------------------------------------------------------

let scheduled = false;
function schedule() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    renderAll();
  });
}

function renderAll() {
  // what the page has applied: the browser tests compare it with GET /production read at the same moment
  document.body.dataset.lastSeq = String(store.state.lastSeq);
  renderStatus(els, bridgeState);
  renderGraph(els.graph, { onPick: pickDocument });
  renderTracks(els.tracks);
  renderInbox(els.inboxList, els.inboxCount);
  renderProjects();
  renderExecutors(els.executors, els.queue);
  if (mode === 'inspect') renderInspect(els.inspectView);
  if (mode === 'plan') renderPlan(els.planView);
}

// ---- control center modes (seed 003): Run, Inspect, Plan — tabs of one page ----------------

const MODES = ['run', 'inspect', 'plan'];
let mode = MODES.includes(window.location.hash.slice(1)) ? window.location.hash.slice(1) : 'run';

function setMode(next) {
  if (!MODES.includes(next)) return;
  mode = next;
  els.layout.hidden = mode !== 'run';
  els.inspectView.hidden = mode !== 'inspect';
  els.planView.hidden = mode !== 'plan';
  for (const tab of els.modeTabs) {
    const on = tab.dataset.mode === mode;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
  }
  document.body.dataset.mode = mode;
  const url = new URL(window.location.href);
  url.hash = mode === 'run' ? '' : mode;
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  schedule();
}

for (const tab of els.modeTabs) {
  tab.addEventListener('click', () => setMode(tab.dataset.mode));
  tab.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const i = MODES.indexOf(mode) + (e.key === 'ArrowRight' ? 1 : MODES.length - 1);
    setMode(MODES[i % MODES.length]);
    els.modeTabs.find((t) => t.dataset.mode === mode).focus();
  });
}

store.subscribe(schedule);
store.onReload(() => loadProduction('reload'));
new ResizeObserver(schedule).observe(els.graph.parentElement);

/** A graph node (or ?focus=) picks a document type: show its track, expanded when it is one. */
function pickDocument(doc) {
  const family = [...store.state.tracks.values()].filter((t) => t.document_type === doc);
  if (family.length === 1) store.expandDocument(doc);
  requestAnimationFrame(() => requestAnimationFrame(() => flashDocument(doc)));
}

// Clocks tick locally once a second: elapsed timers, interrupt waits, heartbeat ages.
function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll('.elapsed[data-base-ms], .live-clock[data-base-ms]')) {
    const text = clock(Number(el.dataset.baseMs) + Math.max(0, now - Number(el.dataset.at)));
    if (el.textContent !== text) el.textContent = text;
  }
  for (const el of document.querySelectorAll('.waited[data-since]')) {
    el.textContent = clock(now - Number(el.dataset.since));
  }
  for (const el of document.querySelectorAll('.x-beat[data-since]')) {
    el.textContent = `beat ${ago(now - Number(el.dataset.since))}`;
  }
  for (const el of document.querySelectorAll('.countdown[data-eta]')) {
    const text = etaText(el.dataset.eta, now);
    if (el.textContent !== text) el.textContent = text;
  }
  for (const el of document.querySelectorAll('.sla[data-due]')) {
    const due = Number(el.dataset.due);
    if (!Number.isFinite(due) || !el.dataset.due) continue;
    el.textContent = slaText(due, now);
    el.classList.toggle('passed', due <= now);
  }
  renderExecutors(els.executors, els.queue); // an executor silent for 60 s turns offline
}
setInterval(tick, 1000);

// ---- loading ---------------------------------------------------------------------------

let loadSerial = 0;

async function loadProduction(why) {
  const serial = ++loadSerial;
  store.beginLoad();
  try {
    const snap = await getJson(`/production?project=${encodeURIComponent(projectId)}`);
    if (serial !== loadSerial) return;
    showLoadNote(null);
    hideTokenPrompt('http');
    store.applySnapshot(snap);
    if (why === 'initial' && focusDoc) pickDocument(focusDoc);
    loadFlow(serial);
  } catch (p) {
    if (serial !== loadSerial) return;
    store.abandonLoad();
    if (p.unauthorized) {
      showTokenPrompt('http', 'The server asks for an operator token to show this line.');
      if (!store.state.loaded) store.waitingFor('Waiting for an operator token — enter it above to load the line');
    } else if (p.status === 0) {
      showLoadNote('Line state not available — the server is not reachable. It loads again when the bridge reconnects.');
      if (!store.state.loaded) store.waitingFor('Waiting for the server — line state loads when it answers');
    } else if (p.status === 404) {
      // "no project X; the projects are …": the server's words, and the selector lists them
      showLoadNote(null);
      store.waitingFor(`${p.message} — choose one above`, p.message);
    } else {
      showLoadNote(`Line state of project ${projectId} not available — the server answered ${p.status}: ${p.message}`);
      if (!store.state.loaded) store.waitingFor(`Project ${projectId} not available — choose another project`);
    }
  }
}

/** The project's flow metrics once; flow_metrics events keep them current. */
async function loadFlow(serial) {
  try {
    const m = await getJson(`/production/metrics?project=${encodeURIComponent(projectId)}`);
    if (serial !== loadSerial) return;
    store.applyFlowSnapshot(m);
  } catch {
    // the Inspect and Plan views say they wait for the first flow_metrics event
  }
}

/** The operator inbox once; pl.inbox events keep it current. */
async function loadInbox() {
  try {
    store.applyInbox(await getJson('/api/v1/inbox'));
  } catch (p) {
    if (p.unauthorized) showTokenPrompt('http', 'The server asks for an operator token to show the inbox.');
  }
}

/** The project selector's list once; pl.projects events keep its counts current. */
async function loadProjects() {
  try {
    store.applyProjects(await getJson('/api/v1/projects'));
  } catch (p) {
    els.projectSelect.hidden = true;
    els.projectName.hidden = false;
    if (p.unauthorized) showTokenPrompt('http', 'The server asks for an operator token to list projects.');
  }
}

let projectsSig = null;
function renderProjects() {
  if (!store.state.projects) return;
  const sig = `${store.state.projectsV}|${projectId}`;
  if (sig === projectsSig) return;
  projectsSig = sig;
  const projects = [...store.state.projects.values()];
  const options = projects.map((p) => {
    const s = p.summary ?? {};
    const frac = s.total != null ? ` · ${s.stabilized ?? 0}/${s.total}` : '';
    return new Option(`${p.project_id} — ${humanize(p.line ?? '')}${frac}`, p.project_id);
  });
  if (!store.state.projects.has(projectId)) options.unshift(new Option(`${projectId} — no such project`, projectId));
  els.projectSelect.replaceChildren(...options);
  els.projectSelect.value = projectId;
  els.projectSelect.hidden = false;
  els.projectName.hidden = true;
}

function switchProject(id) {
  if (!id || id === projectId) return;
  bridge.unsubscribe(`pl.view.${projectId}`);
  projectId = id;
  const url = new URL(window.location.href);
  url.searchParams.set('project', id);
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  els.projectName.textContent = id;
  if ([...els.projectSelect.options].some((o) => o.value === id)) els.projectSelect.value = id;
  store.reset(id);
  bridge.subscribe(`pl.view.${id}`, onEvent);
  loadProduction('switch');
}

// ---- live events -----------------------------------------------------------------------

function onEvent(body) {
  if (store.state.buffer.length > MAX_BUFFER) store.state.buffer.splice(0, store.state.buffer.length - MAX_BUFFER);
  store.ingest(body);
}

const bridge = new Bridge({
  token,
  onState: (s) => {
    bridgeState = s;
    schedule();
  },
  onOpen: (reconnected) => {
    // after a reconnect the snapshot is fetched again; so is one that could not load before
    if (reconnected || (!store.state.loaded && !store.state.loading)) loadProduction('reconnect');
    if (reconnected) {
      loadInbox();
      loadProjects();
    }
  },
  onRefused: (reason) => {
    showTokenPrompt('bridge', `The event-bus bridge refused this dashboard (${reason}). An operator token lets it subscribe.`);
  },
});
// for diagnostics (and the browser tests, which drop the connection mid-run)
window.productionLine = { bridge, store };
bridge.subscribe(`pl.view.${projectId}`, onEvent);
bridge.subscribe('pl.executors', onEvent);
bridge.subscribe('pl.inbox', (body) => store.ingestInbox(body));
bridge.subscribe('pl.projects', (body) => store.ingestProject(body));

// ---- commands --------------------------------------------------------------------------

const noteTimers = new WeakMap();
function say(note, tone, text) {
  if (!note) return;
  clearTimeout(noteTimers.get(note));
  note.dataset.tone = tone;
  note.textContent = text;
  if (tone === 'ok') noteTimers.set(note, setTimeout(() => { note.textContent = ''; delete note.dataset.tone; }, 6000));
}

function refusedText(p) {
  const code = p.code != null && p.code !== -1 ? ` (${p.code})` : '';
  return `Refused${code}: ${p.message || 'the line did not accept the command'}`;
}

async function command(address, body, note, sendingText, okText) {
  say(note, 'sending', sendingText);
  try {
    const reply = await bridge.command(address, body);
    say(note, 'ok', (reply && reply.message) || okText);
    return reply;
  } catch (p) {
    say(note, 'refused', refusedText(p));
    return null;
  }
}

els.runFullLine.addEventListener('click', async () => {
  els.runFullLine.disabled = true;
  await command('pl.command.start', { project: projectId }, els.runNote,
    'Starting the line…', 'Line started — first-tier tracks are queued');
  els.runFullLine.disabled = bridgeState !== 'live' || !store.state.loaded;
});

bindTrackActions({
  start: async (doc, note, button) => {
    if (button) button.disabled = true;
    const reply = await command('pl.command.start', { project: projectId, doc }, note,
      `Starting ${humanize(doc)}…`, 'Production started');
    if (!reply && button) button.disabled = false;
  },
  cancel: async (trackId, kind, reason, note, close) => {
    const reply = await command('pl.command.cancel', { track_id: trackId, kind, reason }, note,
      'Sending cancellation…', 'Cancellation accepted');
    if (reply) close();
  },
  toggle: (trackId) => store.toggleExpanded(trackId),
  showInterrupt: (id) => focusInterrupt(id),
  toggleFamily: (doc) => {
    toggleFamily(doc);
    schedule();
  },
});

bindInboxActions({
  open: (item) => {
    if (!item) return;
    if (item.project_id && item.project_id !== projectId) {
      switchProject(item.project_id);
      setMode('run');
      return;
    }
    setMode('run');
    requestAnimationFrame(() => focusInterrupt(item.interrupt_id));
  },
});

bindInterruptActions({
  resolve: async (i, resolution, note, done, unlock) => {
    const reply = await command('pl.command.resolve', { interrupt_id: i.interrupt_id, resolution }, note,
      'Sending answer to the line…', 'Answer accepted — the track resumes');
    if (reply) done();
    else unlock();
  },
  escalate: async (i, notes, note, done, unlock) => {
    const reply = await command('pl.command.escalate', { interrupt_id: i.interrupt_id, notes }, note,
      'Sending acknowledgement…', 'Acknowledged — the track is escalated and its dependents proceed');
    if (reply) done();
    else unlock();
  },
});

// ---- token prompt and notes ------------------------------------------------------------

const promptReasons = new Map();

function showTokenPrompt(source, why) {
  promptReasons.set(source, why);
  els.tokenWhy.textContent = why;
  if (els.tokenPrompt.hidden) {
    els.tokenPrompt.hidden = false;
    els.tokenInput.value = token() ?? '';
    els.tokenInput.focus();
  }
}

function hideTokenPrompt(source) {
  promptReasons.delete(source);
  if (promptReasons.size === 0) els.tokenPrompt.hidden = true;
  else els.tokenWhy.textContent = [...promptReasons.values()].pop();
}

els.tokenPrompt.addEventListener('submit', (e) => {
  e.preventDefault();
  const value = els.tokenInput.value.trim();
  if (!value) {
    els.tokenInput.focus();
    return;
  }
  remember(value);
  promptReasons.clear();
  els.tokenPrompt.hidden = true;
  bridge.restart();
  loadProduction('token');
  loadProjects();
});

function showLoadNote(text) {
  els.loadNote.hidden = !text;
  els.loadNote.textContent = text ?? '';
}

els.projectSelect.addEventListener('change', () => switchProject(els.projectSelect.value));

// ---- start -----------------------------------------------------------------------------

els.projectName.textContent = projectId;
store.reset(projectId);
setMode(mode);
bridge.connect();
loadProduction('initial');
loadInbox();
loadProjects();
schedule();
