// Tiny DOM helpers: h() builds HTML elements, svg() builds SVG elements.
// Attributes: class (string or array), dataset (object), text, on<event> (function),
// boolean true -> empty attribute, null/undefined/false -> skipped.

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === 'class') {
      const cls = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      if (cls) el.setAttribute('class', cls);
    } else if (key === 'dataset') {
      for (const [dk, dv] of Object.entries(value)) {
        if (dv != null) el.dataset[dk] = String(dv);
      }
    } else if (key === 'text') {
      el.textContent = value;
    } else if (key === 'style' && typeof value === 'object') {
      for (const [prop, v] of Object.entries(value)) {
        if (v != null) el.style.setProperty(prop, String(v));
      }
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false || child === '') continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// Replace the children of `parent` with `nodes`, but only when the sequence differs, so
// that an element keeping focus (an input being typed into) is not moved needlessly.
export function reconcile(parent, nodes) {
  const current = parent.children;
  let same = current.length === nodes.length;
  for (let i = 0; same && i < nodes.length; i++) {
    if (current[i] !== nodes[i]) same = false;
  }
  if (!same) parent.replaceChildren(...nodes);
}

// Restart a one-shot CSS animation class on an element.
export function replay(el, cls) {
  el.classList.remove(cls);
  void el.getBoundingClientRect();
  el.classList.add(cls);
}
