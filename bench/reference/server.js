'use strict';
// Herald's job done the way a competent Node.js developer would ship it with socket.io 4.8:
// the baseline Herald's benchmarks are compared against (DESIGN 6). One process, one
// event loop, notifications kept in memory (a Map) instead of a database.
//
// Environment: PORT (default 3000), JWT_SECRET (required), API_KEYS (comma separated,
// optional), HOST (default 127.0.0.1), PORT_FILE (written with the bound port, for
// scripts that start it on port 0), PER_RECIPIENT=1 to emit a separate payload per
// user for department and broadcast targets (see emitNotification).

const http = require('node:http');
const { Server } = require('socket.io');
const jwt = require('jsonwebtoken');

const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';
const SECRET = process.env.JWT_SECRET;
if (!SECRET) {
  console.error('JWT_SECRET is required');
  process.exit(2);
}
const API_KEYS = new Set((process.env.API_KEYS || '').split(',').map((k) => k.trim()).filter(Boolean));
const PER_RECIPIENT = process.env.PER_RECIPIENT === '1';
const MAX_BODY = 1_000_000; // same as Herald's server.max_payload default

const TYPES = {
  system: { id: 'system', name: 'System', icon: 'bell', color: '#6b7280' },
  info: { id: 'info', name: 'Info', icon: 'info', color: '#2563eb' },
  success: { id: 'success', name: 'Success', icon: 'check', color: '#16a34a' },
  warning: { id: 'warning', name: 'Warning', icon: 'alert-triangle', color: '#d97706' },
  error: { id: 'error', name: 'Error', icon: 'x-circle', color: '#dc2626' },
};
const SYSTEM_SENDER = { id: 'system', username: 'system', display_name: 'System' };

// In-memory store: notifications by id, recipient records by id, and the directory of
// users learnt from the claims of authenticated sockets (used to count dept/broadcast
// recipients, as Herald resolves them from its directory).
const notifications = new Map();
const recipients = new Map();
const directory = new Map(); // user id -> { username, display_name, departments }
let nextNotificationId = 1;
let nextRecipientId = 1;

// Accepts 'Bearer <JWT>' in any case and surrounding white space, as SPEC 2 says.
function stripBearer(value) {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  return /^bearer\s+/i.test(v) ? v.replace(/^bearer\s+/i, '').trim() : v;
}

