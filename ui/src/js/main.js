// The router: hash routes, one page module each; a page's render() may return a cleanup.
import * as api from './api.js';
import { h, clear, errorBox, useUtc, setUtc } from './util.js';
import * as list from './list.js';
import * as submission from './submission.js';
import * as logs from './logs.js';
import * as newsub from './newsub.js';
import * as upload from './upload.js';
import * as admin from './admin.js';

const ROUTES = [
  [/^\/?$/, list, 'list', 'My submissions'],
  [/^\/sub\/([^/]+)$/, submission, 'list', 'Submission'],
  [/^\/logs\/([^/]+)$/, logs, 'list', 'Logs'],
  [/^\/new$/, newsub, 'new', 'New submission'],
  [/^\/upload$/, upload, 'upload', 'Upload'],
  [/^\/admin$/, admin, 'admin', 'Admin'],
];

let cleanup = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const i = raw.indexOf('?');
  const path = i < 0 ? raw : raw.slice(0, i);
  const query = new URLSearchParams(i < 0 ? '' : raw.slice(i + 1));
  return { path, query };
}

async function route() {
  if (cleanup) {
    try { cleanup(); } catch (e) { /* a page's cleanup must not stop navigation */ }
    cleanup = null;
  }
  const main = clear(document.getElementById('main'));
  const { path, query } = parseHash();
  for (const [re, page, nav, title] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    document.title = title + ' · bpg';
    for (const a of document.querySelectorAll('[data-nav]')) {
      if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    try {
      cleanup = (await page.render(main, decodeURIComponent(m[1] || ''), query)) || null;
    } catch (e) {
      main.append(errorBox(e));
    }
    return;
  }
  document.title = 'Not found · bpg';
  main.append(h('h1', { text: 'Not found' }), h('p', {}, 'No such page. ', h('a', { href: '#/', text: 'My submissions' })));
}

async function start() {
  // the skip link focuses the content; following its #main would be read as a route
  document.querySelector('.skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    document.getElementById('main').focus();
  });
  const utc = document.getElementById('utc');
  utc.checked = useUtc();
  utc.addEventListener('change', () => { setUtc(utc.checked); route(); });   // redrawn in the zone
  await api.init();
  window.addEventListener('hashchange', route);
  route();
  try {
    if (await api.isAdmin()) document.getElementById('nav-admin').hidden = false;
  } catch (e) {
    // the admin link stays hidden
  }
}

start();
