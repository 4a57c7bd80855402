// DOM helpers: every node is built with textContent, never innerHTML, so nothing the API
// returns is ever parsed as markup.
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const STATE_CLASS = {
  COMPLETED: 'ok', SUCCEEDING: 'ok',
  RUNNING: 'run', SUBMITTED: 'run', PENDING_RERUN: 'run', RESUMING: 'run',
  FAILED: 'bad', FAILING: 'bad', SUBMISSION_FAILED: 'bad',
  INVALIDATING: 'warn', SUSPENDING: 'warn', SUSPENDED: 'muted', UNKNOWN: 'muted', '': 'muted',
};
export const STATES = ['SUBMITTED', 'RUNNING', 'SUCCEEDING', 'COMPLETED', 'FAILING', 'FAILED',
  'SUBMISSION_FAILED', 'PENDING_RERUN', 'INVALIDATING', 'SUSPENDING', 'SUSPENDED', 'RESUMING', 'UNKNOWN'];
// The API: only COMPLETED and FAILED are final; SUBMISSION_FAILED may still be retried by the
// operator, so pages keep polling it.
export const FINAL = new Set(['COMPLETED', 'FAILED']);

export function badge(state) {
  const s = state || 'UNKNOWN';
  return h('span', { class: 'badge b-' + (STATE_CLASS[s] || 'muted'), text: s });
}

// Times show their zone: the browser's (its short name, "CET", "GMT+1") or, with the header's
// UTC switch (kept in localStorage), UTC as the CLI prints them.
const UTC_KEY = 'bpg.utc';

export function useUtc() {
  try { return localStorage.getItem(UTC_KEY) === '1'; } catch (e) { return false; }
}

export function setUtc(on) {
  try { localStorage.setItem(UTC_KEY, on ? '1' : '0'); } catch (e) { /* private mode: not kept */ }
}

function zoneName(d) {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d)
    .find((x) => x.type === 'timeZoneName');
  return part ? part.value : 'local';
}

export function fmtTime(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  if (useUtc()) {
    return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
  }
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zoneName(d)}`;
}

// A field the API gives as epoch milliseconds ("creationTime", "lastRunAt", "lastRunStarted").
export function isTimeField(key, v) {
  return typeof v === 'number' && v > 1e11 && /(time|at|started|finished)$/i.test(key);
}

export function fmtDuration(ms) {
  if (ms === undefined || ms === null || ms < 0) return '';
  let s = Math.round(ms / 1000);
  if (s < 60) return s + ' s';
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  s %= 60;
  return hh ? `${hh} h ${mm} min` : `${mm} min ${s} s`;
}

export function toast(msg, bad) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  t.className = bad ? 'show bad' : 'show';
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.className = ''; }, 4000);
}

export function errorBox(e) {
  return h('p', { class: 'error', role: 'alert', text: (e && e.message) || String(e) });
}

// A modal confirmation built on <dialog> (keyboard: Esc cancels, focus starts on Cancel).
export function confirmDialog(message, okLabel) {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', text: 'Cancel' });
    const ok = h('button', { type: 'button', class: 'danger', text: okLabel || 'OK' });
    const dlg = h('dialog', { class: 'confirm' }, h('p', { text: message }), h('div', { class: 'row' }, cancel, ok));
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dlg.addEventListener('cancel', (ev) => { ev.preventDefault(); done(false); });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

export async function copyText(s) {
  try {
    await navigator.clipboard.writeText(s);
    toast('Copied');
  } catch (e) {
    toast('Copy failed: select the text and copy it', true);
  }
}

export function download(name, content, type) {
  const blob = content instanceof Blob ? content : new Blob([content], { type: type || 'text/plain' });
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

export function section(title, ...kids) {
  return h('section', { class: 'card' }, h('h2', { text: title }), ...kids);
}

export function kv(pairs) {
  const dl = h('dl', { class: 'kv' });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === '') continue;
    dl.append(h('dt', { text: k }), h('dd', {}, v));
  }
  return dl;
}
