// bench.mjs: ./omni bench media — the host media engine (the headless host,
// release build) measured on loopback.
//  1. Join-to-first-frame: from the guest's click on "Join Session" (no
//     waiting room, the host already live) to the first decoded host video
//     frame (getStats framesDecoded > 0, polled every 5 ms in the page),
//     median and max over BENCH_JOINS (10) joins of real Chromium guests.
//  2. Cost per guest: the host at 720p30 with 0, 1, 2, 4, 8 and 16 receive-only
//     load guests (bench-guest; Chromium guests decoding 720p would starve
//     this 2-core machine before the host) —
//     host CPU (from /proc, over a BENCH_WINDOW_S window) and RSS, the
//     encoder count — and the largest guest count under 80 % of this
//     machine's CPU, from the measured per-guest slope.
//  3. Forwarding (host hub): the host at 640x360 with 1, 2, 4 Chromium
//     guests that send camera (320x180) and microphone, each guest's media
//     forwarded (depayload + payload, no decoding) to the others — host CPU
//     and RSS with forwarding and with --no-forward, so the difference is
//     what forwarding costs. BENCH_FORWARD_GUESTS picks the counts.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Relay, HeadlessHost, Guest, requirePrerequisites, LAUNCH_ARGS, CHROMIUM, BUILD } from './harness.mjs';

const chromium = requirePrerequisites();
const JOINS = Number(process.env.BENCH_JOINS || 10);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S || 8);
const COUNTS = (process.env.BENCH_GUESTS || '0,1,2,4,8,16').split(',').map(Number);
const CORES = cpus().length;
const TICK = 100;   // USER_HZ

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x, d = 0) => Number(x).toFixed(d);

function procTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);   // utime + stime
}
function procRssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}
function procThreads(pid) {
  const m = /Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
function systemTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { busy: f.reduce((a, b) => a + b, 0) - idle, total: f.reduce((a, b) => a + b, 0) };
}
/* Host CPU in % of one core and the whole machine's busy %, over the window. */
async function measureCpu(pid) {
  const t0 = Date.now(), h0 = procTicks(pid), s0 = systemTicks();
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));   // the measurement window itself
  const seconds = (Date.now() - t0) / 1000, h1 = procTicks(pid), s1 = systemTicks();
  return {
    hostCore: 100 * (h1 - h0) / TICK / seconds,
    machine: 100 * (s1.busy - s0.busy) / (s1.total - s0.total),
  };
}

const relay = new Relay();
let browser, host;
const guests = [];
const loadGuests = [];
const LOAD_GUEST = path.join(BUILD, 'tests', 'media', 'bench-guest');

async function joinOnce(session, i) {
  const guest = new Guest(browser, relay, session.accessLink, `Guest ${i}`);
  await guest.open();
  const mark = host.events.length;
  await guest.join();
  const ms = await guest.firstFrameMs();
  if (ms < 0) throw new Error(`guest ${i}: no host video frame`);
  const joined = await host.waitFor((e) => e.event === 'guest-joined' && e.name === `Guest ${i}`, 'join', { since: mark });
  const offer = await host.waitFor((e) => e.event === 'offer-sent' && e.guest === joined.guest, 'offer', { since: mark });
  const connected = await host.waitFor((e) => e.event === 'guest-connected' && e.guest === joined.guest, 'connected', { since: mark });
  guest.id = joined.guest;
  return { guest, ms, offerMs: offer.ms, connectedMs: connected.ms };
}

async function leave(guest) {
  const mark = host.events.length;
  await guest.page.click('#ctl-leave');
  await host.waitFor((e) => e.event === 'guest-left' && e.guest === guest.id, 'leave', { since: mark });
  await guest.close();
}

