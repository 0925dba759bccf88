// harness.mjs: what the media e2e test and the media benchmark share — a real
// relay on a free port in its own temp dir, the headless host
// (omnilive-headless: the real engine, webrtcbin) with its JSON event stream,
// and Chromium guests (fake camera and microphone) joining through the real
// join page. Everything waits on events with timeouts, never on bare sleeps.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const SKIP = 77;
export const CHROMIUM = process.env.OMNI_CHROMIUM || '/usr/bin/chromium';
export const BUILD = process.env.OMNI_BUILD_DIR || path.resolve(here, '../../build');
export const RELAY = path.join(BUILD, 'relay', 'omnilive-relay');
export const HOST = process.env.OMNI_HEADLESS || path.join(BUILD, 'desktop', 'engine', 'media', 'omnilive-headless');
export const STEP_MS = 20000;

/* Exits 77 (skip) when the browser side cannot run here. */
export function requirePrerequisites() {
  if (!existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
    console.log(`1..0 # SKIP node modules missing: run 'npm ci --prefix ${here}' (./omni test does it)`);
    process.exit(SKIP);
  }
  if (!existsSync(CHROMIUM)) {
    console.log(`1..0 # SKIP ${CHROMIUM} not found (apt-get install chromium)`);
    process.exit(SKIP);
  }
  for (const bin of [RELAY, HOST]) {
    if (!existsSync(bin)) {
      console.log(`1..0 # SKIP ${bin} is not built`);
      process.exit(SKIP);
    }
  }
  const require = createRequire(import.meta.url);
  return require('playwright-core').chromium;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timed out: ' + what)), ms); }),
  ]);
}

/* ---------- the relay ---------- */

export class Relay {
  constructor() { this.log = ''; }
  /* turn: run the relay's TURN server on a free loopback port, with
   * loopback peers allowed (both ends of the call are on this machine). */
  async start({ turn = false } = {}) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'omni-media-'));
    const out = execFileSync(RELAY, ['host', 'add', '--email', 'agent@example.com', '--name', 'Dana Host', '--data-dir', this.dir])
      .toString().trim().split('\n');
    this.token = out[out.length - 1];
    this.tokenFile = path.join(this.dir, 'host.token');
    writeFileSync(this.tokenFile, this.token + '\n', { mode: 0o600 });
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    await new Promise((resolve, reject) => {
      const args = ['--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dir];
      if (turn) {
        const config = path.join(this.dir, 'relay.ini');
        writeFileSync(config, `[turn]\nlisten=127.0.0.1:${turn}\nallowed_peers=127.0.0.0/8\n`);
        args.push('--config', config);
      }
      this.proc = spawn(RELAY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => reject(new Error('relay did not start: ' + this.log)), STEP_MS);
      this.proc.stderr.on('data', (d) => { this.log += d; });
      this.proc.stdout.on('data', (d) => {
        if (String(d).includes('listening on')) { clearTimeout(timer); resolve(); }
      });
      this.proc.on('exit', (code) => { clearTimeout(timer); reject(new Error('relay exited ' + code + ': ' + this.log)); });
    });
  }
  async api(method, url, body) {
    const response = await fetch(this.url + url, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json().catch(() => null) };
  }
  /* A session that may start now; the headless host starts it. */
  async createSession(fields = {}) {
    const begin = new Date(Date.now() + 60 * 1000).toISOString();
    const end = new Date(Date.now() + 3600 * 1000).toISOString();
    const created = await this.api('POST', '/api/sessions', {
      title: 'Media test', sessionType: 'meeting', scheduledStartTime: begin, scheduledEndTime: end,
      maxParticipants: 50, enableScreenShare: true, ...fields,
    });
    if (created.status !== 201) throw new Error('session not created: ' + JSON.stringify(created.json));
    return created.json;
  }
  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      await new Promise((resolve) => { this.proc.once('exit', resolve); this.proc.kill('SIGTERM'); });
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/* ---------- the headless host ---------- */

/* GStreamer 1.22's rtpsession iterates its SSRC table in the RTCP thread
 * while a sending thread adds the SSRC of a newly forwarded stream; GLib
 * stops that iteration (one RTCP round skipped) and logs this. Harmless in
 * use, where criticals are not fatal; anything else still fails the test. */
const KNOWN_CRITICALS = ["g_hash_table_foreach: assertion 'version == hash_table->version' failed"];

function withoutFatalCriticals(flags) {
  return (flags || '').split(/[,:\s]+/).filter((f) => f && f !== 'fatal-criticals').join(',');
}

