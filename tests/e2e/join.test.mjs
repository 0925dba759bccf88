// join.test.mjs: the join page end to end in real headless Chromium (Debian's
// chromium driven by playwright-core, fake camera and microphone) against the
// real relay binary. The "host" is a test client on the signaling socket (and
// a helper page for the host's media: the native host engine is not here yet).
// Every screen a guest can see is checked and saved as a screenshot under
// $OMNI_BUILD_DIR/tests/e2e/screenshots/.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  here, SKIP, SHOTS, STEP_MS, XSS_NAME, ok, assert, runTap, freePort, Relay, apiCall, createSession as createSessionAs, HostClient,
} from './harness.mjs';

if (!existsSync(path.join(here, 'node_modules', 'playwright-core')) || !existsSync(path.join(here, 'node_modules', 'ws'))) {
  console.log(`1..0 # SKIP node modules missing: run 'npm install --prefix ${here}' (./omni test does it)`);
  process.exit(SKIP);
}
const CHROMIUM = process.env.OMNI_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`1..0 # SKIP ${CHROMIUM} not found (apt-get install chromium)`);
  process.exit(SKIP);
}
const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

/* ---------- the relay (tests/e2e/harness.mjs) ---------- */

let relay, token;

const api = (method, url, body, auth = true) => apiCall(relay, token, method, url, body, auth);
const createSession = (fields, options) => createSessionAs(relay, token, fields, options);

/* The host test client on this run's relay. */
class Host extends HostClient {
  constructor(sessionId) { super(relay, token, sessionId); }
}

/* ---------- the browser ---------- */

const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection'];

let browser;
const dialogs = [];

async function guestPage({ phone = false, init } = {}) {
  const context = await browser.newContext(phone
    ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
    : { viewport: { width: 1280, height: 800 } });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  page.on('pageerror', (e) => console.log('# page error: ' + e.message));
  return page;
}

async function shot(page, name) {
  await page.waitForTimeout(350);   // let transitions and fonts settle: this is a picture, not a sync point
  await page.screenshot({ path: path.join(SHOTS, name + '.png') });
}

const screenIs = (page, screen, message) => page.waitForFunction(([s, m]) =>
  document.body.dataset.screen === s && (m === null || document.body.dataset.message === m), [screen, message ?? null]);

function joinUrl(link, query = '') { return `${relay.url}/session/join/${link}${query}`; }

async function fillAndJoin(page, name, email, password) {
  await page.fill('#input-name', name);
  await page.fill('#input-email', email);
  if (password !== undefined) await page.fill('#input-password', password);
  await page.click('#join-button');
}