async function joinToFirstFrame() {
  const session = await relay.createSession({ title: 'Join bench' });
  host = new HeadlessHost(relay, session._id, ['--admit-all', '--busy-pattern']);
  await host.start();
  // One join before measuring: the very first one also pays process-wide
  // one-time costs (Chromium's first renderer, codec set-up).
  const warm = await joinOnce(session, 0);
  await leave(warm.guest);
  const runs = [];
  for (let i = 1; i <= JOINS; i++) {
    const r = await joinOnce(session, i);
    runs.push(r);
    await leave(r.guest);
  }
  await host.stop();
  const ms = runs.map((r) => r.ms);
  console.log(`\n1. join-to-first-frame (host live at 1280x720@30 VP8, click on "Join Session" → first decoded host frame), ${JOINS} joins`);
  console.log(`   median ${fmt(median(ms))} ms, max ${fmt(Math.max(...ms))} ms, min ${fmt(Math.min(...ms))} ms  (target: median < 1000 ms)`);
  console.log(`   each: ${ms.map((x) => fmt(x)).join(', ')} ms`);
  console.log(`   host side, median: offer sent ${fmt(median(runs.map((r) => r.offerMs)))} ms and connected ${fmt(median(runs.map((r) => r.connectedMs)))} ms after the guest was admitted`);
  return median(ms);
}

/* A receive-only load guest (bench-guest): joins like the join page, counts
 * the host's RTP without decoding it. */
function loadGuest(session, name) {
  return new Promise((resolve, reject) => {
    const proc = spawn(LOAD_GUEST, [relay.url, session.accessLink, name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not receive: ${err}`)), 20000);
    proc.stderr.on('data', (d) => { err += d; });
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('"receiving"')) { clearTimeout(timer); resolve(proc); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited ${code}: ${err}`)); });
    loadGuests.push(proc);
  });
}

async function costPerGuest() {
  const session = await relay.createSession({ title: 'Cost bench' });
  host = new HeadlessHost(relay, session._id, ['--admit-all', '--busy-pattern', '--video-size', '1280x720', '--fps', '30', '--video-kbps', '1500']);
  await host.start();
  const pid = host.proc.pid;
  const rows = [];
  let joined = 0;
  console.log(`\n2. cost per guest: host sending 1280x720@30 VP8 (1.5 Mb/s) + Opus to receive-only load guests (bench-guest: webrtcbin, no decoding); ${WINDOW_S} s windows, ${CORES} cores`);
  console.log('   guests  host CPU (% of 1 core)  host RSS MB  threads  encoders  machine busy %  host kb/s out per guest');
  for (const n of COUNTS) {
    while (joined < n) await loadGuest(session, `Load${++joined}`);
    const cpu = await measureCpu(pid);
    const stats = host.latest((e) => e.event === 'host-stats');
    const ids = [...new Set(host.events.filter((e) => e.event === 'guest-connected').map((e) => e.guest))];
    const outs = ids.map((id) => host.latest((e) => e.event === 'stats' && e.guest === id)).filter(Boolean).map((e) => e.kbpsOut);
    const row = { n, ...cpu, rss: procRssMb(pid), threads: procThreads(pid), encoders: stats.encoders, kbps: outs.length ? median(outs) : 0 };
    rows.push(row);
    console.log(`   ${String(n).padStart(6)}  ${fmt(row.hostCore, 1).padStart(22)}  ${fmt(row.rss, 1).padStart(11)}  ${String(row.threads).padStart(7)}  ${String(row.encoders).padStart(8)}  ${fmt(row.machine, 1).padStart(14)}  ${fmt(row.kbps).padStart(10)}`);
  }
  await host.stop();
  // Least-squares slope of host CPU over guests: the per-guest cost; the
  // intercept is the encoding (paid once). Windows where the machine was
  // saturated (the load guests run here too) would bend the line: left out.
  const fitRows = rows.filter((r) => r.machine < 90);
  const xs = fitRows.map((r) => r.n), ys = fitRows.map((r) => r.hostCore);
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const base = my - slope * mx;
  const budget = 0.8 * 100 * CORES;
  const maxGuests = Math.floor((budget - base) / slope);
  const memSlope = (fitRows[fitRows.length - 1].rss - fitRows[0].rss) / (xs[xs.length - 1] - xs[0]);
  const direct = rows.filter((r) => r.machine < 80).pop();
  console.log(`   fit: host CPU ≈ ${fmt(base, 1)} % (encoding, once) + ${fmt(slope, 2)} % per guest; memory ≈ +${fmt(memSlope, 1)} MB per guest`);
  console.log(`   encoders: ${[...new Set(rows.map((r) => r.encoders))].join(', ')} at every guest count (encode once)`);
  console.log(`   largest guest count at 720p30 under 80 % of this ${CORES}-core machine (${fmt(budget)} % of one core) for the host: ${maxGuests} (from the fit)`);
  if (direct) {
    console.log(`   measured directly: ${direct.n} guests with the whole machine at ${fmt(direct.machine, 1)} % busy — host and the load guests' own receiving together`);
  }
}

