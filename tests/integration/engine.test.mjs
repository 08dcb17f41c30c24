// Engine.IO / Socket.IO behaviour seen by the official socket.io-client (issue 2):
// transports, events and acks both ways, binary, namespaces on one connection,
// server-side disconnect, reconnection after a restart, room broadcast over many loops.
//
//   node --test tests/integration/engine.test.mjs
//   (HERALD_BUILD_DIR=<build dir>, HERALD_IT_THREADS=<event loops>, default 2)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';

import {
  Manager,
  Recorder,
  API_MISSING,
  connected,
  isIsoUtc,
  next,
  nextArg,
  nowSeconds,
  postNotification,
  startConformance,
  startHerald,
} from './support/server.mjs';

const TRANSPORTS = {
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'] },
  'polling then upgrade': {},
};

// Buffers, ArrayBuffers and typed arrays all compare as Buffers.
function normalize(value) {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  return value;
}

describe('sio-conformance-server with socket.io-client', () => {
  let server;
  const sockets = [];
  const track = (s) => (sockets.push(s), s);

  before(async () => {
    server = await startConformance();
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await server?.close();
  });

  for (const [name, opts] of Object.entries(TRANSPORTS)) {
    describe(`over ${name}`, () => {
      it('connects, receives the server event with the handshake auth, and ends on the expected transport', async () => {
        const manager = new Manager(server.url, { reconnection: false, ...opts });
        let firstTransport;
        manager.once('open', () => (firstTransport = manager.engine.transport.name));
        const socket = track(manager.socket('/', { auth: { hello: 'world', n: 1 } }));
        const auth = nextArg(socket, 'auth');
        await connected(socket);
        assert.deepEqual(await auth, { hello: 'world', n: 1 });
        const engine = socket.io.engine;
        assert.ok(engine.id, 'engine session id');
        if (name === 'websocket') {
          assert.equal(firstTransport, 'websocket');
          assert.equal(engine.transport.name, 'websocket');
        } else if (name === 'polling') {
          assert.equal(firstTransport, 'polling');
          // Stay on polling: several round trips and still no upgrade.
          for (let i = 0; i < 3; ++i) assert.deepEqual(await socket.timeout(3000).emitWithAck('message-with-ack', i), i);
          assert.equal(engine.transport.name, 'polling');
        } else {
          assert.equal(firstTransport, 'polling', 'the default path opens with polling');
          if (engine.transport.name !== 'websocket') await next(engine, 'upgrade');
          assert.equal(engine.transport.name, 'websocket');
          assert.equal(socket.io.engine.id, engine.id, 'the upgrade keeps the session');
          // Traffic still flows after the upgrade.
          assert.deepEqual(await socket.timeout(3000).emitWithAck('message-with-ack', 'after upgrade'), 'after upgrade');
        }
        socket.disconnect();
      });

      it('echoes events both ways, in order, with every JSON type', async () => {
        const socket = track(server.socket('/', opts));
        await connected(socket);
        const rec = new Recorder(socket);
        const payloads = [
          [1, '2', { 3: [4] }],
          ['unicode ✓ é 漢字 🎉', null, true, false, 0, -1.5],
          [{ deep: { nested: { array: [[], {}, [1, [2, [3]]]] } } }],
          [],
          ['x'.repeat(100_000)],
        ];
        for (const args of payloads) socket.emit('message', ...args);
        await rec.wait('message-back', 5000, () => rec.of('message-back').length === payloads.length);
        assert.deepEqual(rec.of('message-back'), payloads);
        socket.disconnect();
      });

      it('acks a client emit with the same arguments (server acks)', async () => {
        const socket = track(server.socket('/', opts));
        await connected(socket);
        const got = await new Promise((resolve) => socket.emit('message-with-ack', 1, '2', { three: [3] }, (...a) => resolve(a)));
        assert.deepEqual(got, [1, '2', { three: [3] }]);
        // Many acks in flight, answered to the right callbacks.
        const many = await Promise.all(
          Array.from({ length: 50 }, (_, i) => socket.timeout(5000).emitWithAck('message-with-ack', { i })),
        );
        assert.deepEqual(many, Array.from({ length: 50 }, (_, i) => ({ i })));
        socket.disconnect();
      });

      it('carries binary payloads (Buffers in args, nested) both ways and in acks', async () => {
        const socket = track(server.socket('/', opts));
        await connected(socket);
        const big = Buffer.alloc(200_000, 7);
        const args = [
          Buffer.from([0, 1, 2, 255]),
          { nested: { buf: Buffer.from('xyz'), list: [1, Buffer.alloc(0), { deeper: Buffer.from([9]) }] } },
          'text between',
          big,
        ];
        const back = next(socket, 'message-back');
        socket.emit('message', ...args);
        assert.deepEqual(normalize(await back), normalize(args));
        const acked = await new Promise((resolve) => socket.emit('message-with-ack', ...args, (...a) => resolve(a)));
        assert.deepEqual(normalize(acked), normalize(args));
        socket.disconnect();
      });
    });
  }

  it('multiplexes two namespaces on one engine session', async () => {
    const manager = new Manager(server.url, { reconnection: false });
    const root = track(manager.socket('/', { auth: { ns: 'root' } }));
    const custom = track(manager.socket('/custom', { auth: { ns: 'custom' } }));
    const rootAuth = nextArg(root, 'auth');
    const customAuth = nextArg(custom, 'auth');
    await Promise.all([connected(root), connected(custom)]);
    assert.deepEqual(await rootAuth, { ns: 'root' });
    assert.deepEqual(await customAuth, { ns: 'custom' });
    assert.equal(root.io, custom.io, 'one Manager');
    assert.ok(root.io.engine.id);
    assert.notEqual(root.id, custom.id, 'one Socket.IO id per namespace');
    const engineId = root.io.engine.id;
    // Each namespace answers on its own socket.
    const [a, b] = await Promise.all([
      root.timeout(3000).emitWithAck('message-with-ack', 'to root'),
      custom.timeout(3000).emitWithAck('message-with-ack', 'to custom'),
    ]);
    assert.deepEqual([a, b], ['to root', 'to custom']);
    const rootBack = nextArg(root, 'message-back');
    const customBack = nextArg(custom, 'message-back');
    custom.emit('message', 'c');
    root.emit('message', 'r');
    assert.deepEqual([await rootBack, await customBack], ['r', 'c']);
    assert.equal(custom.io.engine.id, engineId, 'still the same engine session');
    // Leaving one namespace keeps the other (and the engine session).
    root.disconnect();
    assert.equal(await custom.timeout(3000).emitWithAck('message-with-ack', 'still here'), 'still here');
    assert.equal(custom.io.engine.id, engineId);
    custom.disconnect();
  });

  it('refuses an unknown namespace with CONNECT_ERROR', async () => {
    const socket = track(server.socket('/nope'));
    const err = await nextArg(socket, 'connect_error');
    assert.equal(err.message, 'Invalid namespace');
    socket.disconnect();
  });

  it('has no server→client ack to answer (nothing in the echo server emits with an ack)', async () => {
    // The echo server only acks (message-with-ack) and emits without callbacks: "auth" on
    // connect, "message-back". Check that neither carries a callback, so a client-side ack
    // test has nothing to answer here (see the herald test below for the real one).
    const socket = track(server.socket('/'));
    const auth = next(socket, 'auth');
    await connected(socket);
    const authArgs = await auth;
    assert.ok(authArgs.every((a) => typeof a !== 'function'));
    const back = next(socket, 'message-back');
    socket.emit('message', 1);
    assert.ok((await back).every((a) => typeof a !== 'function'));
    socket.disconnect();
  });
});