/* ---------- the run ---------- */

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  for (const f of readdirSync(SHOTS)) if (f.startsWith('failed-')) rmSync(path.join(SHOTS, f));
  const dir = mkdtempSync(path.join(tmpdir(), 'omni-e2e-'));
  token = Relay.addHost(dir);
  relay = new Relay(dir, await freePort());
  await relay.start();
  // launch() gives every run a fresh temporary profile.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  try {
    await run(dir);
  } catch (e) {
    // What each open page showed when it failed.
    let n = 0;
    for (const context of browser.contexts()) {
      for (const page of context.pages()) await page.screenshot({ path: path.join(SHOTS, `failed-${++n}.png`) }).catch(() => {});
    }
    throw e;
  } finally {
    await browser.close().catch(() => {});
    await relay.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run() {
  const demo = await createSession({ waitingRoomEnabled: true, enableChat: true, enableRecording: true, enableScreenShare: true, description: 'Live walkthrough of the new dashboard, with time for questions.' });

  // Headers of the page: strict CSP, no sniffing, no referrer.
  const head = await fetch(joinUrl(demo.accessLink));
  const csp = head.headers.get('content-security-policy') || '';
  assert(csp.includes("default-src 'none'") && csp.includes("script-src 'self'") && !csp.includes('unsafe'), 'strict CSP: ' + csp);
  assert(head.headers.get('x-content-type-options') === 'nosniff', 'nosniff');
  assert(head.headers.get('referrer-policy') === 'no-referrer', 'no-referrer');
  ok('join page headers');

  // Unknown link.
  const lost = await guestPage();
  await lost.goto(joinUrl('no-such-link'));
  await screenIs(lost, 'message', 'not-found');
  await shot(lost, '01-not-found');
  await lost.context().close();
  ok('session not found screen');

  // Pre-join from an invitation link: details filled in, camera preview live.
  const alice = await guestPage();
  await alice.goto(joinUrl(demo.accessLink, '?name=Alice%20Guest&email=alice%40example.com'));
  await screenIs(alice, 'prejoin');
  assert(await alice.inputValue('#input-name') === 'Alice Guest', 'name from the link');
  assert(await alice.inputValue('#input-email') === 'alice@example.com', 'email from the link');
  await alice.waitForFunction(() => document.getElementById('preview-video').readyState >= 2 && document.getElementById('preview-video').videoWidth > 0);
  assert(await alice.locator('#select-cam option').count() >= 1, 'device picker filled');
  await shot(alice, '02-prejoin');
  const phone = await guestPage({ phone: true });
  await phone.goto(joinUrl(demo.accessLink, '?name=Phil%20Phone&email=phil%40example.com'));
  await screenIs(phone, 'prejoin');
  await phone.waitForFunction(() => document.getElementById('preview-video').videoWidth > 0);
  await shot(phone, '02b-prejoin-phone');
  ok('pre-join screen with preview and prefilled details');

  // Waiting room.
  const host = new Host(demo._id);
  await host.open();
  await alice.click('#join-button');
  await screenIs(alice, 'waiting');
  const waitingAlice = await host.waitingGuest('Alice Guest');
  await shot(alice, '03-waiting');
  ok('waiting for the host');

  // Admitted: in the call.
  host.send({ type: 'admit', id: waitingAlice.id });
  await screenIs(alice, 'call');
  await alice.waitForFunction(() => document.querySelectorAll('#stage .tile').length === 2);
  ok('admitted into the call');

  // A second guest whose name is markup.
  const mallory = await guestPage();
  await mallory.goto(joinUrl(demo.accessLink));
  await screenIs(mallory, 'prejoin');
  await fillAndJoin(mallory, XSS_NAME, 'mallory@example.com');
  await screenIs(mallory, 'waiting');
  const waitingMallory = await host.waitingGuest(XSS_NAME);
  host.send({ type: 'admit', id: waitingMallory.id });
  await screenIs(mallory, 'call');
  await alice.click('#ctl-people');
  await alice.waitForFunction((n) => Array.from(document.querySelectorAll('#people-list .name')).some((e) => e.textContent === n), XSS_NAME);
  assert(await alice.locator('img').count() === 0, 'no <img> was created from a name');
  ok('a name with markup shows as text');

  // Chat between the two guests.
  await alice.click('#tab-chat');
  await alice.fill('#chat-input', 'Hello from Alice');
  await alice.press('#chat-input', 'Enter');
  await mallory.waitForFunction(() => Array.from(document.querySelectorAll('#chat-messages .text')).some((e) => e.textContent === 'Hello from Alice'));
  await mallory.click('#ctl-chat');
  await mallory.fill('#chat-input', '<b>bold?</b> <script>alert(2)</script>');
  await mallory.click('#chat-send');
  await alice.waitForFunction(() => Array.from(document.querySelectorAll('#chat-messages .text')).some((e) => e.textContent.startsWith('<b>bold?</b>')));
  assert(await alice.locator('#chat-messages b, #chat-messages script').count() === 0, 'chat is text');
  ok('guests chat; messages are text');

  // Recording badge.
  host.send({ type: 'recording-set', on: true });
  await alice.waitForSelector('#rec-badge', { state: 'visible' });
  await shot(alice, '04-call-chat-recording');
  ok('recording badge');

  // Media from the host: a helper page offers its fake camera over the
  // relay's signaling to Alice's one RTCPeerConnection.
  await hostMedia(host, alice, waitingAlice.id);
  await shot(alice, '05-call-host-video');
  ok('host video shown in the host tile');

  // Phone-sized call.
  await alice.setViewportSize({ width: 390, height: 844 });
  await alice.click('#panel-close');
  await shot(alice, '06-call-phone');
  await alice.setViewportSize({ width: 1280, height: 800 });
  ok('call on a phone-sized viewport');

  // A reload within the resume window lands back in the call, not the waiting room.
  await alice.reload();
  await screenIs(alice, 'call');
  await alice.waitForFunction(() => document.querySelectorAll('#stage .tile').length === 3);
  assert(!host.inbox.some((m) => m.type === 'waiting-list' && m.guests.some((g) => g.name === 'Alice Guest')), 'not back in the waiting room');
  ok('reload resumes the call');

  // Mute by the host.
  host.send({ type: 'mute', id: waitingAlice.id });
  await alice.waitForFunction(() => document.getElementById('ctl-mic').classList.contains('off'));
  ok('host mutes a guest');

  // Removed by the host.
  host.send({ type: 'remove', id: waitingMallory.id });
  await screenIs(mallory, 'message', 'removed');
  await shot(mallory, '07-removed');
  await alice.waitForFunction(() => document.querySelectorAll('#stage .tile').length === 2);
  await mallory.context().close();
  ok('removed by the host');

  // Connection lost: the relay dies, the page says so and comes back by itself.
  await relay.kill('SIGKILL');
  host.close();
  await alice.waitForSelector('#reconnect-banner', { state: 'visible' });
  await shot(alice, '08-reconnecting');
  await relay.start();
  await alice.waitForSelector('#reconnect-banner', { state: 'hidden', timeout: 20000 });
  await screenIs(alice, 'call');
  ok('connection lost, reconnecting, back in the call');

  // The host ends the session.
  assert((await api('POST', `/api/sessions/${demo._id}/end`)).status === 200, 'session ended');
  await screenIs(alice, 'message', 'host-ended');
  await shot(alice, '09-host-ended');
  await alice.context().close();
  await phone.context().close();
  ok('host ended the session');

  await notStartedThenDenied();
  await refusals();
  assert(dialogs.length === 0, 'no alert() ran: ' + dialogs.join(', '));
  ok('no script from guests ran');
}

async function hostMedia(host, guest, guestId) {
  const helper = await browser.newPage();
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
  const offer = await helper.evaluate(() => window.pc.localDescription.sdp);
  host.send({ type: 'offer', to: guestId, sdp: offer });
  const answer = await host.wait((m) => m.type === 'answer' && m.from === guestId, 'answer');
  await helper.evaluate((sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), answer.sdp);
  // Trickle both ways until connected.
  const deadline = Date.now() + STEP_MS;
  let sent = 0;
  while (Date.now() < deadline) {
    const out = await helper.evaluate(() => window.out);
    for (; sent < out.length; sent++) host.send({ type: 'ice', to: guestId, ...out[sent] });
    for (let i = host.inbox.findIndex((m) => m.type === 'ice'); i >= 0; i = host.inbox.findIndex((m) => m.type === 'ice')) {
      const m = host.inbox.splice(i, 1)[0];
      await helper.evaluate((c) => window.pc.addIceCandidate(c.candidate === '' ? null : c).catch(() => {}), m);
    }
    if (await guest.evaluate(() => document.body.dataset.pc === 'connected')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Proof of media: the host tile's video decodes frames.
  await guest.waitForFunction(() => {
    const v = document.querySelector('.tile:not(.self) video');
    return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5;
  });
  await helper.close();
}

async function notStartedThenDenied() {
  const later = await createSession({ waitingRoomEnabled: true, title: 'Onboarding Q&A' }, { start: false });
  const erin = await guestPage({ phone: true });
  await erin.goto(joinUrl(later.accessLink, '?name=Erin%20Early&email=erin%40example.com'));
  await screenIs(erin, 'prejoin', 'not-started');
  await erin.click('#join-button');   // "Join when it starts"
  await erin.waitForFunction(() => document.getElementById('join-button').disabled);
  await shot(erin, '10-not-started-phone');
  ok('not started yet: start time, joins by itself');

  assert((await api('POST', `/api/sessions/${later._id}/start`)).status === 200, 'later started');
  await screenIs(erin, 'waiting');
  await shot(erin, '11-waiting-phone');
  const host = new Host(later._id);
  await host.open();
  const waiting = await host.waitingGuest('Erin Early');
  host.send({ type: 'deny', id: waiting.id });
  await screenIs(erin, 'message', 'denied');
  await shot(erin, '12-denied-phone');
  host.close();
  await erin.context().close();
  ok('host starts: page joins automatically; denied screen');
}

async function refusals() {
  // Wrong password.
  const locked = await createSession({ password: 'open sesame', title: 'Consultation' });
  const page = await guestPage();
  await page.goto(joinUrl(locked.accessLink));
  await screenIs(page, 'prejoin');
  await page.waitForSelector('#password-field', { state: 'visible' });
  await fillAndJoin(page, 'Pat Guest', 'pat@example.com', 'wrong guess');
  await page.waitForFunction(() => document.body.dataset.message === 'wrong-password');
  await shot(page, '13-wrong-password');
  ok('wrong password');

  // Domain not allowed.
  const vip = await createSession({ allowedDomains: ['clientcompany.com'], title: 'VIP Client Meeting' });
  await page.goto(joinUrl(vip.accessLink));
  await screenIs(page, 'prejoin');
  await fillAndJoin(page, 'Pat Guest', 'pat@gmail.com');
  await page.waitForFunction(() => document.body.dataset.message === 'domain');
  await shot(page, '14-domain-not-allowed');
  ok('domain not allowed');

  // Full.
  const call = await createSession({ sessionType: 'support_call', maxParticipants: 2, title: 'Support Call' });
  const first = await fetch(`${relay.url}/api/join/${call.accessLink}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'First', email: 'first@example.com' }) });
  assert(first.status === 200, 'first guest takes the seat');
  await page.goto(joinUrl(call.accessLink));
  await screenIs(page, 'prejoin');
  await fillAndJoin(page, 'Pat Guest', 'pat@example.com');
  await screenIs(page, 'message', 'full');
  await shot(page, '15-full');
  ok('session full');

  // Ended.
  const over = await createSession({ title: 'Yesterday’s Training' });
  assert((await api('POST', `/api/sessions/${over._id}/end`)).status === 200, 'over ended');
  await page.goto(joinUrl(over.accessLink));
  await screenIs(page, 'message', 'ended');
  await shot(page, '16-ended');
  ok('session ended');

  // Cancelled while the page waits for the start.
  const dropped = await createSession({ title: 'Cancelled Demo' }, { start: false });
  await page.goto(joinUrl(dropped.accessLink));
  await screenIs(page, 'prejoin', 'not-started');
  await page.waitForFunction(() => document.body.dataset.watching === 'yes');
  assert((await api('POST', `/api/sessions/${dropped._id}/cancel`)).status === 200, 'cancelled');
  await screenIs(page, 'message', 'cancelled');
  await shot(page, '17-cancelled');
  await page.context().close();
  ok('session cancelled');

  // Camera and microphone refused: offer to join without them.
  const refused = await guestPage({
    init: () => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    },
  });
  await refused.goto(joinUrl(vip.accessLink));
  await screenIs(refused, 'message', 'permission');
  await shot(refused, '18-permission-refused');
  await refused.click('text=Join without camera and mic');
  await screenIs(refused, 'prejoin');
  await refused.waitForSelector('#media-note', { state: 'visible' });
  await refused.context().close();
  ok('camera/mic refused: join without them');
}

runTap(main, { relayLog: () => (relay ? relay.log : '') });
