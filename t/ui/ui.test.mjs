// The web UI in headless Chromium (Debian's chromium, driven by playwright-core) against a
// running local stack: BPG_STACK_ENV=.../stack.env node --test ui.test.mjs (t/ui/run does it).
// Screenshots of every page go to build/ui/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { env, API, UI, ORIGIN, ROOT, USER, ADMIN, SHOTS, call, app, CHROMIUM_ARGS } from './stack.mjs';

async function submit(extra) {
  const r = await call('POST', '/spark', app(extra));
  assert.equal(r.status, 200, r.text);
  return r.json.submissionId;
}

let browser;
let userCtx;
let adminCtx;

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  // launch() gives Chromium a fresh temporary --user-data-dir of its own (and removes it)
  browser = await chromium.launch({
    executablePath: process.env.BPG_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  const common = { ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } };
  userCtx = await browser.newContext(Object.assign({ httpCredentials: USER }, common));
  adminCtx = await browser.newContext(Object.assign({ httpCredentials: ADMIN }, common));
});

after(async () => {
  if (browser) await browser.close();
});

// A page that records console errors, uncaught exceptions and failed loads of the UI's own
// files; check() asserts there were none. Chromium logs every non-2xx fetch as a console
// error ("Failed to load resource"): API answers the page expects and shows (403 from
// /admin/version for a non-admin, 400 of a bad submission) are not problems, so those
// messages are left to the response listener, which counts only the UI's own files.
async function open(ctx, hash, setup) {
  const page = await ctx.newPage();
  if (setup) await setup(page);
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of/.test(m.text())) {
      problems.push('console: ' + m.text());
    }
  });
  page.on('response', (r) => { if (r.url().startsWith(UI) && r.status() >= 400) problems.push(r.status() + ' ' + r.url()); });
  page.on('requestfailed', (r) => { if (r.url().startsWith(UI)) problems.push('failed ' + r.url()); });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  const resp = await page.goto(UI + '#' + hash, { waitUntil: 'load' });
  assert.equal(resp.status(), 200);
  page.check = () => assert.deepEqual(problems, [], 'console errors on ' + hash);
  page.shot = (name, full = true) => page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: full });
  return page;
}

// Waits until the element sel exists and its text matches re (the page renders after 'load':
// the element may not be there yet).
function waitText(page, sel, re, timeout = 30000) {
  return page.waitForFunction(([q, src, flags]) => {
    const e = document.querySelector(q);
    return !!e && new RegExp(src, flags).test(e.textContent);
  }, [sel, re.source, re.flags], { timeout });
}

async function waitFor(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail('timed out waiting for ' + what + (last !== undefined ? ' (last: ' + JSON.stringify(last) + ')' : ''));
}

test('index.html and assets: strict CSP, no-cache page, immutable hashed assets, auth required', async () => {
  const page = await call('GET', UI);
  assert.equal(page.status, 200);
  const csp = page.headers['content-security-policy'] || '';
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(page.headers['cache-control'], /no-cache/);
  assert.doesNotMatch(page.text, /<script>|<style>| style=/, 'no inline script or style');
  const assets = [...page.text.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.length >= 2, 'index.html refers to its assets');
  for (const a of assets) {
    assert.match(a, /\.[0-9a-f]{12}\.(js|css|svg)$/, 'hashed name: ' + a);
    const r = await call('GET', UI + a);
    assert.equal(r.status, 200, a);
    assert.match(r.headers['cache-control'], /max-age=31536000/);
  }
  const anon = await call('GET', UI, undefined, { username: 'nobody', password: 'x' });
  assert.equal(anon.status, 401);
});

test('the API calls carry the credentials the browser was given; the page stores none', async () => {
  // no httpCredentials: the browser's own auth cache, as when a person types the password
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  const u = new URL(UI);
  u.username = USER.username;
  u.password = USER.password;
  await page.goto(u.href + '#/');
  await page.waitForSelector('table.subs tbody tr a', { timeout: 15000 });
  const kept = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
  assert.deepEqual(kept, { local: 0, session: 0, cookie: '' });
  assert.ok(!(await page.content()).includes(USER.password), 'password in the DOM');
  await ctx.close();
});

