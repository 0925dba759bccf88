// harness.mjs: what the browser end-to-end tests share — TAP output, the real
// relay binary on a free loopback port with its own data dir, the REST API as
// that relay's host, and the host test client on the signaling socket
// (shared/PROTOCOL.md). Nothing here needs a browser or an npm package at
// import time: `ws` is loaded when a host client opens.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const SKIP = 77;
export const BUILD = process.env.OMNI_BUILD_DIR || path.resolve(here, '../../build');
export const RELAY = path.join(BUILD, 'relay', 'omnilive-relay');
export const SHOTS = path.join(BUILD, 'tests', 'e2e', 'screenshots');
export const STEP_MS = 15000;
export const XSS_NAME = '<img src=x onerror=alert(1)>';

const require = createRequire(import.meta.url);

/* ---------- TAP ---------- */

let step = 0;
export function ok(name) { console.log(`ok ${++step} - ${name}`); }
export function assert(cond, what) { if (!cond) throw new Error('assertion failed: ' + what); }

/* Runs main(), prints the plan and exits 0, or "not ok" and 1. */
export function runTap(main, { relayLog } = {}) {
  main().then(() => {
    console.log(`1..${step}`);
    process.exit(0);
  }).catch((e) => {
    console.log(`not ok ${++step} - ${e.message}`);
    const log = relayLog ? relayLog() : '';
    if (log) console.log('# relay log:\n# ' + log.split('\n').slice(-30).join('\n# '));
    console.log(`1..${step}`);
    process.exit(1);
  });
}

/* Resolves with fn's first truthy value, polling every `every` ms; rejects
 * with `what` after `timeout` ms. For state outside a page (a page has its own
 * waitForFunction). */
export async function until(fn, what, { timeout = STEP_MS, every = 50 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, every));
  }
}

/* ---------- the relay ---------- */

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

/* Relays still running when node exits (a crash, a timeout's SIGTERM) are
 * killed with it, and tempDir()s removed. */
const running = new Set();
const dirs = new Set();
process.once('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
  // Best effort: a browser still writing into its profile there is only
  // killed by its own exit hook, after this one (which must not throw).
  for (const dir of dirs) try { rmSync(dir, { recursive: true, force: true }); } catch { /* left behind */ }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(1));

/* A fresh directory under the system's temporary one, gone when node exits. */
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export class Relay {
  constructor(dir, port) { this.dir = dir; this.port = port; this.url = `http://127.0.0.1:${port}`; this.log = ''; }
  /* Adds the host account; returns its API token. */
  static addHost(dir) {
    const out = execFileSync(RELAY, ['host', 'add', '--email', 'agent@example.com', '--name', 'Dana Host', '--data-dir', dir]).toString().trim().split('\n');
    return out[out.length - 1];
  }
  start() {
    return new Promise((resolve, reject) => {
      /* Its own TURN port too: tests run side by side. */
      const config = path.join(this.dir, 'relay.ini');
      writeFileSync(config, '[turn]\nlisten = 127.0.0.1:0\n');
      const proc = spawn(RELAY, ['--config', config, '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dir],
                         { stdio: ['ignore', 'pipe', 'pipe'] });
      this.proc = proc;
      running.add(proc);
      proc.once('exit', () => running.delete(proc));
      const timer = setTimeout(() => reject(new Error('relay did not start: ' + this.log)), STEP_MS);
      this.proc.stderr.on('data', (d) => { this.log += d; });
      this.proc.stdout.on('data', (d) => {
        if (String(d).includes('listening on')) { clearTimeout(timer); resolve(); }
      });
      this.proc.on('exit', (code) => { clearTimeout(timer); if (code !== null && code !== 0) reject(new Error('relay exited ' + code + ': ' + this.log)); });
    });
  }
  kill(signal = 'SIGTERM') {
    if (!this.proc || this.proc.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => { this.proc.once('exit', resolve); this.proc.kill(signal); });
  }
}

/* ---------- the REST API, as the relay's host ---------- */

export async function apiCall(relay, token, method, url, body, auth = true) {
  const response = await fetch(relay.url + url, {
    method,
    headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  return { status: response.status, json };
}

/* A session starting in a minute (started now unless start is false). */
export async function createSession(relay, token, fields, { start = true } = {}) {
  const begin = new Date(Date.now() + (start ? 60 : 600) * 1000).toISOString();
  const end = new Date(Date.now() + 3600 * 1000).toISOString();
  const created = await apiCall(relay, token, 'POST', '/api/sessions', { title: 'Product Demo', sessionType: 'meeting', scheduledStartTime: begin, scheduledEndTime: end, ...fields });
  assert(created.status === 201, 'session created: ' + JSON.stringify(created.json));
  if (start) assert((await apiCall(relay, token, 'POST', `/api/sessions/${created.json._id}/start`)).status === 200, 'session started');
  return created.json;
}

/* ---------- the host test client ---------- */

export class HostClient {
  constructor(relay, token, sessionId) { this.relay = relay; this.token = token; this.sessionId = sessionId; this.inbox = []; this.waiters = []; }
  open() {
    const WebSocket = require('ws');
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(this.relay.url.replace('http', 'ws') + '/ws');
      this.ws.on('open', () => this.send({ type: 'hello', v: 1, role: 'host', token: this.token, sessionId: this.sessionId }));
      this.ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.type === 'welcome') { this.id = m.participantId; resolve(m); }
        if (m.type === 'error' && m.ref === 'hello') reject(new Error(m.message));
        this.inbox.push(m);
        this.waiters = this.waiters.filter((w) => !w(m));
      });
      this.ws.on('error', reject);
      this.ping = setInterval(() => this.ws.readyState === 1 && this.send({ type: 'ping' }), 15000);
    });
  }
  send(m) { this.ws.send(JSON.stringify(m)); }
  /* The next message matching pred (already received ones count). */
  wait(pred, what) {
    const found = this.inbox.findIndex(pred);
    if (found >= 0) return Promise.resolve(this.inbox.splice(found, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('host: no ' + what)), STEP_MS);
      this.waiters.push((m) => {
        if (!pred(m)) return false;
        clearTimeout(timer);
        this.inbox.splice(this.inbox.indexOf(m), 1);
        resolve(m);
        return true;
      });
    });
  }
  waitingGuest(name) {
    return this.wait((m) => m.type === 'waiting-list' && m.guests.some((g) => g.name === name), `waiting ${name}`)
      .then((m) => m.guests.find((g) => g.name === name));
  }
  close() { clearInterval(this.ping); if (this.ws) this.ws.close(); }
}
