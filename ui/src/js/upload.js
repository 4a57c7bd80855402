// Upload: drag and drop or pick files; each goes by XMLHttpRequest (for upload progress) to
// POST /s3/{name}?folder=, with a progress bar and the resulting s3a:// URL to copy.
import * as api from './api.js';
import { h, copyText } from './util.js';

function fmtBytes(n) {
  const u = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + u[i];
}

export function render(main) {
  const folder = h('input', { id: 'up-folder', placeholder: 'optional: your-name/jobs', size: 24 });
  const overwrite = h('input', { type: 'checkbox', id: 'up-overwrite' });
  const picker = h('input', { type: 'file', id: 'up-files', multiple: true, class: 'visually-hidden' });
  const drop = h('div', { class: 'dropzone', id: 'dropzone', tabindex: '0', role: 'button',
    'aria-label': 'Drop files here or press Enter to choose files' },
  h('p', {}, h('strong', { text: 'Drop files here' }), ' or ', h('span', { class: 'linkish', text: 'choose files' })),
  h('p', { class: 'muted small', text: 'Do not upload sensitive data.' }));
  const list = h('ul', { class: 'uploads', id: 'uploads' });
  main.append(
    h('div', { class: 'titlebar' }, h('h1', { text: 'Upload to S3' })),
    h('div', { class: 'toolbar' }, h('label', {}, 'Folder ', folder), h('label', {}, overwrite, ' replace an existing file')),
    drop, picker, list);

  function one(file) {
    const bar = h('progress', { max: '100', value: '0', 'aria-label': 'upload of ' + file.name });
    const state = h('span', { class: 'muted small', text: 'waiting' });
    const out = h('div', { class: 'result' });
    const abort = h('button', { type: 'button', class: 'link', text: 'Cancel' });
    list.prepend(h('li', { class: 'upload' },
      h('div', { class: 'row' }, h('strong', { class: 'break', text: file.name }), h('span', { class: 'muted small', text: fmtBytes(file.size) }), abort),
      bar, state, out));
    const xhr = new XMLHttpRequest();
    xhr.open('POST', api.url('/s3/' + encodeURIComponent(file.name), { folder: folder.value.trim(), overwrite: overwrite.checked ? 'true' : '' }));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (ev) => {
      if (!ev.lengthComputable) return;
      const pct = Math.round((ev.loaded / ev.total) * 100);
      bar.value = pct;
      state.textContent = `${pct}% · ${fmtBytes(ev.loaded)} of ${fmtBytes(ev.total)}`;
    });
    xhr.addEventListener('load', () => {
      abort.remove();
      let j = null;
      try { j = JSON.parse(xhr.responseText); } catch (e) { j = null; }
      if (xhr.status >= 200 && xhr.status < 300 && j && j.url) {
        bar.value = 100;
        state.textContent = 'uploaded';
        const u = h('input', { class: 'mono url', readonly: true, value: j.url, 'aria-label': 'S3 URL of ' + file.name, size: 40 });
        out.append(u, h('button', { type: 'button', class: 'copy', text: 'Copy', onclick: () => copyText(j.url) }));
      } else {
        state.textContent = '';
        out.append(h('p', { class: 'error', role: 'alert', text: (j && j.message) || `upload failed: ${xhr.status} ${xhr.statusText}` }));
      }
    });
    xhr.addEventListener('error', () => { abort.remove(); out.append(h('p', { class: 'error', role: 'alert', text: 'upload failed: no answer (connection lost?)' })); });
    xhr.addEventListener('abort', () => { state.textContent = 'cancelled'; });
    abort.addEventListener('click', () => xhr.abort());
    state.textContent = 'starting';
    xhr.send(file);
  }

  function take(files) {
    for (const f of files) one(f);
  }

  drop.addEventListener('click', () => picker.click());
  drop.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); picker.click(); } });
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => { ev.preventDefault(); drop.classList.remove('over'); take(ev.dataTransfer.files); });
  picker.addEventListener('change', () => { take(picker.files); picker.value = ''; });
  return null;
}