describe('herald: server-side disconnect, reconnection, broadcast', () => {
  it('disconnects a client whose token expires: auth_error, then "io server disconnect"', async () => {
    const server = await startHerald({ args: ['--auth.leeway=0s'] });
    try {
      const token = server.sign({ sub: 'expiring', departments: [], exp: nowSeconds() + 2 });
      const socket = server.socket('/notifications', { auth: { token }, transports: ['websocket'] });
      const rec = new Recorder(socket);
      await connected(socket);
      await rec.wait('authenticated');
      const [reason] = await rec.wait('disconnect', 6000);
      assert.equal(reason, 'io server disconnect');
      const [err] = await rec.wait('auth_error', 0);
      assert.deepEqual(err, { message: err.message, code: 'EXPIRED_TOKEN' });
      assert.equal(typeof err.message, 'string');
      assert.ok(rec.names().indexOf('auth_error') < rec.names().indexOf('disconnect'), 'auth_error comes first');
      assert.equal(socket.connected, false);
      socket.disconnect();
    } finally {
      await server.close();
    }
  });

  it('a client reconnects by itself after the server restarts on the same port', async () => {
    const server = await startHerald();
    const token = await server.mintToken({ user: 'phoenix', depts: ['ops'] });
    const socket = server.socket('/notifications', {
      auth: { token },
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
    });
    try {
      const first = nextArg(socket, 'authenticated');
      await connected(socket);
      assert.equal((await first).user_id, 'phoenix');
      const oldEngine = socket.io.engine.id;
      const port = server.port;

      const dropped = next(socket, 'disconnect', 8000);
      const status = await server.stop();
      assert.equal(status.code, 0, `herald exits cleanly on SIGTERM: ${JSON.stringify(status)}`);
      const [reason] = await dropped;
      assert.match(reason, /transport (close|error)|ping timeout/);

      // herald.secret is kept in the directory: the old token is still good after the restart.
      const again = nextArg(socket, 'authenticated', 15000);
      await server.restart();
      assert.equal(server.port, port);
      const auth = await again;
      assert.equal(auth.user_id, 'phoenix');
      assert.ok(isIsoUtc(auth.connected_at));
      assert.ok(socket.connected);
      assert.notEqual(socket.io.engine.id, oldEngine, 'a new engine session');
      const pong = await socket.timeout(3000).emitWithAck('ping', {});
      assert.ok(isIsoUtc(pong.ts));
    } finally {
      socket.disconnect();
      await server.close();
    }
  });

  it('keeps sessions alive on the configured heartbeat (--server.ping_interval=200ms) on every transport', async () => {
    const server = await startHerald({ args: ['--server.ping_interval=200ms', '--server.ping_timeout=400ms'] });
    const clients = [];
    try {
      const token = await server.mintToken({ user: 'heart' });
      for (const opts of Object.values(TRANSPORTS)) {
        const socket = server.socket('/notifications', { auth: { token }, ...opts });
        clients.push(socket);
      }
      await Promise.all(clients.map((s) => connected(s)));
      await Promise.all(
        clients.map(async (socket) => {
          const engine = socket.io.engine;
          const id = engine.id;
          for (let i = 0; i < 5; ++i) await next(engine, 'ping', 2000);
          assert.equal(engine.id, id);
          assert.ok(socket.connected);
          assert.ok(isIsoUtc((await socket.timeout(2000).emitWithAck('ping')).ts));
        }),
      );
    } finally {
      for (const s of clients) s.disconnect();
      await server.close();
    }
  });

  describe('over --server.threads=4', () => {
    let server;
    const sockets = [];
    before(async () => {
      server = await startHerald({ args: ['--server.threads=4'] });
    });
    after(async () => {
      for (const s of sockets) s.disconnect();
      await server?.close();
    });

    async function connectUsers(prefix, n, deptOf, transports) {
      const users = [];
      for (let i = 0; i < n; ++i) {
        const user = `${prefix}${i}`;
        const depts = deptOf(i);
        const token = server.sign({ sub: user, departments: depts, exp: nowSeconds() + 3600 });
        const socket = server.socket('/notifications', { auth: { token }, transports: transports(i) });
        sockets.push(socket);
        const rec = new Recorder(socket);
        users.push({ user, depts, socket, rec });
      }
      await Promise.all(users.map((u) => connected(u.socket, 10000)));
      await Promise.all(users.map((u) => u.rec.wait('authenticated', 10000)));
      return users;
    }

    it('broadcast to a department reaches exactly its members, over every event loop', async (t) => {
      const producer = await server.mintToken({ user: 'svc', role: 'service' });
      const DEPTS = ['red', 'green', 'blue', 'none'];
      const users = await connectUsers(
        'member',
        40,
        (i) => (DEPTS[i % 4] === 'none' ? [] : i % 8 === 1 ? [DEPTS[i % 4], 'extra'] : [DEPTS[i % 4]]),
        (i) => (i % 2 ? ['websocket'] : ['polling']),
      );
      // 40 sessions over 4 loops: distinct engine ids, all alive.
      assert.equal(new Set(users.map((u) => u.socket.io.engine.id)).size, 40);
      const metrics = await (await server.fetch('/metrics')).text();
      assert.match(metrics, new RegExp(`^herald_connections ${sockets.length}$`, 'm'), 'every socket of this server is open');

      const first = await postNotification(server, producer, {
        title: 'green only',
        content: 'for *green*',
        targets: { departments: ['green'] },
      });
      if (first.status === 404) return t.skip(API_MISSING);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const members = users.filter((u) => u.depts.includes('green'));
      assert.equal(first.body.recipient_count, members.length);
      // A broadcast afterwards is the barrier: whoever was going to get the first one has
      // it before the second.
      const barrier = await postNotification(server, producer, {
        title: 'everyone',
        content: 'barrier',
        targets: { broadcast: true },
      });
      assert.equal(barrier.status, 201, JSON.stringify(barrier.body));
      await Promise.all(
        users.map((u) => u.rec.wait('notification:new', 10000, (n) => n.id === barrier.body.id)),
      );
      for (const u of users) {
        const got = u.rec.of('notification:new').map(([n]) => n.id);
        if (u.depts.includes('green')) assert.deepEqual(got, [first.body.id, barrier.body.id], u.user);
        else assert.deepEqual(got, [barrier.body.id], u.user);
      }
      const [n] = members[0].rec.of('notification:new')[0];
      assert.equal(n.title, 'green only');
      assert.ok(isIsoUtc(n.created_at));
      assert.equal(typeof n.recipient_id, 'string');
    });

    it('client-side ack: a notification:new callback is answered and marks the delivery', async (t) => {
      const producer = await server.mintToken({ user: 'svc', role: 'service' });
      const [u] = await connectUsers('acker', 1, () => ['acking'], () => ['websocket']);
      // Every notification:new with its ack callback, if any.
      const seen = [];
      const arrived = new EventEmitter();
      u.socket.on('notification:new', (n, ...rest) => {
        seen.push({ n, callback: rest.find((x) => typeof x === 'function') });
        arrived.emit('new');
      });
      const find = async (id) => {
        for (;;) {
          const hit = seen.find(({ n }) => n.id === id);
          if (hit) return hit;
          await next(arrived, 'new', 5000);
        }
      };
      const res = await postNotification(server, producer, {
        title: 'ack me',
        content: 'please',
        targets: { users: [u.user] },
      });
      if (res.status === 404) return t.skip(API_MISSING);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const { n, callback } = await find(res.body.id);
      assert.equal(n.title, 'ack me');
      if (!callback) return t.skip('herald emits notification:new without a Socket.IO ack (receipts use notification:acknowledge)');
      // The receipt shows through the HTTP API: pending until the callback is answered.
      const token = server.sign({ sub: u.user, departments: ['acking'], exp: nowSeconds() + 600 });
      const status = async () => {
        const r = await server.fetch('/api/v1/me/notifications', { headers: { authorization: `Bearer ${token}` } });
        assert.equal(r.status, 200);
        return (await r.json()).notifications.find((x) => x.recipient_id === n.recipient_id)?.delivery_status;
      };
      assert.equal(await status(), 'pending');
      callback({ ok: true });
      const deadline = Date.now() + 5000;
      for (;;) {
        const now = await status();
        if (now === 'delivered') break;
        assert.ok(Date.now() < deadline, `delivery_status stays ${now}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
  });
});
