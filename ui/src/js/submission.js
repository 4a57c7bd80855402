// One submission: state and attempts, error, Spark UI, driver pod, spec, describe, delete.
import * as api from './api.js';
import { h, clear, badge, fmtTime, fmtDuration, errorBox, section, kv, confirmDialog, toast, FINAL, copyText, isTimeField } from './util.js';

const POLL_MS = 3000;

function cell(k, v) {
  if (isTimeField(k, v)) return fmtTime(v);
  if (typeof v === 'number' && /duration/i.test(k)) return fmtDuration(v);
  if (/state/i.test(k) && typeof v === 'string') return badge(v);
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v === undefined || v === null ? '' : String(v);
}

const LABELS = {
  submissionAttempt: 'Submission #', executionAttempt: 'Execution #', sparkApplicationId: 'Spark application',
  state: 'State', submissionTime: 'Submitted', terminationTime: 'Ended', errorMessage: 'Error',
};

// "2 cores, 2048m" from a driver or executor spec.
function resources(r) {
  if (!r) return null;
  const parts = [];
  if (r.cores !== undefined) parts.push(r.cores + (r.cores === 1 ? ' core' : ' cores'));
  if (r.memory) parts.push(r.memory);
  return parts.join(', ') || null;
}

// The submission's list row (name, queue and resources as the gateway recorded them): the
// status has none of them. Rows created since creationTime (a second earlier: the status has
// whole seconds), newest first, a few pages at most; an admin also looks at everyone's.
const ROW_PAGES = 5;
async function findRow(id, creationTime) {
  const params = { createdAfter: String(Math.max(0, creationTime - 1000)), limit: '100' };
  for (const path of ['/spark/mySubmissions', '/admin/submissions']) {
    if (path.startsWith('/admin') && !(await api.isAdmin().catch(() => false))) break;
    let next;
    for (let i = 0; i < ROW_PAGES; i++) {
      const page = await api.get(path, next ? Object.assign({ next }, params) : params);
      const row = (page.submissions || []).find((r) => r.submissionId === id);
      if (row) return row;
      if (!(next = page.next)) break;
    }
  }
  return null;
}

// What was asked for: the list row's name and queue, the spec's type, file and resources.
function appView(spec, row) {
  const conf = spec.sparkConf || {};
  const ex = spec.executor || {};
  row = row || {};
  return kv([
    ['Name', row.applicationName || conf['spark.app.name']],
    ['Queue', row.queue || (spec.batchSchedulerOptions || {}).queue],
    ['Type', [spec.type, spec.sparkVersion && 'Spark ' + spec.sparkVersion].filter(Boolean).join(', ')],
    ['Main file', spec.mainApplicationFile ? h('span', { class: 'mono break', text: spec.mainApplicationFile }) : null],
    ['Main class', spec.mainClass],
    ['Image', spec.image],
    ['Driver', resources(spec.driver)],
    ['Executors', ex.instances !== undefined ? `${ex.instances} × ${resources(ex) || ''}` : resources(ex)],
  ]);
}

// The attempts array (when the API gives one): a table over the union of its keys.
function attemptsTable(attempts) {
  const keys = [];
  for (const a of attempts) for (const k of Object.keys(a || {})) if (!keys.includes(k)) keys.push(k);
  return h('div', { class: 'tablewrap' }, h('table', { class: 'attempts' },
    h('thead', {}, h('tr', {}, keys.map((k) => h('th', { scope: 'col', text: LABELS[k] || k })))),
    h('tbody', {}, attempts.map((a) => h('tr', {}, keys.map((k) => h('td', {}, cell(k, (a || {})[k]))))))));
}

