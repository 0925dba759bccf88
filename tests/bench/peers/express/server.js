// The seed's stack doing the same work as omnilive-relay's session API on the
// same schema: Bearer token → SHA-256 lookup, validation, one transaction per
// create, upcoming list with participants. Used only by ./omni bench api.
//
// The database is one the relay made (`omnilive-relay host add --data-dir`),
// so every table, index and trigger its migrations define is here too: each
// insert maintains the same indexes and fires the same triggers as the
// relay's.
'use strict';
const crypto = require('crypto');
const express = require('express');
const Database = require('better-sqlite3');

const [,, dbPath, port] = process.argv;
const db = new Database(dbPath, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
if (db.pragma('user_version', { simple: true }) < 6) {
  console.error(`${dbPath}: not a database made by omnilive-relay (schema 6 or later)`);
  process.exit(1);
}

const PRESETS = {
  webinar: [100, true, false, false], meeting: [10, false, false, false], support_call: [2, false, false, true],
  training: [20, false, false, false], consultation: [5, true, true, false], demo: [10, false, false, true],
};
const EMAIL = /^[^\s@"(),:;<>[\\\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

const findHost = db.prepare('SELECT * FROM hosts WHERE token_hash = ? AND revoked_at IS NULL');
const insertSession = db.prepare(`INSERT INTO sessions (id, host_id, title, description, agenda, session_type, status,
  scheduled_start, scheduled_end, max_participants, enable_recording, enable_screen_share, enable_chat,
  waiting_room_enabled, requires_approval, password_hash, allowed_domains, access_link, related_ticket, series_id,
  series_index, series_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL, 0, 1, ?, ?)`);
const insertParticipant = db.prepare(`INSERT INTO participants (id, session_id, position, email, email_key, name, invited, state)
  VALUES (?, ?, ?, ?, ?, ?, 1, 'invited')`);
// Like the relay, each invitation is stored in the create's own transaction
// (the relay's mail worker then renders and sends it; this peer sends nothing).
const insertOutbox = db.prepare(`INSERT INTO outbox (session_id, kind, recipient_email, recipient_name, payload,
  dedupe_key, next_attempt_at, created_at) VALUES (?, 'invitation', ?, ?, ?, ?, ?, ?)`);
// The relay fixes each session's calendar identity with its first invitation.
const insertCalendar = db.prepare(`INSERT OR IGNORE INTO mail_calendar (session_id, uid, recurrence_id)
  VALUES (?, ? || '@localhost.localdomain', NULL)`);
const getSession = db.prepare('SELECT s.*, h.name AS host_name, h.email AS host_email FROM sessions s JOIN hosts h ON h.id = s.host_id WHERE s.id = ?');
const listUpcoming = db.prepare(`SELECT s.*, h.name AS host_name, h.email AS host_email FROM sessions s JOIN hosts h ON h.id = s.host_id
  WHERE s.host_id = ? AND (s.status = 'live' OR (s.status = 'scheduled' AND s.scheduled_end > ?))
  ORDER BY s.scheduled_start, s.id LIMIT ? OFFSET ?`);
const countUpcoming = db.prepare(`SELECT COUNT(*) AS n FROM sessions s WHERE s.host_id = ?
  AND (s.status = 'live' OR (s.status = 'scheduled' AND s.scheduled_end > ?))`);
const listParticipants = db.prepare('SELECT * FROM participants WHERE session_id = ? ORDER BY position');

const iso = (ms) => (ms ? new Date(ms).toISOString() : null);
const fail = (res, status, code, message, field = null) => res.status(status).json({ error: { code, message, field } });
const newId = () => crypto.randomBytes(12).toString('hex');

function toJson(s, publicUrl) {
  return {
    _id: s.id, title: s.title, description: s.description, sessionType: s.session_type, status: s.status,
    scheduledStartTime: iso(s.scheduled_start), scheduledEndTime: iso(s.scheduled_end),
    actualStartTime: iso(s.actual_start), actualEndTime: iso(s.actual_end),
    host: { _id: s.host_id, name: s.host_name, email: s.host_email },
    maxParticipants: s.max_participants, enableRecording: !!s.enable_recording,
    enableScreenShare: !!s.enable_screen_share, enableChat: !!s.enable_chat,
    waitingRoomEnabled: !!s.waiting_room_enabled, requiresApproval: !!s.requires_approval,
    hasPassword: s.password_hash !== null, allowedDomains: s.allowed_domains ? s.allowed_domains.split(' ') : [],
    agenda: s.agenda, relatedTicket: s.related_ticket, seriesId: s.series_id, accessLink: s.access_link,
    joinUrl: `${publicUrl}/session/join/${s.access_link}`, peakParticipants: s.peak_participants,
    totalDuration: s.actual_start ? Math.floor(((s.actual_end || Date.now()) - s.actual_start) / 1000) : 0,
    participants: listParticipants.all(s.id).map((p) => ({
      _id: p.id, name: p.name, email: p.email, invited: !!p.invited, status: p.state,
      joinedAt: iso(p.joined_at), leftAt: iso(p.left_at), duration: Math.floor(p.duration_ms / 1000),
    })),
    createdAt: iso(s.created_at), updatedAt: iso(s.updated_at),
  };
}

const app = express();
app.use(express.json({ limit: '1mb' }));
const publicUrl = `http://127.0.0.1:${port}`;

function auth(req, res, next) {
  const header = req.get('authorization') || '';
  if (!header.startsWith('Bearer ')) return fail(res, 401, 'unauthorized', 'This endpoint needs a host token');
  const host = findHost.get(crypto.createHash('sha256').update(header.slice(7)).digest('hex'));
  if (!host) return fail(res, 401, 'unauthorized', 'The token is not valid or has been revoked');
  req.host_ = host;
  next();
}

const createTx = db.transaction((row, invitees) => {
  insertSession.run(...row);
  invitees.forEach((p, i) => insertParticipant.run(newId(), row[0], i, p.email, p.email.toLowerCase(), p.name));
  const now = row[row.length - 1];
  const payload = JSON.stringify({ title: row[2], description: row[3], agenda: row[4], sessionType: row[5],
    start: row[6], end: row[7], accessLink: row[15] });
  if (invitees.length > 0) insertCalendar.run(row[0], row[0]);
  invitees.forEach((p) => insertOutbox.run(row[0], p.email, p.name, payload,
    `invitation:${row[0]}:${p.email.toLowerCase()}`, now, now));
});

app.post('/api/sessions', auth, (req, res) => {
  const b = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return fail(res, 400, 'invalid_json', 'The request body must be a JSON object');
  if (typeof b.title !== 'string' || !b.title.trim() || b.title.length > 200) return fail(res, 400, 'invalid_field', "'title' is required", 'title');
  const type = b.sessionType ?? 'meeting';
  if (!PRESETS[type]) return fail(res, 400, 'invalid_field', 'unknown session type', 'sessionType');
  const start = Date.parse(b.scheduledStartTime);
  if (typeof b.scheduledStartTime !== 'string' || Number.isNaN(start)) return fail(res, 400, 'invalid_field', 'bad start', 'scheduledStartTime');
  const end = b.scheduledEndTime == null ? start + 3600000 : Date.parse(b.scheduledEndTime);
  if (Number.isNaN(end) || end <= start) return fail(res, 400, 'invalid_field', 'end must be after start', 'scheduledEndTime');
  if (end <= Date.now()) return fail(res, 400, 'invalid_field', 'in the past', 'scheduledEndTime');
  const [defMax, defWaiting, defApproval, defRecording] = PRESETS[type];
  const max = b.maxParticipants ?? defMax;
  if (!Number.isInteger(max) || max < 2 || max > 100) return fail(res, 400, 'invalid_field', 'bad maxParticipants', 'maxParticipants');
  const participants = b.participants ?? [];
  if (!Array.isArray(participants)) return fail(res, 400, 'invalid_field', 'bad participants', 'participants');
  const seen = new Set();
  const invitees = [];
  for (const [i, p] of participants.entries()) {
    if (typeof p !== 'object' || typeof p.email !== 'string' || !EMAIL.test(p.email)) return fail(res, 400, 'invalid_field', 'bad email', `participants[${i}].email`);
    const key = p.email.toLowerCase();
    if (seen.has(key)) return fail(res, 400, 'invalid_field', 'listed twice', `participants[${i}].email`);
    seen.add(key);
    invitees.push({ email: p.email, name: (typeof p.name === 'string' && p.name.trim()) || p.email.split('@')[0] });
  }
  const now = Date.now();
  const id = newId();
  const link = crypto.randomBytes(16).toString('base64url');
  createTx([id, req.host_.id, b.title.trim(), b.description ?? null, b.agenda ?? null, type, start, end, max,
    +(b.enableRecording ?? defRecording), +(b.enableScreenShare ?? true), +(b.enableChat ?? true),
    +(b.waitingRoomEnabled ?? defWaiting), +(b.requiresApproval ?? defApproval),
    (b.allowedDomains ?? []).join(' '), link, b.relatedTicket ?? null, now, now], invitees);
  res.status(201).json(toJson(getSession.get(id), publicUrl));
});

app.get('/api/sessions', auth, (req, res) => {
  const now = Date.now();
  const limit = Math.min(parseInt(req.query.limit ?? '100', 10) || 100, 500);
  const offset = parseInt(req.query.offset ?? '0', 10) || 0;
  const rows = listUpcoming.all(req.host_.id, now, limit, offset);
  res.set('X-Total-Count', String(countUpcoming.get(req.host_.id, now).n));
  res.json(rows.map((s) => toJson(s, publicUrl)));
});

app.get('/healthz', (req, res) => res.json({ status: 'ok' }));

app.listen(Number(port), '127.0.0.1', () => console.log(`express peer: listening on http://127.0.0.1:${port}`));
