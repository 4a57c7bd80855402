// Admin: everyone's submissions, the health of each part, the main /metrics figures.
import * as api from './api.js';
import { h, clear, errorBox, section, fmtTime, isTimeField } from './util.js';
import { submissionsView } from './list.js';

// Prometheus text -> [{name, labels, value}]
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) for (const p of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[p[1]] = p[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

// The monitor's last run from its /metrics gauges, when it has reported one.
function monitorOf(ms) {
  const v = (n) => { const m = ms.find((x) => x.name === n); return m ? m.value : undefined; };
  const ts = v('bpg_monitor_last_run_timestamp_seconds');
  if (ts === undefined) return null;
  if (!ts) return { lastRun: 'none reported yet' };
  return { reachable: v('bpg_monitor_last_run_success') === 1, lastRunAt: ts * 1000, objects: v('bpg_monitor_last_run_objects') };
}

function healthView(hs, monitor) {
  const rows = [];
  const add = (what, v) => {
    const ok = v && (v.reachable === true || v.status === 'OK' || v.ok === true);
    const bad = v && (v.reachable === false || v.ok === false);
    const detail = Object.entries(v || {}).filter(([k]) => k !== 'reachable')
      .map(([k, x]) => `${k}: ${isTimeField(k, x) ? fmtTime(x) : (typeof x === 'object' ? JSON.stringify(x) : x)}`).join(' · ');
    rows.push(h('tr', {}, h('th', { scope: 'row', text: what }),
      h('td', {}, h('span', { class: 'badge ' + (ok ? 'b-ok' : bad ? 'b-bad' : 'b-muted'), text: ok ? 'OK' : bad ? 'DOWN' : '?' })),
      h('td', { class: 'small', text: detail })));
  };
  if (hs.database) add('database', hs.database);
  for (const [c, v] of Object.entries(hs.clusters || {})) add('cluster ' + c, v);
  if (hs.s3) add('S3', hs.s3);
  if (hs.monitor) add('monitor', hs.monitor);
  if (monitor && !hs.monitor) add('monitor (last run)', monitor);
  for (const [k, v] of Object.entries(hs)) {
    if (!['status', 'version', 'database', 'clusters', 's3', 'monitor'].includes(k) && v && typeof v === 'object') add(k, v);
  }
  return h('div', {},
    h('p', {}, 'Overall ', h('span', { class: 'badge ' + (hs.status === 'OK' ? 'b-ok' : 'b-bad'), text: hs.status || '?' }), hs.version ? '  version ' + hs.version : ''),
    h('div', { class: 'tablewrap' }, h('table', { id: 'health' }, h('tbody', {}, rows))));
}

function metricsView(ms) {
  const byRoute = new Map();
  for (const m of ms) {
    const r = m.labels.route;
    if (!r) continue;
    const e = byRoute.get(r) || { n: 0, err: 0, sum: 0, cnt: 0 };
    if (m.name === 'bpg_http_requests_total') {
      e.n += m.value;
      if (/^5/.test(m.labels.status || '')) e.err += m.value;
    } else if (m.name === 'bpg_http_request_duration_seconds_sum') e.sum += m.value;
    else if (m.name === 'bpg_http_request_duration_seconds_count') e.cnt += m.value;
    byRoute.set(r, e);
  }
  const routes = [...byRoute.entries()].filter(([, e]) => e.n).sort((a, b) => b[1].n - a[1].n);
  const others = new Map();
  for (const m of ms) {
    if (m.labels.route || /_bucket$/.test(m.name)) continue;
    others.set(m.name, (others.get(m.name) || 0) + m.value);
  }
  return h('div', {},
    h('h3', { text: 'Requests by route' }),
    h('div', { class: 'tablewrap' }, h('table', { id: 'metrics-routes' },
      h('thead', {}, h('tr', {}, ['Route', 'Requests', '5xx', 'Mean latency'].map((c) => h('th', { scope: 'col', text: c })))),
      h('tbody', {}, routes.map(([r, e]) => h('tr', {}, h('td', { class: 'mono small', text: r }), h('td', { class: 'num', text: e.n }),
        h('td', { class: 'num', text: e.err }), h('td', { class: 'num nowrap', text: e.cnt ? (1000 * e.sum / e.cnt).toFixed(1) + ' ms' : '' })))))),
    others.size ? h('h3', { text: 'Other figures (summed over labels)' }) : null,
    others.size ? h('div', { class: 'tablewrap' }, h('table', { id: 'metrics-other' }, h('tbody', {},
      [...others.entries()].sort().map(([k, v]) => h('tr', {}, h('td', { class: 'mono small break', text: k }), h('td', { class: 'num nowrap', text: Number.isInteger(v) ? v : v.toFixed(3) })))))) : null);
}

export async function render(main) {
  main.append(h('div', { class: 'titlebar' }, h('h1', { text: 'Admin' })));
  let admin;
  try {
    admin = await api.isAdmin();
  } catch (e) {
    main.append(errorBox(e));
    return null;
  }
  if (!admin) {
    main.append(h('p', { class: 'error', role: 'alert', id: 'not-admin', text: 'This page is for administrators only: your user is not an admin.' }));
    return null;
  }
  const health = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const metrics = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const subs = h('div');
  main.append(h('div', { class: 'grid-even' }, section('Health', health), section('Metrics', metrics)), section('All submissions', subs));
  let stop = false;
  let timer = null;
  async function refresh() {
    let ms = [];
    try {
      ms = parseMetrics(await api.text('/metrics'));
      clear(metrics).append(metricsView(ms));
    } catch (e) {
      clear(metrics).append(errorBox(e));
    }
    try {
      const hs = await api.get('/healthcheck/status');
      clear(health).append(healthView(hs, monitorOf(ms)));
    } catch (e) {
      clear(health).append(errorBox(e));
    }
    if (!stop && !document.hidden) timer = setTimeout(refresh, 15000);
  }
  refresh();
  const cleanupSubs = submissionsView(subs, { endpoint: '/admin/submissions', showUser: true });
  return () => { stop = true; clearTimeout(timer); cleanupSubs(); };
}