async function forwardingCost() {
  const counts = (process.env.BENCH_FORWARD_GUESTS || '1,2,4').split(',').map(Number);
  console.log(`\n3. forwarding: host at 640x360@30 VP8 (600 kb/s) + Opus, Chromium guests sending 320x180@15 + Opus; ${WINDOW_S} s windows, ${CORES} cores`);
  console.log('   guests  forwarding  sources fwd  host CPU (% of 1 core)  host RSS MB  threads  machine busy %');
  const rows = {};
  for (const n of counts) {
    for (const forward of [false, true]) {
      const session = await relay.createSession({ title: 'Forward bench' });
      const args = ['--admit-all', '--video-size', '640x360', '--video-kbps', '600'];
      if (!forward) args.push('--no-forward');
      host = new HeadlessHost(relay, session._id, args);
      await host.start();
      const list = [];
      for (let i = 1; i <= n; i++) {
        const g = new Guest(browser, relay, session.accessLink, `Fwd ${i}`);
        guests.push(g);
        list.push(g);
        await g.open();
        const mark = host.events.length;
        await g.join();
        const joined = await host.waitFor((e) => e.event === 'guest-joined' && e.name === `Fwd ${i}`, 'join', { since: mark });
        await host.waitFor((e) => e.event === 'first-frame' && e.guest === joined.guest && e.kind === 'video', 'guest video', { since: mark, timeout: 30000 });
      }
      // Every guest's audio and video in the forwarder before measuring
      // (with one guest they are depayloaded and payloaded for nobody).
      const stats = await host.waitFor((e) => e.event === 'host-stats' && e.guests === n && e.forwarded === (forward ? 2 * n : 0),
        'forwarding set up', { since: 0, timeout: 30000 });
      const cpu = await measureCpu(host.proc.pid);
      const row = { ...cpu, rss: procRssMb(host.proc.pid), threads: procThreads(host.proc.pid), streams: stats.forwarded };
      rows[`${n}/${forward}`] = row;
      console.log(`   ${String(n).padStart(6)}  ${String(forward ? 'yes' : 'no').padStart(10)}  ${String(row.streams).padStart(11)}  ${fmt(row.hostCore, 1).padStart(22)}  ${fmt(row.rss, 1).padStart(11)}  ${String(row.threads).padStart(7)}  ${fmt(row.machine, 1).padStart(14)}`);
      for (const g of list) { await g.close(); guests.splice(guests.indexOf(g), 1); }
      await host.stop();
    }
  }
  for (const n of counts) {
    const on = rows[`${n}/true`], off = rows[`${n}/false`];
    console.log(`   ${n} guest(s): forwarding adds ${fmt(on.hostCore - off.hostCore, 1)} % of a core and ${fmt(on.rss - off.rss, 1)} MB` +
      (n > 1 ? ` (${n * (n - 1)} forwarded video+audio pairs: ${fmt((on.hostCore - off.hostCore) / (n * (n - 1)), 2)} % per pair)` : ' (nothing to forward)'));
  }
}

const watchdog = setTimeout(() => { console.error('bench: took too long'); process.exit(1); }, 20 * 60 * 1000);
try {
  await relay.start();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  if (!process.env.BENCH_SKIP_JOIN) await joinToFirstFrame();
  if (!process.env.BENCH_SKIP_COST) await costPerGuest();
  if (!process.env.BENCH_SKIP_FORWARD) await forwardingCost();
} catch (e) {
  console.error('bench failed: ' + e.stack);
  if (host) console.error(host.stderr.split('\n').slice(-20).join('\n'));
  process.exitCode = 1;
} finally {
  for (const g of guests) await g.close();
  for (const p of loadGuests) if (p.exitCode === null) p.kill('SIGTERM');
  if (browser) await browser.close().catch(() => {});
  if (host) await host.stop();
  await relay.stop();
  clearTimeout(watchdog);
}
