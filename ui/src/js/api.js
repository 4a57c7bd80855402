// The REST API client. Same origin: the browser adds the Basic credentials it was given
// for this site; the page never sees or stores them.
let base = '/apiv2';

export async function init() {
  try {
    const r = await fetch(location.origin + location.pathname.replace(/[^/]*$/, '') + 'config.json', { cache: 'no-cache' });
    if (r.ok) {
      const c = await r.json();
      if (typeof c.apiBase === 'string' && c.apiBase.startsWith('/')) base = c.apiBase;
    }
  } catch (e) {
    // keep the default
  }
}

// Absolute from location.origin: a page opened as https://user:pw@host/ui/ would otherwise
// resolve relative URLs with the credentials in them, which fetch refuses.
export function url(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return location.origin + base + path + (s ? '?' + s : '');
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function errorOf(r) {
  let msg = r.status + ' ' + r.statusText;
  try {
    const t = await r.text();
    try {
      const j = JSON.parse(t);
      if (j && j.message) msg = j.message;
    } catch (e) {
      if (t) msg = t.slice(0, 300);
    }
  } catch (e) {
    // body unreadable: keep the status line
  }
  return new ApiError(r.status, msg);
}

export async function request(method, path, opts = {}) {
  const headers = Object.assign({ Accept: 'application/json' }, opts.headers || {});
  const r = await fetch(url(path, opts.params), {
    method, headers, body: opts.body, signal: opts.signal, cache: 'no-store',
  });
  if (!r.ok) throw await errorOf(r);
  if (opts.raw) return r;
  const ct = r.headers.get('Content-Type') || '';
  return ct.includes('json') ? r.json() : r.text();
}

export const get = (path, params, opts = {}) => request('GET', path, Object.assign({ params }, opts));
export const text = (path, params) => request('GET', path, { params, headers: { Accept: 'text/plain, */*' } })
  .then((v) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2)));

let adminCache;
// true when /admin/version answers, false on 403; other errors are thrown.
export async function isAdmin() {
  if (adminCache !== undefined) return adminCache;
  try {
    await get('/admin/version');
    adminCache = true;
  } catch (e) {
    if (e.status === 403) adminCache = false;
    else throw e;
  }
  return adminCache;
}

export function enc(id) {
  return encodeURIComponent(id);
}
