// New submission: a JSON or YAML editor, a dry-run preview, errors beside the field they
// name, and a submit that carries an Idempotency-Key (the same key when retrying the same
// text after a 5xx, a 409 or no answer; a new key otherwise).
import * as api from './api.js';
import { h, clear, toast } from './util.js';

const SAMPLE = JSON.stringify({
  applicationName: 'my-job',
  queue: 'poc',
  sparkVersion: '3.5',
  mainApplicationFile: 's3a://bucket/uploaded/app.py',
  arguments: [],
  sparkConf: { 'spark.sql.shuffle.partitions': '8' },
  driver: { cores: 1, memory: '2g' },
  executor: { instances: 1, cores: 1, memory: '2g' },
}, null, 2);

let draft = null;  // kept while the user moves between pages

function bodyOf(text) {
  try {
    JSON.parse(text);
    return { type: 'application/json', body: text };
  } catch (e) {
    return { type: 'application/yaml', body: text };
  }
}

// The line where a dotted field path (driver.cores, sparkConf.x, arguments[0]) is written,
// found by walking its keys in order through the text; 0 when not found.
export function lineOfField(text, path) {
  const keys = path.split('.').map((k) => k.replace(/\[\d+\]$/, '')).filter(Boolean);
  const lines = text.split('\n');
  let from = 0;
  let found = -1;
  for (const key of keys) {
    const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp('(^|[\\s{,])["\']?' + esc + '["\']?\\s*:');
    let hit = -1;
    for (let i = from; i < lines.length; i++) if (re.test(lines[i])) { hit = i; break; }
    if (hit < 0) break;
    found = hit;
    from = hit;
  }
  return found + 1;
}

export function render(main) {
  const ta = h('textarea', { id: 'editor', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', wrap: 'off',
    'aria-label': 'Submission (JSON or YAML)', 'aria-describedby': 'editor-errors' });
  ta.value = draft ?? SAMPLE;
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const errors = h('div', { id: 'editor-errors', class: 'field-errors', 'aria-live': 'assertive' });
  const kind = h('span', { class: 'muted small', id: 'editor-kind' });
  const preview = h('pre', { class: 'code', id: 'preview', tabindex: '0' }, 'Press "Preview (dry run)" to see the SparkApplication the gateway would create (secrets masked).');
  const result = h('div', { id: 'submit-result', 'aria-live': 'polite' });
  const dry = h('button', { type: 'button', id: 'dryrun', text: 'Preview (dry run)' });
  const submit = h('button', { type: 'button', id: 'submit', class: 'primary', text: 'Submit' });
  const keyInfo = h('span', { class: 'muted small mono', id: 'idem-key' });

  main.append(
    h('div', { class: 'titlebar' }, h('h1', { text: 'New submission' })),
    h('p', { class: 'muted small' }, 'The request body of POST /spark, as JSON or YAML (sent as YAML when it is not JSON). Ctrl+Enter previews.'),
    h('div', { class: 'editor-wrap' }, h('div', { class: 'editor' }, gutter, ta), errors),
    h('div', { class: 'row actions' }, dry, submit, kind, keyInfo),
    result,
    h('section', { class: 'card' }, h('h2', { text: 'Dry-run preview: the SparkApplication' }), preview));

  let errLine = 0;
  let attempt = null;  // { key, text } of the last submit that may be retried with its key

  function paintGutter() {
    const n = ta.value.split('\n').length;
    clear(gutter);
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= n; i++) frag.append(h('div', { class: i === errLine ? 'err' : null, text: String(i) }));
    gutter.append(frag);
    gutter.scrollTop = ta.scrollTop;
    kind.textContent = bodyOf(ta.value).type === 'application/json' ? 'JSON' : 'YAML';
  }

  function goToLine(n) {
    const lines = ta.value.split('\n');
    let at = 0;
    for (let i = 0; i < n - 1; i++) at += lines[i].length + 1;
    ta.focus();
    ta.setSelectionRange(at, at + (lines[n - 1] || '').length);
    const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
    ta.scrollTop = Math.max(0, (n - 3) * lh);
  }

  function showError(msg) {
    clear(errors);
    const m = /^([A-Za-z_][\w.\-[\]]*):\s/.exec(msg);
    errLine = m ? lineOfField(ta.value, m[1]) : 0;
    const item = h('p', { class: 'error', role: 'alert' });
    if (errLine) {
      item.classList.add('at-line');
      item.append(h('button', { type: 'button', class: 'link', text: `line ${errLine}`, onclick: () => goToLine(errLine) }), ' ');
      // beside the field: the message sits at the height of the line it names
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
      item.style.marginTop = Math.max(0, (errLine - 1) * lh - ta.scrollTop) + 'px';
    }
    if (m) item.append(h('code', { text: m[1] }), ' ' + msg.slice(m[0].length));
    else item.append(msg);
    errors.append(item);
    paintGutter();
  }

  function clearErrors() {
    clear(errors);
    errLine = 0;
    paintGutter();
  }

  async function send(dryRun) {
    const text = ta.value;
    const { type, body } = bodyOf(text);
    const headers = { 'Content-Type': type };
    if (!dryRun) {
      if (!attempt || attempt.text !== text) attempt = { key: crypto.randomUUID(), text };
      headers['Idempotency-Key'] = attempt.key;
      keyInfo.textContent = 'Idempotency-Key ' + attempt.key;
    }
    dry.disabled = submit.disabled = true;
    clear(result);
    try {
      const r = await api.request('POST', '/spark', { body, headers, params: dryRun ? { dryRun: 'true' } : {} });
      clearErrors();
      if (dryRun) {
        preview.textContent = JSON.stringify(r, null, 2);
        toast('Valid: preview below');
      } else {
        attempt = null;
        const id = r.submissionId;
        result.append(h('p', { class: 'ok' }, 'Submitted: ', h('a', { class: 'mono', href: '#/sub/' + encodeURIComponent(id), text: id })));
        toast('Submitted ' + id);
      }
    } catch (e) {
      // a final answer (4xx other than 409) ends this attempt; 5xx/409/no answer keep the key
      if (!dryRun && e.status && e.status < 500 && e.status !== 409) attempt = null;
      if (!e.status || e.status >= 500 || e.status === 409) {
        result.append(h('p', { class: 'error', role: 'alert', text: `${e.message} — press Submit again to retry with the same Idempotency-Key.` }));
      }
      showError(e.message);
    } finally {
      dry.disabled = submit.disabled = false;
    }
  }

  ta.addEventListener('input', () => { draft = ta.value; paintGutter(); });
  ta.addEventListener('scroll', () => { gutter.scrollTop = ta.scrollTop; });
  ta.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); send(true); }
  });
  dry.addEventListener('click', () => send(true));
  submit.addEventListener('click', () => send(false));
  paintGutter();
  return null;
}
