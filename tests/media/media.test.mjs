// media.test.mjs: the host media engine end to end — the headless host
// (real GStreamer webrtcbin) serves one, then three real Chromium guests
// that join through the real join page; every guest decodes the host's
// video and audio, the host decodes every guest; leaving and rejoining,
// camera and screen toggles; then a host encoding H.264, whose guests send
// H.264 too and get each other's forwarded as it is. With --turn guests use
// TURN only.
import { Relay, HeadlessHost, Guest, requirePrerequisites, freePort, LAUNCH_ARGS, CHROMIUM, grew, still } from './harness.mjs';

const chromium = requirePrerequisites();
const AUDIO = 0, CAMERA = 1, SCREEN = 2;

let step = 0;
function ok(name) { console.log(`ok ${++step} - ${name}`); }
function assert(cond, what) { if (!cond) throw new Error('assertion failed: ' + what); }

const relay = new Relay();
let host, browser = null;
const hostCriticals = [];   // of hosts already stopped
const guests = [];

async function joinGuest(link, name) {
  const guest = new Guest(browser, relay, link, name);
  guests.push(guest);
  await guest.open();
  const since = host.events.length;
  await guest.join();
  const joined = await host.waitFor((e) => e.event === 'guest-joined' && e.name === name, `${name} joining`, { since });
  guest.id = joined.guest;
  return guest;
}

async function hostDecodes(guest) {
  await host.waitFor((e) => e.event === 'first-frame' && e.guest === guest.id && e.kind === 'video', `video from ${guest.name}`, { since: 0 });
  await host.waitFor((e) => e.event === 'first-frame' && e.guest === guest.id && e.kind === 'audio', `audio from ${guest.name}`, { since: 0 });
  // Still decoding: a later stats event shows more frames than an earlier one.
  const first = await host.waitFor((e) => e.event === 'stats' && e.guest === guest.id && e.framesDecoded > 0, `stats of ${guest.name}`);
  await host.waitFor((e) => e.event === 'stats' && e.guest === guest.id && e.framesDecoded > first.framesDecoded, `more frames from ${guest.name}`);
}

async function guestDecodesHost(guest) {
  await guest.waitStats((a, b) => grew(CAMERA, 'framesDecoded')(a, b) && grew(AUDIO, 'audioEnergy')(a, b),
    'host video frames and audio energy rising');
}

/* Host hub forwarding: the viewer shows a tile for exactly these
 * participants ({id, name}), named as they are, each with video frames and
 * audio energy rising (not necessarily in the same poll: the fake
 * microphone beeps). Resolves with the last tiles (codecs included). */
function seesEveryone(viewer, others) {
  const risen = new Set();
  const want = others.flatMap((p) => [p.id + '/video', p.id + '/audio']);
  return viewer.waitTiles((a, b) => {
    for (const p of others) {
      const x = a.tiles[p.id], y = b.tiles[p.id];
      if (!x || !y || y.name !== p.name) continue;
      if (y.framesDecoded > x.framesDecoded) risen.add(p.id + '/video');
      if (y.audioEnergy > x.audioEnergy) risen.add(p.id + '/audio');
    }
    return Object.keys(b.tiles).length === others.length && others.every((p) => b.tiles[p.id]) &&
      want.every((k) => risen.has(k));
  }, `tiles of ${others.map((p) => p.name).join(', ')} with rising video and audio`, { timeout: 30000 });
}

