// Cross-site requests in headless Chromium (issue 32, item 1): a page on another site, opened
// by a user whose browser holds his Basic credentials for the gateway, tries to act as him
// through every way a page can send a request without the gateway's consent: forms of all
// three encodings (text/plain carrying JSON, urlencoded, multipart with a file) and no-cors
// fetches, on /apiv2, /skatev2 and /livy. Each must be refused (403 in the API's own shape)
// and nothing created or written; the gateway's own UI (same origin) still works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { env, API, ORIGIN, UI, USER, SHOTS, call, app, CHROMIUM_ARGS } from './stack.mjs';

const SKATE = ORIGIN + '/skatev2';
const LIVY = ORIGIN + '/livy';
const FOLDER = USER.username + '/csrf';
const NAME = 'victim-' + crypto.randomBytes(3).toString('hex') + '.py';
const ORIGINAL = 'print("the victim\'s own code")\n';
const APPJSON = JSON.stringify(app({ applicationName: 'csrf-attack' }));

let browser;
let evil;          // the attacker's site: another host (127.0.0.1, the gateway is localhost)
let evilOrigin;

// The object's bytes in S3 (moto), read past the gateway.
function s3Object(key) {
  const py = 'import boto3,os,sys\n' +
    's3=boto3.client("s3",endpoint_url=os.environ["S3_ENDPOINT"])\n' +
    'sys.stdout.write(s3.get_object(Bucket=os.environ["S3_BUCKET"],Key=sys.argv[1])["Body"].read().decode())';
  return execFileSync('python3', ['-c', py, key], { env: Object.assign({}, process.env, env) }).toString();
}

async function myCount() {
  const r = await call('GET', '/spark/mySubmissions');
  assert.equal(r.status, 200, r.text);
  return r.json.length;
}

// The attacks: forms (each a top-level navigation, as a real attack is: Chromium sends the
// victim's credentials for it) and no-cors fetches.
// name + '=' + value is a valid submission: {..., "arguments":["="]}
const JSONFIELD = APPJSON.slice(0, -1) + ',"arguments":["';
const FORMS = [
  { id: 'plain', action: API + '/spark', enctype: 'text/plain', fields: [[JSONFIELD, '"]}']] },
  { id: 'plainskate', action: SKATE + '/spark', enctype: 'text/plain', fields: [[JSONFIELD, '"]}']] },
  { id: 'urlenc', action: API + '/spark', enctype: 'application/x-www-form-urlencoded', fields: [['sparkVersion', '3.5']] },
  { id: 'multipart', action: API + '/spark', enctype: 'multipart/form-data', fields: [['sparkVersion', '3.5']] },
  { id: 'livy', action: LIVY + '/batches', enctype: 'text/plain', fields: [['{"file":"s3a://bpg/uploaded/app.py","args":["', '"]}']] },
  { id: 'upload', action: API + '/s3/' + NAME + '?folder=' + FOLDER + '&overwrite=true', enctype: 'multipart/form-data', file: true },
  { id: 'uploadskate', action: SKATE + '/s3/' + NAME + '?folder=' + FOLDER, enctype: 'multipart/form-data', file: true },
  { id: 'uploadplain', action: API + '/s3/' + NAME + '?folder=' + FOLDER + '&overwrite=true', enctype: 'text/plain', fields: [['x', 'overwritten']] },
];
const FETCHES = [
  [API + '/spark', APPJSON],
  [SKATE + '/spark', APPJSON],
  [LIVY + '/batches', '{"file":"s3a://bpg/uploaded/app.py"}'],
  [API + '/s3/' + NAME + '?folder=' + FOLDER + '&overwrite=true', 'overwritten by fetch'],
];

// The attacker's page for form id (submitted on load), or with id "fetch" the no-cors
// fetches (window.done counts those that settled).
function attackPage(id) {
  let html = '<!doctype html><title>cute cats</title><body>\n';
  if (id === 'fetch') {
    return html + `<script>
window.done = 0;
for (const [u, b] of ${JSON.stringify(FETCHES)}) {
  fetch(u, { method: 'POST', mode: 'no-cors', credentials: 'include', body: b })
    .then(() => { window.done++; }, () => { window.done++; });
}
</script>`;
  }
  const f = FORMS.find((x) => x.id === id);
  html += `<form id="f" method="post" action="${f.action.replace(/&/g, '&amp;')}" enctype="${f.enctype}">`;
  for (const [n, v] of f.fields || []) {
    html += `<input type="hidden" name='${n.replace(/'/g, '&#39;')}' value='${v.replace(/'/g, '&#39;')}'>`;
  }
  if (f.file) html += '<input type="file" name="file">';
  html += `</form>
<script>
const input = document.querySelector('input[type=file]');
if (input) {
  const dt = new DataTransfer();
  dt.items.add(new File(['overwritten by a form'], ${JSON.stringify(NAME)}));
  input.files = dt.files;
}
document.getElementById('f').submit();
</script>`;
  return html;
}