test('my submissions: a submission made through the API appears, opens and shows COMPLETED', async () => {
  const name = 'ui-list-' + crypto.randomBytes(3).toString('hex');
  const id = await submit({ applicationName: name });
  const page = await open(userCtx, '/');
  await page.waitForSelector(`a[href="#/sub/${id}"]`, { timeout: 20000 });
  await page.shot('list');
  // the keyboard: the first Tab reaches the skip link, which moves focus to the content
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  // filters: a state that it cannot have hides it; clearing shows it again
  await page.selectOption('#f-state', 'FAILED');
  await page.click('form.filters button[type=submit]');
  await page.waitForSelector(`a[href="#/sub/${id}"]`, { state: 'detached', timeout: 10000 });
  await page.selectOption('#f-state', '');
  await page.fill('#f-name', name);
  await page.click('form.filters button[type=submit]');
  await page.waitForSelector(`a[href="#/sub/${id}"]`, { timeout: 10000 });
  await page.click(`a[href="#/sub/${id}"]`);
  await page.waitForSelector('#status .badge');
  await page.waitForFunction(() => document.querySelector('#status .badge')?.textContent === 'COMPLETED', null, { timeout: 60000 });
  // the attempts history the API gives: one attempt, COMPLETED
  await waitText(page, '#attempts table.attempts tbody', /COMPLETED/);
  await waitText(page, '#spec', /^(?!Loading)/);
  await page.click('details summary');
  await waitText(page, '#describe', /^(?!Loading)/);
  await page.shot('submission');
  page.check();
  // the list now shows it COMPLETED too (auto-refresh or reload)
  await page.goto(UI + '#/');
  await page.waitForFunction((sid) => {
    const a = document.querySelector(`a[href="#/sub/${sid}"]`);
    return a && a.closest('tr').querySelector('.badge').textContent === 'COMPLETED';
  }, id, { timeout: 20000 });
  page.check();
  await page.close();
});

test('a secret in sparkConf never reaches the DOM (submission page, spec, describe, dry run)', async () => {
  const secret = 'S3cr3t' + crypto.randomBytes(8).toString('hex');
  const id = await submit({ sparkConf: { 'spark.hadoop.db.password': secret } });
  const page = await open(userCtx, '/sub/' + id);
  await waitText(page, '#spec', /^(?!Loading)/);
  await page.click('details summary');
  await waitText(page, '#describe', /^(?!Loading)/);
  const spec = await page.textContent('#spec');
  assert.match(spec, /spark\.hadoop\.db\.password/, 'the key is shown');
  const html = await page.content();
  assert.ok(!html.includes(secret), 'secret in the submission page DOM');
  // dry run in the editor: the preview is masked too
  const ed = await open(userCtx, '/new');
  await ed.fill('#editor', JSON.stringify(app({ sparkConf: { 'spark.db.password': secret } }), null, 2));
  await ed.click('#dryrun');
  await waitText(ed, '#preview', /SparkApplication/);
  const preview = await ed.textContent('#preview');
  assert.ok(!preview.includes(secret), 'secret in the dry-run preview');
  page.check();
  ed.check();
  await page.close();
  await ed.close();
});

test('logs: the driver log follows a running application (new lines appear), search, executors, download', async () => {
  const id = await submit({ executor: { instances: 2, cores: 1, memory: '1g' } });
  // opened at once: the page follows again until the driver has a log, then streams it
  const page = await open(userCtx, `/logs/${id}?follow=true&tail=1`);
  const info = () => page.textContent('#log-info');
  const count = async () => Number(/^(\d+) lines/.exec(await info())?.[1] || 0);
  const first = await waitFor('first log lines', async () => { const n = await count(); return n > 1 && /following/.test(await info()) && n; }, 60000);
  await waitFor('more log lines while following', async () => ((await count()) > first) || !/following/.test(await info()), 30000);
  assert.ok((await count()) > first, 'new lines while following: ' + (await info()));
  // pause holds new lines back
  await page.click('#log-pause');
  await waitText(page, '#log-pause', /Resume/);
  await page.shot('logs');
  await page.click('#log-pause');
  // the executors are offered
  const options = await page.$$eval('#log-source option', (os) => os.map((o) => o.textContent));
  assert.deepEqual(options, ['driver', 'executor 1', 'executor 2']);
  await page.click('#log-follow');  // stop
  await page.fill('#log-search', 'INFO');
  await waitText(page, '#log-matches', /\d+ matches/);
  assert.ok((await page.$$('.logview mark')).length > 0, 'matches are highlighted');
  await page.selectOption('#log-source', '1');
  await waitText(page, '#log-info', /executor 1 · complete/, 20000);
  assert.match(await page.textContent('.logview'), /exec-1/);
  // download: the loaded lines as a file named after the submission and the pod
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#log-download')]);
  assert.equal(dl.suggestedFilename(), `${id}-exec-1.log`);
  const body = fs.readFileSync(await dl.path(), 'utf8');
  assert.match(body, /exec-1 line \d+/);
  page.check();
  await page.close();
});

