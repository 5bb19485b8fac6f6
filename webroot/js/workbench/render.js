// Safe renderings of artifacts: text and Markdown built as DOM nodes (never innerHTML), JSON
// pretty-printed and foldable, URLs as links (http and https only).

import { h } from '../dom.js';

/** A small Markdown subset: headings, lists, fenced code, paragraphs, inline `code`, **bold**. */
export function markdown(text) {
  const root = h('div', { class: 'wb-md' });
  const lines = String(text ?? '').split('\n');
  let list = null;
  let para = [];
  const flush = () => {
    if (para.length) root.append(h('p', null, inline(para.join(' '))));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('```')) {
      flush();
      list = null;
      const code = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) code.push(lines[i]);
      root.append(h('pre', null, h('code', { text: code.join('\n') })));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*[-*]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      list = null;
      root.append(h(`h${Math.min(6, heading[1].length + 2)}`, null, inline(heading[2])));
    } else if (item) {
      flush();
      if (!list) {
        list = h('ul');
        root.append(list);
      }
      list.append(h('li', null, inline(item[1])));
    } else if (!line.trim()) {
      flush();
      list = null;
    } else {
      list = null;
      para.push(line);
    }
  }
  flush();
  return root;
}

function inline(text) {
  const out = [];
  const re = /(`[^`]+`|\*\*[^*]+\*\*|https?:\/\/[^\s)]+)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const t = m[0];
    if (t.startsWith('`')) out.push(h('code', { text: t.slice(1, -1) }));
    else if (t.startsWith('**')) out.push(h('strong', { text: t.slice(2, -2) }));
    else out.push(link(t));
    last = m.index + t.length;
  }
  out.push(text.slice(last));
  return out;
}

export function link(url, label) {
  const ok = /^https?:\/\//i.test(url ?? '');
  return ok ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: label ?? url }) : h('span', { text: url ?? '' });
}

/** JSON as a foldable tree: objects and arrays are <details>, open two levels deep. */
export function json(value, depth = 0) {
  if (value === null || typeof value !== 'object') {
    return h('span', { class: `wb-json-${value === null ? 'null' : typeof value}`, text: JSON.stringify(value) });
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const open = Array.isArray(value) ? '[' : '{';
  const close = Array.isArray(value) ? ']' : '}';
  if (!entries.length) return h('span', { text: open + close });
  const details = h('details', { class: 'wb-json', open: depth < 2 },
    h('summary', { text: `${open} ${entries.length} ${Array.isArray(value) ? 'items' : 'keys'} ${close}` }));
  for (const [k, v] of entries) {
    details.append(h('div', { class: 'wb-json-row' }, h('span', { class: 'wb-json-key', text: Array.isArray(value) ? `${k}: ` : `"${k}": ` }),
      json(v, depth + 1)));
  }
  return details;
}
