// The Design view: pick a line and a version or start a new line; add and remove document types,
// draw and remove dependencies on the graph, give each type its stations from presets and its
// fan-out (station, items field, child type, max items); the
// server's validator (POST /api/v1/lines/validate) speaks on the element it concerns while you
// edit; an admin saves the definition as a new version with a note and sees the diff against the
// version before; a project can be created from a stored version. Everyone else reads.

import { h } from '../dom.js';
import { call, role } from './http.js';
import { drawGraph } from './graph.js';
import * as model from './model.js';

const VALIDATE_DELAY_MS = 250;

export function mountDesign(root) {
  const ui = build(root);
  const st = {
    lines: [],
    skills: [],
    line: null,          // name of the stored line shown, null for a new one
    version: null,       // the stored version shown (null: new)
    versions: [],
    def: model.emptyLine(),
    dirty: false,
    selected: null,
    connectFrom: null,   // a dependency being drawn from the keyboard
    findings: [],
    checked: false,      // findings are for the current definition
    serial: 0,
    admin: false,
    mounted: false,
  };
  let timer = null;

  async function start() {
    if (st.mounted) return;
    st.mounted = true;
    st.admin = role() === 'admin';
    ui.readOnly.hidden = st.admin;
    try {
      const [lines, skills] = await Promise.all([call('GET', '/api/v1/lines'), call('GET', '/api/v1/skills')]);
      st.lines = lines.lines || [];
      st.skills = skills.skills || [];
    } catch (e) {
      note(ui.saveNote, `Lines could not be read: ${e.message}`, 'bad');
    }
    fillPresets();
    fillLines();
    render();
    check();
  }

  // ---- loading ---------------------------------------------------------------------------

  function fillLines() {
    ui.lineSelect.replaceChildren(h('option', { value: '' }, 'New line…'),
      ...st.lines.map((l) => h('option', { value: l.name, selected: l.name === st.line },
        `${l.name} (v${l.current_version}${l.retired ? ', retired' : ''})`)));
    ui.lineSelect.value = st.line ?? '';
  }

  function fillVersions() {
    ui.versionSelect.replaceChildren(...(st.line ? st.versions.map((v) => h('option', { value: String(v.version) },
      `v${v.version}${v.note ? ` — ${v.note}` : ''}`)) : [h('option', { value: '' }, 'unsaved')]));
    ui.versionSelect.value = st.version ? String(st.version) : '';
    ui.versionSelect.disabled = !st.line;
  }

  function fillPresets() {
    ui.presetKind.replaceChildren(...model.KINDS.map((k) => h('option', { value: k.kind }, k.label)));
    ui.presetStep.replaceChildren(h('option', { value: 'sim' }, 'sim step (vetted)'), h('option', { value: 'manual' }, 'manual (no step)'),
      ...st.skills.map((s) => h('option', { value: s.id }, `skill ${s.id} (${s.trust})`)));
  }

  async function openLine(name, version) {
    if (!name) {
      st.line = null; st.version = null; st.versions = []; st.def = model.emptyLine(); st.selected = null; st.dirty = false;
      ui.diff.replaceChildren();
      fillVersions(); render(); check();
      return;
    }
    try {
      const [versions, shown] = await Promise.all([
        call('GET', `/api/v1/lines/${encodeURIComponent(name)}/versions`),
        call('GET', version ? `/api/v1/lines/${encodeURIComponent(name)}/versions/${version}` : `/api/v1/lines/${encodeURIComponent(name)}`),
      ]);
      st.line = name;
      st.versions = versions.versions || [];
      st.version = shown.version;
      st.def = shown.definition;
      st.selected = model.types(st.def)[0]?.name ?? null;
      st.dirty = false;
      fillVersions();
      render();
      check();
      showDiff();
    } catch (e) {
      note(ui.saveNote, `Line ${name} could not be read: ${e.message}`, 'bad');
    }
  }

  // ---- edits -----------------------------------------------------------------------------

  function changed() {
    st.dirty = true;
    st.checked = false;
    render();
    clearTimeout(timer);
    timer = setTimeout(check, VALIDATE_DELAY_MS);
  }

  function addType() {
    const name = ui.typeName.value.trim();
    if (!name) { ui.typeName.focus(); return; }
    if (model.typeIndex(st.def, name) >= 0) { note(ui.saveNote, `A document type named ${name} exists`, 'bad'); return; }
    model.addType(st.def, name);
    st.selected = name;
    ui.typeName.value = '';
    changed();
  }

  // ---- validation ------------------------------------------------------------------------

  async function check() {
    const serial = ++st.serial;
    st.def.name = st.line ?? ui.lineName.value.trim();
    try {
      const r = await call('POST', '/api/v1/lines/validate', { definition: st.def });
      if (serial !== st.serial) return;
      st.findings = r.findings || [];
    } catch (e) {
      if (serial !== st.serial) return;
      st.findings = [{ path: '', message: e.body?.detail || e.message }];
    }
    st.checked = true;
    render();
  }

  // ---- saving ----------------------------------------------------------------------------

  async function save() {
    if (!st.admin || st.findings.length || !st.checked) return;
    const name = st.line ?? ui.lineName.value.trim();
    st.def.name = name;
    const body = { definition: st.def, note: ui.note.value.trim() };
    ui.save.disabled = true;
    note(ui.saveNote, 'Saving…', '');
    try {
      const r = st.line
        ? await call('PUT', `/api/v1/lines/${encodeURIComponent(name)}`, body)
        : await call('POST', '/api/v1/lines', body);
      st.lines = (await call('GET', '/api/v1/lines')).lines || [];
      st.line = name;
      fillLines();
      ui.note.value = '';
      await openLine(name, r.version);
      note(ui.saveNote, r.stored === false ? `Unchanged: version ${r.version} is the current version`
        : `Saved version ${r.version} of ${name}`, 'ok');
    } catch (e) {
      if (e.body?.findings) { st.findings = e.body.findings; st.checked = true; }
      note(ui.saveNote, `Not saved: ${e.message}`, 'bad');
      render();
    }
  }

  async function showDiff() {
    ui.diff.replaceChildren();
    if (!st.line || !st.version || st.version < 2) {
      ui.diff.append(h('p', { class: 'design-muted' }, st.version === 1 ? 'Version 1: nothing before it to compare with.' : ''));
      return;
    }
    try {
      const d = await call('GET', `/api/v1/lines/${encodeURIComponent(st.line)}/diff?from=${st.version - 1}&to=${st.version}`);
      ui.diff.append(h('p', { class: 'design-muted' }, `Version ${d.from} → ${d.to}: ${d.changes.length} change${d.changes.length === 1 ? '' : 's'}`),
        h('ul', { class: 'design-changes' }, ...d.changes.map((c) => h('li', { class: ['design-change', `change-${c.change}`], dataset: { path: c.path } },
          h('b', null, c.change), ' ', h('code', null, c.path),
          c.change === 'changed' ? ` ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}` : ''))));
    } catch (e) {
      ui.diff.append(h('p', { class: 'design-muted' }, `The diff could not be read: ${e.message}`));
    }
  }

  async function createProject() {
    if (!st.line || st.dirty) return;
    const id = `${st.line}-v${st.version}-${Date.now().toString(36)}`;
    try {
      const r = await call('POST', '/api/v1/projects', { project_id: id, line: st.line, line_version: st.version, start: true });
      window.location.assign(`/?project=${encodeURIComponent(r.project_id)}`);
    } catch (e) {
      note(ui.saveNote, `No project: ${e.message}`, 'bad');
    }
  }

  // ---- rendering -------------------------------------------------------------------------

  function marks() {
    const out = new Map();
    const list = model.types(st.def);
    for (const f of st.findings) {
      const i = model.typeOfPath(f.path);
      if (i >= 0 && list[i]) {
        const m = out.get(list[i].name) || { findings: [], cycle: false };
        m.findings.push(f.message);
        out.set(list[i].name, m);
      }
      for (const member of f.members || []) {
        const m = out.get(member) || { findings: [], cycle: false };
        m.cycle = true;
        if (!m.findings.includes(f.message)) m.findings.push(f.message);
        out.set(member, m);
      }
    }
    return out;
  }

  function render() {
    const editable = st.admin;
    const m = marks();
    ui.lineName.hidden = !!st.line;
    ui.lineName.disabled = !editable;
    ui.title.value = st.def.title ?? '';
    ui.title.disabled = !editable;
    drawGraph(ui.graph, st.def, {
      selected: st.selected, marks: m, editable,
      onSelect: (name) => {
        if (st.connectFrom && st.connectFrom !== name) {
          const from = st.connectFrom;
          st.connectFrom = null;
          if (model.addDependency(st.def, name, from)) { changed(); return; }
        }
        st.selected = name;
        render();
      },
      onConnectFrom: (name) => { st.connectFrom = name; render(); },
      onConnect: (dependency, dependent) => { if (model.addDependency(st.def, dependent, dependency)) changed(); },
      onRemoveEdge: (dependent, dependency) => { model.removeDependency(st.def, dependent, dependency); changed(); },
    });
    const cycles = st.findings.filter((f) => f.members?.length);
    ui.graphNote.textContent = st.connectFrom
      ? `A dependency from ${st.connectFrom}: focus the type that depends on it and press Enter (Escape cancels)`
      : cycles.length
      ? cycles.map((f) => `Dependency cycle: ${[...f.members, f.members[0]].join(' → ')}`).join(' · ')
      : '';
    ui.addType.disabled = !editable;
    ui.typeName.disabled = !editable;
    renderType(editable);
    renderFindings();
    const count = st.findings.length;
    ui.status.textContent = !st.checked ? 'Checking…' : count ? `${count} finding${count === 1 ? '' : 's'}: not ready to save` : 'Valid: ready to save';
    ui.status.dataset.state = !st.checked ? 'checking' : count ? 'findings' : 'valid';
    const next = st.line ? (st.lines.find((l) => l.name === st.line)?.current_version ?? 0) + 1 : 1;
    ui.save.textContent = `Save as version ${next}`;
    ui.save.disabled = !editable || !st.checked || count > 0 || (!st.dirty && !!st.line);
    ui.note.disabled = !editable;
    ui.create.disabled = !st.line || st.dirty || role() === 'viewer';
    ui.create.textContent = st.line && st.version ? `Create project from ${st.line} v${st.version}` : 'Create project (save first)';
  }

  function renderType(editable) {
    const list = model.types(st.def);
    const t = list.find((x) => x.name === st.selected);
    if (!t) {
      delete ui.typeBody.dataset.sig;
      ui.typeHead.replaceChildren();
      ui.typeHead.hidden = true;
      ui.typeBody.replaceChildren(h('p', { class: 'design-muted' }, list.length ? 'Select a document type on the graph.' : 'Add a document type to begin.'));
      ui.addStationRow.hidden = true;
      return;
    }
    ui.typeHead.hidden = false;
    ui.addStationRow.hidden = false;
    ui.addStation.disabled = !editable;
    const ti = list.indexOf(t);
    // Rebuild only when the type, its findings or the skills changed: an input keeps its focus.
    const mine = st.findings.filter((f) => model.typeOfPath(f.path) === ti);
    const sig = JSON.stringify([t, ti, list.map((x) => x.name), mine, editable, st.skills.length]);
    if (ui.typeBody.dataset.sig === sig) return;
    ui.typeBody.dataset.sig = sig;
    const typeFindings = mine.filter((f) => model.stationOfPath(f.path) < 0 && model.fanOutFieldOfPath(f.path) == null);
    const others = list.filter((x) => x.name !== t.name);
    const stations = (t.stations || []).map((s, si) => station(t, ti, s, si, editable));
    const focused = ui.typeBody.contains(document.activeElement) ? document.activeElement.dataset.fk : null;
    // replaceChildren would write a left-out part (null) as the text "null": leave those out.
    ui.typeHead.replaceChildren(h('h3', null, t.name),
      h('button', { class: 'btn btn-danger', type: 'button', id: 'design-remove-type', disabled: !editable,
        onclick: () => { model.removeType(st.def, t.name); st.selected = model.types(st.def)[0]?.name ?? null; changed(); } }, 'Remove type'));
    ui.typeBody.replaceChildren(...[
      findingList(typeFindings),
      h('fieldset', { class: 'design-deps' }, h('legend', null, 'Depends on'),
        others.length ? others.map((o) => h('label', { class: 'dep-toggle' },
          h('input', { type: 'checkbox', dataset: { dep: o.name, fk: `dep:${o.name}` }, checked: (t.depends_on || []).includes(o.name), disabled: !editable,
            onchange: (e) => {
              if (e.target.checked) model.addDependency(st.def, t.name, o.name); else model.removeDependency(st.def, t.name, o.name);
              changed();
            } }), ` ${o.name}`)) : h('span', { class: 'design-muted' }, 'no other types')),
      fanOut(t, ti, list, editable),
      h('div', { class: 'design-stations' }, stations.length ? stations : h('p', { class: 'design-muted' }, 'No stations yet: add one from a preset.'))]
      .filter(Boolean));
    // Keep the keyboard where it was: the panel is rebuilt after each edit.
    if (focused) ui.typeBody.querySelector(`[data-fk="${CSS.escape(focused)}"]`)?.focus();
  }

  /** Adds a station from the preset to the selected type. */
  function addStation() {
    const t = model.types(st.def).find((x) => x.name === st.selected);
    if (!t || !st.admin) return;
    t.stations = t.stations || [];
    t.stations.push(model.presetStation(t, ui.presetKind.value, ui.presetStep.value, st.skills));
    changed();
  }

  /**
   * The type's fan-out: whether it fans out, the station whose output lists the items, the field
   * that lists them, the child type (one of the line's types) and max_items. The validator's
   * findings on fan_out.<field> appear on that field.
   */
  function fanOut(t, ti, list, editable) {
    const f = t.fan_out;
    const findings = st.findings.filter((x) => model.typeOfPath(x.path) === ti && model.fanOutFieldOfPath(x.path) != null);
    const on = h('input', { type: 'checkbox', id: 'design-fanout-on', dataset: { fk: 'fanout:on' }, checked: !!f, disabled: !editable,
      onchange: (e) => { if (e.target.checked) t.fan_out = model.newFanOut(t); else delete t.fan_out; changed(); } });
    const head = h('label', { class: 'dep-toggle' }, on, ' fans out: each item of a station\'s output becomes a child track');
    if (!f) return h('fieldset', { class: 'design-fanout' }, h('legend', null, 'Fan-out'), head);
    const set = (key, value) => { if (value === '' || value == null) delete f[key]; else f[key] = value; changed(); };
    // A value the lists do not hold (a stored or typed one) stays shown as it is, for the validator to speak about.
    const withCurrent = (values, current) => (current && !values.includes(current) ? [...values, current] : values);
    const field = (name, label, input) => {
      const mine = findings.filter((x) => model.fanOutFieldOfPath(x.path) === name);
      input.dataset.fk = `fanout:${name}`;
      input.dataset.field = name;
      if (mine.length) input.setAttribute('aria-invalid', 'true');
      return h('div', { class: ['design-field', mine.length && 'has-finding'], dataset: { fanOutField: name } },
        h('label', null, h('span', null, label), input), findingList(mine));
    };
    const stationIds = withCurrent((t.stations || []).map((s) => s.id).filter(Boolean), f.station);
    const listId = `design-fanout-types-${ti}`;
    return h('fieldset', { class: ['design-fanout', findings.length && 'has-finding'] }, h('legend', null, 'Fan-out'), head,
      findingList(findings.filter((x) => model.fanOutFieldOfPath(x.path) === '')),
      h('div', { class: 'design-fields' },
        field('station', 'station', h('select', { disabled: !editable, onchange: (e) => set('station', e.target.value) },
          h('option', { value: '', selected: !f.station }, '—'),
          ...stationIds.map((id) => h('option', { value: id, selected: id === f.station }, id)))),
        field('items', 'items field of its output', h('input', { value: f.items ?? '', disabled: !editable, spellcheck: 'false',
          onchange: (e) => set('items', e.target.value.trim()) })),
        field('child_type', 'child type', h('input', { value: f.child_type ?? '', list: listId, disabled: !editable, spellcheck: 'false',
          autocomplete: 'off', onchange: (e) => set('child_type', e.target.value.trim()) })),
        field('max_items', 'max items', h('input', { type: 'number', min: 1, max: 1000, placeholder: '100', value: f.max_items ?? '',
          disabled: !editable, onchange: (e) => set('max_items', e.target.value === '' ? null : Number(e.target.value)) }))),
      h('datalist', { id: listId }, ...list.filter((x) => x.name !== t.name).map((x) => h('option', { value: x.name }))));
  }

  function station(t, ti, s, si, editable) {
    const findings = st.findings.filter((f) => model.typeOfPath(f.path) === ti && model.stationOfPath(f.path) === si);
    const field = (label, input) => {
      input.dataset.fk = `${si}:${label}`;
      return h('label', { class: 'design-field' }, h('span', null, label), input);
    };
    const set = (key, value) => { if (value === '' || value == null) delete s[key]; else s[key] = value; changed(); };
    const stepSource = s.step?.skill ?? (s.step ? 'sim' : 'manual');
    return h('div', { class: ['design-station', findings.length && 'has-finding'], dataset: { station: s.id ?? '', index: si } },
      h('div', { class: 'design-station-head' },
        h('b', null, `${si + 1}. ${s.id ?? '(no id)'}`), h('span', { class: 'design-muted' }, ` ${s.kind ?? ''}`),
        h('button', { class: 'btn btn-ghost', type: 'button', disabled: !editable || si === 0, 'aria-label': `move ${s.id} up`,
          onclick: () => { t.stations.splice(si - 1, 0, t.stations.splice(si, 1)[0]); changed(); } }, '↑'),
        h('button', { class: 'btn btn-ghost remove-station', type: 'button', disabled: !editable, 'aria-label': `remove station ${s.id}`,
          onclick: () => { t.stations.splice(si, 1); changed(); } }, 'Remove')),
      h('div', { class: 'design-fields' },
        field('id', h('input', { value: s.id ?? '', disabled: !editable, onchange: (e) => set('id', e.target.value.trim()) })),
        field('kind', h('select', { disabled: !editable, onchange: (e) => set('kind', e.target.value) },
          ...model.KINDS.map((k) => h('option', { value: k.kind, selected: k.kind === s.kind || k.id === s.kind }, k.label)))),
        field('capability', h('input', { value: s.capability ?? '', disabled: !editable, onchange: (e) => set('capability', e.target.value.trim()) })),
        field('automation', h('select', { disabled: !editable, onchange: (e) => set('automation', e.target.value) },
          ...model.AUTOMATIONS.map((a) => h('option', { value: a, selected: a === s.automation }, a)))),
        field('step', h('select', { disabled: !editable, onchange: (e) => {
          const v = e.target.value;
          if (v === 'manual') delete s.step;
          else if (v === 'sim') s.step = { type: 'sim', trust: 'vetted', params: { duration_ms: 200 } };
          else s.step = { skill: v };
          changed();
        } }, h('option', { value: 'sim', selected: stepSource === 'sim' }, 'sim (vetted)'),
        h('option', { value: 'manual', selected: stepSource === 'manual' }, 'manual (no step)'),
        ...st.skills.map((k) => h('option', { value: k.id, selected: stepSource === k.id }, `skill ${k.id}`)))),
        field('work items', h('input', { type: 'number', min: 1, max: 100, value: s.work_items ?? 1, disabled: !editable,
          onchange: (e) => set('work_items', e.target.value === '' ? null : Number(e.target.value)) })),
        field('gates (JSON)', h('textarea', { rows: 2, disabled: !editable, spellcheck: 'false',
          onchange: (e) => {
            try { s.gates = JSON.parse(e.target.value || '[]'); e.target.removeAttribute('aria-invalid'); changed(); } catch {
              e.target.setAttribute('aria-invalid', 'true');
              note(ui.saveNote, 'gates must be a JSON list such as [{"type": "verification", "level": 3}]', 'bad');
            }
          } }, JSON.stringify(s.gates ?? [])))),
      findingList(findings));
  }

  function findingList(findings) {
    if (!findings.length) return null;
    return h('ul', { class: 'design-element-findings' }, ...findings.map((f) => h('li', { class: 'finding', dataset: { path: f.path } }, f.message)));
  }

  function renderFindings() {
    const list = st.findings;
    ui.findings.replaceChildren(...(list.length
      ? list.map((f) => h('li', { class: 'finding', dataset: { path: f.path }, tabindex: 0, role: 'button',
        onclick: () => select(f), onkeydown: (e) => { if (e.key === 'Enter') select(f); } },
      h('code', null, f.path || '(the line)'), ' ', f.message))
      : [h('li', { class: 'design-muted' }, st.checked ? 'No findings.' : 'Checking…')]));
  }

  function select(f) {
    const t = model.types(st.def)[model.typeOfPath(f.path)] ?? (f.members?.length ? model.types(st.def).find((x) => x.name === f.members[0]) : null);
    if (t) { st.selected = t.name; render(); }
  }

  // ---- wiring ----------------------------------------------------------------------------

  ui.lineSelect.addEventListener('change', () => { ui.diff.replaceChildren(); openLine(ui.lineSelect.value || null); });
  ui.versionSelect.addEventListener('change', () => openLine(st.line, Number(ui.versionSelect.value)));
  ui.newLine.addEventListener('click', () => { ui.lineSelect.value = ''; openLine(null); ui.lineName.focus(); });
  ui.addType.addEventListener('click', addType);
  ui.addStation.addEventListener('click', addStation);
  ui.typeName.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); addType(); } });
  ui.lineName.addEventListener('input', () => changed());
  ui.title.addEventListener('change', () => { st.def.title = ui.title.value; changed(); });
  ui.save.addEventListener('click', save);
  ui.create.addEventListener('click', createProject);

  return { show: start };
}

