// bench.mjs: chat fan-out on one session — the host sends a chat message and
// every participant receives it — on omnilive-relay and, side by side, on the
// seed's original stack (a small Socket.IO server, tests/bench/peers/socketio).
// Prints p50/p99 delivery latency over all receivers and the server's memory
// per connected guest, then the ratios.
//
// maxParticipants counts the host and is at most 100, so the room is the host
// plus 99 guests: 100 receivers per message (the sender gets its own message
// back on both stacks).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const PEER = path.resolve(here, '../peers/socketio');
const require = createRequire(path.join(PEER, 'package.json'));
const WebSocket = require('ws');
const { io: ioClient } = require('socket.io-client');

const BUILD = process.env.OMNI_BUILD_DIR;
const RELAY = path.join(BUILD, 'relay', 'omnilive-relay');
const GUESTS = Number(process.env.BENCH_GUESTS || 99);
const MESSAGES = Number(process.env.BENCH_MESSAGES || 200);
const PACE_MS = 55;   // under the host's chat rate limit (20/s)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function waitLine(proc, re) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + buf)), 15000);
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = re.exec(buf);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    proc.on('exit', (code) => reject(new Error('server exited ' + code + ': ' + buf)));
  });
}

/* Sends MESSAGES chats in waves: each waits until every receiver has the
 * previous one, so the figures are delivery latency, not queueing. */
async function fanOut(send, receivers, onChat) {
  const latencies = [];
  for (let i = 0; i < MESSAGES; i++) {
    let got = 0;
    const started = performance.now();
    const done = new Promise((resolve) => {
      onChat.current = (text) => {
        if (text !== 'm' + i) return;
        latencies.push(performance.now() - started);
        if (++got === receivers) resolve();
      };
    });
    send('m' + i);
    await done;
    const spent = performance.now() - started;
    if (spent < PACE_MS) await sleep(PACE_MS - spent);
  }
  return latencies.sort((a, b) => a - b);
}

async function benchRelay() {
  const dir = mkdtempSync(path.join(tmpdir(), 'omni-bench-signal-'));
  const out = execFileSync(RELAY, ['host', 'add', '--email', 'bench@example.com', '--name', 'Bench Host', '--data-dir', dir]).toString().trim().split('\n');
  const token = out[out.length - 1];
  const proc = spawn(RELAY, ['--listen', '127.0.0.1:0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const [, url] = await waitLine(proc, /listening on (\S+)/);
    const api = async (method, p, body, auth = true) => {
      const r = await fetch(url + p, { method, headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: `Bearer ${token}` } : {}) }, body: body && JSON.stringify(body) });
      return r.json();
    };
    const session = await api('POST', '/api/sessions', {
      title: 'Bench', sessionType: 'webinar', maxParticipants: GUESTS + 1, waitingRoomEnabled: false, enableChat: true,
      scheduledStartTime: new Date(Date.now() + 60000).toISOString(), scheduledEndTime: new Date(Date.now() + 3600000).toISOString(),
    });
    await api('POST', `/api/sessions/${session._id}/start`);

    const onChat = { current: null };
    const open = (hello) => new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace('http', 'ws') + '/ws');
      ws.on('open', () => ws.send(JSON.stringify(hello)));
      ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.type === 'welcome') resolve(ws);
        else if (m.type === 'chat' && onChat.current) onChat.current(m.text);
        else if (m.type === 'error') reject(new Error(m.message));
      });
      ws.on('error', reject);
    });

    const host = await open({ type: 'hello', v: 1, role: 'host', token, sessionId: session._id });
    const tokens = [];
    for (let i = 0; i < GUESTS; i++) {
      const j = await api('POST', `/api/join/${session.accessLink}`, { name: `Guest ${i}`, email: `guest${i}@example.com` }, false);
      if (!j.guestToken) throw new Error('join failed: ' + JSON.stringify(j));
      tokens.push(j.guestToken);
    }
    await sleep(300);
    const before = rssKiB(proc.pid);
    const guests = [];
    for (const t of tokens) guests.push(await open({ type: 'hello', v: 1, role: 'guest', token: t }));
    await sleep(300);
    const after = rssKiB(proc.pid);

    const latencies = await fanOut((text) => host.send(JSON.stringify({ type: 'chat-send', text })), GUESTS + 1, onChat);
    for (const ws of [host, ...guests]) ws.close();
    return { latencies, perGuestKiB: (after - before) / GUESTS, rss: after };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchSocketIo() {
  const proc = spawn(process.execPath, [path.join(PEER, 'server.js')], { stdio: ['ignore', 'pipe', 'inherit'], cwd: PEER });
  try {
    const [, port] = await waitLine(proc, /listening (\d+)/);
    const url = `http://127.0.0.1:${port}`;
    const onChat = { current: null };
    const open = (name, role) => new Promise((resolve, reject) => {
      const socket = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      socket.on('connect', () => socket.emit('join', { room: 'bench', name, role }, () => resolve(socket)));
      socket.on('chat', (m) => onChat.current && onChat.current(m.text));
      socket.on('connect_error', reject);
    });
    const host = await open('Bench Host', 'host');
    await sleep(300);
    const before = rssKiB(proc.pid);
    const guests = [];
    for (let i = 0; i < GUESTS; i++) guests.push(await open(`Guest ${i}`, 'guest'));
    await sleep(300);
    const after = rssKiB(proc.pid);
    const latencies = await fanOut((text) => host.emit('chat', { text }), GUESTS + 1, onChat);
    for (const s of [host, ...guests]) s.close();
    return { latencies, perGuestKiB: (after - before) / GUESTS, rss: after };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}

const fmt = (x, d = 2) => x.toFixed(d).padStart(8);
const sioVersion = JSON.parse(readFileSync(path.join(PEER, 'node_modules', 'socket.io', 'package.json'), 'utf8')).version;

const relay = await benchRelay();
const sio = await benchSocketIo();
const rows = [['omnilive-relay', relay], [`socket.io ${sioVersion}`, sio]];

console.log(`signaling fan-out: 1 host + ${GUESTS} guests in one session, the host sends ${MESSAGES} chats,`);
console.log(`each delivered to ${GUESTS + 1} receivers (${MESSAGES * (GUESTS + 1)} deliveries per stack)`);
console.log('');
console.log('stack                 p50 ms   p99 ms   max ms   RSS MiB   KiB/guest');
for (const [name, r] of rows) {
  const l = r.latencies;
  console.log(`${name.padEnd(18)}${fmt(percentile(l, 50))} ${fmt(percentile(l, 99))} ${fmt(l[l.length - 1])}  ${fmt(r.rss / 1024, 1)}  ${fmt(r.perGuestKiB, 1)}`);
}
const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) + 'x' : 'n/a');
console.log('');
console.log(`ratio socket.io / relay: p50 ${ratio(percentile(sio.latencies, 50), percentile(relay.latencies, 50))}, ` +
  `p99 ${ratio(percentile(sio.latencies, 99), percentile(relay.latencies, 99))}, ` +
  `memory per guest ${ratio(sio.perGuestKiB, relay.perGuestKiB)}`);
