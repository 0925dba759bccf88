// firefox.test.mjs: the join page end to end in real headless Firefox (Debian's
// firefox-esr driven by puppeteer-core over WebDriver BiDi, fake camera and
// microphone) against the real relay binary. The "host" is the WebSocket test
// client of join.test.mjs (tests/e2e/harness.mjs), plus a helper page that
// sends the host's camera over the relay's signaling. Covered: the pre-join
// screen (desktop, and a 390x844 viewport without horizontal overflow),
// switching camera, the waiting room, admission, camera off/on, media both
// ways, chat both ways (markup stays text), the call on a phone viewport,
// resuming after a reload, and removal. Screenshots go to
// $OMNI_BUILD_DIR/tests/e2e/screenshots/firefox/.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  here, SKIP, SHOTS, STEP_MS, XSS_NAME, ok, assert, runTap, freePort, tempDir, Relay, createSession, HostClient, until,
} from './harness.mjs';

const FIREFOX = process.env.OMNI_FIREFOX || ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((f) => existsSync(f));
if (!FIREFOX || !existsSync(FIREFOX)) {
  console.log('1..0 # SKIP Firefox not found (apt-get install firefox-esr)');
  process.exit(SKIP);
}
if (!existsSync(path.join(here, 'node_modules', 'puppeteer-core')) || !existsSync(path.join(here, 'node_modules', 'ws'))) {
  console.log(`1..0 # SKIP node modules missing: run 'npm install --prefix ${here}' (./omni test does it)`);
  process.exit(SKIP);
}
const require = createRequire(import.meta.url);
const puppeteer = require('puppeteer-core');

const FF_SHOTS = path.join(SHOTS, 'firefox');
const DESKTOP = { width: 1280, height: 800 };
/* A phone-sized viewport. No touch emulation: Firefox 153 does not take
 * BiDi's touch override, and puppeteer reloads a page when it changes. */
const PHONE = { width: 390, height: 844, deviceScaleFactor: 2 };
/* Firefox's own switches for a test run: the fake camera and microphone
 * (a coloured frame, a tone) without a permission prompt; real host
 * addresses in ICE candidates (no mDNS names), loopback allowed. Firefox 153
 * still gathers no 127.0.0.1 candidate, so the media goes between this
 * machine's own interface addresses: it never leaves the machine. */
const PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // No probes of the outside world (puppeteer's profile already points the
  // rest of Firefox's services at a dummy host).
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

let relay, token, browser;
const dialogs = [];
const pageErrors = [];

const joinUrl = (link, query = '') => `${relay.url}/session/join/${link}${query}`;

/* ---------- pages ---------- */

/* A guest in its own browser context (own cookies and sessionStorage), in its
 * own window: a background tab would have its timers and frames throttled. */
async function guestPage(viewport = DESKTOP) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage({ type: 'window' });
  await page.setViewport(viewport);
  page.setDefaultTimeout(STEP_MS);
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => { pageErrors.push(e.message); console.log('# page error: ' + e.message); });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') console.log(`# console.${m.type()}: ${m.text()}`); });
  return page;
}

/* Page-side waits poll on a timer: requestAnimationFrame (puppeteer's default)
 * stops in a page Firefox does not paint. */
async function waitIn(page, fn, ...args) {
  try {
    return await page.waitForFunction(fn, { polling: 50, timeout: STEP_MS }, ...args);
  } catch (e) {
    throw new Error(`${e.message} waiting in ${page.url().replace(/^.*\/\/[^/]+/, '')} for ${String(fn).replace(/\s+/g, ' ').slice(0, 160)}`);
  }
}

const screenIs = (page, screen, message = null) => waitIn(page, (s, m) =>
  document.body.dataset.screen === s && (m === null || document.body.dataset.message === m), screen, message);

async function shot(page, name) {
  // A picture, not a sync point: wait until fonts are in and two frames are painted.
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))));
  await page.screenshot({ path: path.join(FF_SHOTS, name + '.png') });
}

/* Types into a field as a person would (key events, input events). */
async function typeInto(page, selector, text) {
  await page.$eval(selector, (e) => { e.value = ''; });
  await page.type(selector, text);
}

/* Elements wider than the viewport or sticking out of it, and the page's
 * scroll width: what makes a phone page scroll sideways. */
function horizontalOverflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
      if (e.closest('[hidden], .sprite')) continue;
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < -0.5 || r.right > width + 0.5) out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className.baseVal ?? e.className} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
    }
    return { width, scrollWidth: document.documentElement.scrollWidth, bodyScrollWidth: document.body.scrollWidth, out: out.slice(0, 8) };
  });
}

async function assertNoOverflow(page, what) {
  const o = await horizontalOverflow(page);
  assert(o.scrollWidth <= o.width && o.bodyScrollWidth <= o.width && o.out.length === 0,
    `${what}: no horizontal overflow at ${o.width}px (scrollWidth ${o.scrollWidth}, body ${o.bodyScrollWidth}; ${o.out.join('; ')})`);
}

const previewLive = (page, id = 'preview-video') => waitIn(page, (i) => {
  const v = document.getElementById(i);
  return v && v.readyState >= 2 && v.videoWidth > 0 && !v.paused;
}, id);

/* ---------- the run ---------- */

async function main() {
  mkdirSync(FF_SHOTS, { recursive: true });
  for (const f of readdirSync(FF_SHOTS)) if (f.endsWith('.png')) rmSync(path.join(FF_SHOTS, f));
  // The relay's data and Firefox's profile, removed when node exits.
  const dir = tempDir('omni-e2e-ff-');
  const data = path.join(dir, 'relay');
  mkdirSync(data);
  token = Relay.addHost(data);
  relay = new Relay(data, await freePort());
  await relay.start();
  const launched = Date.now();
  // A fresh profile each run.
  browser = await puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true, defaultViewport: null, userDataDir: path.join(dir, 'profile'),
    extraPrefsFirefox: PREFS, timeout: 90000, protocolTimeout: 60000,   // start-up takes 4 s idle, 35 s on a loaded 2-core machine
  });
  // On an early exit (a crash, a timeout's SIGTERM), Firefox's process group
  // dies before the harness removes its profile.
  const pid = browser.process()?.pid;
  if (pid) process.prependOnceListener('exit', () => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } });
  console.log(`# ${await browser.version()} (${FIREFOX}), up in ${Date.now() - launched} ms`);
  try {
    await run();
  } catch (e) {
    // What each open page showed when it failed.
    let n = 0;
    for (const page of await browser.pages().catch(() => [])) {
      await page.screenshot({ path: path.join(FF_SHOTS, `failed-${++n}.png`) }).catch(() => {});
    }
    throw e;
  } finally {
    await browser.close().catch(() => {});
    await relay.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run() {
  const demo = await createSession(relay, token, {
    title: 'Firefox Demo', waitingRoomEnabled: true, enableChat: true, enableScreenShare: true,
    description: 'Live walkthrough of the new dashboard, with time for questions.',
  });

  // Pre-join: the session's details, the form, the live fake camera.
  const guest = await guestPage();
  await guest.goto(joinUrl(demo.accessLink));
  await screenIs(guest, 'prejoin');
  await previewLive(guest);
  const pre = await guest.evaluate(() => {
    const visible = (id) => { const e = document.getElementById(id); const r = e.getBoundingClientRect(); return !e.closest('[hidden]') && r.width > 0 && r.height > 0; };
    return {
      docTitle: document.title, title: document.getElementById('info-title').textContent, host: document.getElementById('info-host').textContent,
      type: document.getElementById('info-type').textContent, when: document.getElementById('info-time').textContent,
      name: visible('input-name'), email: visible('input-email'), button: visible('join-button') && !document.getElementById('join-button').disabled,
      password: visible('input-password'), preview: visible('preview-video'), cams: document.querySelectorAll('#select-cam option').length,
      camLabel: (document.querySelector('#select-cam option') || {}).textContent,
    };
  });
  assert(pre.title === 'Firefox Demo' && pre.docTitle.startsWith('Firefox Demo'), 'session title: ' + JSON.stringify(pre));
  assert(pre.host === 'Dana Host', 'host name: ' + pre.host);
  assert(pre.type === 'Meeting' && pre.when.length > 0, 'type and time: ' + JSON.stringify(pre));
  assert(pre.name && pre.email && pre.button && !pre.password, 'name and e-mail fields and the join button: ' + JSON.stringify(pre));
  assert(pre.preview && pre.cams >= 1, 'camera preview and device picker: ' + JSON.stringify(pre));
  await assertNoOverflow(guest, 'desktop pre-join');
  await shot(guest, '01-prejoin');
  ok(`pre-join screen: title, host, fields, fake camera preview (${pre.camLabel})`);

  // Picking a camera restarts the preview with that device ({deviceId: {exact}}).
  const before = await guest.evaluate(() => document.getElementById('preview-video').srcObject.id);
  const camId = await guest.$eval('#select-cam', (s) => s.value);
  assert(camId, 'the camera picker names the running camera');
  await guest.select('#select-cam', camId);
  await waitIn(guest, (id) => document.getElementById('preview-video').srcObject.id !== id, before);
  await previewLive(guest);
  assert(await guest.$eval('#media-note', (e) => e.hidden), 'no media warning after switching camera');
  ok('choosing a camera restarts the preview');

  // The same screen on a phone-sized viewport, details from an invitation link.
  const phone = await guestPage(PHONE);
  await phone.goto(joinUrl(demo.accessLink, '?name=Phil%20Phone&email=phil%40example.com'));
  await screenIs(phone, 'prejoin');
  await previewLive(phone);
  const phoneView = await phone.evaluate(() => ({
    w: window.innerWidth, h: window.innerHeight,
    name: document.getElementById('input-name').value, email: document.getElementById('input-email').value,
    columns: getComputedStyle(document.querySelector('.prejoin-grid')).gridTemplateColumns.split(' ').length,
  }));
  assert(phoneView.w === 390 && phoneView.h === 844, 'phone viewport: ' + JSON.stringify(phoneView));
  assert(phoneView.name === 'Phil Phone' && phoneView.email === 'phil@example.com', 'details from the link: ' + JSON.stringify(phoneView));
  assert(phoneView.columns === 1, 'one column on a phone');
  await assertNoOverflow(phone, 'phone pre-join');
  await phone.screenshot({ path: path.join(FF_SHOTS, '02-prejoin-phone-full.png'), fullPage: true });
  await shot(phone, '02-prejoin-phone');
  await phone.browserContext().close();
  ok('pre-join screen on a 390x844 viewport: one column, no horizontal overflow');

  // Join: typed details, the waiting room, the host sees the guest.
  const host = new HostClient(relay, token, demo._id);
  await host.open();
  host.send({ type: 'media', mic: true, cam: true });   // as the real host: camera and microphone on
  await typeInto(guest, '#input-name', 'Fiona Firefox');
  await typeInto(guest, '#input-email', 'fiona@example.com');
  await guest.click('#join-button');
  await screenIs(guest, 'waiting');
  const waiting = await host.waitingGuest('Fiona Firefox');
  assert(await guest.$eval('#waiting-title', (e) => e.textContent) === 'Firefox Demo', 'waiting room names the session');
  await previewLive(guest, 'waiting-video');
  await assertNoOverflow(guest, 'waiting room');
  await shot(guest, '03-waiting');
  ok('guest joins and waits; the host sees it in the waiting list');

  // Admitted: in the call with the host.
  host.send({ type: 'admit', id: waiting.id });
  await screenIs(guest, 'call');
  await waitIn(guest, () => document.querySelectorAll('#stage .tile').length === 2);
  await waitIn(guest, () => { const v = document.querySelector('.tile.self video'); return v && v.videoWidth > 0; });
  const joined = await host.wait((m) => m.type === 'participant-joined' && m.participant.id === waiting.id, 'participant-joined');
  assert(joined.participant.name === 'Fiona Firefox', 'the host sees the guest enter');
  await host.wait((m) => m.type === 'participant-updated' && m.participant.id === waiting.id && m.participant.mic && m.participant.cam, 'guest media state');
  ok('admitted: in the call, own camera in the self tile, mic and camera on');

  // Camera off and on from the call's controls; the host sees both.
  await guest.click('#ctl-cam');
  await host.wait((m) => m.type === 'participant-updated' && m.participant.id === waiting.id && m.participant.cam === false, 'camera off');
  await waitIn(guest, () => document.getElementById('ctl-cam').classList.contains('off') && !document.querySelector('.tile.self').classList.contains('has-video'));
  await guest.click('#ctl-cam');
  await host.wait((m) => m.type === 'participant-updated' && m.participant.id === waiting.id && m.participant.cam === true, 'camera on');
  await waitIn(guest, () => !document.getElementById('ctl-cam').classList.contains('off') && document.querySelector('.tile.self').classList.contains('has-video'));
  ok('camera off and on in the call; the host sees it');

  // WebRTC with the host: Firefox ↔ Firefox through the relay's signaling.
  const ice = await hostMedia(host, guest, waiting.id);
  await shot(guest, '04-call-host-video');
  ok(`media both ways: host video plays in the host tile, the guest's camera and mic decode at the host (${ice})`);

  // Chat both ways; markup from the host is shown as text.
  await guest.click('#ctl-chat');
  await waitIn(guest, () => document.activeElement && document.activeElement.id === 'chat-input');
  await guest.type('#chat-input', 'Hello from Firefox');
  await guest.keyboard.press('Enter');
  const said = await host.wait((m) => m.type === 'chat' && m.from.id === waiting.id, 'chat from the guest');
  assert(said.text === 'Hello from Firefox' && said.from.name === 'Fiona Firefox', 'the host gets the guest\'s message: ' + JSON.stringify(said));
  await waitIn(guest, () => document.getElementById('chat-input').value === '');
  host.send({ type: 'chat-send', text: XSS_NAME });
  await waitIn(guest, (t) => Array.from(document.querySelectorAll('#chat-messages .text')).some((e) => e.textContent === t), XSS_NAME);
  const chat = await guest.evaluate(() => ({
    imgs: document.querySelectorAll('#chat-messages img, #screen-call img').length,
    texts: Array.from(document.querySelectorAll('#chat-messages li')).map((li) => [li.querySelector('.from').firstChild.textContent, li.querySelector('.text').textContent]),
  }));
  assert(chat.imgs === 0, 'no <img> was created from a chat message');
  assert(JSON.stringify(chat.texts) === JSON.stringify([['Fiona Firefox', 'Hello from Firefox'], ['Dana Host (Host)', XSS_NAME]]), 'chat as text: ' + JSON.stringify(chat.texts));
  await shot(guest, '05-call-chat');
  ok('guest and host chat; a message with markup shows as literal text');

  // The call on a phone-sized viewport: controls fit, the chat panel covers the stage.
  await guest.setViewport(PHONE);
  await waitIn(guest, () => window.innerWidth === 390);
  await assertNoOverflow(guest, 'phone call with chat');
  await shot(guest, '06-call-chat-phone');
  await guest.click('#panel-close');
  await waitIn(guest, () => document.getElementById('panel').hidden);
  await assertNoOverflow(guest, 'phone call');
  await shot(guest, '07-call-phone');
  await guest.setViewport(DESKTOP);
  ok('the call on a 390x844 viewport: no horizontal overflow');

  // A reload within the resume window lands back in the call (sessionStorage), not the waiting room.
  host.inbox.length = 0;
  await guest.reload();
  await screenIs(guest, 'call');
  await waitIn(guest, () => document.querySelectorAll('#stage .tile').length === 2);
  assert(!host.inbox.some((m) => m.type === 'waiting-list' && m.guests.some((g) => g.id === waiting.id)), 'not back in the waiting room');
  ok('reload resumes the call');

  // Removed by the host.
  host.send({ type: 'remove', id: waiting.id });
  await screenIs(guest, 'message', 'removed');
  const removed = await guest.$eval('#message-title', (e) => e.textContent);
  assert(removed === 'You were removed from the session', 'removed screen: ' + removed);
  await host.wait((m) => m.type === 'participant-left' && m.id === waiting.id && m.reason === 'removed', 'participant-left removed');
  await shot(guest, '08-removed');
  ok('removed by the host: the "removed" screen');

  host.close();
  await guest.browserContext().close();
  assert(dialogs.length === 0, 'no alert() ran: ' + dialogs.join(', '));
  assert(pageErrors.length === 0, 'no uncaught page errors: ' + pageErrors.join(' | '));
  ok('no script from guests ran; no page errors');
}

/* A helper page (same Firefox) offers its fake camera and microphone as the
 * host, through the relay's signaling, to the guest's one RTCPeerConnection.
 * Returns the selected candidate pair. */
async function hostMedia(host, guest, guestId) {
  const helper = await browser.newPage({ type: 'window' });
  try {
    helper.setDefaultTimeout(STEP_MS);
    await helper.goto(relay.url + '/healthz');
    await helper.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      window.out = [];
      pc.onicecandidate = (e) => window.out.push(e.candidate ? { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex } : { candidate: '' });
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      await pc.setLocalDescription(await pc.createOffer());
      window.pc = pc;
    });
    host.send({ type: 'offer', to: guestId, sdp: await helper.evaluate(() => window.pc.localDescription.sdp) });
    const answer = await host.wait((m) => m.type === 'answer' && m.from === guestId, 'answer');
    await helper.evaluate((sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), answer.sdp);
    // Trickle both ways until the guest's connection is up.
    let sent = 0;
    await until(async () => {
      const out = await helper.evaluate(() => window.out);
      for (; sent < out.length; sent++) host.send({ type: 'ice', to: guestId, ...out[sent] });
      for (let i = host.inbox.findIndex((m) => m.type === 'ice'); i >= 0; i = host.inbox.findIndex((m) => m.type === 'ice')) {
        const m = host.inbox.splice(i, 1)[0];
        await helper.evaluate((c) => window.pc.addIceCandidate(c.candidate === '' ? null : c).catch(() => {}), m);
      }
      return guest.evaluate(() => document.body.dataset.pc === 'connected');
    }, 'the guest\'s peer connection to connect', { every: 100 });
    // Proof of media: the host tile's video presents new frames. (Firefox's
    // getVideoPlaybackQuality() counts no frames of a MediaStream: count
    // requestVideoFrameCallback callbacks instead.)
    await waitIn(guest, () => { const v = document.querySelector('.tile:not(.self) video'); return v && v.videoWidth > 0 && v.readyState >= 2; });
    await guest.evaluate(() => {
      const v = document.querySelector('.tile:not(.self) video');
      window.hostFrames = 0;
      const count = () => { window.hostFrames++; v.requestVideoFrameCallback(count); };
      v.requestVideoFrameCallback(count);
    });
    await waitIn(guest, () => window.hostFrames >= 10).catch(async (e) => {
      const v = await guest.evaluate(() => { const x = document.querySelector('.tile:not(.self) video'); return { w: x.videoWidth, readyState: x.readyState, paused: x.paused, t: x.currentTime, frames: window.hostFrames }; });
      throw new Error(`${e.message} (host tile video: ${JSON.stringify(v)})`);
    });
    await waitIn(guest, () => document.querySelector('.tile:not(.self)').classList.contains('has-video'));
    // And the other way: the guest's camera and microphone reach the host
    // (join.js puts its tracks into the transceivers the host offered).
    const decoded = () => helper.evaluate(async () => {
      let video = 0, audio = 0;
      for (const s of (await window.pc.getStats()).values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') video = s.framesDecoded || 0;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') audio = s.packetsReceived || 0;
      }
      return { video, audio };
    });
    const firstIn = await until(async () => { const d = await decoded(); return d.video > 0 && d.audio > 0 && d; }, 'the guest\'s media at the host', { every: 100 });
    await until(async () => (await decoded()).video > firstIn.video + 5, 'more frames from the guest at the host', { every: 100 });
    const pair = await helper.evaluate(async () => {
      const stats = await window.pc.getStats();
      for (const s of stats.values()) {
        if (s.type === 'candidate-pair' && s.state === 'succeeded' && (s.selected || s.nominated)) {
          const local = stats.get(s.localCandidateId);
          const remote = stats.get(s.remoteCandidateId);
          return { local: local.address, remote: remote.address, text: `ICE ${local.candidateType} ${local.address} ↔ ${remote.candidateType} ${remote.address}` };
        }
      }
      return null;
    });
    assert(pair, 'a selected ICE candidate pair');
    const mine = new Set(Object.values(networkInterfaces()).flat().map((i) => i.address));
    assert(mine.has(pair.local) && mine.has(pair.remote), 'media stays on this machine: ' + pair.text);
    return pair.text;
  } finally {
    await helper.close().catch(() => {});
  }
}

runTap(main, { relayLog: () => (relay ? relay.log : '') });
