// Bulk actions on tracks: select several (a box on each track), then cancel them (kind and
// reason) or acknowledge their halts. The server's dry run says exactly what will happen to each
// track; the operator confirms that sentence, and the same request runs for real.

import { h } from '../dom.js';
import { send, detail } from './api.js';

const selected = new Set();
let bar = null;

export function selectBox(trackId) {
  const box = h('input', { type: 'checkbox', class: 'wb-select', 'aria-label': 'Select this track for a bulk action', checked: selected.has(trackId) });
  box.addEventListener('click', (e) => e.stopPropagation());
  box.addEventListener('change', () => {
    if (box.checked) selected.add(trackId); else selected.delete(trackId);
    renderBar();
  });
  return box;
}

function renderBar() {
  if (!bar) {
    bar = h('div', { id: 'wb-bulk', class: 'wb-bulk', role: 'region', 'aria-label': 'Bulk actions' });
    document.body.append(bar);
  }
  bar.hidden = selected.size === 0;
  const kind = h('select', { id: 'wb-bulk-kind', 'aria-label': 'Cancel kind' }, new Option('permanent', 'permanent'),
    new Option('qc reject (start a new track)', 'qc_reject'), new Option('redesign', 'redesign'));
  const reason = h('input', { id: 'wb-bulk-reason', placeholder: 'reason', 'aria-label': 'Reason' });
  const cancel = h('button', { id: 'wb-bulk-cancel', class: 'btn', type: 'button', text: 'Cancel selected…' });
  const notes = h('input', { id: 'wb-bulk-notes', placeholder: 'notes', 'aria-label': 'Notes' });
  const ack = h('button', { id: 'wb-bulk-ack', class: 'btn', type: 'button', text: 'Acknowledge halts…' });
  const clear = h('button', { class: 'btn', type: 'button', text: 'Clear' });
  cancel.addEventListener('click', () => confirmThen('/production/tracks/cancel', { kind: kind.value, reason: reason.value }));
  ack.addEventListener('click', () => confirmThen('/production/tracks/acknowledge', notes.value ? { notes: notes.value } : {}));
  clear.addEventListener('click', () => {
    selected.clear();
    document.querySelectorAll('.wb-select').forEach((b) => { b.checked = false; });
    renderBar();
  });
  bar.replaceChildren(h('b', { id: 'wb-bulk-count', text: `${selected.size} selected` }), kind, reason, cancel, notes, ack, clear,
    h('span', { id: 'wb-bulk-note', class: 'cmd-note', role: 'status' }));
}

async function confirmThen(path, extra) {
  const note = bar.querySelector('#wb-bulk-note');
  const body = { track_ids: [...selected], ...extra };
  const plan = await send('POST', path, { ...body, dry_run: true });
  if (plan.status >= 300) {
    note.dataset.tone = 'refused';
    note.textContent = `Refused (${plan.status}): ${detail(plan)}`;
    return;
  }
  const go = h('button', { id: 'wb-confirm-go', class: 'btn btn-primary', type: 'button', text: 'Confirm', disabled: plan.body.will_change === 0 });
  const back = h('button', { id: 'wb-confirm-back', class: 'btn', type: 'button', text: 'Go back' });
  const dialog = h('div', { id: 'wb-confirm', class: 'wb-confirm', role: 'alertdialog', 'aria-label': 'Confirm the bulk action' },
    h('p', { id: 'wb-confirm-says', text: plan.body.says }),
    h('ul', null, plan.body.plan.map((s) => h('li', { dataset: { trackId: s.track_id, action: s.action } },
      `${s.document_type} (${s.project_id}), ${s.state}: ${s.action === 'skip' ? 'skipped — ' : ''}${s.why}`))), go, back);
  document.body.append(dialog);
  back.addEventListener('click', () => dialog.remove());
  go.addEventListener('click', async () => {
    go.disabled = true;
    const done = await send('POST', path, body);
    dialog.remove();
    note.dataset.tone = done.status < 300 ? 'ok' : 'refused';
    note.textContent = done.status < 300
      ? `Done: ${done.body.done} of ${done.body.will_change} tracks${done.body.results.some((r) => !r.done) ? ` (refused: ${done.body.results.filter((r) => !r.done).map((r) => r.detail).join('; ')})` : ''}`
      : `Refused (${done.status}): ${detail(done)}`;
    if (done.status < 300) {
      selected.clear();
      document.querySelectorAll('.wb-select').forEach((b) => { b.checked = false; });
      bar.querySelector('#wb-bulk-count').textContent = '0 selected';
    }
  });
}
