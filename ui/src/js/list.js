// My submissions: filters, a table, cursor paging, auto-refresh while the tab is visible.
import * as api from './api.js';
import { h, clear, badge, fmtTime, fmtDuration, errorBox, STATES } from './util.js';

const REFRESH_MS = 5000;

function dateToMs(v, endOfDay) {
  if (!v) return '';
  const d = new Date(v + (endOfDay ? 'T23:59:59.999' : 'T00:00:00'));
  return isNaN(d) ? '' : d.getTime();
}

// A submissions table over an endpoint; used by this page and the admin page.
export function submissionsView(root, { endpoint, showUser, query, onFilter }) {
  const q = query || new URLSearchParams();
  const f = {
    state: h('select', { name: 'state', id: 'f-state' }, h('option', { value: '', text: 'any' }),
      STATES.map((s) => h('option', { value: s, text: s }))),
    queue: h('input', { name: 'queue', id: 'f-queue', placeholder: 'poc', size: 10 }),
    name: h('input', { name: 'name', id: 'f-name', placeholder: 'exact application name', size: 18 }),
    from: h('input', { name: 'from', id: 'f-from', type: 'date' }),
    to: h('input', { name: 'to', id: 'f-to', type: 'date' }),
  };
  for (const k of ['state', 'queue', 'name', 'from', 'to']) f[k].value = q.get(k) || '';
  const auto = h('input', { type: 'checkbox', id: 'f-auto', checked: true });
  const form = h('form', { class: 'filters', role: 'search' },
    h('label', {}, 'State ', f.state), h('label', {}, 'Queue ', f.queue),
    h('label', {}, 'Name ', f.name), h('label', {}, 'From ', f.from), h('label', {}, 'To ', f.to),
    h('button', { type: 'submit', text: 'Filter' }),
    h('button', { type: 'button', class: 'link', text: 'Clear', onclick: () => { form.reset(); form.requestSubmit(); } }),
    h('label', { class: 'auto' }, auto, ' auto-refresh'));
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const cols = ['Id', 'Name', showUser ? 'User' : null, 'Queue', 'State', 'Cores', 'Memory', 'Created', 'Duration'].filter(Boolean);
  const table = h('div', { class: 'tablewrap' }, h('table', { class: 'subs' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', text: c })))), tbody));
  const prev = h('button', { type: 'button', text: '← Newer' });
  const next = h('button', { type: 'button', text: 'Older →' });
  const pager = h('div', { class: 'row pager' }, prev, next);
  root.append(form, status, table, pager);

  let cursors = [''];  // cursor of each page seen; the last is the current page's
  let nextCursor = '';
  let timer = null;
  let inflight = null;

  function params() {
    return {
      state: f.state.value, queue: f.queue.value.trim(), applicationName: f.name.value.trim(),
      createdAfter: dateToMs(f.from.value, false), createdBefore: dateToMs(f.to.value, true),
      limit: 50, next: cursors[cursors.length - 1],
    };
  }

  function row(s) {
    const id = s.submissionId || '';
    // data-label: the column's name, shown beside each value when a phone stacks the cells
    return h('tr', {},
      h('td', { class: 'mono', 'data-label': 'Id' }, h('a', { href: '#/sub/' + encodeURIComponent(id), text: id })),
      h('td', { 'data-label': 'Name', text: s.applicationName || s.dagName || '' }),
      showUser ? h('td', { 'data-label': 'User', text: s.user || '' }) : null,
      h('td', { 'data-label': 'Queue', text: (s.queue || '').replace(/^root\./, '') }),
      h('td', { 'data-label': 'State' }, badge(s.applicationState)),
      h('td', { class: 'num', 'data-label': 'Cores', text: s.totalCores ?? '' }),
      h('td', { class: 'num', 'data-label': 'Memory', text: s.totalMemoryGB !== undefined ? s.totalMemoryGB + ' GB' : '' }),
      h('td', { class: 'nowrap', 'data-label': 'Created', text: fmtTime(s.creationTime) }),
      h('td', { class: 'num nowrap', 'data-label': 'Duration', text: fmtDuration(s.duration) }));
  }

  async function load() {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    try {
      const r = await api.get(endpoint, params(), { signal: inflight.signal });
      const subs = r.submissions || [];
      clear(tbody);
      if (!subs.length) tbody.append(h('tr', {}, h('td', { colspan: cols.length, class: 'muted', text: 'No submissions match.' })));
      for (const s of subs) tbody.append(row(s));
      nextCursor = r.next || '';
      next.disabled = !nextCursor;
      prev.disabled = cursors.length < 2;
      status.textContent = `${subs.length} shown · page ${cursors.length} · updated ${fmtTime(Date.now())}`;
      status.classList.remove('error');
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.textContent = 'Could not load: ' + e.message;
      status.classList.add('error');
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (auto.checked && !document.hidden) {
      timer = setTimeout(async () => { await load(); schedule(); }, REFRESH_MS);
    }
  }

  function onVisible() {
    if (!document.hidden && auto.checked) load();
    schedule();
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    cursors = [''];
    if (onFilter) {
      const p = new URLSearchParams();
      for (const k of ['state', 'queue', 'name', 'from', 'to']) if (f[k].value) p.set(k, f[k].value.trim());
      onFilter(p);
    }
    load().then(schedule);
  });
  next.addEventListener('click', () => { if (nextCursor) { cursors.push(nextCursor); load(); } });
  prev.addEventListener('click', () => { if (cursors.length > 1) { cursors.pop(); load(); } });
  auto.addEventListener('change', schedule);
  document.addEventListener('visibilitychange', onVisible);
  load().then(schedule);
  return () => {
    clearTimeout(timer);
    if (inflight) inflight.abort();
    document.removeEventListener('visibilitychange', onVisible);
  };
}

export function render(main, _arg, query) {
  main.append(h('div', { class: 'titlebar' }, h('h1', { text: 'My submissions' }),
    h('a', { class: 'button', href: '#/new', text: 'New submission' })));
  try {
    return submissionsView(main, {
      endpoint: '/spark/mySubmissions', query,
      onFilter: (p) => history.replaceState(null, '', '#/' + (p.toString() ? '?' + p : '')),
    });
  } catch (e) {
    main.append(errorBox(e));
    return null;
  }
}