export class HeadlessHost {
  constructor(relay, sessionId, args = []) {
    this.relay = relay; this.sessionId = sessionId; this.args = args;
    this.events = []; this.waiters = []; this.stderr = '';
  }
  start() {
    const args = ['--headless', '--relay', this.relay.url, '--token-file', this.relay.tokenFile,
      '--host', this.sessionId, ...this.args];
    // OMNI_MEDIA_GDB (by hand): the host under gdb, which prints where a critical aborts it.
    const [program, argv] = process.env.OMNI_MEDIA_GDB
      ? ['gdb', ['-q', '-batch', '-ex', 'run', '-ex', 'bt 40', '-ex', 'thread apply all bt 25', '--args', HOST, ...args]]
      : [HOST, args];
    this.proc = spawn(program, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Criticals are checked after the run (criticals()), not made fatal:
      // GStreamer 1.22's RTCP thread logs one it survives (KNOWN_CRITICALS).
      env: { ...process.env, G_DEBUG: withoutFatalCriticals(process.env.G_DEBUG), OMNILIVE_FAKE_MEDIA: '1', OMNILIVE_ICE_LOOPBACK: '1' },
    });
    let buffer = '';
    this.proc.stdout.on('data', (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let event;
        try { event = JSON.parse(line); } catch (e) { console.log('# host printed a non-JSON line: ' + line); continue; }
        event.at = Date.now();
        this.events.push(event);
        this.waiters = this.waiters.filter((w) => !w(event));
      }
    });
    this.proc.stderr.on('data', (d) => { this.stderr += d; if (process.env.OMNI_VERBOSE) process.stderr.write(d); });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    return this.waitFor((e) => e.event === 'live', 'the host to go live');
  }
  /* The first event matching pred, from now on or (since: index) from there. */
  waitFor(pred, what, { since = this.events.length, timeout = STEP_MS } = {}) {
    const found = this.events.slice(since).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('host: no ' + what + '\n# host stderr:\n' + this.stderr.split('\n').slice(-20).join('\n')));
      }, timeout);
      this.waiters.push((e) => {
        if (!pred(e)) return false;
        clearTimeout(timer);
        resolve(e);
        return true;
      });
    });
  }
  /* Every critical the host logged, but the known upstream ones. */
  criticals() {
    return this.stderr.split('\n').filter((l) => /-CRITICAL \*\*/.test(l) && !KNOWN_CRITICALS.some((k) => l.includes(k)));
  }
  command(line) { this.proc.stdin.write(line + '\n'); }
  latest(pred) { for (let i = this.events.length - 1; i >= 0; i--) if (pred(this.events[i])) return this.events[i]; return null; }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

/* ---------- guests ---------- */

export const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
  '--disable-renderer-backgrounding', '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows', '--disable-audio-output'];

/* Keeps every RTCPeerConnection (and signaling socket) the page makes
 * reachable from the test; the join page itself is unchanged. forceRelay turns on iceTransportPolicy
 * "relay" (the TURN run). */
function instrument(forceRelay) {
  // Guests send a small camera picture: a 2-core box runs the host and
  // several Chromiums, and what is measured is what the host sends.
  const md = navigator.mediaDevices;
  const getUserMedia = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => getUserMedia(c && c.video
    ? { ...c, video: { ...(typeof c.video === 'object' ? c.video : {}), width: { ideal: 320 }, height: { ideal: 180 }, frameRate: { ideal: 15 } } }
    : c);
  const Original = window.RTCPeerConnection;
  window.__pcs = [];
  /* What each connection went through (signaling, ICE, DTLS with its
   * alerts), for the failure message of a test that sees no media. */
  window.__pcLog = [];
  window.RTCPeerConnection = function (config, ...rest) {
    const c = { ...(config || {}) };
    if (forceRelay) c.iceTransportPolicy = 'relay';
    const pc = new Original(c, ...rest);
    const n = window.__pcs.push(pc);
    const log = (what) => window.__pcLog.push(`${Math.round(performance.now())}ms pc${n} ${what}`);
    const watchDtls = () => {
      const receiver = pc.getReceivers()[0];
      const dtls = receiver && receiver.transport;
      if (!dtls || dtls.__watched) return;
      dtls.__watched = true;
      dtls.addEventListener('statechange', () => log(`dtls ${dtls.state}`));
      dtls.addEventListener('error', (ev) => log(`dtls error ${ev.error && ev.error.errorDetail} alert received ${ev.error && ev.error.receivedAlert} sent ${ev.error && ev.error.sentAlert}`));
    };
    for (const [event, property] of [['signalingstatechange', 'signalingState'],
      ['iceconnectionstatechange', 'iceConnectionState'], ['connectionstatechange', 'connectionState']]) {
      pc.addEventListener(event, () => { watchDtls(); log(`${property} ${pc[property]}`); });
    }
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Original);
  // The signaling sockets too, so a test can drop one.
  const OriginalWs = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (...args) {
    const ws = new OriginalWs(...args);
    window.__sockets.push(ws);
    return ws;
  };
  window.WebSocket.prototype = OriginalWs.prototype;
  Object.setPrototypeOf(window.WebSocket, OriginalWs);
}

