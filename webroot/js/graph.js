// The dependency graph of the line: one node per document type, in tiers left to right by
// dependency depth, coloured by state; edges run from a dependency to its dependents.

import { svg } from './dom.js';
import { state, tiers, urgentState } from './store.js';
import { ACTIVE, humanize, shortStateText, trackStateText } from './vocab.js';

const NODE_H = 46;
const V_GAP = 14;
const PAD_X = 18;
const PAD_TOP = 30;
const PAD_BOTTOM = 14;
const MIN_GAP = 34;

let lastSig = null;

export function renderGraph(svgEl, { onPick }) {
  const host = svgEl.parentElement;
  const width = Math.max(420, Math.floor(host.clientWidth || 900));
  const { families, deps, columns } = tiers();
  const sig = JSON.stringify([width, columns, [...families].map(([d, l]) => [d, l.map((t) => [t.state, t.remediation_count])])]);
  if (sig === lastSig) return;
  lastSig = sig;

  if (!families.size) {
    svgEl.setAttribute('viewBox', `0 0 ${width} 90`);
    svgEl.setAttribute('height', '90');
    svgEl.replaceChildren(svg('text', { class: 'graph-empty', x: width / 2, y: 50, 'text-anchor': 'middle' },
      state.loaded ? 'No document types on this line yet' : 'Loading the line definition…'));
    return;
  }

  const cols = columns.length;
  const rowsMax = Math.max(...columns.map((c) => c.length));
  const nodeW = Math.max(128, Math.min(200, (width - 2 * PAD_X - (cols - 1) * MIN_GAP) / cols));
  const step = cols > 1 ? Math.min((width - 2 * PAD_X - nodeW) / (cols - 1), nodeW + 170) : 0;
  const used = nodeW + step * (cols - 1);
  const left = Math.max(PAD_X, (width - used) / 2);
  const height = PAD_TOP + rowsMax * NODE_H + (rowsMax - 1) * V_GAP + PAD_BOTTOM;

  const pos = new Map();
  columns.forEach((col, c) => {
    const top = PAD_TOP + ((rowsMax - col.length) * (NODE_H + V_GAP)) / 2;
    col.forEach((doc, r) => pos.set(doc, { x: left + c * step, y: top + r * (NODE_H + V_GAP) }));
  });

  const familyState = new Map([...families].map(([doc, list]) => [doc, urgentState(list)]));
  const edges = [];
  for (const [doc, ds] of deps) {
    const to = pos.get(doc);
    for (const dep of ds) {
      const from = pos.get(dep);
      if (!from || !to) continue;
      const x1 = from.x + nodeW;
      const y1 = from.y + NODE_H / 2;
      const x2 = to.x - 2;
      const y2 = to.y + NODE_H / 2;
      const dx = Math.max(24, (x2 - x1) / 2);
      const satisfied = ['stabilized', 'escalated'].includes(familyState.get(dep));
      const flowing = satisfied && ACTIVE.has(familyState.get(doc));
      edges.push(svg('path', {
        class: ['edge', satisfied && 'satisfied', flowing && 'flow'],
        d: `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`,
        'marker-end': satisfied ? 'url(#graph-arrow-ok)' : 'url(#graph-arrow)',
        dataset: { from: dep, to: doc },
      }));
    }
  }

  const labels = columns.map((col, c) => svg('text', {
    class: 'tier-label', x: left + c * step + 2, y: 16,
  }, `TIER ${c + 1}`));

  const nodes = [];
  for (const [doc, list] of families) {
    const p = pos.get(doc);
    const st = familyState.get(doc);
    const first = list[0];
    const title = list.length === 1 ? (first.title || humanize(doc)) : humanize(doc);
    const done = list.filter((t) => t.state === 'stabilized').length;
    const sub = list.length > 1
      ? `×${list.length} · ${done}/${list.length} stabilized`
      : shortStateText(st, first);
    const maxChars = Math.floor((nodeW - 32) / 6.6);
    const tip = list.length > 1
      ? `${title}: ${list.length} tracks, ${done} stabilized, most urgent: ${trackStateText({ state: st })}`
      : `${title}: ${trackStateText(first)}`;
    const g = svg('g', {
      class: ['graph-node', `s-${st}`], transform: `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`,
      tabindex: '0', role: 'button', 'aria-label': tip,
      dataset: { documentType: doc, state: st, tracks: list.length },
    },
    svg('title', null, tip),
    svg('rect', { class: 'node-box', width: nodeW, height: NODE_H, rx: 7 }),
    svg('rect', { class: 'node-stripe', x: 0, y: 0, width: 4, height: NODE_H, rx: 2 }),
    svg('text', { class: 'node-title', x: 14, y: 19 }, clip(title, maxChars)),
    svg('text', { class: 'node-sub', x: 14, y: 35 }, clip(sub, maxChars + 4)),
    svg('circle', { class: 'node-dot', cx: nodeW - 13, cy: 14, r: 4 }),
    list.length > 1 && done > 0
      ? svg('rect', { class: 'node-frac', x: 4, y: NODE_H - 3, width: ((nodeW - 8) * done) / list.length, height: 2 })
      : null);
    const pick = () => onPick(doc);
    g.addEventListener('click', pick);
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(); } });
    nodes.push(g);
  }

  svgEl.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svgEl.setAttribute('height', String(height));
  svgEl.replaceChildren(
    svg('g', { class: 'tiers' }, ...labels),
    svg('g', { class: 'edges' }, ...edges),
    svg('g', { class: 'nodes' }, ...nodes));
}

function clip(text, max) {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, Math.max(1, max - 1))}…` : s;
}
