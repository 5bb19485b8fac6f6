// The answer cards of the operator inbox: an open interrupt of the project shown, answered inline.
// A card is built once and kept while its interrupt is open, so what the operator types survives
// live updates.

import { h, reconcile } from './dom.js';
import { state } from './store.js';
import { INTERRUPT_TYPE_TEXT, humanize, clock } from './vocab.js';

const cards = new Map(); // interrupt_id -> element
let actions = null;

/** { resolve(interrupt, resolution, note, done), escalate(interrupt, notes, note, done) } */
export function bindInterruptActions(handlers) {
  actions = handlers;
}

/**
 * The answer card of an interrupt (an inbox item of the project shown): built once and kept while
 * the interrupt is open, so what the operator types survives live updates.
 */
export function interruptCard(i) {
  let card = cards.get(i.interrupt_id);
  if (!card) {
    card = buildCard(i);
    cards.set(i.interrupt_id, card);
  }
  paintTrackLine(card, i);
  return card;
}

/** Forget the cards of interrupts that are no longer open. */
export function keepCards(open) {
  for (const id of [...cards.keys()]) if (!open.has(id)) cards.delete(id);
}

export function focusInterrupt(id) {
  const card = cards.get(id);
  if (!card) return;
  card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  card.classList.remove('flash');
  void card.offsetWidth;
  card.classList.add('flash');
  const first = card.querySelector('input, textarea, button');
  if (first) first.focus({ preventScroll: true });
}

function trackTitle(i) {
  const t = state.tracks.get(i.track_id);
  return (t && t.title) || humanize(i.document_type) || i.track_id;
}

function paintTrackLine(card, i) {
  const line = card.querySelector('.interrupt-track');
  const text = trackTitle(i);
  if (line.textContent !== text) {
    line.textContent = text;
    line.title = `${text} (${i.document_type ?? ''}, track ${i.track_id})`;
  }
}

function questionsOf(payload) {
  const raw = payload && (payload.questions ?? payload.question);
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return list.map((q, n) => {
    if (typeof q === 'string') return { key: q, text: q };
    const text = q.text ?? q.question ?? q.prompt ?? q.label ?? JSON.stringify(q);
    return { key: q.id ?? q.key ?? text ?? `q${n + 1}`, text, hint: q.hint ?? q.placeholder };
  });
}

function findingsOf(payload) {
  const raw = payload && (payload.findings ?? payload.conflicts);
  return Array.isArray(raw) ? raw : raw ? [raw] : [];
}

function finding(f) {
  if (typeof f !== 'object' || f === null) return h('li', null, String(f));
  const label = f.gate ?? f.rule ?? f.check ?? f.kind ?? f.section ?? f.severity;
  const text = f.message ?? f.text ?? f.description ?? f.detail ?? f.reason ?? JSON.stringify(f);
  return h('li', { dataset: { severity: f.severity } }, label ? h('b', null, `${label} `) : null, String(text));
}

function otherPayload(payload) {
  if (!payload || typeof payload !== 'object') return null;
  const rest = Object.entries(payload).filter(([k]) => !['questions', 'question', 'findings', 'conflicts'].includes(k));
  if (!rest.length) return null;
  return h('dl', { class: 'payload' }, ...rest.flatMap(([k, v]) => [
    h('dt', null, humanize(k)),
    h('dd', { class: 'mono' }, typeof v === 'string' ? v : JSON.stringify(v)),
  ]));
}