/* In the page: what the newest peer connection receives from the host, per
 * transceiver (0 audio, 1 camera, 2 screen — the host's m-line order). */
function receivedStats() {
  const pc = window.__pcs[window.__pcs.length - 1];
  if (!pc) return Promise.resolve(null);
  return Promise.all(pc.getTransceivers().map(async (t) => {
    const report = await t.receiver.getStats();
    let inbound = null;
    report.forEach((s) => { if (s.type === 'inbound-rtp') inbound = s; });
    const codec = inbound && inbound.codecId ? report.get(inbound.codecId) : null;
    return {
      mid: t.mid,
      kind: t.receiver.track.kind,
      codec: codec ? codec.mimeType : null,
      framesDecoded: inbound ? inbound.framesDecoded || 0 : 0,
      audioEnergy: inbound ? inbound.totalAudioEnergy || 0 : 0,
      bytes: inbound ? inbound.bytesReceived || 0 : 0,
      width: inbound ? inbound.frameWidth || 0 : 0,
    };
  })).then((list) => ({ state: pc.connectionState, tracks: list }));
}

/* In the page: one entry per remote tile (host and other guests) keyed by
 * participant id — the name and muted state it shows, and what the
 * receivers of the tracks in its <video>'s stream decode, with the codecs
 * (mime types) they receive. Ties the join page's tiles to real inbound
 * media, not just to the roster. */
function tileStats() {
  const pc = window.__pcs[window.__pcs.length - 1];
  const out = {};
  const tiles = Array.from(document.querySelectorAll('#stage .tile:not(.self)'));
  return Promise.all(tiles.map(async (tile) => {
    const name = tile.querySelector('.label .name');
    const entry = {
      name: name ? name.textContent : null, muted: !!tile.querySelector('.label .muted-icon'),
      video: tile.classList.contains('has-video'), framesDecoded: 0, audioEnergy: 0, videoTracks: 0,
      codecs: [],
    };
    out[tile.dataset.id] = entry;
    const stream = tile.querySelector('video').srcObject;
    if (!pc || !stream) return;
    const tracks = stream.getTracks();
    for (const t of pc.getTransceivers()) {
      if (!tracks.includes(t.receiver.track)) continue;
      const report = await t.receiver.getStats();
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') { entry.framesDecoded += s.framesDecoded || 0; entry.videoTracks++; }
        else entry.audioEnergy += s.totalAudioEnergy || 0;
        const codec = s.codecId ? report.get(s.codecId) : null;
        if (codec && !entry.codecs.includes(codec.mimeType)) entry.codecs.push(codec.mimeType);
      });
    }
  })).then(() => ({
    transceivers: pc ? pc.getTransceivers().length : 0,
    // Why a tile shows nothing: the connection's states, on which of the page's connections.
    pc: pc ? `${window.__pcs.length}:${pc.signalingState}/${pc.iceConnectionState}/${pc.connectionState}` : 'none',
    tiles: out,
  }));
}