async function run() {
  await relay.start();
  const session = await relay.createSession({ waitingRoomEnabled: true });
  host = new HeadlessHost(relay, session._id, ['--admit-all', '--video-size', '640x360', '--video-kbps', '600']);
  const live = await host.start();
  const dana = { id: live.hostId, name: 'Dana Host' };
  ok('the headless host started the session and is live');

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });

  // One guest.
  const alice = await joinGuest(session.accessLink, 'Alice');
  await host.waitFor((e) => e.event === 'guest-connected' && e.guest === alice.id, 'Alice connected', { since: 0 });
  await guestDecodesHost(alice);
  ok('one guest: the guest decodes the host\'s video and audio');
  await hostDecodes(alice);
  ok('one guest: the host decodes the guest\'s video and audio');

  // Two guests see each other through the host (RTP forwarded, no decode).
  const bob = await joinGuest(session.accessLink, 'Bob');
  await seesEveryone(alice, [dana, bob]);
  await seesEveryone(bob, [dana, alice]);
  ok('two guests: each sees and hears the host and the other guest, in named tiles');

  // A late joiner gets the guests already there in its first offers.
  const carol = await joinGuest(session.accessLink, 'Carol');
  await seesEveryone(carol, [dana, alice, bob]);
  ok('a late joiner sees and hears the host and both guests already there');
  for (const [g, others] of [[alice, [dana, bob, carol]], [bob, [dana, alice, carol]]]) await seesEveryone(g, others);
  ok('three guests: every guest decodes 3 inbound videos (host + 2 guests) with audio');
  const forwarded = await host.waitFor((e) => e.event === 'host-stats' && e.forwarded === 6, 'host forwarding 6 streams');
  assert(forwarded.encoders === 3, 'forwarding adds no encoder');
  ok('the host forwards 6 streams (audio + video of 3 guests) with its 3 encoders');

  // Muting shows on the other guests' tiles.
  await alice.page.click('#ctl-mic');
  await bob.page.waitForFunction((id) => !!document.querySelector(`.tile[data-id="${id}"] .label .muted-icon`), alice.id);
  await alice.page.click('#ctl-mic');
  await bob.page.waitForFunction((id) => !document.querySelector(`.tile[data-id="${id}"] .label .muted-icon`), alice.id);
  ok('a guest muting its microphone shows as muted on the other guests\' tiles');
  for (const g of [alice, bob, carol]) await guestDecodesHost(g);
  ok('three guests: every guest decodes the host\'s video and audio');
  for (const g of [alice, bob, carol]) await hostDecodes(g);
  ok('three guests: the host decodes every guest');
  const hostStats = await host.waitFor((e) => e.event === 'host-stats' && e.guests === 3, 'host stats with 3 guests');
  const encodersAtStart = host.events.find((e) => e.event === 'host-stats').encoders;
  assert(hostStats.encoders === 3 && encodersAtStart === 3, `encoders stay 3 (${encodersAtStart} → ${hostStats.encoders})`);
  ok('encode once: 3 encoders with 1 and with 3 guests');

  // Camera off and on: guests stop and resume decoding the host's camera.
  host.command('cam off');
  await host.waitFor((e) => e.event === 'media' && e.cam === false, 'camera off');
  for (const g of [alice, bob]) await g.waitStats(still(CAMERA, 'framesDecoded'), 'host camera frames stop');
  host.command('cam on');
  for (const g of [alice, bob]) await g.waitStats(grew(CAMERA, 'framesDecoded'), 'host camera frames resume');
  ok('the host toggling its camera is seen by guests');

  // Screen share on: a second video track starts decoding; off: it stops.
  host.command('screen on');
  for (const g of [alice, carol]) await g.waitStats(grew(SCREEN, 'framesDecoded'), 'host screen frames');
  host.command('screen off');
  for (const g of [alice, carol]) await g.waitStats(still(SCREEN, 'framesDecoded'), 'host screen frames stop');
  ok('the host toggling screen share is seen by guests');

  // Bob leaves and rejoins: media again, on a new connection.
  const aliceTransceivers = (await alice.tiles()).transceivers;
  let mark = host.events.length;
  await bob.page.click('#ctl-leave');
  await host.waitFor((e) => e.event === 'guest-left' && e.guest === bob.id, 'Bob leaving', { since: 0 });
  for (const g of [alice, carol]) {
    await g.page.waitForFunction((id) => !document.querySelector(`.tile[data-id="${id}"]`), bob.id);
  }
  await host.waitFor((e) => e.event === 'renegotiate' && e.guest === alice.id, 'a new offer for Alice without Bob', { since: mark });
  await seesEveryone(alice, [dana, carol]);
  ok('a guest leaving: its tile disappears on the others, who keep the rest');
  const since = host.events.length;
  await bob.page.click('#message-actions button');   // "Rejoin" reloads the page
  await bob.page.waitForFunction(() => document.body.dataset.screen === 'prejoin');
  await bob.page.fill('#input-name', 'Bob');
  await bob.page.fill('#input-email', 'bob@example.com');
  await bob.page.waitForFunction(() => !document.getElementById('pre-cam').disabled);
  await bob.join();
  const rejoined = await host.waitFor((e) => e.event === 'guest-joined' && e.name === 'Bob', 'Bob rejoining', { since });
  bob.id = rejoined.guest;
  await guestDecodesHost(bob);
  await hostDecodes(bob);
  ok('a guest that leaves and rejoins gets media again');
  await seesEveryone(bob, [dana, alice, carol]);
  await seesEveryone(alice, [dana, bob, carol]);
  assert((await alice.tiles()).transceivers === aliceTransceivers,
    `the rejoined guest's streams reuse the inactive transceivers (${aliceTransceivers} → ${(await alice.tiles()).transceivers})`);
  ok('the rejoined guest and the others see each other again, on reused transceivers');

  // Carol's signaling socket drops and comes back (resume): her call goes
  // on, the host does nothing.
  mark = host.events.length;
  await carol.dropSocket();
  await carol.page.waitForFunction(() => window.__sockets.length >= 2 && window.__sockets[window.__sockets.length - 1].readyState === 1);
  await carol.page.waitForFunction(() => !document.body.dataset.message || document.body.dataset.message !== 'reconnecting');
  await guestDecodesHost(carol);
  assert(!host.events.slice(mark).some((e) => e.event === 'guest-restart'), 'no restart for a connection that survived');
  ok('a dropped signaling socket resumes and the call goes on without the host doing anything');

  // A failed connection is restarted: a fresh webrtcbin and offer (webrtcbin
  // 1.22 cannot restart ICE in place); the join page takes it as a new peer
  // connection and media flows again.
  mark = host.events.length;
  const pcsBefore = await carol.peerConnections();
  host.command('restart ' + carol.id);
  await host.waitFor((e) => e.event === 'guest-connected' && e.guest === carol.id, 'Carol reconnected', { since: mark });
  assert(await carol.peerConnections() === pcsBefore + 1, 'the guest made a new peer connection');
  await guestDecodesHost(carol);
  await host.waitFor((e) => e.event === 'first-frame' && e.guest === carol.id && e.kind === 'video', 'video from Carol again', { since: mark });
  ok('a restarted connection carries media again');

  // A connection that failed on the guest's side only (a network change the
  // host does not see): the page asks for a new one and the host restarts it.
  mark = host.events.length;
  const alicePcs = await alice.peerConnections();
  await alice.page.evaluate(() => {
    const pc = window.__pcs[window.__pcs.length - 1];
    Object.defineProperty(pc, 'connectionState', { get: () => 'failed', configurable: true });
    pc.dispatchEvent(new Event('connectionstatechange'));
  });
  await host.waitFor((e) => e.event === 'guest-restart-requested' && e.guest === alice.id, 'Alice asking for a new connection', { since: mark });
  await host.waitFor((e) => e.event === 'guest-connected' && e.guest === alice.id, 'Alice reconnected', { since: mark });
  assert(await alice.peerConnections() === alicePcs + 1, 'the guest made a new peer connection');
  await guestDecodesHost(alice);
  ok('a guest whose connection failed on its side asks for a new one and gets media again');

  // Encoders are still the 3 shared ones after guests came and went.
  const after = await host.waitFor((e) => e.event === 'host-stats' && e.guests === 3, 'host stats after the rejoin', { since: host.events.length });
  assert(after.encoders === 3, 'still 3 encoders');
  ok('no encoder was added for any guest');

  // H.264 when the host prefers it: a second session, encoded with x264.
  for (const g of guests.splice(0)) await g.close();
  await host.stop();
  hostCriticals.push(...host.criticals());
  const h264 = await relay.createSession({});
  host = new HeadlessHost(relay, h264._id, ['--video-codec', 'h264', '--video-size', '640x360', '--video-kbps', '600']);
  const h264Live = await host.start();
  const h264Host = { id: h264Live.hostId, name: 'Dana Host' };
  const hana = await joinGuest(h264.accessLink, 'Hana');
  await guestDecodesHost(hana);
  const codec = (await hana.stats()).tracks[CAMERA].codec;
  assert(codec === 'video/H264', 'the guest decodes H.264, not ' + codec);
  await hostDecodes(hana);
  ok('H.264: the guest decodes the host\'s H.264 video and the host decodes the guest\'s');

  // Guests forwarded to each other in H.264: the host's offer lists only
  // H.264 for the camera it receives, so guests send H.264, and the
  // forwarder re-payloads it as it is (no transcoding) to the others.
  const ivan = await joinGuest(h264.accessLink, 'Ivan');
  const jun = await joinGuest(h264.accessLink, 'Jun');
  const h264Guests = [hana, ivan, jun];
  for (const g of h264Guests) {
    const others = [h264Host, ...h264Guests.filter((o) => o !== g)];
    const { tiles } = await seesEveryone(g, others);
    for (const p of others) {
      // Mime types are case-insensitive: Chromium keeps the SDP's "OPUS".
      const codecs = tiles[p.id].codecs.map((c) => c.toLowerCase()).sort().join(' ');
      assert(codecs === 'audio/opus video/h264', `${g.name} receives ${p.name} as Opus + H.264, not ${codecs}`);
    }
  }
  ok('H.264, three guests: every guest decodes the host\'s and the other guests\' forwarded H.264 video and Opus audio');
  for (const g of h264Guests) await guestDecodesHost(g);
  for (const g of h264Guests) await hostDecodes(g);
  const h264Forwarded = await host.waitFor((e) => e.event === 'host-stats' && e.forwarded === 6, 'host forwarding 6 H.264/Opus streams');
  assert(h264Forwarded.encoders === 3, 'forwarding H.264 adds no encoder');
  ok('H.264, three guests: the host decodes every guest and forwards 6 streams with its 3 encoders');
}