before(async () => {
  browser = await chromium.launch({ executablePath: process.env.BPG_CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  evil = http.createServer((req, res) => {
    const a = new URL(req.url, 'http://x').searchParams.get('a');
    if (a !== 'fetch' && !FORMS.some((f) => f.id === a)) {   // /favicon.ico and the like
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(attackPage(a));
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  evilOrigin = 'http://127.0.0.1:' + evil.address().port;
  // the victim's artifact, uploaded by himself
  const up = await call('POST', '/s3/' + NAME + '?folder=' + FOLDER, ORIGINAL, USER,
    { 'Content-Type': 'application/octet-stream' });
  assert.equal(up.status, 200, up.text);
});

after(async () => {
  if (browser) await browser.close();
  if (evil) evil.close();
});

// The answer the page got, its status and JSON body (a Livy error is {"msg"}).
function assertRefused(url, status, text) {
  assert.equal(status, 403, url + ': ' + status + ' ' + text);
  const j = JSON.parse(text);
  if (url.startsWith(LIVY)) {
    assert.match(j.msg, /cross-site request refused/, text);
  } else {
    assert.equal(String(j.code), '403', text);
    assert.match(j.message, /cross-site request refused/, text);
  }
}

test('a page on another site cannot submit, upload or overwrite as the logged-in user', async () => {
  const before = await myCount();
  // the victim is logged in: his browser answers the gateway's Basic challenge for him
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: USER });
  const page = await ctx.newPage();
  const login = await page.goto(UI, { waitUntil: 'load' });
  assert.equal(login.status(), 200);
  for (const f of FORMS) {
    const answered = page.waitForResponse((r) => r.url() === f.action && r.status() !== 401, { timeout: 20000 });
    await page.goto(evilOrigin + '/?a=' + f.id);
    const r = await answered;
    assertRefused(f.action, r.status(), await r.text());
    if (f.id === 'plain') await page.screenshot({ path: path.join(SHOTS, 'csrf-refused.png') });
  }
  // no-cors fetches: Chromium sends no credentials with another site's fetch, so nginx stops
  // them at 401; whatever the browser does, the gateway acts on none of them
  const seen = [];
  page.on('response', (r) => { if (r.url().startsWith(ORIGIN) && r.request().method() === 'POST') seen.push(r); });
  await page.goto(evilOrigin + '/?a=fetch', { waitUntil: 'load' });
  await page.waitForFunction((n) => window.done >= n, FETCHES.length, { timeout: 20000 });
  assert.ok(seen.length >= FETCHES.length, 'the fetches reached the gateway');
  for (const r of seen) {
    assert.ok([401, 403].includes(r.status()), r.url() + ': ' + r.status());
    if (r.status() === 403) assertRefused(r.url(), 403, await r.text());
  }
  // nothing created, nothing written
  assert.equal(await myCount(), before, 'a submission was created by another site');
  assert.equal(s3Object('uploaded/' + FOLDER + '/' + NAME), ORIGINAL, 'the artifact was overwritten');
  await ctx.close();
});

test('the gateway\'s own UI (same origin) still submits with the same browser', async () => {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: USER });
  const page = await ctx.newPage();
  await page.goto(UI, { waitUntil: 'load' });
  const r = await page.evaluate(async ([u, b]) => {
    const res = await fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: b });
    return { status: res.status, body: await res.text() };
  }, [API + '/spark', APPJSON]);
  assert.equal(r.status, 200, r.body);
  assert.match(JSON.parse(r.body).submissionId, /^c0[12]-/);
  const del = await page.evaluate(async (u) => (await fetch(u, { method: 'DELETE' })).status,
    API + '/spark/' + JSON.parse(r.body).submissionId);
  assert.equal(del, 200);
  await ctx.close();
});