test('a submission: a history of several attempts; delete asks first', async () => {
  const id = await submit();
  // a history with a failed attempt and a rerun, injected into /status's answer
  const page = await open(userCtx, '/sub/' + id, (p) => p.route('**/spark/*/status', async (route) => {
    const r = await route.fetch();
    const j = await r.json();
    j.attempts = [
      { submissionAttempt: 2, executionAttempt: 2, state: j.applicationState, submissionTime: Date.now() - 20000 },
      { submissionAttempt: 1, executionAttempt: 1, state: 'FAILED', submissionTime: Date.now() - 60000,
        terminationTime: Date.now() - 30000, errorMessage: 'executor lost' },
    ];
    await route.fulfill({ response: r, json: j });
  }));
  await page.waitForSelector('table.attempts tbody tr:nth-child(2)');
  assert.match(await page.textContent('table.attempts'), /executor lost/);
  await page.unroute('**/spark/*/status');
  // delete: Cancel keeps it, Delete removes it and returns to the list
  await page.click('#delete');
  await page.waitForSelector('dialog.confirm[open]');
  await page.shot('delete-confirm', false);
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog.confirm', { state: 'detached' });
  assert.equal((await call('GET', `/spark/${id}/status`)).status, 200);
  await page.click('#delete');
  await page.click('dialog.confirm button.danger');
  await page.waitForFunction(() => location.hash === '#/');
  const gone = await waitFor('the SparkApplication deleted', async () => {
    const st = await call('GET', `/spark/${id}/spec`);
    return st.status !== 200 && st.status;
  });
  assert.ok(gone >= 400, 'spec after delete: ' + gone);
  page.check();
  await page.close();
});

test('logs: a 200k-line log renders only what is in sight', async () => {
  const page = await open(userCtx, '/');
  // the viewer itself (loaded with the page: main imports logs imports logview), fed a
  // synthetic log: the simulator's logs are short
  const rows = await page.evaluate(async () => {
    const src = performance.getEntriesByType('resource').map((e) => e.name).find((n) => /\/logview\.[0-9a-f]{12}\.js$/.test(n));
    const mod = await import(src);
    const v = new mod.LogView();
    document.getElementById('main').append(v.el);
    const lines = [];
    for (let i = 0; i < 200000; i++) lines.push('line ' + i + ' of a long log');
    const t0 = performance.now();
    v.set(lines);
    v.render();
    v.el.scrollTop = v.el.scrollHeight;
    v.render();
    return { n: v.el.querySelectorAll('.line').length, ms: performance.now() - t0, last: v.el.querySelector('.line:last-child').textContent };
  });
  assert.ok(rows.n < 300, 'rows in the DOM: ' + rows.n);
  assert.match(rows.last, /line 199999 of a long log/);
  assert.ok(rows.ms < 2000, 'took ' + rows.ms + ' ms');
  page.check();
  await page.close();
});

