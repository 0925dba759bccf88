/* join.js: the guest side of an OmniLive session — pre-join (preview, devices,
 * details), the join request, signaling over /ws (shared/PROTOCOL.md), one
 * RTCPeerConnection to the host (the host offers), chat, participants, and a
 * clear screen for every way a join can end. Everything people typed is put
 * on the page with textContent, never as HTML. */
'use strict';

(() => {
  const PROTOCOL_VERSION = 1;
  const PING_MS = 15000;
  const CHAT_MAX = 2000;

  const $ = (id) => document.getElementById(id);
  const link = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
  const params = new URLSearchParams(location.search);

  const state = {
    info: null,            // GET /api/join/:link
    join: null,            // POST answer: participantId, guestToken, iceServers
    stream: null,          // local camera+mic
    micOn: true,
    camOn: true,
    screenOn: false,
    screenTrack: null,
    hand: false,
    ws: null,
    wsGeneration: 0,
    welcome: null,
    final: false,          // a final screen is up: never reconnect
    participants: new Map(),
    pc: null,
    remoteStreams: new Map(),  // stream id → MediaStream
    pendingIce: [],
    reconnectUntil: 0,
    reconnectTimer: 0,
    pingTimer: 0,
    watchWs: null,
    autoJoin: false,
    callStart: 0,
    timerId: 0,
    unreadChat: false,
    panel: null,
    meter: null,
  };

  /* ---------- small helpers ---------- */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function icon(name, className) {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    if (className) svg.setAttribute('class', className);
    const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
    use.setAttribute('href', '#i-' + name);
    svg.appendChild(use);
    return svg;
  }

  function setIcon(button, name) {
    button.querySelector('use').setAttribute('href', '#i-' + name);
  }

  function initials(name) {
    const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
    const letters = parts.slice(0, 2).map((p) => Array.from(p)[0] || '').join('');
    return letters || '?';
  }

  function avatarColor(seed) {
    const colors = ['#7b1fa2', '#1a73e8', '#188038', '#e37400', '#c5221f', '#12b5cb', '#9334e6', '#b06000'];
    let h = 0;
    for (const c of String(seed)) h = (h * 31 + c.codePointAt(0)) >>> 0;
    return colors[h % colors.length];
  }

  function avatar(name, seed) {
    const a = el('span', 'avatar', initials(name));
    a.style.background = avatarColor(seed || name);
    return a;
  }

  function formatWhen(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleString(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  }

  function formatTime(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  }

  const TYPE_NAMES = {
    webinar: 'Webinar', meeting: 'Meeting', support_call: 'Support call',
    training: 'Training', consultation: 'Consultation', demo: 'Demo',
  };

  function show(screen) {
    for (const section of document.querySelectorAll('.screen')) {
      section.hidden = section.dataset.screen !== screen;
    }
    document.body.dataset.screen = screen;
  }

  let toastTimer = 0;
  function toast(text) {
    const t = $('toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  /* A full-page message. kind: info | warn | ok. actions: [{label, primary, run}] */
  function message(id, { title, text, detail, kind = 'warn', iconName = 'alert', actions = [] }) {
    state.final = actions.every((a) => !a.keepsSocket);
    if (state.final) forget();
    $('message-title').textContent = title;
    $('message-text').textContent = text || '';
    $('message-detail').textContent = detail || '';
    $('message-detail').hidden = !detail;
    $('message-icon').className = 'message-icon ' + kind;
    $('message-icon-use').setAttribute('href', '#i-' + iconName);
    const box = $('message-actions');
    box.replaceChildren();
    for (const action of actions) {
      const b = el('button', action.primary ? 'primary' : 'secondary', action.label);
      b.type = 'button';
      b.addEventListener('click', action.run);
      box.appendChild(b);
    }
    document.body.dataset.message = id;
    show('message');
  }

  const reload = () => location.reload();

  /* The guest token survives a reload of this tab (not of other tabs), so a
   * reload within the resume window lands back in the call, not the waiting
   * room. Cleared on every final screen. */
  const STORE_KEY = 'omnilive-join:' + link;
  function remember(join) {
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(join)); } catch (e) { /* private mode: no resume after reload */ }
  }
  function recall() {
    try { return JSON.parse(sessionStorage.getItem(STORE_KEY) || 'null'); } catch (e) { return null; }
  }
  function forget() {
    try { sessionStorage.removeItem(STORE_KEY); } catch (e) { /* nothing stored */ }
  }

  /* ---------- media ---------- */

  async function startMedia(constraints) {
    const c = constraints || {
      audio: $('select-mic').value ? { deviceId: { exact: $('select-mic').value } } : true,
      video: $('select-cam').value
        ? { deviceId: { exact: $('select-cam').value }, width: { ideal: 1280 }, height: { ideal: 720 } }
        : { width: { ideal: 1280 }, height: { ideal: 720 } },
    };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      const e = new Error('This browser cannot use a camera here (a secure https:// page is needed).');
      e.name = 'NotSupportedError';
      throw e;
    }
    const stream = await navigator.mediaDevices.getUserMedia(c);
    if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
    state.stream = stream;
    applyTrackStates();
    attachPreview();
    startMeter();
    await fillDevices();
    replaceSenderTracks();
    return stream;
  }

  function audioTrack() { return state.stream ? state.stream.getAudioTracks()[0] : null; }
  function videoTrack() { return state.stream ? state.stream.getVideoTracks()[0] : null; }

  function applyTrackStates() {
    const a = audioTrack();
    const v = videoTrack();
    if (a) a.enabled = state.micOn;
    if (v) v.enabled = state.camOn;
    if (!a) state.micOn = false;
    if (!v) state.camOn = false;
    updateMediaButtons();
  }

  function attachPreview() {
    for (const id of ['preview-video', 'waiting-video']) {
      const v = $(id);
      if (v.srcObject !== state.stream) v.srcObject = state.stream;
    }
    const self = document.querySelector('.tile.self video');
    if (self && self.srcObject !== state.stream) self.srcObject = state.stream;
  }

  async function fillDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
    const devices = await navigator.mediaDevices.enumerateDevices();
    const pairs = [['select-cam', 'videoinput', videoTrack()], ['select-mic', 'audioinput', audioTrack()]];
    for (const [id, kind, track] of pairs) {
      const select = $(id);
      const current = track ? track.getSettings().deviceId : select.value;
      select.replaceChildren();
      const list = devices.filter((d) => d.kind === kind);
      list.forEach((d, i) => {
        const o = el('option', null, d.label || (kind === 'videoinput' ? 'Camera ' : 'Microphone ') + (i + 1));
        o.value = d.deviceId;
        select.appendChild(o);
      });
      if (list.length === 0) select.appendChild(el('option', null, kind === 'videoinput' ? 'No camera' : 'No microphone'));
      if (current) select.value = current;
      select.disabled = list.length === 0;
    }
  }

  function startMeter() {
    const a = audioTrack();
    if (!a || !window.AudioContext) return;
    try {
      if (state.meter) state.meter.ctx.close();
      const ctx = new AudioContext();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 256;
      ctx.createMediaStreamSource(new MediaStream([a])).connect(analyser);
      const data = new Uint8Array(analyser.frequencyBinCount);
      state.meter = { ctx, analyser };
      const tick = () => {
        if (!state.meter || state.meter.ctx !== ctx) return;
        analyser.getByteFrequencyData(data);
        const avg = data.reduce((s, v) => s + v, 0) / data.length;
        $('meter-level').style.height = (state.micOn ? Math.min(100, avg * 1.6) : 0) + '%';
        requestAnimationFrame(tick);
      };
      tick();
    } catch (e) {
      /* A level meter is a nicety; no audio context, no meter. */
    }
  }

  function updateMediaButtons() {
    const name = $('input-name').value.trim();
    for (const [id, on, onIcon, offIcon, what] of [
      ['pre-mic', state.micOn, 'mic', 'mic-off', 'microphone'],
      ['pre-cam', state.camOn, 'cam', 'cam-off', 'camera'],
      ['ctl-mic', state.micOn, 'mic', 'mic-off', 'microphone'],
      ['ctl-cam', state.camOn, 'cam', 'cam-off', 'camera'],
    ]) {
      const b = $(id);
      b.classList.toggle('off', !on);
      b.setAttribute('aria-pressed', String(on));
      b.title = (on ? 'Turn off ' : 'Turn on ') + what;
      setIcon(b, on ? onIcon : offIcon);
      const hasTrack = what === 'microphone' ? !!audioTrack() : !!videoTrack();
      b.disabled = !hasTrack;
    }
    $('preview-off').hidden = state.camOn && !!videoTrack();
    $('preview-off-text').textContent = videoTrack() ? 'Camera is off' : 'No camera';
    const av = $('preview-avatar');
    av.textContent = initials(name || '?');
    av.style.background = avatarColor(name || '?');
    $('ctl-screen').classList.toggle('active', state.screenOn);
    $('ctl-hand').classList.toggle('active', state.hand);
    $('ctl-hand').setAttribute('aria-pressed', String(state.hand));
    const me = state.welcome && state.participants.get(state.welcome.participantId);
    if (me) {
      me.mic = state.micOn; me.cam = state.camOn; me.screen = state.screenOn; me.hand = state.hand;
      renderParticipants();
    }
  }

  function toggleMic() {
    state.micOn = !state.micOn;
    applyTrackStates();
    sendMedia();
  }

  function toggleCam() {
    state.camOn = !state.camOn;
    applyTrackStates();
    sendMedia();
  }

  function sendMedia() {
    send({ type: 'media', mic: state.micOn, cam: state.camOn, screen: state.screenOn });
  }

  async function toggleScreen() {
    if (state.screenOn) {
      stopScreen();
      return;
    }
    try {
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      state.screenTrack = display.getVideoTracks()[0];
      state.screenTrack.addEventListener('ended', stopScreen);
      state.screenOn = true;
      replaceSenderTracks();
      updateMediaButtons();
      sendMedia();
    } catch (e) {
      if (e && e.name !== 'NotAllowedError') toast('Screen sharing is not available: ' + e.message);
    }
  }

  function stopScreen() {
    if (state.screenTrack) state.screenTrack.stop();
    state.screenTrack = null;
    state.screenOn = false;
    replaceSenderTracks();
    updateMediaButtons();
    sendMedia();
  }

  /* One video sender: the camera, or the screen while sharing. */
  function replaceSenderTracks() {
    if (!state.pc) return;
    for (const sender of state.pc.getSenders()) {
      const kind = sender.track ? sender.track.kind : sender.__kind;
      if (kind === 'video') sender.replaceTrack(state.screenOn && state.screenTrack ? state.screenTrack : videoTrack());
      if (kind === 'audio') sender.replaceTrack(audioTrack());
    }
  }

  /* ---------- pre-join ---------- */

  async function loadInfo() {
    let response;
    try {
      response = await fetch('/api/join/' + encodeURIComponent(link), { cache: 'no-store' });
    } catch (e) {
      message('offline', {
        title: 'Cannot reach the session', text: 'Check your connection and try again.', iconName: 'wifi-off',
        actions: [{ label: 'Try again', primary: true, run: reload }],
      });
      return;
    }
    if (response.status === 404 || !link) {
      showNotFound();
      return;
    }
    if (!response.ok) {
      message('error', { title: 'Something went wrong', text: 'The session could not be loaded. Please try again in a moment.', actions: [{ label: 'Try again', primary: true, run: reload }] });
      return;
    }
    state.info = await response.json();
    renderInfo();
    if (state.info.status === 'ended') {
      showEnded(false);
      return;
    }
    show('prejoin');
    if (state.info.status === 'scheduled') waitForStart();
    const stored = state.info.status === 'live' ? recall() : null;
    await initMedia();
    if (stored && stored.guestToken) {
      state.join = stored;
      connect();
    }
  }

  function showNotFound() {
    message('not-found', {
      title: 'Session not found',
      text: 'This link does not lead to a session. It may have been mistyped, or the session was cancelled.',
      iconName: 'alert',
    });
  }

  function showEnded(byHost) {
    leaveCallQuietly();
    message(byHost ? 'host-ended' : 'ended', {
      title: byHost ? 'The host ended the session' : 'This session has ended',
      text: byHost ? 'Thanks for joining. You can close this page.' : 'It is no longer possible to join. Contact the host if you need another session.',
      kind: byHost ? 'ok' : 'info', iconName: byHost ? 'check' : 'clock',
    });
  }

  function renderInfo() {
    const info = state.info;
    document.title = info.title + ' · OmniLive';
    $('info-title').textContent = info.title;
    $('info-type').textContent = TYPE_NAMES[info.sessionType] || info.sessionType;
    $('info-host').textContent = info.hostName;
    const start = new Date(info.scheduledStartTime);
    const end = new Date(info.scheduledEndTime);
    let when = formatWhen(info.scheduledStartTime);
    if (!Number.isNaN(end.getTime()) && end.toDateString() === start.toDateString()) when += ' – ' + formatTime(info.scheduledEndTime);
    $('info-time').textContent = when;
    $('info-description').textContent = info.description || '';
    $('info-description').hidden = !info.description;
    $('password-field').hidden = !info.needsPassword;
    $('input-name').value = params.get('name') || $('input-name').value;
    $('input-email').value = params.get('email') || $('input-email').value;
    updateMediaButtons();
  }

  async function initMedia() {
    try {
      await startMedia();
      $('media-note').hidden = true;
    } catch (e) {
      mediaFailed(e);
    }
  }

  function mediaFailed(e) {
    state.stream = null;
    state.micOn = false;
    state.camOn = false;
    updateMediaButtons();
    if (e && (e.name === 'NotAllowedError' || e.name === 'SecurityError')) {
      message('permission', {
        title: 'Camera and microphone are blocked',
        text: 'Your browser did not allow this page to use them. Allow access from the camera icon in the address bar and try again — or join without them; you can still see, hear and chat.',
        iconName: 'cam-off',
        actions: [
          { label: 'Join without camera and mic', primary: true, keepsSocket: true, run: () => { state.final = false; show('prejoin'); noteNoMedia(); } },
          { label: 'Try again', keepsSocket: true, run: () => { state.final = false; show('prejoin'); initMedia(); } },
        ],
      });
      return;
    }
    noteNoMedia(e && e.name === 'NotFoundError' ? 'No camera or microphone was found.' : (e && e.message) || 'The camera could not be started.');
  }

  function noteNoMedia(text) {
    const note = $('media-note');
    note.textContent = (text ? text + ' ' : '') + 'You will join without camera and microphone.';
    note.hidden = false;
  }

  function fieldError(input, text) {
    for (const i of document.querySelectorAll('#join-form input')) i.classList.remove('invalid');
    const box = $('form-error');
    if (!text) {
      box.hidden = true;
      return;
    }
    if (input) {
      input.classList.add('invalid');
      input.focus();
    }
    box.textContent = text;
    box.hidden = false;
  }

  function validForm() {
    const name = $('input-name');
    const email = $('input-email');
    if (!name.value.trim()) { fieldError(name, 'Please enter your name.'); return false; }
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.value.trim())) { fieldError(email, 'Please enter a valid e-mail address.'); return false; }
    if (!$('password-field').hidden && !$('input-password').value) { fieldError($('input-password'), 'This session needs a password.'); return false; }
    fieldError(null, null);
    return true;
  }

  async function submitJoin(event) {
    if (event) event.preventDefault();
    if (!validForm()) return;
    if (state.info && state.info.status === 'scheduled') {
      state.autoJoin = true;
      setJoinButton();
      return;
    }
    const button = $('join-button');
    button.disabled = true;
    button.textContent = 'Joining…';
    let response, body;
    try {
      response = await fetch('/api/join/' + encodeURIComponent(link), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: $('input-name').value.trim(),
          email: $('input-email').value.trim(),
          ...($('password-field').hidden ? {} : { password: $('input-password').value }),
        }),
      });
      body = await response.json().catch(() => ({}));
    } catch (e) {
      setJoinButton();
      fieldError(null, 'Cannot reach the session. Check your connection and try again.');
      return;
    }
    setJoinButton();
    if (response.ok) {
      state.join = body;
      remember(body);
      connect();
      return;
    }
    joinRefused(body.error || {});
  }

  function joinRefused(error) {
    switch (error.code) {
      case 'not_found':
        showNotFound();
        break;
      case 'session_ended':
        showEnded(false);
        break;
      case 'not_started':
        state.info.status = 'scheduled';
        waitForStart();
        break;
      case 'forbidden':
        handle({ type: 'removed' });
        break;
      case 'session_full':
        message('full', {
          title: 'This session is full',
          text: 'The session has reached its maximum number of participants. Try again when someone leaves, or contact the host.',
          iconName: 'people',
          actions: [{ label: 'Try again', primary: true, keepsSocket: true, run: () => { state.final = false; show('prejoin'); submitJoin(); } }],
        });
        break;
      case 'wrong_password':
        document.body.dataset.message = 'wrong-password';
        fieldError($('input-password'), 'That password is not correct. Check the invitation and try again.');
        $('input-password').select();
        break;
      case 'rate_limited':
        document.body.dataset.message = 'rate-limited';
        fieldError($('input-password'), error.message || 'Too many attempts. Please wait a little and try again.');
        break;
      case 'domain_not_allowed':
        document.body.dataset.message = 'domain';
        fieldError($('input-email'), (error.message || 'This session is only open to invited organisations') + '. Use your work e-mail address.');
        break;
      default:
        fieldError(error.field === 'name' ? $('input-name') : error.field === 'email' ? $('input-email') : null,
          error.message || 'The session could not be joined.');
    }
  }

  function setJoinButton() {
    const button = $('join-button');
    const scheduled = state.info && state.info.status === 'scheduled';
    button.disabled = scheduled && state.autoJoin;
    button.textContent = scheduled ? (state.autoJoin ? 'You’ll join when the host starts…' : 'Join when it starts') : 'Join Session';
  }

  /* ---------- not started: wait for the host, then join by ourselves ---------- */

  function waitForStart() {
    show('prejoin');
    const banner = $('prejoin-banner');
    banner.hidden = false;
    $('prejoin-banner-title').textContent = 'This session has not started yet';
    $('prejoin-banner-text').textContent = 'It is scheduled for ' + formatWhen(state.info.scheduledStartTime) +
      '. Get ready here — this page joins automatically when the host starts.';
    document.body.dataset.message = 'not-started';
    setJoinButton();
    openWatch();
  }

  function openWatch(delay = 0) {
    if (state.watchWs) return;
    setTimeout(() => {
      const ws = new WebSocket(wsUrl());
      state.watchWs = ws;
      let ping = 0;
      ws.addEventListener('open', () => {
        ws.send(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, role: 'watch', link }));
        ping = setInterval(() => ws.readyState === 1 && ws.send('{"type":"ping"}'), PING_MS);
      });
      ws.addEventListener('message', (event) => {
        let m;
        try { m = JSON.parse(event.data); } catch (e) { return; }
        if (m.type === 'session-status' && m.status === 'scheduled') document.body.dataset.watching = 'yes';
        if (m.type === 'session-status') sessionStatus(m.status);
        if (m.type === 'error' && m.code === 'not_found') { state.info.status = 'cancelled'; showCancelled(); }
      });
      ws.addEventListener('close', () => {
        clearInterval(ping);
        state.watchWs = null;
        if (state.info.status === 'scheduled') openWatch(Math.min(30000, delay * 2 + 2000));
      });
    }, delay);
  }

  function showCancelled() {
    message('cancelled', { title: 'This session was cancelled', text: 'The host cancelled this session. Check your e-mail for a new invitation.', iconName: 'clock', kind: 'info' });
  }

  function sessionStatus(status) {
    if (status === 'scheduled') return;
    state.info.status = status;
    if (status === 'cancelled') { showCancelled(); return; }
    if (status === 'ended') { showEnded(false); return; }
    $('prejoin-banner').hidden = true;
    delete document.body.dataset.message;
    const auto = state.autoJoin;
    state.autoJoin = false;
    setJoinButton();
    if (auto) submitJoin();
    else toast('The host has started the session — you can join now.');
  }

  /* ---------- signaling ---------- */

  function wsUrl() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
  }

  function send(object) {
    if (state.ws && state.ws.readyState === 1 && state.welcome) state.ws.send(JSON.stringify(object));
  }

  function connect() {
    const generation = ++state.wsGeneration;
    const ws = new WebSocket(wsUrl());
    state.ws = ws;
    ws.addEventListener('open', () => {
      ws.send(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, role: 'guest', token: state.join.guestToken }));
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(() => ws.readyState === 1 && ws.send(JSON.stringify({ type: 'ping', t: Date.now() })), PING_MS);
    });
    ws.addEventListener('message', (event) => {
      if (generation !== state.wsGeneration) return;
      let m;
      try { m = JSON.parse(event.data); } catch (e) { return; }
      if (m && typeof m.type === 'string') handle(m);
    });
    ws.addEventListener('close', () => {
      if (generation !== state.wsGeneration) return;
      clearInterval(state.pingTimer);
      state.ws = null;
      socketLost();
    });
  }

  function socketLost() {
    if (state.final) return;
    if (!state.welcome) {
      /* Never got in: the relay refused us (an error screen is up) or is unreachable. */
      if (document.body.dataset.screen === 'prejoin') fieldError(null, 'Cannot reach the session. Check your connection and try again.');
      return;
    }
    const windowMs = state.welcome.resumeWindowMs || 30000;
    if (!state.reconnectUntil) state.reconnectUntil = Date.now() + windowMs;
    $('reconnect-banner').hidden = false;
    document.body.dataset.message = 'reconnecting';
    if (Date.now() > state.reconnectUntil) {
      connectionLost();
      return;
    }
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(connect, 1000);
  }

  function connectionLost() {
    leaveCallQuietly();
    message('connection-lost', {
      title: 'Connection lost', text: 'We could not reconnect you to the session. Check your internet connection and rejoin.',
      iconName: 'wifi-off',
      actions: [{ label: 'Rejoin', primary: true, run: reload }],
    });
  }

  function handle(m) {
    switch (m.type) {
      case 'welcome': return onWelcome(m);
      case 'admitted': return onAdmitted(m);
      case 'roster': return onRoster(m);
      case 'participant-joined':
      case 'participant-updated': return onParticipant(m.participant, m.type === 'participant-joined');
      case 'participant-left': return onParticipantLeft(m);
      case 'chat-history': $('chat-messages').replaceChildren(); m.messages.forEach(addChat); return;
      case 'chat': addChat(m); return;
      case 'recording': $('rec-badge').hidden = !m.on; return;
      case 'muted':
        state.micOn = false;
        applyTrackStates();
        sendMedia();
        toast('The host muted your microphone');
        return;
      case 'offer': return onOffer(m);
      case 'ice': return onIce(m);
      case 'denied':
        state.final = true;
        leaveCallQuietly();
        return message('denied', { title: 'The host didn’t let you in', text: 'Your request to join was declined. Contact the host if you think this is a mistake.', iconName: 'lock' });
      case 'removed':
        state.final = true;
        leaveCallQuietly();
        return message('removed', { title: 'You were removed from the session', text: 'The host removed you from this session. You cannot rejoin with this link.', iconName: 'lock' });
      case 'session-ended':
        state.final = true;
        return showEnded(true);
      case 'error': return onError(m);
      default: return undefined;
    }
  }

  function onError(m) {
    if (m.ref === 'hello') {
      forget();
      state.final = true;
      leaveCallQuietly();
      if (m.reason === 'removed') return handle({ type: 'removed' });
      if (m.reason === 'denied') return handle({ type: 'denied' });
      if (m.code === 'session_full') return joinRefused({ code: 'session_full' });
      if (m.code === 'session_ended') return showEnded(false);
      if (m.code === 'not_started') { state.final = false; return joinRefused({ code: 'not_started' }); }
      return message('refused', { title: 'You cannot join this session', text: m.message, actions: [{ label: 'Back', primary: true, run: reload }] });
    }
    if (m.ref === 'chat-send') {
      const box = $('chat-error');
      box.textContent = m.code === 'rate_limited' ? 'You are sending messages too fast. Wait a moment.' : m.message;
      box.hidden = false;
      setTimeout(() => { box.hidden = true; }, 4000);
      return undefined;
    }
    return undefined;
  }

  function onWelcome(m) {
    const resumed = state.welcome !== null;
    state.welcome = m;
    state.reconnectUntil = 0;
    $('reconnect-banner').hidden = true;
    if (document.body.dataset.message === 'reconnecting') delete document.body.dataset.message;
    $('call-title').textContent = m.session.title;
    $('waiting-title').textContent = m.session.title;
    $('ctl-screen').hidden = !m.session.enableScreenShare || !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    $('ctl-chat').hidden = !m.session.enableChat;
    $('tab-chat').hidden = !m.session.enableChat;
    if (m.state === 'waiting') {
      attachPreview();
      show('waiting');
      return;
    }
    if (!resumed || document.body.dataset.screen !== 'call') enterCall();
    sendMedia();
  }

  function onAdmitted(m) {
    $('rec-badge').hidden = !m.recording;
    enterCall();
    sendMedia();
  }

  function enterCall() {
    show('call');
    if (!state.callStart) {
      state.callStart = Date.now();
      state.timerId = setInterval(updateTimer, 1000);
      updateTimer();
    }
    renderParticipants();
  }

  function updateTimer() {
    const s = Math.floor((Date.now() - state.callStart) / 1000);
    const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
    const ss = String(s % 60).padStart(2, '0');
    $('call-timer').textContent = (s >= 3600 ? Math.floor(s / 3600) + ':' : '') + mm + ':' + ss;
  }

  function onRoster(m) {
    state.participants.clear();
    for (const p of m.participants) state.participants.set(p.id, p);
    renderParticipants();
  }

  function onParticipant(p, joined) {
    const known = state.participants.has(p.id);
    const me = state.welcome && p.id === state.welcome.participantId;
    state.participants.set(p.id, p);
    if (joined && !known && !me) toast(p.name + ' joined');
    renderParticipants();
  }

  function onParticipantLeft(m) {
    const p = state.participants.get(m.id);
    state.participants.delete(m.id);
    if (p && m.reason !== 'removed') toast(p.name + ' left');
    renderParticipants();
  }

  /* ---------- participants and tiles ---------- */

  function renderParticipants() {
    if (!state.welcome) return;
    const myId = state.welcome.participantId;
    const list = Array.from(state.participants.values());
    list.sort((a, b) => (b.role === 'host') - (a.role === 'host'));
    $('people-count').textContent = '(' + list.length + ')';

    const ul = $('people-list');
    ul.replaceChildren();
    for (const p of list) {
      const li = el('li');
      li.dataset.id = p.id;
      li.appendChild(avatar(p.name, p.id));
      const who = el('span', 'who');
      who.appendChild(el('span', 'name', p.name + (p.id === myId ? ' (You)' : '')));
      who.appendChild(el('span', 'role', p.role === 'host' ? 'Host' : (p.connected === false ? 'Reconnecting…' : 'Guest')));
      li.appendChild(who);
      if (p.hand) li.appendChild(icon('hand', 'hand-up'));
      li.appendChild(icon(p.mic ? 'mic' : 'mic-off'));
      li.appendChild(icon(p.cam ? 'cam' : 'cam-off'));
      ul.appendChild(li);
    }
    renderTiles(list, myId);
  }

  function tileFor(id) {
    return document.querySelector('.tile[data-id="' + CSS.escape(id) + '"]');
  }

  function renderTiles(list, myId) {
    const stage = $('stage');
    const wanted = new Set(list.map((p) => p.id));
    for (const tile of Array.from(stage.children)) if (!wanted.has(tile.dataset.id)) tile.remove();
    for (const p of list) {
      let tile = tileFor(p.id);
      if (!tile) {
        tile = el('div', 'tile');
        tile.dataset.id = p.id;
        const video = el('video');
        video.autoplay = true;
        video.playsInline = true;
        if (p.id === myId) { video.muted = true; tile.classList.add('self'); }
        tile.appendChild(video);
        tile.appendChild(avatar(p.name, p.id));
        const label = el('div', 'label');
        tile.appendChild(label);
        stage.appendChild(tile);
      }
      const label = tile.querySelector('.label');
      label.replaceChildren();
      if (!p.mic) label.appendChild(icon('mic-off', 'muted-icon'));
      label.appendChild(el('span', 'name', p.id === myId ? 'You' : p.name));
      const oldHand = tile.querySelector('.hand');
      if (oldHand) oldHand.remove();
      if (p.hand) { const h = el('div', 'hand'); h.appendChild(icon('hand')); tile.appendChild(h); }
      const oldStatus = tile.querySelector('.status');
      if (oldStatus) oldStatus.remove();
      if (p.connected === false) tile.appendChild(el('div', 'status', 'Reconnecting…'));
      const video = tile.querySelector('video');
      if (p.id === myId) {
        if (video.srcObject !== state.stream) video.srcObject = state.stream;
        tile.classList.toggle('has-video', state.camOn && !!videoTrack());
      } else {
        const stream = streamFor(p);
        if (stream && video.srcObject !== stream) video.srcObject = stream;
        tile.classList.toggle('has-video', !!stream && p.cam !== false && stream.getVideoTracks().length > 0);
      }
    }
    const others = list.filter((p) => p.id !== myId).length;
    stage.classList.toggle('with-self', others > 0);
    const count = others > 0 ? others : 1;
    const cols = count === 1 ? 1 : count <= 4 ? 2 : count <= 9 ? 3 : 4;
    stage.style.setProperty('--cols', String(cols));
  }

  /* The host labels each stream it sends with the participant's id as the
   * MediaStream id (its own with the host's id); anything unlabelled is the
   * host's. */
  function streamFor(p) {
    if (state.remoteStreams.has(p.id)) return state.remoteStreams.get(p.id);
    if (p.role === 'host') {
      for (const [id, stream] of state.remoteStreams) if (!state.participants.has(id)) return stream;
    }
    return null;
  }

  /* ---------- the peer connection to the host ---------- */

  function iceServers() {
    const servers = (state.join && state.join.iceServers) || (state.welcome && state.welcome.iceServers);
    return Array.isArray(servers) ? servers : [];
  }

  function ensurePc() {
    if (state.pc) return state.pc;
    const pc = new RTCPeerConnection({ iceServers: iceServers(), bundlePolicy: 'max-bundle' });
    state.pc = pc;
    pc.addEventListener('icecandidate', (e) => {
      const c = e.candidate;
      send({ type: 'ice', candidate: c ? c.candidate : '', sdpMid: c && c.sdpMid !== null ? c.sdpMid : undefined, sdpMLineIndex: c && c.sdpMLineIndex !== null ? c.sdpMLineIndex : undefined });
    });
    /* The host forwards the other guests' streams on this one connection,
     * each labelled with its participant's id. When someone leaves, the
     * host sets their m-lines inactive and later reuses them for whoever
     * comes next: the track then arrives again under the new id, and the
     * emptied stream of the one who left is dropped. */
    pc.addEventListener('track', (e) => {
      const stream = e.streams[0] || new MediaStream([e.track]);
      if (state.remoteStreams.get(stream.id) !== stream) {
        state.remoteStreams.set(stream.id, stream);
        stream.addEventListener('removetrack', () => {
          if (stream.getTracks().length === 0 && state.remoteStreams.get(stream.id) === stream) state.remoteStreams.delete(stream.id);
          renderParticipants();
        });
      }
      e.track.addEventListener('unmute', renderParticipants);
      renderParticipants();
    });
    pc.addEventListener('connectionstatechange', () => {
      document.body.dataset.pc = pc.connectionState;
      /* Failed on our side (say the network changed): the host may not
       * notice, so ask it for a new connection, once per connection. Its
       * fresh offer replaces this one (see onOffer). */
      if (pc.connectionState === 'failed' && state.pc === pc && !pc.restartAsked) {
        pc.restartAsked = true;
        send({ type: 'media-restart' });
      }
    });
    return pc;
  }

  /* The o= line's session id: a renegotiation keeps it, a new session changes it. */
  function sdpSessionId(sdp) {
    const match = /^o=\S+ (\S+)/m.exec(sdp || '');
    return match ? match[1] : '';
  }

  async function onOffer(m) {
    /* An offer from a new SDP session is a new connection from the host (how
     * it restarts a failed one): start a fresh peer connection for it. */
    if (state.pc && state.pc.remoteDescription && sdpSessionId(state.pc.remoteDescription.sdp) !== sdpSessionId(m.sdp)) {
      state.pc.close();
      state.pc = null;
      state.pendingIce = [];
    }
    const pc = ensurePc();
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
      /* Our tracks go into the transceivers the host offered (it decides
       * the topology); added once, kept across renegotiations. */
      if (state.stream && pc.getSenders().every((s) => !s.track)) {
        for (const track of state.stream.getTracks()) {
          const t = pc.getTransceivers().find((x) => x.receiver.track && x.receiver.track.kind === track.kind && !x.sender.track && x.direction !== 'inactive');
          if (t) {
            await t.sender.replaceTrack(track === videoTrack() && state.screenOn ? state.screenTrack : track);
            t.direction = 'sendrecv';
          }
        }
      }
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      send({ type: 'answer', sdp: pc.localDescription.sdp });
      for (const c of state.pendingIce.splice(0)) await addIce(c);
    } catch (e) {
      console.warn('Cannot answer the host’s offer', e);
    }
  }

  async function addIce(m) {
    try {
      await state.pc.addIceCandidate(m.candidate === '' ? null : { candidate: m.candidate, sdpMid: m.sdpMid, sdpMLineIndex: m.sdpMLineIndex });
    } catch (e) {
      console.warn('Bad ICE candidate from the host', e);
    }
  }

  function onIce(m) {
    if (!state.pc || !state.pc.remoteDescription) { state.pendingIce.push(m); return; }
    addIce(m);
  }

  /* ---------- chat ---------- */

  function addChat(m) {
    const li = el('li');
    const from = el('div', 'from', m.from.name + (m.from.role === 'host' ? ' (Host)' : ''));
    const time = el('time', null, formatTime(m.at));
    time.dateTime = m.at;
    from.appendChild(time);
    li.appendChild(from);
    li.appendChild(el('div', 'text', m.text));
    const list = $('chat-messages');
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
    $('chat-empty').hidden = true;
    const mine = state.welcome && m.from.id === state.welcome.participantId;
    if (!mine && (state.panel !== 'chat')) {
      $('chat-dot').hidden = false;
      if (document.body.dataset.screen === 'call' && m.id) toast(m.from.name + ': ' + m.text.slice(0, 80));
    }
  }

  function sendChat(event) {
    event.preventDefault();
    const input = $('chat-input');
    const text = input.value.trim();
    if (!text) return;
    if (text.length > CHAT_MAX) {
      $('chat-error').textContent = 'Messages can be at most 2,000 characters.';
      $('chat-error').hidden = false;
      return;
    }
    send({ type: 'chat-send', text });
    input.value = '';
    input.style.height = '';
  }

  function openPanel(which) {
    if (state.panel === which) { closePanel(); return; }
    state.panel = which;
    $('panel').hidden = false;
    $('chat').hidden = which !== 'chat';
    $('people-list').hidden = which !== 'people';
    $('tab-chat').setAttribute('aria-selected', String(which === 'chat'));
    $('tab-people').setAttribute('aria-selected', String(which === 'people'));
    $('ctl-chat').classList.toggle('active', which === 'chat');
    $('ctl-people').classList.toggle('active', which === 'people');
    if (which === 'chat') { $('chat-dot').hidden = true; $('chat-input').focus(); }
  }

  function closePanel() {
    state.panel = null;
    $('panel').hidden = true;
    $('ctl-chat').classList.remove('active');
    $('ctl-people').classList.remove('active');
  }

  /* ---------- leaving ---------- */

  function leaveCallQuietly() {
    clearInterval(state.timerId);
    clearTimeout(state.reconnectTimer);
    if (state.pc) { state.pc.close(); state.pc = null; }
    if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
    if (state.screenTrack) state.screenTrack.stop();
    if (state.meter) { state.meter.ctx.close(); state.meter = null; }
  }

  function leave() {
    state.final = true;
    forget();
    if (state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify({ type: 'leave' }));
    leaveCallQuietly();
    message('left', {
      title: 'You left the session', text: 'You can rejoin while the session is running.', kind: 'info', iconName: 'leave',
      actions: [{ label: 'Rejoin', primary: true, run: reload }],
    });
  }

  /* ---------- wiring ---------- */

  function wire() {
    $('join-form').addEventListener('submit', submitJoin);
    $('input-name').addEventListener('input', updateMediaButtons);
    $('pre-mic').addEventListener('click', toggleMic);
    $('pre-cam').addEventListener('click', toggleCam);
    $('ctl-mic').addEventListener('click', toggleMic);
    $('ctl-cam').addEventListener('click', toggleCam);
    $('ctl-screen').addEventListener('click', toggleScreen);
    $('ctl-hand').addEventListener('click', () => {
      state.hand = !state.hand;
      updateMediaButtons();
      send({ type: 'hand', raised: state.hand });
    });
    $('ctl-chat').addEventListener('click', () => openPanel('chat'));
    $('ctl-people').addEventListener('click', () => openPanel('people'));
    $('tab-chat').addEventListener('click', () => { state.panel = null; openPanel('chat'); });
    $('tab-people').addEventListener('click', () => { state.panel = null; openPanel('people'); });
    $('panel-close').addEventListener('click', closePanel);
    $('ctl-leave').addEventListener('click', leave);
    $('waiting-leave').addEventListener('click', leave);
    $('chat-form').addEventListener('submit', sendChat);
    $('chat-input').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) sendChat(e);
    });
    $('chat-input').addEventListener('input', (e) => {
      e.target.style.height = '';
      e.target.style.height = Math.min(120, e.target.scrollHeight) + 'px';
    });
    for (const id of ['select-cam', 'select-mic']) {
      $(id).addEventListener('change', () => initMedia());
    }
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener('devicechange', () => fillDevices().catch(() => {}));
    }
  }

  wire();
  loadInfo();
})();
