// A run's log: every stored line in pages of 10,000, then live over SSE (resumable: the browser
// sends Last-Event-ID on reconnect), filtered by level and text in the page, and drawn as a
// virtual list (only the rows in view exist), so 100,000 lines stay responsive.

import { h } from '../dom.js';
import { getJson, events } from './api.js';

const ROW = 18;
const FINISHED = new Set(['completed', 'cancelled', 'dropped']);

export class LogView {
  constructor(taskId, taskStatus) {
    this.taskId = taskId;
    this.lines = [];
    this.shown = [];
    this.hidden = new Set();
    this.text = '';
    this.source = null;
    this.levelBox = h('span', { class: 'wb-levels' });
    this.filter = h('input', { class: 'wb-log-filter', type: 'search', placeholder: 'filter lines', 'aria-label': 'Filter log lines' });
    this.count = h('span', { class: 'wb-log-count mono' });
    this.spacer = h('div', { class: 'wb-log-spacer' });
    this.rows = h('div', { class: 'wb-log-rows' });
    this.viewport = h('div', { id: 'wb-log', class: 'wb-log', tabindex: '0', dataset: { lines: 0, shown: 0 } }, this.spacer, this.rows);
    this.el = h('section', { class: 'wb-logs' }, h('header', { class: 'wb-log-head' }, h('h4', { text: 'Log' }), this.levelBox,
      this.filter, this.count), this.viewport);
    let timer = null;
    this.filter.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => { this.text = this.filter.value.trim().toLowerCase(); this.refilter(); }, 120);
    });
    this.viewport.addEventListener('scroll', () => this.draw());
    this.load(taskStatus);
  }

  async load(taskStatus) {
    let after = 0;
    for (;;) {
      let page;
      try {
        page = await getJson(`/api/v1/runs/${encodeURIComponent(this.taskId)}/logs?after=${after}&limit=10000`);
      } catch (p) {
        this.count.textContent = `log not available: ${p.message}`;
        return;
      }
      this.add(page.logs);
      after = page.next_after;
      if (!page.more) {
        taskStatus = page.task_status;
        break;
      }
    }
    if (!FINISHED.has(taskStatus) && !this.closed) this.live(after);
  }

  live(after) {
    this.source = events(`/api/v1/runs/${encodeURIComponent(this.taskId)}/logs?stream=true&after=${after}`);
    this.viewport.dataset.live = 'true';
    this.source.addEventListener('log', (e) => this.add([JSON.parse(e.data)]));
    this.source.addEventListener('end', () => this.stop());
  }

  add(lines) {
    if (!lines.length) return;
    const atBottom = this.viewport.scrollTop + this.viewport.clientHeight >= this.viewport.scrollHeight - ROW;
    let newLevel = false;
    for (const l of lines) {
      if (this.lines.length && l.id <= this.lines[this.lines.length - 1].id) continue;
      this.lines.push(l);
      if (!this.levelsSeen?.has(l.level)) newLevel = true;
      if (this.matches(l)) this.shown.push(l);
    }
    if (newLevel) this.drawLevels();
    this.update(atBottom);
  }

  matches(l) {
    return !this.hidden.has(l.level) && (!this.text || String(l.message).toLowerCase().includes(this.text));
  }

  refilter() {
    this.shown = this.lines.filter((l) => this.matches(l));
    this.update(false);
  }

  drawLevels() {
    const counts = new Map();
    for (const l of this.lines) counts.set(l.level, (counts.get(l.level) ?? 0) + 1);
    this.levelsSeen = new Set(counts.keys());
    this.levelBox.replaceChildren(...[...counts.keys()].sort().map((level) => {
      const box = h('input', { type: 'checkbox', checked: !this.hidden.has(level), dataset: { level } });
      box.addEventListener('change', () => {
        if (box.checked) this.hidden.delete(level); else this.hidden.add(level);
        this.refilter();
      });
      return h('label', { class: `wb-level wb-level-${level}` }, box, level);
    }));
  }

  update(stick) {
    this.viewport.dataset.lines = String(this.lines.length);
    this.viewport.dataset.shown = String(this.shown.length);
    this.count.textContent = this.shown.length === this.lines.length ? `${this.lines.length} lines` : `${this.shown.length} of ${this.lines.length} lines`;
    this.spacer.style.height = `${this.shown.length * ROW}px`;
    if (stick) this.viewport.scrollTop = this.viewport.scrollHeight;
    this.draw();
  }

  draw() {
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 300;
    const first = Math.max(0, Math.floor(top / ROW) - 10);
    const last = Math.min(this.shown.length, Math.ceil((top + height) / ROW) + 10);
    const nodes = [];
    for (let i = first; i < last; i++) {
      const l = this.shown[i];
      nodes.push(h('div', { class: `wb-log-row wb-level-${l.level}`, style: { top: `${i * ROW}px` }, dataset: { id: l.id } },
        h('span', { class: 'wb-log-at mono', text: String(l.at).slice(11, 23) }), h('span', { class: 'wb-log-level', text: l.level }),
        h('span', { class: 'wb-log-msg', text: l.message })));
    }
    this.rows.replaceChildren(...nodes);
  }

  stop() {
    this.closed = true;
    if (this.source) this.source.close();
    this.source = null;
    delete this.viewport.dataset.live;
  }
}