export async function render(main, id) {
  const enc = api.enc(id);
  const head = h('div', { class: 'titlebar' },
    h('h1', {}, 'Submission ', h('span', { class: 'mono break', text: id })),
    h('div', { class: 'row' },
      h('a', { class: 'button', href: '#/logs/' + encodeURIComponent(id), text: 'Logs' }),
      h('button', { type: 'button', class: 'link', text: 'Copy id', onclick: () => copyText(id) }),
      h('button', { type: 'button', class: 'danger', id: 'delete', text: 'Delete…', onclick: del })));
  const statusBox = h('div', { id: 'status', 'aria-live': 'polite' }, h('p', { class: 'muted', text: 'Loading…' }));
  const attemptsBox = h('section', { class: 'card', id: 'attempts', hidden: true });
  const driverBox = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const appBox = h('div', { id: 'app' }, h('p', { class: 'muted', text: 'Loading…' }));
  const specBox = h('pre', { class: 'code', id: 'spec', tabindex: '0' }, 'Loading…');
  const describeBox = h('pre', { class: 'code', id: 'describe', tabindex: '0' }, 'Loading…');
  const describe = h('details', { class: 'card' }, h('summary', {}, h('h2', { text: 'Describe (spec as YAML and events)' })), describeBox);
  main.append(head,
    h('div', { class: 'grid2' }, section('State', statusBox), section('Application', appBox)),
    section('Driver', driverBox),
    attemptsBox,
    section('Spec', h('p', { class: 'muted small', text: 'Secrets are masked by the gateway.' }), specBox),
    describe);

  let timer = null;
  let stopped = false;

  async function loadStatus() {
    try {
      const s = await api.get('/spark/' + enc + '/status');
      clear(statusBox).append(h('div', {},
        h('p', { class: 'state-line' }, badge(s.applicationState)),
        s.applicationErrorMessage ? h('p', { class: 'error', role: 'alert', text: s.applicationErrorMessage }) : null,
        kv([
          ['Spark application', s.sparkApplicationId],
          ['Created', fmtTime(s.creationTime)],
          ['Terminated', fmtTime(s.terminationTime)],
          ['Duration', fmtDuration(s.duration)],
          ['Execution attempts', s.executionAttempts],
          ['Spark UI', s.sparkUIUrl ? h('a', { href: s.sparkUIUrl, target: '_blank', rel: 'noopener noreferrer', text: s.sparkUIUrl }) : null],
        ])));
      clear(attemptsBox);
      attemptsBox.hidden = !(Array.isArray(s.attempts) && s.attempts.length);
      if (!attemptsBox.hidden) attemptsBox.append(h('h2', { text: 'Attempts (newest first)' }), attemptsTable(s.attempts));
      if (!stopped && !FINAL.has(s.applicationState)) timer = setTimeout(loadStatus, POLL_MS);
      else if (!stopped) loadDriver();
    } catch (e) {
      clear(statusBox).append(errorBox(e));
    }
  }

  async function loadDriver() {
    try {
      const d = await api.get('/spark/' + enc + '/driver');
      clear(driverBox).append(d && d.podName
        ? kv([['Pod', h('span', { class: 'mono', text: d.podName })], ['Started', fmtTime(d.startTime)]])
        : h('p', { class: 'muted', text: 'No driver pod (not started yet, or gone).' }));
    } catch (e) {
      clear(driverBox).append(errorBox(e));
    }
  }

  async function loadSpec() {
    try {
      const s = await api.get('/spark/' + enc + '/spec');
      specBox.textContent = JSON.stringify(s, null, 2);
      clear(appBox).append(appView(s || {}));
      const st = await api.get('/spark/' + enc + '/status');
      const row = await findRow(id, st.creationTime || 0);
      if (!stopped) clear(appBox).append(appView(s || {}, row));
    } catch (e) {
      if (specBox.textContent === 'Loading…') specBox.textContent = 'Could not load the spec: ' + e.message;
      clear(appBox).append(errorBox(e));
    }
  }

  async function loadDescribe() {
    try {
      describeBox.textContent = await api.text('/spark/' + enc + '/describe');
    } catch (e) {
      describeBox.textContent = 'Could not describe: ' + e.message;
    }
  }

  async function del() {
    if (!(await confirmDialog(`Delete submission ${id}? Its Spark application is stopped and removed from its cluster.`, 'Delete'))) return;
    try {
      await api.request('DELETE', '/spark/' + enc);
      toast('Deleted ' + id);
      location.hash = '#/';
    } catch (e) {
      toast('Delete failed: ' + e.message, true);
    }
  }

  describe.addEventListener('toggle', () => { if (describe.open && describeBox.textContent === 'Loading…') loadDescribe(); });
  loadStatus();
  loadDriver();
  loadSpec();
  return () => { stopped = true; clearTimeout(timer); };
}
