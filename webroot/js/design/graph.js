// The routing graph of the definition being designed: a node per document type in columns by
// dependency depth, an edge from each dependency to its dependents. Drag from one type to another
// to make the second depend on the first; an edge is focusable and Delete removes it. Nodes carry
// the validator's findings: `has-finding`, and `in-cycle` for the members of a dependency cycle.

import { svg } from '../dom.js';
import { columns, types } from './model.js';

const NODE_W = 150;
const NODE_H = 48;
const GAP_X = 70;
const GAP_Y = 18;
const PAD = 20;
/** Room above the nodes for the arcs of dependencies that point back (a cycle). */
const ARC = 44;

/**
 * Draws `def` into `svgEl`. `marks`: Map of type name -> { findings: [messages], cycle: bool }.
 * Callbacks: onSelect(name), onConnect(dependency, dependent), onConnectFrom(name or null: a
 * dependency started from the keyboard), onRemoveEdge(dependent, dependency).
 */
export function drawGraph(svgEl, def, { selected, marks, editable, onSelect, onConnect, onConnectFrom, onRemoveEdge }) {
  // Redraw only when what is drawn changed: a node keeps the keyboard focus, a drag its target.
  const sig = JSON.stringify([types(def).map((t) => [t.name, t.depends_on, (t.stations || []).length]), selected, [...marks], editable]);
  if (svgEl.dataset.sig === sig) return;
  svgEl.dataset.sig = sig;
  const cols = columns(def);
  const rows = Math.max(1, ...cols.map((c) => c.length));
  const width = Math.max(360, PAD * 2 + cols.length * NODE_W + Math.max(0, cols.length - 1) * GAP_X);
  const height = ARC + PAD * 2 + rows * NODE_H + (rows - 1) * GAP_Y;
  svgEl.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svgEl.setAttribute('height', String(height));
  if (!types(def).length) {
    svgEl.replaceChildren(svg('text', { class: 'graph-empty', x: width / 2, y: height / 2, 'text-anchor': 'middle' },
      'No document types yet: name one below and add it'));
    return;
  }
  const pos = new Map();
  cols.forEach((col, c) => col.forEach((name, r) => {
    const top = ARC + PAD + ((rows - col.length) * (NODE_H + GAP_Y)) / 2;
    pos.set(name, { x: PAD + c * (NODE_W + GAP_X), y: top + r * (NODE_H + GAP_Y) });
  }));

  const edges = [];
  for (const t of types(def)) {
    for (const dep of t.depends_on || []) {
      const from = pos.get(dep);
      const to = pos.get(t.name);
      if (!from || !to) continue;
      const cyc = marks.get(dep)?.cycle && marks.get(t.name)?.cycle;
      const back = to.x <= from.x;
      const x1 = back ? from.x + NODE_W / 2 : from.x + NODE_W;
      const y1 = back ? from.y : from.y + NODE_H / 2;
      const x2 = back ? to.x + NODE_W / 2 : to.x - 3;
      const y2 = back ? to.y : to.y + NODE_H / 2;
      const d = back
        ? `M ${x1} ${y1} C ${x1} ${y1 - 40}, ${x2} ${y2 - 40}, ${x2} ${y2}`
        : `M ${x1} ${y1} C ${x1 + 30} ${y1}, ${x2 - 30} ${y2}, ${x2} ${y2}`;
      const label = `${t.name} depends on ${dep}`;
      const edge = svg('path', {
        class: ['design-edge', cyc && 'in-cycle'], d, 'marker-end': 'url(#graph-arrow)', tabindex: 0, role: 'button',
        'aria-label': `${label}${editable ? ' (Delete removes it)' : ''}`, dataset: { from: dep, to: t.name },
      }, svg('title', null, label));
      if (editable) {
        edge.addEventListener('keydown', (e) => {
          if (e.key === 'Delete' || e.key === 'Backspace') { e.preventDefault(); onRemoveEdge(t.name, dep); }
        });
        edge.addEventListener('dblclick', () => onRemoveEdge(t.name, dep));
      }
      edges.push(edge);
    }
  }

  const nodes = [];
  for (const t of types(def)) {
    const p = pos.get(t.name);
    const mark = marks.get(t.name);
    const stations = (t.stations || []).length;
    const node = svg('g', {
      class: ['design-node', t.name === selected && 'selected', mark?.findings.length && 'has-finding', mark?.cycle && 'in-cycle'],
      transform: `translate(${p.x}, ${p.y})`, tabindex: 0, role: 'button', dataset: { type: t.name },
      'aria-label': `document type ${t.name}, ${stations} station${stations === 1 ? '' : 's'}`
        + (mark?.findings.length ? `; ${mark.findings.join('; ')}` : ''),
    },
    svg('rect', { class: 'node-box', width: NODE_W, height: NODE_H, rx: 7 }),
    svg('text', { class: 'node-name', x: 10, y: 19 }, t.name),
    svg('text', { class: 'node-sub', x: 10, y: 36 }, mark?.cycle ? 'in a dependency cycle' : `${stations} station${stations === 1 ? '' : 's'}`),
    mark?.findings.length ? svg('title', null, mark.findings.join('\n')) : null);
    node.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(t.name); }
      // From the keyboard: "c" on a type starts a dependency from it, Enter on another type ends it.
      if (editable && (e.key === 'c' || e.key === 'C')) { e.preventDefault(); onConnectFrom(t.name); }
      if (e.key === 'Escape') onConnectFrom(null);
    });
    node.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const start = t.name;
      const up = (ev) => {
        window.removeEventListener('pointerup', up);
        const target = document.elementFromPoint(ev.clientX, ev.clientY)?.closest?.('.design-node');
        const end = target?.dataset.type;
        if (end && end !== start && editable) onConnect(start, end);
        else onSelect(start);
      };
      window.addEventListener('pointerup', up);
    });
    nodes.push(node);
  }
  const focused = svgEl.contains(document.activeElement) ? document.activeElement.dataset?.type : null;
  svgEl.replaceChildren(...edges, ...nodes);
  // The keyboard stays on the type it was on.
  if (focused) nodes.find((n) => n.dataset.type === focused)?.focus();
}