function note(el, text, kind) {
  el.textContent = text;
  el.dataset.kind = kind;
}

function build(root) {
  const ui = {
    lineSelect: h('select', { id: 'design-line' }),
    versionSelect: h('select', { id: 'design-version' }),
    newLine: h('button', { class: 'btn', type: 'button', id: 'design-new' }, 'New line'),
    lineName: h('input', { id: 'design-name', placeholder: 'new line name (lowercase)', autocomplete: 'off', spellcheck: 'false' }),
    title: h('input', { id: 'design-title', placeholder: 'title', autocomplete: 'off' }),
    readOnly: h('span', { class: 'design-readonly', id: 'design-readonly' }, 'Read-only: only an admin saves lines'),
    graph: h('svg'),
    graphNote: h('p', { class: 'design-graph-note', id: 'design-graph-note', 'aria-live': 'polite' }),
    typeName: h('input', { id: 'design-type-name', placeholder: 'document type name', autocomplete: 'off', spellcheck: 'false' }),
    addType: h('button', { class: 'btn', type: 'button', id: 'design-add-type' }, 'Add type'),
    type: h('div', { class: 'design-type', id: 'design-type' }),
    typeHead: h('div', { class: 'design-type-head' }),
    typeBody: h('div', { class: 'design-type-body' }),
    presetKind: h('select', { id: 'design-preset-kind' }),
    presetStep: h('select', { id: 'design-preset-step' }),
    addStation: h('button', { class: 'btn', type: 'button', id: 'design-add-station' }, 'Add station'),
    findings: h('ul', { class: 'design-findings', id: 'design-findings', 'aria-live': 'polite' }),
    status: h('span', { class: 'design-status', id: 'design-status' }),
    note: h('input', { id: 'design-note', placeholder: 'note for this version', maxlength: 500, autocomplete: 'off' }),
    save: h('button', { class: 'btn btn-primary', type: 'button', id: 'design-save' }, 'Save'),
    saveNote: h('span', { class: 'design-save-note', id: 'design-save-note', role: 'status' }),
    create: h('button', { class: 'btn', type: 'button', id: 'design-create-project' }, 'Create project'),
    diff: h('div', { class: 'design-diff', id: 'design-diff' }),
  };
  // The type's editor is redrawn when the validator answers, and its findings come and go. The
  // add-station row is neither redrawn nor moved by them (it sits under the one-line head): a click
  // pressed before the answer and released after is not lost, nor does it land beside the button.
  ui.addStationRow = h('div', { class: 'design-add-station', hidden: true },
    h('label', null, 'Kind ', ui.presetKind), h('label', null, 'Step ', ui.presetStep), ui.addStation);
  ui.type.replaceChildren(ui.typeHead, ui.addStationRow, ui.typeBody);
  // The graph is SVG: make it in the SVG namespace.
  ui.graph = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  ui.graph.id = 'design-graph';
  ui.graph.setAttribute('role', 'group');
  ui.graph.setAttribute('aria-label', 'Routing graph of the line being designed');
  ui.graph.setAttribute('width', '100%');
  root.replaceChildren(
    h('div', { class: 'design-bar' },
      h('label', null, 'Line ', ui.lineSelect), h('label', null, 'Version ', ui.versionSelect), ui.newLine, ui.lineName, ui.title, ui.readOnly),
    h('div', { class: 'design-main' },
      h('section', { class: 'panel design-graph-panel', 'aria-labelledby': 'design-graph-title' },
        h('header', { class: 'panel-head' }, h('h2', { id: 'design-graph-title' }, 'Routing graph'),
          h('span', { class: 'panel-hint' }, 'drag from a type to another (or press c on one, Enter on the other): the second depends on the first · focus an edge, Delete removes it')),
        h('div', { class: 'design-graph-host' }, ui.graph), ui.graphNote,
        h('div', { class: 'design-add-type' }, ui.typeName, ui.addType)),
      h('section', { class: 'panel design-type-panel', 'aria-labelledby': 'design-type-title' },
        h('header', { class: 'panel-head' }, h('h2', { id: 'design-type-title' }, 'Document type')), ui.type)),
    h('div', { class: 'design-main' },
      h('section', { class: 'panel', 'aria-labelledby': 'design-findings-title' },
        h('header', { class: 'panel-head' }, h('h2', { id: 'design-findings-title' }, 'Validator'), ui.status), ui.findings,
        h('div', { class: 'design-save' }, ui.note, ui.save, ui.create), ui.saveNote),
      h('section', { class: 'panel', 'aria-labelledby': 'design-diff-title' },
        h('header', { class: 'panel-head' }, h('h2', { id: 'design-diff-title' }, 'Changes from the version before')), ui.diff)));
  return ui;
}