export class Guest {
  constructor(browser, relay, link, name, { forceRelay = false } = {}) {
    this.browser = browser; this.relay = relay; this.link = link; this.name = name; this.forceRelay = forceRelay;
  }
  async open() {
    this.context = await this.browser.newContext({ viewport: { width: 960, height: 600 } });
    await this.context.addInitScript(instrument, this.forceRelay);
    this.page = await this.context.newPage();
    this.page.setDefaultTimeout(STEP_MS);
    this.page.on('pageerror', (e) => console.log(`# ${this.name} page error: ${e.message}`));
    // The join page warns when it cannot answer an offer or take a candidate.
    this.page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') console.log(`# ${this.name} console: ${m.text()}`); });
    await this.page.goto(`${this.relay.url}/session/join/${this.link}`);
    await this.page.waitForFunction(() => document.body.dataset.screen === 'prejoin');
    await this.page.fill('#input-name', this.name);
    await this.page.fill('#input-email', this.name.toLowerCase().replace(/\W+/g, '.') + '@example.com');
    /* The preview must have the fake devices before joining, or the guest
     * joins without sending anything. */
    await this.page.waitForFunction(() => !document.getElementById('pre-cam').disabled);
  }
  /* Clicks "Join Session"; resolves with the page's clock at the click. */
  join() {
    return this.page.evaluate(() => {
      window.__joinClick = performance.now();
      document.getElementById('join-button').click();
      return window.__joinClick;
    });
  }
  stats() { return this.page.evaluate(receivedStats); }
  tiles() { return this.page.evaluate(tileStats); }
  /* Waits until pred(before, after) holds for two tile polls `gap` ms apart. */
  async waitTiles(pred, what, { gap = 700, timeout = STEP_MS } = {}) {
    const end = Date.now() + timeout;
    let before = await this.tiles();
    while (Date.now() < end) {
      await this.page.waitForTimeout(gap);   // the sampling interval of a rate, not a sync point
      const after = await this.tiles();
      if (pred(before, after)) return after;
      before = after;
    }
    throw await this.failure(`${what} (last tiles ${JSON.stringify(before)})`);
  }
  /* Drops the signaling socket the way a flaky network would (no "leave"). */
  dropSocket() {
    return this.page.evaluate(() => { const ws = window.__sockets[window.__sockets.length - 1]; ws.close(); return window.__sockets.length; });
  }
  peerConnections() { return this.page.evaluate(() => window.__pcs.length); }
  /* The local candidate type of the selected pair ('relay' through TURN). */
  selectedCandidateType() {
    return this.page.evaluate(async () => {
      const pc = window.__pcs[window.__pcs.length - 1];
      const report = await pc.getStats();
      let type = null;
      report.forEach((s) => {
        if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
        const pair = report.get(s.selectedCandidatePairId);
        const local = pair && report.get(pair.localCandidateId);
        if (local) type = local.candidateType;
      });
      return type;
    });
  }
  /* ms from the click to the first decoded host video frame, polled in the page. */
  firstFrameMs(timeout = STEP_MS) {
    return this.page.evaluate(async (limit) => {
      const end = performance.now() + limit;
      while (performance.now() < end) {
        const pc = window.__pcs[window.__pcs.length - 1];
        if (pc) {
          for (const t of pc.getTransceivers()) {
            if (t.receiver.track.kind !== 'video') continue;
            const report = await t.receiver.getStats();
            let decoded = 0;
            report.forEach((s) => { if (s.type === 'inbound-rtp') decoded = s.framesDecoded || 0; });
            if (decoded > 0) return performance.now() - window.__joinClick;
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      return -1;
    }, timeout);
  }
  /* Waits until pred(before, after) holds for two stats polls `gap` ms apart. */
  async waitStats(pred, what, { gap = 700, timeout = STEP_MS } = {}) {
    const end = Date.now() + timeout;
    let before = await this.stats();
    while (Date.now() < end) {
      await this.page.waitForTimeout(gap);   // the sampling interval of a rate, not a sync point
      const after = await this.stats();
      if (before && after && pred(before, after)) return after;
      before = after;
    }
    throw await this.failure(`${what} (last stats ${JSON.stringify(before)})`);
  }
  /* The page's connection timeline and the selected pair's transport, one line each. */
  async connectionLog() {
    const lines = await this.page.evaluate(async () => {
      const out = window.__pcLog.slice(-20);
      const pc = window.__pcs[window.__pcs.length - 1];
      if (pc) {
        const report = await pc.getStats();
        report.forEach((s) => {
          if (s.type === 'transport') out.push(`transport dtls ${s.dtlsState} ice ${s.iceState} bytes in ${s.bytesReceived} out ${s.bytesSent} pair ${s.selectedCandidatePairId || 'none'}`);
          if (s.type !== 'candidate-pair' || !s.nominated) return;
          const ends = [report.get(s.localCandidateId), report.get(s.remoteCandidateId)]
            .map((c) => c ? `${c.candidateType}/${c.protocol} ${c.address}:${c.port}` : '?').join(' → ');
          out.push(`pair ${s.id} ${s.state} ${ends} bytes in ${s.bytesReceived} out ${s.bytesSent} responses ${s.responsesReceived}`);
        });
      }
      return out;
    }).catch((e) => ['no log: ' + e.message]);
    return lines.map((l) => `# ${this.name} ${l}`).join('\n');
  }
  async failure(message) {
    const error = new Error(`${this.name}: ${message}\n${await this.connectionLog()}`);
    error.guestId = this.id;
    return error;
  }
  async close() { if (this.context) await this.context.close().catch(() => {}); }
}

export const grew = (i, key) => (a, b) => a.tracks[i] && b.tracks[i] && b.tracks[i][key] > a.tracks[i][key];
export const still = (i, key) => (a, b) => a.tracks[i] && b.tracks[i] && b.tracks[i][key] === a.tracks[i][key];
