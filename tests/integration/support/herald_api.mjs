// Helpers for the notification tests (issues 4 and 5): the REST API of SPEC section 4,
// user sockets on /notifications that record what they receive, payload shape checks,
// and bounded polling. Servers themselves are started with ./server.mjs.

import assert from 'node:assert/strict';

import { Recorder, connected, isIsoUtc, nowSeconds, withTimeout } from './server.mjs';

export const NSP = '/notifications';
export const API_KEY = 'it-producer-key';
// Every server of these tests accepts this producer key.
export const API_KEY_FLAG = `--auth.api_keys=${API_KEY},second-key`;
export const TRANSPORTS = {
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'] },
};
export const THREADS = Number(process.env.HERALD_IT_THREADS ?? 4);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One HTTP exchange. `auth`: {token} (Bearer), {apiKey}, or nothing. `body`: an object
 * (sent as JSON) or a string (sent as is). Resolves with {status, headers, body, text}.
 */
export async function call(server, method, pathname, { token, apiKey, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (apiKey) h['x-api-key'] = apiKey;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  const res = await server.fetch(pathname, { method, headers: h, body: payload });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body: json, text };
}

/** The producer's POST /api/v1/notifications with the API key. */
export const post = (server, body, auth = { apiKey: API_KEY }) =>
  call(server, 'POST', '/api/v1/notifications', { ...auth, body });

/** POST and assert 201; resolves with the response body {id, recipient_count, created_at}. */
export async function create(server, body, auth) {
  const r = await post(server, body, auth);
  assert.equal(r.status, 201, `POST /notifications: ${r.status} ${r.text}`);
  return r.body;
}

/** Every item of a user's inbox (newest first), walking all pages. */
export async function inbox(server, token, { unread, limit = 100 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 10000; ++page) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (unread !== undefined) q.set('unread', String(unread));
    if (cursor) q.set('cursor', cursor);
    const r = await call(server, 'GET', `/api/v1/me/notifications?${q}`, { token });
    assert.equal(r.status, 200, `GET /me/notifications: ${r.status} ${r.text}`);
    items.push(...r.body.notifications);
    cursor = r.body.next_cursor;
    if (cursor === null) return items;
  }
  throw new Error('inbox: too many pages');
}

/** Polls `fn` (async, returns a truthy value when done) every `every` ms until `ms`. */
export async function until(fn, { ms = 5000, every = 25, what = 'a condition' } = {}) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** A user token signed with the server's secret (1 h unless `ttl` seconds are given). */
export function userToken(server, user, { depts = [], roles, ttl = 3600, ...claims } = {}) {
  const c = { sub: String(user), departments: depts, exp: nowSeconds() + ttl, ...claims };
  if (roles) c.roles = roles;
  return server.sign(c);
}

/**
 * A connected socket of `user` on /notifications. Returns {socket, rec, token}; rec
 * records every event. With `ack: true` every notification:new is acknowledged through
 * its Socket.IO ack callback. The socket is connected and `authenticated` arrived.
 */
export async function connectUser(server, user, { depts = [], transport = 'websocket', ack = false, token, opts = {} } = {}) {
  token ??= userToken(server, user, { depts });
  const socket = server.socket(NSP, { auth: { token }, ...TRANSPORTS[transport], ...opts });
  const rec = new Recorder(socket);
  const acked = [];
  socket.on('notification:new', (payload, cb) => {
    if (ack && typeof cb === 'function') {
      acked.push(payload.recipient_id);
      cb();
    }
  });
  await connected(socket);
  await rec.wait('authenticated');
  return { socket, rec, token, user: String(user), acked };
}

/** The notification:new payloads a recorder holds. */
export const received = (rec) => rec.of('notification:new').map((args) => args[0]);

/** Waits for the notification:new of notification `id` on a recorder. */
export const waitNew = (rec, id, ms = 5000) =>
  rec.wait('notification:new', ms, (p) => p && p.id === id).then((args) => args[0]);

/** Emits with an ack callback; resolves with the ack's first argument. */
export function emitWithAck(socket, event, payload, ms = 5000) {
  return withTimeout(new Promise((resolve) => socket.emit(event, payload, (res) => resolve(res))), ms, `ack of ${event}`);
}

/** Asserts the SPEC section 3 shape of a notification:new payload. */
export function assertNewPayload(p, expected = {}) {
  assert.equal(typeof p, 'object');
  assert.deepEqual(
    Object.keys(p).sort(),
    ['content', 'content_html', 'created_at', 'id', 'recipient_id', 'sender', 'title', 'type'],
    `keys of ${JSON.stringify(p)}`,
  );
  for (const k of ['id', 'title', 'content', 'content_html', 'recipient_id', 'created_at'])
    assert.equal(typeof p[k], 'string', `${k} is a string in ${JSON.stringify(p)}`);
  assert.ok(p.id.length > 0 && p.recipient_id.length > 0);
  assert.ok(isIsoUtc(p.created_at), `created_at ${p.created_at} is ISO 8601 UTC`);
  assert.deepEqual(Object.keys(p.type).sort(), ['color', 'icon', 'id', 'name']);
  for (const k of ['id', 'name', 'icon', 'color']) assert.equal(typeof p.type[k], 'string', `type.${k}`);
  assert.deepEqual(Object.keys(p.sender).sort(), ['display_name', 'id', 'username']);
  for (const k of ['id', 'username', 'display_name']) assert.equal(typeof p.sender[k], 'string', `sender.${k}`);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(p[k], v, `${k} of ${JSON.stringify(p)}`);
}

/** Asserts the shape of an inbox item: a notification:new payload plus read_at, delivery_status. */
export function assertInboxItem(item, expected = {}) {
  const { read_at: readAt, delivery_status: status, ...rest } = item;
  assertNewPayload(rest);
  assert.ok(readAt === null || isIsoUtc(readAt), `read_at ${readAt}`);
  assert.ok(['pending', 'delivered', 'failed', 'permanent_failure'].includes(status), `delivery_status ${status}`);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(item[k], v, `${k} of ${JSON.stringify(item)}`);
}

/** Asserts an error answer: status and {error: {code, message}} with the given code. */
export function assertError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text}`);
  assert.ok(r.body && typeof r.body === 'object', `a JSON body: ${r.text}`);
  assert.deepEqual(Object.keys(r.body), ['error'], r.text);
  assert.equal(typeof r.body.error.message, 'string', r.text);
  if (Array.isArray(code)) assert.ok(code.includes(r.body.error.code), `code ${r.body.error.code} in ${code}`);
  else assert.equal(r.body.error.code, code, r.text);
}

export const closeAll = (...sockets) => {
  for (const s of sockets) (s?.socket ?? s)?.disconnect();
};
