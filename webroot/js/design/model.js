// The definition being designed: plain JSON in the shape the server stores (snake_case), and the
// edits the designer makes to it. No DOM here.

export const KINDS = [
  { kind: 'bind', id: 'bind', label: 'bind' },
  { kind: 'assemble', id: 'asm', label: 'assemble' },
  { kind: 'audit', id: 'aud', label: 'audit' },
  { kind: 'remediate', id: 'rem', label: 'remediate' },
];
export const AUTOMATIONS = ['fully_auto', 'auto_notify', 'human_approval', 'manual'];

export function emptyLine(name = '') {
  return { name, title: '', description: '', document_types: [] };
}

export function types(def) {
  return def.document_types || (def.document_types = []);
}

export function typeIndex(def, name) {
  return types(def).findIndex((t) => t.name === name);
}

export function addType(def, name) {
  types(def).push({ name, depends_on: [], stations: [] });
}

/** Removes a type and every dependency on it. */
export function removeType(def, name) {
  def.document_types = types(def).filter((t) => t.name !== name);
  for (const t of types(def)) t.depends_on = (t.depends_on || []).filter((d) => d !== name);
}

/** `dependent` depends on `dependency` from now on. */
export function addDependency(def, dependent, dependency) {
  const t = types(def).find((x) => x.name === dependent);
  if (!t || dependent === dependency) return false;
  t.depends_on = t.depends_on || [];
  if (t.depends_on.includes(dependency)) return false;
  t.depends_on.push(dependency);
  return true;
}

export function removeDependency(def, dependent, dependency) {
  const t = types(def).find((x) => x.name === dependent);
  if (t) t.depends_on = (t.depends_on || []).filter((d) => d !== dependency);
}

/**
 * A station from a preset: a kind, and a step source — 'sim' (a vetted simulated step),
 * 'manual' (no step) or a skill of conf/skills.
 */
export function presetStation(type, kind, source, skills) {
  const k = KINDS.find((x) => x.kind === kind) || KINDS[0];
  const ids = new Set((type.stations || []).map((s) => s.id));
  let id = k.id;
  for (let n = 2; ids.has(id); n++) id = `${k.id}${n}`;
  const station = { id, kind: k.kind, capability: 'sim', automation: 'fully_auto', work_items: 1, gates: [] };
  if (source === 'manual') {
    station.automation = 'manual';
    station.capability = 'manual';
  } else if (source === 'sim') {
    station.step = { type: 'sim', trust: 'vetted', params: { duration_ms: 200 } };
  } else {
    const skill = skills.find((s) => s.id === source);
    station.step = { skill: source };
    if (skill && !skill.fully_auto) station.automation = 'auto_notify';
  }
  return station;
}

/** Columns of type names by dependency depth (a cycle does not loop: each type is placed once). */
export function columns(def) {
  const list = types(def);
  const byName = new Map(list.map((t) => [t.name, t]));
  const depth = new Map();
  const visiting = new Set();
  const depthOf = (name) => {
    if (depth.has(name)) return depth.get(name);
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const t = byName.get(name);
    let d = 0;
    for (const dep of t?.depends_on || []) if (byName.has(dep)) d = Math.max(d, depthOf(dep) + 1);
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  const cols = [];
  for (const t of list) {
    const d = depthOf(t.name);
    (cols[d] = cols[d] || []).push(t.name);
  }
  return cols.filter(Boolean);
}

/** The index of the type a finding's path names (`document_types[3]…`), or -1. */
export function typeOfPath(path) {
  const m = /^document_types\[(\d+)\]/.exec(path || '');
  return m ? Number(m[1]) : -1;
}

/** The station index a finding's path names (`…stations[2]…`), or -1. */
export function stationOfPath(path) {
  const m = /^document_types\[\d+\]\.stations\[(\d+)\]/.exec(path || '');
  return m ? Number(m[1]) : -1;
}

/**
 * The field of a type's fan_out a finding's path names (`…fan_out.child_type` → 'child_type'),
 * '' for the fan_out as a whole, or null when the path is not about a fan_out.
 */
export function fanOutFieldOfPath(path) {
  const m = /^document_types\[\d+\]\.fan_out(?:\.(\w+))?/.exec(path || '');
  return m ? (m[1] ?? '') : null;
}

/** A new fan-out of `type`: from its first station; the rest for the designer to fill (the validator says what is missing). */
export function newFanOut(type) {
  return { station: type.stations?.[0]?.id ?? '', items: '', child_type: '' };
}