/* The same call through the relay's TURN server: the guest forces
 * iceTransportPolicy "relay", the host --relay-only, and the iceServers
 * (time-limited TURN credentials) come from the relay. */
async function runTurn() {
  const turnPort = await freePort();
  await relay.start({ turn: turnPort });
  const session = await relay.createSession({});
  host = new HeadlessHost(relay, session._id, ['--relay-only', '--video-size', '640x360', '--video-kbps', '600']);
  const live = await host.start();
  assert(live.turnServers, 'the relay hands the host TURN iceServers in its welcome');
  ok('the headless host is live with the relay\'s TURN server');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  const guest = new Guest(browser, relay, session.accessLink, 'Tess', { forceRelay: true });
  guests.push(guest);
  await guest.open();
  const since = host.events.length;
  await guest.join();
  guest.id = (await host.waitFor((e) => e.event === 'guest-joined' && e.name === 'Tess', 'Tess joining', { since })).guest;
  await guestDecodesHost(guest);
  ok('through TURN: the guest decodes the host\'s video and audio');
  await hostDecodes(guest);
  ok('through TURN: the host decodes the guest');
  const type = await guest.selectedCandidateType();
  assert(type === 'relay', 'the selected candidate is a relay one, not ' + type);
  ok('the media path is the TURN relay');
}

