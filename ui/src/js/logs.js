// Logs: driver or an executor, tail, live follow (fetch streaming) with pause, search, download.
import * as api from './api.js';
import { h, toast, download, errorBox, FINAL } from './util.js';
import { LogView } from './logview.js';

export async function render(main, id, query) {
  const enc = encodeURIComponent(id);
  const source = h('select', { id: 'log-source' }, h('option', { value: '', text: 'driver' }));
  const tail = h('input', { id: 'log-tail', type: 'number', min: '1', step: '1', value: query.get('tail') || '1000', size: 7 });
  const load = h('button', { type: 'button', id: 'log-load', text: 'Load' });
  const follow = h('button', { type: 'button', id: 'log-follow', text: 'Follow', 'aria-pressed': 'false' });
  const pause = h('button', { type: 'button', id: 'log-pause', text: 'Pause', disabled: true });
  const auto = h('input', { type: 'checkbox', id: 'log-autoscroll', checked: true });
  const search = h('input', { id: 'log-search', type: 'search', placeholder: 'search in this log', size: 18 });
  const prev = h('button', { type: 'button', text: '↑', title: 'previous match (Shift+Enter)', 'aria-label': 'previous match' });
  const next = h('button', { type: 'button', text: '↓', title: 'next match (Enter)', 'aria-label': 'next match' });
  const count = h('span', { class: 'muted small', id: 'log-matches', 'aria-live': 'polite' });
  const dl = h('button', { type: 'button', id: 'log-download', text: 'Download' });
  const info = h('p', { class: 'muted small', id: 'log-info', 'aria-live': 'polite' });
  const view = new LogView();

  main.append(
    h('div', { class: 'titlebar' }, h('h1', {}, 'Logs of ', h('a', { class: 'mono break', href: '#/sub/' + enc, text: id }))),
    h('div', { class: 'toolbar' },
      h('label', {}, 'Pod ', source), h('label', {}, 'Last lines ', tail), load, follow, pause,
      h('label', {}, auto, ' follow the end')),
    h('div', { class: 'toolbar' }, h('label', {}, 'Find ', search), prev, next, count, h('span', { class: 'grow' }), dl),
    info, view.el);

  try {
    const spec = await api.get('/spark/' + api.enc(id) + '/spec');
    const n = Math.min(Number((spec.executor || {}).instances) || 0, 200);
    for (let i = 1; i <= n; i++) source.append(h('option', { value: String(i), text: 'executor ' + i }));
    if (query.get('exec')) source.value = query.get('exec');
  } catch (e) {
    main.insertBefore(errorBox(e), info);
  }

  let ctrl = null;
  let paused = false;
  let held = [];
  let lineCount = 0;

  function params(followIt) {
    return { subId: id, execId: source.value, tailLines: tail.value, follow: followIt ? 'true' : '' };
  }

  function stop() {
    if (ctrl) ctrl.abort();
    ctrl = null;
    follow.textContent = 'Follow';
    follow.setAttribute('aria-pressed', 'false');
    pause.disabled = true;
    paused = false;
    pause.textContent = 'Pause';
    if (held.length) { view.append(held); held = []; }
  }

  function describe(state) {
    info.textContent = `${view.lines.length} lines · ${source.options[source.selectedIndex].text}` + (state ? ' · ' + state : '');
  }

  let gen = 0;  // bumped by every new stream and by the user's stop: a pending re-follow checks it
  async function stream(followIt) {
    const my = ++gen;
    stop();
    view.set([]);
    held = [];
    lineCount = 0;
    ctrl = new AbortController();
    const mine = ctrl;
    if (followIt) {
      follow.textContent = 'Stop following';
      follow.setAttribute('aria-pressed', 'true');
      pause.disabled = false;
    }
    describe(followIt ? 'following…' : 'loading…');
    try {
      const r = await api.request('GET', '/log', { params: params(followIt), raw: true, signal: mine.signal, headers: { Accept: '*/*' } });
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += dec.decode(value, { stream: true });
        const parts = rest.split('\n');
        rest = parts.pop();
        push(parts);
      }
      rest += dec.decode();
      if (rest) push([rest]);
      if (ctrl === mine) {
        stop();
        if (followIt && lineCount <= 1 && await waitingForDriver(my)) return;
        describe(followIt ? 'the stream ended (the pod finished)' : 'complete');
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (ctrl === mine) stop();
      describe('error: ' + e.message);
    }
  }

  // A follow that ends at once with at most the "no log" line while the application has not
  // finished: the driver has not started yet; follow again in a moment (for up to 5 minutes).
  let waits = 0;
  async function waitingForDriver(my) {
    let st;
    try {
      st = await api.get('/spark/' + api.enc(id) + '/status');
    } catch (e) {
      return false;
    }
    if (FINAL.has(st.applicationState) || ++waits > 150) return false;
    describe('waiting for the pod to start…');
    setTimeout(() => { if (gen === my && !gone) stream(true); }, 2000);
    return true;
  }

  function push(lines) {
    if (!lines.length) return;
    lineCount += lines.length;
    if (paused) {
      held.push(...lines);
      pause.textContent = `Resume (${held.length} new)`;
      return;
    }
    const stick = auto.checked;
    view.append(lines);
    if (stick) requestAnimationFrame(() => view.scrollToEnd());
    describe(ctrl && follow.getAttribute('aria-pressed') === 'true' ? 'following…' : '');
    count.textContent = search.value ? `${view.matches.length} matches` : '';
  }

  let gone = false;
  load.addEventListener('click', () => { waits = 0; stream(false); });
  follow.addEventListener('click', () => {
    if (follow.getAttribute('aria-pressed') === 'true') { gen++; stop(); describe('stopped'); } else { waits = 0; stream(true); }
  });
  pause.addEventListener('click', () => {
    paused = !paused;
    if (!paused) {
      pause.textContent = 'Pause';
      const h2 = held;
      held = [];
      push(h2);
    } else {
      pause.textContent = 'Resume (0 new)';
    }
  });
  source.addEventListener('change', () => stream(false));
  let searchTimer = null;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      view.search(search.value);
      count.textContent = search.value ? `${view.matches.length} matches` : '';
    }, 150);
  });
  search.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { ev.preventDefault(); view.step(ev.shiftKey ? -1 : 1); }
  });
  prev.addEventListener('click', () => view.step(-1));
  next.addEventListener('click', () => view.step(1));
  dl.addEventListener('click', () => {
    if (!view.lines.length) { toast('Nothing loaded yet', true); return; }
    const who = source.value ? 'exec-' + source.value : 'driver';
    download(`${id}-${who}.log`, view.lines.join('\n') + '\n');
  });

  stream(query.get('follow') === 'true');
  return () => { gone = true; stop(); view.destroy(); };
}