test('new submission: field errors beside the field, dry run, submit with an Idempotency-Key', async () => {
  const page = await open(userCtx, '/new');
  await page.shot('new');
  const bad = app({ driver: { cores: 'x', memory: '1g' } });
  await page.fill('#editor', JSON.stringify(bad, null, 2));
  await page.click('#dryrun');
  await page.waitForSelector('#editor-errors .error');
  const err = await page.textContent('#editor-errors .error');
  assert.match(err, /driver\.cores/);
  const line = JSON.stringify(bad, null, 2).split('\n').findIndex((l) => l.includes('"cores": "x"')) + 1;
  assert.match(err, new RegExp('line ' + line + '\\b'), err);
  assert.equal(await page.textContent('.gutter .err'), String(line));
  await page.shot('new-error');
  // YAML is sent as YAML (the API may not take it yet: then its error is shown, not a crash)
  await page.fill('#editor', 'sparkVersion: "3.5"\nmainApplicationFile: s3a://bpg/uploaded/app.py\n');
  assert.equal(await page.textContent('#editor-kind'), 'YAML');
  const yamlReq = page.waitForRequest((r) => r.url().includes('/spark?dryRun=true'));
  await page.click('#dryrun');
  assert.equal((await yamlReq).headers()['content-type'], 'application/yaml');
  // a good one: preview, then submit
  await page.fill('#editor', JSON.stringify(app({ applicationName: 'ui-new' }), null, 2));
  await page.click('#dryrun');
  await waitText(page, '#preview', /"kind": "SparkApplication"/);
  const sent = page.waitForRequest((r) => r.method() === 'POST' && /\/spark$/.test(r.url()));
  await page.click('#submit');
  const req = await sent;
  assert.match(req.headers()['idempotency-key'] || '', /^[0-9a-f-]{36}$/);
  await page.waitForSelector('#submit-result a');
  const link = await page.textContent('#submit-result a');
  const st = await call('GET', `/spark/${link}/status`);
  assert.equal(st.status, 200);
  await page.shot('new-submitted');
  page.check();
  await page.close();
});

test('upload: progress bar and the resulting s3a:// URL', async () => {
  const page = await open(userCtx, '/upload');
  const name = 'ui-' + crypto.randomBytes(4).toString('hex') + '.bin';
  // every text the upload's state line shows, to see the progress reported on the way
  await page.waitForSelector('#uploads', { state: 'attached' });
  await page.evaluate(() => {
    window.seen = [];
    new MutationObserver(() => {
      for (const s of document.querySelectorAll('.upload .small')) window.seen.push(s.textContent);
    }).observe(document.getElementById('uploads'), { subtree: true, childList: true, characterData: true });
  });
  // with the keyboard: Enter on the drop zone opens the file chooser
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.press('#dropzone', 'Enter')]);
  await chooser.setFiles({ name, mimeType: 'application/octet-stream', buffer: crypto.randomBytes(3 * 1024 * 1024) });
  await page.waitForSelector('.upload input.url', { timeout: 30000 });
  const url = await page.inputValue('.upload input.url');
  assert.match(url, new RegExp('^s3a://[^/]+/.+/' + name.replace('.', '\\.') + '$'));
  assert.equal(await page.$eval('.upload progress', (p) => p.value), 100);
  assert.match(await page.textContent('.upload'), /uploaded/);
  const seen = await page.evaluate(() => window.seen);
  assert.ok(seen.some((t) => /^\d+% · /.test(t)), 'progress shown: ' + JSON.stringify(seen.slice(0, 10)));
  await page.shot('upload');
  page.check();
  await page.close();
});

test('upload: 50 MB as the first thing a fresh browser does (401 comes before any size limit)', async () => {
  // no httpCredentials: the browser's own auth cache, filled by the password typed for the
  // page; its first upload goes out without credentials and must be challenged, not refused
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const u = new URL(UI);
  u.username = USER.username;
  u.password = USER.password;
  const page = await ctx.newPage();
  const statuses = [];
  page.on('response', (r) => { if (r.url().includes('/s3/')) statuses.push(r.status()); });
  await page.goto(u.href + '#/upload');
  await page.waitForSelector('#dropzone');
  const name = 'first-' + crypto.randomBytes(4).toString('hex') + '.bin';
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.press('#dropzone', 'Enter')]);
  // (playwright takes at most 50 MB as a buffer: the file is written to build/ first)
  const file = path.join(SHOTS, name);
  fs.writeFileSync(file, crypto.randomBytes(50 * 1024 * 1024));
  await chooser.setFiles(file);
  await page.waitForSelector('.upload input.url, .upload .error', { timeout: 120000 });
  fs.unlinkSync(file);
  const text = await page.textContent('.upload');
  assert.ok(await page.$('.upload input.url'), 'upload failed: ' + text + ' (statuses ' + statuses + ')');
  assert.ok(!statuses.includes(413), 'a 413 on the way: ' + statuses);
  await ctx.close();
});