function buildCard(i) {
  const type = i.type ?? 'clarification';
  const questions = questionsOf(i.payload);
  const findings = findingsOf(i.payload);
  const note = h('span', { class: 'cmd-note', role: 'status' });
  const notes = h('textarea', {
    class: 'notes-input', name: 'notes', rows: '2',
    placeholder: type === 'audit_review' ? 'What the re-run should change (needed to re-run; kept with an acknowledgement)' : 'Notes for the station (optional)',
  });
  const inputs = questions.map((q, n) => {
    const input = h('input', {
      class: 'answer-input', type: 'text', name: `answer-${n}`, autocomplete: 'off',
      placeholder: q.hint ?? 'Answer', dataset: { question: q.key },
    });
    return { q, input };
  });

  const buttons = [];
  let resolveLabel = 'Resolve & resume';
  if (type === 'clarification') resolveLabel = 'Answer & resume';
  if (type === 'approval') resolveLabel = 'Approve';
  if (type === 'audit_review') resolveLabel = 'Re-run with notes';
  const resolveBtn = h('button', { class: 'btn btn-primary resolve', type: 'submit' }, resolveLabel);
  buttons.push(resolveBtn);
  const t = state.tracks.get(i.track_id);
  const offerEscalation = type === 'audit_review' || (t && t.state === 'halted');
  let escalateBtn = null;
  if (offerEscalation) {
    escalateBtn = h('button', { class: 'btn btn-escalate escalate', type: 'button' }, 'Acknowledge & Continue');
    buttons.push(escalateBtn);
  }

  const setBusy = (busy) => {
    for (const b of buttons) b.disabled = busy;
  };
  const done = () => {
    card.classList.add('answered');
    note.dataset.tone = 'ok';
  };

  const form = h('form', {
    class: 'answer', novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      const answers = {};
      for (const { q, input } of inputs) answers[q.key] = input.value.trim();
      const missing = inputs.find(({ input }) => !input.value.trim());
      if (missing) {
        note.dataset.tone = 'refused';
        note.textContent = 'Answer every question before resuming';
        missing.input.focus();
        return;
      }
      if (type === 'audit_review' && !notes.value.trim()) {
        note.dataset.tone = 'refused';
        note.textContent = 'Say in the notes what the re-run should change — or Acknowledge & Continue';
        notes.focus();
        return;
      }
      if (type === 'approval') answers.approved = true;
      if (type === 'audit_review') answers.action = 'resume';
      setBusy(true);
      note.dataset.tone = 'sending';
      note.textContent = 'Sending answer to the line…';
      actions.resolve(i, { answers, notes: notes.value.trim() }, note, done, () => setBusy(false));
    },
  },
  inputs.length ? h('div', { class: 'questions' }, ...inputs.map(({ q, input }) => h('label', { class: 'question' },
    h('span', { class: 'q-text' }, q.text), input))) : null,
  findings.length ? h('ul', { class: 'findings' }, ...findings.map(finding)) : null,
  otherPayload(i.payload),
  h('label', { class: 'notes' }, h('span', null, 'Notes'), notes),
  h('div', { class: 'interrupt-actions' }, ...buttons),
  note);

  if (escalateBtn) {
    escalateBtn.addEventListener('click', () => {
      setBusy(true);
      note.dataset.tone = 'sending';
      note.textContent = 'Sending acknowledgement to the line…';
      actions.escalate(i, notes.value.trim(), note, done, () => setBusy(false));
    });
  }

  const created = Date.parse(i.created_at);
  const card = h('article', {
    class: ['interrupt', `type-${type}`],
    dataset: { interruptId: i.interrupt_id, type, trackId: i.track_id, documentType: i.document_type },
  },
  h('header', { class: 'interrupt-head' },
    h('span', { class: 'badge' }, INTERRUPT_TYPE_TEXT[type] ?? humanize(type)),
    h('span', { class: 'interrupt-track' }),
    h('span', { class: 'waited', title: 'Time the line has waited', dataset: { since: Number.isFinite(created) ? created : Date.now() } },
      clock(Date.now() - (Number.isFinite(created) ? created : Date.now())))),
  h('p', { class: 'interrupt-reason' }, i.reason || (type === 'approval'
    ? 'This station needs an approval before it runs.' : 'The station needs an operator.')),
  form);
  return card;
}
