// turn-chromium.js: headless Chromium reaches itself through our TURN server only
// (iceTransportPolicy "relay"): two RTCPeerConnections exchange a data-channel message,
// and the selected candidate pair must be relay/relay.  Exits 0 on success, 77 to skip.
// Usage: node turn-chromium.js TURN_BENCH_SERVER udp|tcp
'use strict';

const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [serverBin, transport = 'udp'] = process.argv.slice(2);
let pw;
try {
  pw = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');
} catch (e) {
  console.log('SKIP: playwright-core not found');
  process.exit(77);
}
if (!fs.existsSync('/usr/bin/chromium')) {
  console.log('SKIP: chromium not installed');
  process.exit(77);
}

function startServer(dir, secret) {
  fs.writeFileSync(path.join(dir, 'secret'), secret + '\n', { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'turn.ini'),
    `[turn]\nlisten=127.0.0.1:0\nsecret_file=${path.join(dir, 'secret')}\nallowed_peers=127.0.0.1\n`);
  const child = spawn(serverBin, [path.join(dir, 'turn.ini'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('TURN server did not start')), 5000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /^port (\d+)$/m.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }); }
    });
    child.on('exit', (code) => reject(new Error(`TURN server exited with ${code}`)));
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'turn-chromium-'));
  const secret = crypto.randomBytes(18).toString('base64url');
  let server = null;
  let browser = null;
  try {
    server = await startServer(dir, secret);
    const username = `${Math.floor(Date.now() / 1000) + 600}:chromium`;
    const credential = crypto.createHmac('sha1', secret).update(username).digest('base64');
    const url = `turn:127.0.0.1:${server.port}?transport=${transport}`;

    browser = await pw.chromium.launch({
      executablePath: '/usr/bin/chromium', headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--allow-loopback-in-peer-connection'],
    });
    const page = await browser.newPage();
    const result = await page.evaluate(async ({ url, username, credential }) => {
      const config = { iceServers: [{ urls: [url], username, credential }], iceTransportPolicy: 'relay' };
      const a = new RTCPeerConnection(config);
      const b = new RTCPeerConnection(config);
      a.onicecandidate = (e) => { if (e.candidate) b.addIceCandidate(e.candidate); };
      b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate); };
      const channel = a.createDataChannel('turn-test');
      const received = new Promise((resolve) => {
        b.ondatachannel = (e) => { e.channel.onmessage = (m) => resolve(m.data); };
      });
      channel.onopen = () => channel.send('hello through the relay');
      const offer = await a.createOffer();
      await a.setLocalDescription(offer);
      await b.setRemoteDescription(offer);
      const answer = await b.createAnswer();
      await b.setLocalDescription(answer);
      await a.setRemoteDescription(answer);
      const message = await Promise.race([received,
        new Promise((resolve, reject) => setTimeout(() => reject(new Error('no message in 15 s')), 15000))]);
      const stats = await a.getStats();
      let pair = null;
      stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
      const local = pair && stats.get(pair.localCandidateId);
      const remote = pair && stats.get(pair.remoteCandidateId);
      return { message, local: local && local.candidateType, remote: remote && remote.candidateType,
        relayProtocol: local && local.relayProtocol };
    }, { url, username, credential });

    console.log(JSON.stringify(result));
    if (result.message !== 'hello through the relay' || result.local !== 'relay' || result.remote !== 'relay') {
      throw new Error('not relayed as expected');
    }
    if (result.relayProtocol && result.relayProtocol !== transport) {
      throw new Error(`relay protocol ${result.relayProtocol}, expected ${transport}`);
    }
  } finally {
    if (browser) await browser.close();
    if (server) server.child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