function verify(token) {
  try {
    return { claims: jwt.verify(token, SECRET, { algorithms: ['HS256'], clockTolerance: 30 }) };
  } catch (err) {
    return { code: err instanceof jwt.TokenExpiredError ? 'EXPIRED_TOKEN' : 'INVALID_TOKEN' };
  }
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

// content_format "text" rendering: escaped paragraphs (the reference does not render Markdown).
function renderHtml(content) {
  return content
    .split(/\n{2,}/)
    .filter((p) => p.length > 0)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

// --- HTTP API -------------------------------------------------------------------------

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function apiError(res, status, code, message) {
  sendJson(res, status, { error: { code, message } });
}

// Returns the producer's claims ({} for an API key) or answers the error itself.
function authenticateProducer(req, res) {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && API_KEYS.has(key)) return {};
  const token = stripBearer(req.headers.authorization);
  if (!token) return apiError(res, 401, 'UNAUTHORIZED', 'A producer token or API key is required');
  const { claims, code } = verify(token);
  if (!claims) return apiError(res, 401, code, 'Token refused');
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  if (!roles.includes('service') && !roles.includes('admin'))
    return apiError(res, 403, 'FORBIDDEN', 'A producer role (service or admin) is required');
  return claims;
}

function readBody(req, res, done) {
  const chunks = [];
  let size = 0;
  let failed = false;
  req.on('data', (chunk) => {
    if (failed) return;
    size += chunk.length;
    if (size > MAX_BODY) {
      failed = true;
      apiError(res, 413, 'PAYLOAD_TOO_LARGE', 'Body too large');
      req.resume();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (failed) return;
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return apiError(res, 400, 'INVALID_PAYLOAD', 'Body is not JSON');
    }
    done(body);
  });
}

function stringList(value) {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return null;
  const out = [];
  for (const v of value) {
    if (typeof v === 'string' && v.length > 0) out.push(v);
    else if (Number.isInteger(v)) out.push(String(v));
    else return null;
  }
  return [...new Set(out)];
}

function createNotification(req, res, producer) {
  readBody(req, res, (body) => {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return apiError(res, 400, 'INVALID_PAYLOAD', 'Expected an object');
    const { title, content, targets } = body;
    if (typeof title !== 'string' || title.length === 0 || typeof content !== 'string')
      return apiError(res, 400, 'INVALID_PAYLOAD', 'title and content are required strings');
    if (!targets || typeof targets !== 'object')
      return apiError(res, 400, 'INVALID_PAYLOAD', 'targets is required');
    const users = stringList(targets.users);
    const departments = stringList(targets.departments);
    const broadcast = targets.broadcast === true;
    if (!users || !departments) return apiError(res, 400, 'INVALID_PAYLOAD', 'targets lists must hold ids');
    if (!broadcast && users.length === 0 && departments.length === 0)
      return apiError(res, 400, 'INVALID_PAYLOAD', 'targets names nobody');
    const type = TYPES[body.type === undefined ? 'system' : body.type];
    if (!type) return apiError(res, 400, 'INVALID_PAYLOAD', 'Unknown notification type');

    let sender = SYSTEM_SENDER;
    const senderId = typeof body.sender_id === 'string' ? body.sender_id : producer.sub;
    if (senderId) {
      const known = directory.get(senderId);
      sender = { id: senderId, username: known?.username ?? senderId, display_name: known?.display_name ?? senderId };
    }

    // Resolve the recipients: named users plus the directory's members of the departments
    // (or everyone, for broadcast). One recipient record per user.
    const recipientUsers = new Set(users);
    if (broadcast) for (const id of directory.keys()) recipientUsers.add(id);
    else if (departments.length > 0)
      for (const [id, u] of directory) if (u.departments.some((d) => departments.includes(d))) recipientUsers.add(id);

    const id = String(nextNotificationId++);
    const createdAt = new Date().toISOString();
    const notification = {
      id,
      title,
      content,
      content_html: renderHtml(content),
      type,
      sender,
      created_at: createdAt,
    };
    const recipientIds = new Map();
    for (const userId of recipientUsers) {
      const rid = String(nextRecipientId++);
      recipientIds.set(userId, rid);
      recipients.set(rid, { notification_id: id, user_id: userId, delivery_status: 'pending', read_at: null });
    }
    notifications.set(id, notification);
    emitNotification(notification, { users, departments, broadcast }, recipientIds);
    sendJson(res, 201, { id, recipient_count: recipientUsers.size, created_at: createdAt });
  });
}

// Named users get their own recipient_id. A department or broadcast target is one room
// emit, so socket.io encodes the packet once for all its members: that is how a Node
// developer would broadcast to 19,000 sockets, and it is the property Herald's DESIGN 6
// asks of Herald too. Such a shared payload cannot carry each member's recipient_id, so it
// carries null; PER_RECIPIENT=1 trades the single encode for exact per-user payloads.
function emitNotification(notification, targets, recipientIds) {
  const nsp = io.of('/notifications');
  const userRooms = targets.users.map((u) => `user:${u}`);
  for (const u of targets.users)
    nsp.to(`user:${u}`).emit('notification:new', { ...notification, recipient_id: recipientIds.get(u) });
  const rooms = targets.broadcast ? ['broadcast'] : targets.departments.map((d) => `dept:${d}`);
  if (rooms.length === 0) return;
  if (PER_RECIPIENT) {
    const named = new Set(targets.users);
    for (const [userId, rid] of recipientIds)
      if (!named.has(userId)) nsp.to(`user:${userId}`).emit('notification:new', { ...notification, recipient_id: rid });
    return;
  }
  // except(): a named user already got the copy with their own recipient_id.
  nsp.to(rooms).except(userRooms).emit('notification:new', { ...notification, recipient_id: null });
}

const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/api/v1/notifications') {
    if (req.method !== 'POST') return apiError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST');
    const producer = authenticateProducer(req, res);
    if (!producer) return;
    return createNotification(req, res, producer);
  }
  if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
  apiError(res, 404, 'NOT_FOUND', 'no such path');
});
httpServer.keepAliveTimeout = 60_000;

