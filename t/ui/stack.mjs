// What the UI's test files share: the stack they run against (BPG_STACK_ENV), the API from
// node, a submission's body and how Chromium is started.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHOTS = path.join(ROOT, 'build/ui');
export const env = {};
for (const line of fs.readFileSync(process.env.BPG_STACK_ENV, 'utf8').split('\n')) {
  const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
  if (m) env[m[1]] = m[2];
}
export const API = env.BPG_URL;                       // https://localhost:PORT/apiv2
export const ORIGIN = new URL(API).origin;
export const UI = ORIGIN + '/ui/';
export const CA = fs.readFileSync(env.BPG_CACERT);
export const USER = { username: env.BPG_USER, password: env.BPG_PASSWORD };
export const ADMIN = { username: env.BPG_ADMIN_USER, password: env.BPG_ADMIN_PASSWORD };

// The API straight from node (to make submissions the page must then show).
export function call(method, p, body, who = USER, headers = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(p.startsWith('http') ? p : API + p);
    const data = body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = https.request(u, {
      method, ca: CA, timeout: 15000, auth: who.username + ':' + who.password,
      headers: Object.assign(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}, headers),
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch (e) { json = null; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout: ' + method + ' ' + p)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

export function app(extra = {}) {
  return Object.assign({
    applicationName: 'ui-test',
    sparkVersion: '3.5',
    mainApplicationFile: 's3a://bpg/uploaded/app.py',
    driver: { cores: 1, memory: '1g' },
    executor: { instances: 1, cores: 1, memory: '1g' },
  }, extra);
}

// Chromium as this machine runs it: headless, no sandbox (root), no network of its own.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