const watchdog = setTimeout(() => { console.log('not ok - the media test took too long'); process.exit(1); }, 190000);
try {
  if (process.argv.includes('--turn')) await runTurn();
  else await run();
  console.log(`1..${step}`);
} catch (e) {
  console.log(`not ok ${++step} - ${e.message.split('\n')[0]}`);
  console.log('# ' + e.stack.replace(/\n(# )?/g, '\n# '));
  if (host) {
    // The failing guest's own events first: CI shows only the head of a long log.
    const about = (x) => x.event !== 'stats' && x.event !== 'host-stats' && (!e.guestId || x.guest === e.guestId || !x.guest);
    for (const ev of host.events.filter(about).slice(-25)) console.log('# host (this guest): ' + JSON.stringify(ev));
    const lastStats = host.events.filter((x) => x.event === 'stats' && x.guest === e.guestId).pop();
    if (lastStats) console.log('# host (this guest, last stats): ' + JSON.stringify(lastStats));
    for (const ev of host.events.filter((x) => x.event !== 'stats' && x.event !== 'host-stats').slice(-40)) console.log('# host: ' + JSON.stringify(ev));
    console.log('# host stderr: ' + host.stderr.split('\n').slice(-15).join('\n# '));
    // Debugging a stall by hand: every thread of the host as it is now.
    if (process.env.OMNI_MEDIA_GDB && host.proc) {
      const { execFileSync } = await import('node:child_process');
      const file = `/tmp/omni-host-threads-${host.proc.pid}.txt`;
      try {
        const out = execFileSync('gdb', ['-p', String(host.proc.pid), '-batch', '-ex', 'thread apply all bt'], { encoding: 'utf8', maxBuffer: 64 << 20 });
        (await import('node:fs')).writeFileSync(file, out);
        console.log('# host threads: ' + file);
      } catch (err) { console.log('# gdb failed: ' + err.message); }
    }
  }
  process.exitCode = 1;
} finally {
  for (const g of guests) await g.close();
  if (browser) await browser.close().catch(() => {});
  if (host) {
    const { code, signal } = await host.stop();
    if (process.exitCode !== 1 && (code !== 0 || signal)) {
      console.log(`not ok ${++step} - the host exits cleanly (code ${code}, signal ${signal})`);
      process.exitCode = 1;
    }
    const criticals = [...hostCriticals, ...host.criticals()];
    if (process.exitCode !== 1 && criticals.length > 0) {
      console.log(`not ok ${++step} - the host logs no critical (${criticals[0]})`);
      process.exitCode = 1;
    }
  }
  await relay.stop();
  clearTimeout(watchdog);
}