// --- Socket.IO ------------------------------------------------------------------------

const io = new Server(httpServer, {
  cors: { origin: '*' },
  pingInterval: 25_000,
  pingTimeout: 20_000,
  maxHttpBufferSize: MAX_BODY,
});

const notificationsNsp = io.of('/notifications');

// Token from auth.token, then query `token`, then the Authorization header (SPEC 2).
notificationsNsp.use((socket, next) => {
  const hs = socket.handshake;
  const raw = hs.auth?.token ?? hs.query?.token ?? hs.headers.authorization;
  const token = stripBearer(raw);
  const fail = (code) => {
    const err = new Error('Authentication failed');
    err.data = { code };
    next(err);
  };
  if (!token) return fail('INVALID_TOKEN');
  const { claims, code } = verify(token);
  if (!claims) return fail(code);
  const userId = claims.sub ?? claims.user_id;
  if (userId === undefined || userId === null || userId === '') return fail('INVALID_TOKEN');
  const departments = Array.isArray(claims.departments) ? claims.departments.map(String) : [];
  socket.data.user = { id: String(userId), departments, exp: claims.exp };
  directory.set(String(userId), {
    username: claims.username ?? String(userId),
    display_name: claims.display_name ?? claims.username ?? String(userId),
    departments,
  });
  next();
});

notificationsNsp.on('connection', (socket) => {
  const user = socket.data.user;
  socket.join([`user:${user.id}`, ...user.departments.map((d) => `dept:${d}`), 'broadcast']);
  socket.emit('authenticated', { user_id: user.id, connected_at: new Date().toISOString() });
  // A token must not outlive itself (SPEC 2): one timer per socket, as Node code does it.
  if (typeof user.exp === 'number') {
    const ms = user.exp * 1000 + 30_000 - Date.now();
    const timer = setTimeout(() => {
      socket.emit('auth_error', { message: 'Token expired', code: 'EXPIRED_TOKEN' });
      socket.disconnect(true);
    }, Math.min(Math.max(ms, 0), 2 ** 31 - 1));
    socket.on('disconnect', () => clearTimeout(timer));
  }
  socket.on('ping', (_payload, ack) => {
    const pong = { ts: new Date().toISOString() };
    socket.emit('pong', pong);
    if (typeof ack === 'function') ack(pong);
  });
  socket.on('notification:acknowledge', (payload, ack) => {
    const rid = payload && payload.recipient_id !== undefined ? String(payload.recipient_id) : undefined;
    const record = rid && recipients.get(rid);
    if (!record || record.user_id !== user.id) {
      socket.emit('error', { message: 'Not your notification', code: 'FORBIDDEN' });
      if (typeof ack === 'function') ack({ ok: false, code: 'FORBIDDEN' });
      return;
    }
    record.delivery_status = 'delivered';
    if (typeof ack === 'function') ack({ ok: true });
  });
});

httpServer.listen(PORT, HOST, () => {
  const port = httpServer.address().port;
  if (process.env.PORT_FILE) require('node:fs').writeFileSync(process.env.PORT_FILE, `${port}\n`);
  console.error(`reference listening on ${HOST}:${port} (pid ${process.pid})`);
});

function shutdown() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
