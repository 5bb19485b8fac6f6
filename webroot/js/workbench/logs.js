// A run's log, paged from the server: the drawer opens on the latest page (?tail=true), earlier
// pages load as the operator scrolls up (?before=<first id>), and the level boxes and the text
// filter ask the server again (level=, contains=), so a run of 100,000 lines costs one page of
// reading and drawing. While the run goes on, its new lines of the same filter come live over SSE
// (resumable: the browser sends Last-Event-ID on reconnect). Only the rows in view exist.

import { h } from '../dom.js';
import { getJson, events } from './api.js';

const ROW = 18;
const PAGE = 1000;
const FINISHED = new Set(['completed', 'cancelled', 'dropped']);

export class LogView {
  constructor(taskId) {
    this.taskId = taskId;
    this.lines = [];          // the loaded lines of the filter, oldest first
    this.counts = {};         // the run's lines per level, as the server counts them
    this.hidden = new Set();
    this.text = '';
    this.earlier = false;     // more lines of the filter lie before the first loaded one
    this.firstId = null;
    this.loadingEarlier = false;
    this.gen = 0;             // a new filter starts a new generation; answers to an older one are dropped
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
      timer = setTimeout(() => {
        const text = this.filter.value.trim();
        if (text === this.text) return;
        this.text = text;
        this.reload();
      }, 200);
    });
    this.viewport.addEventListener('scroll', () => {
      this.draw();
      if (this.viewport.scrollTop < ROW * 20) this.loadEarlier();
    });
    this.reload();
  }

  /** The filter as query parameters, or null when every level is unticked (nothing to ask for). */
  query() {
    let q = '';
    if (this.hidden.size) {
      const wanted = Object.keys(this.counts).filter((l) => !this.hidden.has(l));
      if (!wanted.length) return null;
      q += `&level=${encodeURIComponent(wanted.join(','))}`;
    }
    if (this.text) q += `&contains=${encodeURIComponent(this.text.slice(0, 200))}`;
    return q;
  }

  path() {
    return `/api/v1/runs/${encodeURIComponent(this.taskId)}/logs`;
  }

  /** The latest page of the filter, then its live lines. */
  async reload() {
    const gen = ++this.gen;
    this.stopLive();
    this.viewport.dataset.loading = 'true';
    const q = this.query();
    let page;
    try {
      page = await getJson(`${this.path()}?tail=true&limit=${PAGE}${q ?? ''}`);
    } catch (p) {
      if (gen === this.gen) this.count.textContent = `log not available: ${p.message}`;
      return;
    }
    if (gen !== this.gen || this.closed) return;
    this.setCounts(page.levels ?? {});
    this.lines = q === null ? [] : page.logs;
    this.earlier = q !== null && page.earlier;
    this.firstId = this.lines.length ? this.lines[0].id : null;
    delete this.viewport.dataset.loading;
    this.update(true);
    if (q !== null && !FINISHED.has(page.task_status)) this.live(page.next_after, q, gen);
  }

  /** The page of the filter before the first loaded line, kept in view where the operator was. */
  async loadEarlier() {
    if (!this.earlier || this.loadingEarlier || this.firstId == null) return;
    const q = this.query();
    if (q === null) return;
    const gen = this.gen;
    this.loadingEarlier = true;
    this.viewport.dataset.loadingEarlier = 'true';
    let page;
    try {
      page = await getJson(`${this.path()}?before=${this.firstId}&limit=${PAGE}${q}`);
    } catch (p) {
      this.count.textContent = `earlier lines not available: ${p.message}`;
      return;
    } finally {
      this.loadingEarlier = false;
      delete this.viewport.dataset.loadingEarlier;
    }
    if (gen !== this.gen || this.closed) return;
    const top = this.viewport.scrollTop;
    this.lines = page.logs.concat(this.lines);
    this.earlier = page.earlier;
    if (page.logs.length) this.firstId = page.logs[0].id;
    this.update(false);
    this.viewport.scrollTop = top + page.logs.length * ROW;
    this.draw();
  }

  live(after, q, gen) {
    this.source = events(`${this.path()}?stream=true&after=${after}${q}`);
    this.viewport.dataset.live = 'true';
    this.source.addEventListener('log', (e) => {
      if (gen === this.gen) this.add(JSON.parse(e.data));
    });
    this.source.addEventListener('end', () => this.stopLive());
  }

  add(line) {
    const last = this.lines[this.lines.length - 1];
    if (last && line.id <= last.id) return;
    const atBottom = this.viewport.scrollTop + this.viewport.clientHeight >= this.viewport.scrollHeight - ROW;
    this.lines.push(line);
    this.setCounts({ ...this.counts, [line.level]: (this.counts[line.level] ?? 0) + 1 });
    this.update(atBottom);
  }

  setCounts(counts) {
    const before = Object.keys(this.counts).sort().join(',');
    this.counts = counts;
    if (Object.keys(counts).sort().join(',') !== before) this.drawLevels();
  }

  drawLevels() {
    this.levelBox.replaceChildren(...Object.keys(this.counts).sort().map((level) => {
      const box = h('input', { type: 'checkbox', checked: !this.hidden.has(level), dataset: { level } });
      box.addEventListener('change', () => {
        if (box.checked) this.hidden.delete(level); else this.hidden.add(level);
        this.reload();
      });
      return h('label', { class: `wb-level wb-level-${level}` }, box, level);
    }));
  }

  update(stick) {
    const total = Object.values(this.counts).reduce((a, b) => a + b, 0);
    const filtered = this.hidden.size > 0 || this.text !== '';
    this.viewport.dataset.lines = String(total);
    this.viewport.dataset.shown = String(this.lines.length);
    this.viewport.dataset.earlier = String(this.earlier);
    this.viewport.dataset.first = this.firstId == null ? '' : String(this.firstId);
    const n = (x) => x.toLocaleString('en');
    const loaded = filtered ? `${n(this.lines.length)}${this.earlier ? '+' : ''} matching of ${n(total)} lines`
      : this.earlier ? `latest ${n(this.lines.length)} of ${n(total)} lines` : `${n(total)} lines`;
    this.count.textContent = this.earlier ? `${loaded} · scroll up for earlier` : loaded;
    this.spacer.style.height = `${this.lines.length * ROW}px`;
    if (stick) this.viewport.scrollTop = this.viewport.scrollHeight;
    this.draw();
  }

  draw() {
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 300;
    const first = Math.max(0, Math.floor(top / ROW) - 10);
    const last = Math.min(this.lines.length, Math.ceil((top + height) / ROW) + 10);
    const nodes = [];
    for (let i = first; i < last; i++) {
      const l = this.lines[i];
      nodes.push(h('div', { class: `wb-log-row wb-level-${l.level}`, style: { top: `${i * ROW}px` }, dataset: { id: l.id } },
        h('span', { class: 'wb-log-at mono', text: String(l.at).slice(11, 23) }), h('span', { class: 'wb-log-level', text: l.level }),
        h('span', { class: 'wb-log-msg', text: l.message })));
    }
    this.rows.replaceChildren(...nodes);
  }

  stopLive() {
    if (this.source) this.source.close();
    this.source = null;
    delete this.viewport.dataset.live;
  }

  stop() {
    this.closed = true;
    this.stopLive();
  }
}
