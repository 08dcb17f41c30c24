// SPEC section 6 (connections per user, event budget, bans) and the opt-in
// notification:batch of section 3, against the real binary.
//
//   node --test tests/integration/limits_batch.test.mjs

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startHerald, refused, connected, Recorder } from './support/server.mjs';
import { API_KEY_FLAG, NSP, THREADS, closeAll, connectUser, create, inbox, userToken, until } from './support/herald_api.mjs';

describe('limits', () => {
  let server;
  before(async () => {
    server = await startHerald({
      threads: THREADS,
      args: [
        API_KEY_FLAG,
        '--limits.max_connections_per_user=2',
        '--limits.max_events_per_minute=5',
        '--limits.ban_duration=3s',
      ],
    });
  });
  after(() => server?.close());

  it('refuses the connection past the per-user limit with TOO_MANY_CONNECTIONS, and admits again after one leaves', async () => {
    const a = await connectUser(server, 'many');
    const b = await connectUser(server, 'many', { transport: 'polling' });
    const third = server.socket(NSP, { auth: { token: userToken(server, 'many') }, transports: ['websocket'] });
    const err = await refused(third);
    assert.equal(err.message, 'Too many connections');
    assert.deepEqual(err.data, { code: 'TOO_MANY_CONNECTIONS' });
    third.close();
    // Another user is not affected.
    const other = await connectUser(server, 'someone-else');
    a.socket.close();
    await until(async () => {
      const s = server.socket(NSP, { auth: { token: userToken(server, 'many') }, transports: ['websocket'], reconnection: false });
      try {
        await connected(s, 2000);
        s.close();
        return true;
      } catch {
        s.close();
        return false;
      }
    }, { what: 'a connection slot after one socket left' });
    closeAll(b.socket, other.socket);
  });

  it('ten refusals within a minute ban the user: BANNED with retry_after, then admitted after the ban', async () => {
    const holders = [await connectUser(server, 'flood'), await connectUser(server, 'flood')];
    for (let i = 0; i < 10; i++) {
      const s = server.socket(NSP, { auth: { token: userToken(server, 'flood') }, transports: ['websocket'], reconnection: false });
      const err = await refused(s);
      assert.equal(err.data.code, 'TOO_MANY_CONNECTIONS');
      s.close();
    }
    closeAll(...holders.map((h) => h.socket));
    const s = server.socket(NSP, { auth: { token: userToken(server, 'flood') }, transports: ['websocket'], reconnection: false });
    const err = await refused(s);
    s.close();
    assert.equal(err.message, 'Temporarily banned');
    assert.equal(err.data.code, 'BANNED');
    assert.ok(Number.isInteger(err.data.retry_after) && err.data.retry_after >= 1 && err.data.retry_after <= 3, JSON.stringify(err.data));
    await new Promise((r) => setTimeout(r, err.data.retry_after * 1000 + 200));
    const again = await connectUser(server, 'flood');
    again.socket.close();
  });

  it('drops events past the budget with RATE_LIMITED, then bans the flooding user', async () => {
    const { socket, rec } = await connectUser(server, 'chatty');
    for (let i = 0; i < 5; i++) socket.emit('ping', i);
    await until(() => rec.of('pong').length === 5, { what: 'five pongs' });
    socket.emit('ping', 'over');
    const [err] = await rec.wait('error', 3000, (e) => e.code === 'RATE_LIMITED');
    assert.equal(err.details.limit, 5);
    assert.ok(Number.isInteger(err.details.retry_after) && err.details.retry_after >= 1 && err.details.retry_after <= 60);
    assert.equal(rec.of('pong').length, 5, 'the dropped ping got no pong');
    assert.ok(socket.connected, 'rate limiting alone does not disconnect');
    // As many again dropped within the minute: BANNED and disconnected.
    for (let i = 0; i < 4; i++) socket.emit('ping', i);
    const [banned] = await rec.wait('error', 3000, (e) => e.code === 'BANNED');
    assert.ok(banned.message);
    // Every dropped event was answered RATE_LIMITED, the fifth too, and the ban came after it.
    const codes = rec.of('error').map(([e]) => e.code);
    assert.deepEqual(codes, ['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'BANNED']);
    await rec.wait('disconnect', 3000);
    const s = server.socket(NSP, { auth: { token: userToken(server, 'chatty') }, transports: ['websocket'], reconnection: false });
    const refusal = await refused(s);
    s.close();
    assert.equal(refusal.data.code, 'BANNED');
  });
});

describe('notification:batch', () => {
  let server;
  before(async () => {
    server = await startHerald({ threads: THREADS, args: [API_KEY_FLAG, '--delivery.batch_window=300ms'] });
  });
  after(() => server?.close());

  it('a client that opts in gets a burst as one notification:batch with the unread count; others get each one', async () => {
    const batched = await connectUser(server, 'bat', { opts: { auth: { token: userToken(server, 'bat'), batch: true } } });
    const plain = await connectUser(server, 'bat', { transport: 'polling' });
    const byQuery = await connectUser(server, 'bat', { opts: { query: { batch: '1' } } });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await create(server, { title: `b${i}`, content: 'x', targets: { users: ['bat'] } })).id);
    for (const r of [batched.rec, byQuery.rec]) {
      const [batch] = await r.wait('notification:batch', 3000);
      assert.deepEqual(batch.notifications.map((n) => n.id), ids, 'in order, all three');
      assert.equal(batch.unread_count, 3);
      for (const n of batch.notifications) assert.equal(typeof n.recipient_id, 'string');
      assert.equal(r.of('notification:new').length, 0, 'no notification:new for a batching socket');
    }
    await until(() => plain.rec.of('notification:new').length === 3, { what: 'three notification:new on the plain socket' });
    assert.equal(plain.rec.of('notification:batch').length, 0);
    closeAll(batched.socket, plain.socket, byQuery.socket);
  });

  it('a single notification within the window arrives as notification:new, and the batch ack delivers every record', async () => {
    const s = server.socket(NSP, { auth: { token: userToken(server, 'solo'), batch: true }, transports: ['websocket'] });
    const rec = new Recorder(s);
    s.on('notification:batch', (_batch, cb) => typeof cb === 'function' && cb({ ok: true }));
    await connected(s);
    await rec.wait('authenticated');
    const one = await create(server, { title: 'alone', content: 'x', targets: { users: ['solo'] } });
    const [n] = await rec.wait('notification:new', 3000);
    assert.equal(n.id, one.id);
    await new Promise((r) => setTimeout(r, 400));
    await create(server, { title: 'two', content: 'x', targets: { users: ['solo'] } });
    await create(server, { title: 'three', content: 'x', targets: { users: ['solo'] } });
    await rec.wait('notification:batch', 3000);
    const token = userToken(server, 'solo');
    await until(async () => (await inbox(server, token)).filter((i) => i.title !== 'alone').every((i) => i.delivery_status === 'delivered'), {
      what: 'the batch ack to mark both records delivered',
    });
    s.close();
  });
  it('notifications waiting for a user arrive on a batching connection as one notification:batch, oldest first; its ack delivers them', async () => {
    const ids = [];
    for (const t of ['w1', 'w2', 'w3']) ids.push((await create(server, { title: t, content: 'x', targets: { users: ['waiting'] } })).id);
    const s = server.socket(NSP, { auth: { token: userToken(server, 'waiting'), batch: true }, transports: ['websocket'] });
    const rec = new Recorder(s);
    s.on('notification:batch', (_batch, cb) => typeof cb === 'function' && cb({ ok: true }));
    await connected(s);
    const [batch] = await rec.wait('notification:batch', 3000);
    assert.deepEqual(batch.notifications.map((n) => n.id), ids, 'in order, all three');
    assert.equal(batch.unread_count, 3);
    assert.equal(rec.of('notification:new').length, 0, 'none of them one by one');
    const token = userToken(server, 'waiting');
    await until(async () => (await inbox(server, token)).every((i) => i.delivery_status === 'delivered'), {
      what: 'the batch ack to mark the three delivered',
    });
    s.close();
  });
});