test('admin: a non-admin cannot open it; an admin sees health, metrics and every user', async () => {
  const page = await open(userCtx, '/admin');
  await page.waitForSelector('#not-admin');
  assert.equal(await page.$('#health'), null);
  assert.equal(await page.isVisible('#nav-admin'), false);
  await page.shot('admin-denied');
  page.check();
  await page.close();
  const id = await submit();
  const adm = await open(adminCtx, '/admin');
  await adm.waitForSelector('#health');
  const health = await adm.textContent('#health');
  for (const part of ['database', 'cluster c01', 'cluster c02', 'S3']) assert.ok(health.includes(part), part + ' in ' + health);
  await adm.waitForSelector('#metrics-routes tbody tr');
  await adm.waitForSelector(`a[href="#/sub/${id}"]`, { timeout: 20000 });
  assert.equal(await adm.isVisible('#nav-admin'), true);
  await adm.shot('admin');
  adm.check();
  await adm.close();
});

test('phone width and dark mode render without errors', async () => {
  const ctx = await browser.newContext({ httpCredentials: USER, ignoreHTTPSErrors: true, colorScheme: 'dark',
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await open(ctx, '/');
  await page.waitForSelector('table.subs tbody tr');
  await page.shot('list-phone-dark', false);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(bg, 'rgb(247, 248, 250)', 'dark background');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, 'no horizontal page scroll on a phone: ' + overflow);
  page.check();
  await ctx.close();
});

// Issue 37 point 5: times say their zone (a UTC switch, kept), the monitor's times are dates,
// the submission page shows what was asked for, and the root leads to the UI.
test('times carry their zone and switch to UTC; the submission page shows name, queue and resources', async () => {
  const id = await submit({ applicationName: 'ui-zone', driver: { cores: 2, memory: '2g' }, executor: { instances: 3, cores: 1, memory: '1g' } });
  const ctx = await browser.newContext({ httpCredentials: USER, ignoreHTTPSErrors: true, timezoneId: 'Europe/Berlin',
    viewport: { width: 1280, height: 860 } });
  const page = await open(ctx, '/sub/' + id);
  await waitText(page, '#app', /Queue/);                          // from the list row, after the spec
  const appText = await page.innerText('#app');
  assert.match(appText, /Name\s+ui-zone/);
  assert.match(appText, /Queue\s+root\.\w+/);
  assert.match(appText, /Driver\s+2 cores, \d+[mg]/);
  assert.match(appText, /Executors\s+3 × 1 core, \d+[mg]/);
  const local = /Created\s*(\d{4}-\d\d-\d\d (\d\d):\d\d:\d\d) (GMT\+1|CET)/;
  await waitText(page, '#status', local);
  const [, , hourLocal] = local.exec(await page.innerText('#status'));
  await page.shot('submission-app-zone');
  await page.click('#utc');                                      // (page.check is open()'s)
  const utc = /Created\s*\d{4}-\d\d-\d\d (\d\d):\d\d:\d\d UTC/;
  await waitText(page, '#status', utc);
  const [, hourUtc] = utc.exec(await page.innerText('#status'));
  assert.equal((Number(hourLocal) + 23) % 24, Number(hourUtc), 'Berlin is UTC+1 in winter');
  await page.reload({ waitUntil: 'load' });                      // the switch is kept
  await waitText(page, '#status', utc);
  assert.equal(await page.isChecked('#utc'), true);
  await page.uncheck('#utc');
  await waitText(page, '#status', local);
  page.check();
  await ctx.close();
});

test('admin: the monitor\'s last run shows as dates', async () => {
  execFileSync(path.join(ROOT, 'monitor', 'bpg-monitor'), ['--config', env.BPG_CONFIG], { stdio: 'ignore', timeout: 60000 });
  const adm = await open(adminCtx, '/admin');
  await waitText(adm, '#health', /monitor/);
  const text = await adm.textContent('#health');
  assert.match(text, /lastRunStarted: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+/);
  assert.match(text, /lastRunFinished: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+/);
  assert.doesNotMatch(text, /lastRun\w+: \d{12,}/);
  await adm.shot('admin-monitor');
  adm.check();
  await adm.close();
});

test('the root leads to the UI', async () => {
  const r = await call('GET', ORIGIN + '/', undefined, { username: '', password: '' });
  assert.equal(r.status, 302);
  assert.equal(new URL(r.headers.location, ORIGIN).pathname, '/ui/');
  const page = await userCtx.newPage();
  await page.goto(ORIGIN + '/', { waitUntil: 'load' });
  assert.equal(new URL(page.url()).pathname, '/ui/');
  await page.waitForSelector('#nav-admin', { state: 'attached' });
  await page.close();
});
