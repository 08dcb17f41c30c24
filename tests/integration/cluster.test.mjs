// Cluster fan-out through Redis (SPEC section 7): a real redis-server, Herald nodes with
// cluster.redis_url, and a Node.js socket.io 4.8 server with the official
// @socket.io/redis-adapter, plus @socket.io/redis-emitter, all on one Redis.
//
//   node --test tests/integration/cluster.test.mjs   (HERALD_BUILD_DIR=<build dir>)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

import { Recorder, connected, repoRoot, startHerald, io as clientIo, randomSecret } from './support/server.mjs';
import { startPostgres } from './support/postgres.mjs';
import { startRedis } from './support/redis.mjs';
import { API_KEY_FLAG, NSP, assertNewPayload, call, connectUser, create, inbox, until, waitNew } from './support/herald_api.mjs';

const require = createRequire(path.join(repoRoot, 'tests/js/package.json'));
const { Server: SocketIoServer } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const { Emitter } = require('@socket.io/redis-emitter');
const { createClient } = require('redis');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** herald_cluster_connected from /metrics: 1 once the node is subscribed. */
async function clusterConnected(server) {
  const r = await call(server, 'GET', '/metrics');
  return /^herald_cluster_connected 1$/m.test(r.text);
}

async function startClusterNode(redis, secret, args = []) {
  const server = await startHerald({
    args: [API_KEY_FLAG, `--cluster.redis_url=${redis.url}`, `--auth.jwt_secret=${secret}`, ...args],
  });
  await until(() => clusterConnected(server), { ms: 10000, what: 'the node to subscribe to Redis' });
  return server;
}

/**
 * A Node.js socket.io server on /notifications with the Redis adapter: a socket joins
 * user:{auth.user}, as Herald's sockets join their user room.
 */
async function startNodePeer(redis) {
  const pub = createClient({ url: redis.url });
  const sub = pub.duplicate();
  pub.on('error', () => {});
  sub.on('error', () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new SocketIoServer(http, { adapter: createAdapter(pub, sub) });
  const nsp = io.of(NSP);
  nsp.use((socket, next) => {
    socket.join(`user:${socket.handshake.auth.user}`);
    next();
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  // The adapter subscribes without telling when it is done: wait until Redis counts it
  // beside the Herald node on the request channel.
  await until(async () => Number((await pub.sendCommand(['PUBSUB', 'NUMSUB', `socket.io-request#${NSP}#`]))[1]) >= 2, {
    what: 'the Node.js adapter to subscribe',
  });
  return {
    nsp,
    url: `http://127.0.0.1:${http.address().port}`,
    async close() {
      io.close();
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

async function connectToPeer(peer, user) {
  const socket = clientIo(peer.url + NSP, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { user } });
  const rec = new Recorder(socket);
  await connected(socket);
  return { socket, rec };
}

describe('cluster fan-out through Redis', () => {
  let redis;
  let herald;
  let peer;
  let emitterClient;
  let emitter;
  const secret = randomSecret();

  before(async () => {
    redis = await startRedis();
    herald = await startClusterNode(redis, secret);
    peer = await startNodePeer(redis);
    emitterClient = createClient({ url: redis.url });
    emitterClient.on('error', () => {});
    await emitterClient.connect();
    emitter = new Emitter(emitterClient);
  });

  after(async () => {
    await peer?.close();
    await emitterClient?.quit().catch(() => {});
    await herald?.close();
    await redis?.stop();
  });

  it('a notification posted to Herald reaches a socket on a Node.js server with the Redis adapter', async () => {
    const alice = await connectToPeer(peer, 'alice');
    try {
      const created = await create(herald, { title: 'Across nodes', content: 'hi', targets: { users: ['alice'] } });
      const [payload] = await alice.rec.wait('notification:new', 5000, (p) => p.id === created.id);
      assertNewPayload(payload, { id: created.id, title: 'Across nodes' });
    } finally {
      alice.socket.disconnect();
    }
  });

  it('a Node.js server reaches Herald sockets by room and by broadcast, binary attachments included', async () => {
    const bob = await connectUser(herald, 'bob');
    try {
      peer.nsp.to('user:bob').emit('custom', { a: 1 }, Buffer.from([1, 2, 3]));
      const [obj, bin] = await bob.rec.wait('custom');
      assert.deepEqual(obj, { a: 1 });
      assert.deepEqual([...new Uint8Array(bin)], [1, 2, 3]);
      peer.nsp.emit('to-everyone', 'all');
      assert.deepEqual(await bob.rec.wait('to-everyone'), ['all']);
      // Excluded by room: never delivered; the next emit proves the order.
      peer.nsp.to('user:bob').except('user:bob').emit('excluded', 1);
      peer.nsp.to('user:bob').except(bob.socket.id).emit('excluded', 2);
      peer.nsp.to('user:bob').emit('after', 3);
      await bob.rec.wait('after');
      assert.equal(bob.rec.of('excluded').length, 0);
    } finally {
      bob.socket.disconnect();
    }
  });

  it('the Redis emitter reaches Herald sockets, makes them join rooms and disconnects them', async () => {
    const carol = await connectUser(herald, 'carol');
    try {
      emitter.of(NSP).to('user:carol').emit('from-emitter', 42);
      assert.deepEqual(await carol.rec.wait('from-emitter'), [42]);
      emitter.of(NSP).in('user:carol').socketsJoin('team:x');
      await until(async () => {
        emitter.of(NSP).to('team:x').emit('team', 'x');
        await sleep(50);
        return carol.rec.of('team').length > 0;
      }, { what: 'the socket to join team:x' });
      emitter.of(NSP).in('user:carol').socketsLeave('team:x');
      await sleep(200);
      const before = carol.rec.of('team').length;
      emitter.of(NSP).to('team:x').emit('team', 'y');
      emitter.of(NSP).to('user:carol').emit('marker', 1);
      await carol.rec.wait('marker');
      assert.equal(carol.rec.of('team').length, before, 'left team:x');
      emitter.of(NSP).in('user:carol').disconnectSockets(true);
      await carol.rec.wait('disconnect');
    } finally {
      carol.socket.disconnect();
    }
  });

  it('the Node.js server finds Herald sockets with fetchSockets and allRooms', async () => {
    const dave = await connectUser(herald, 'dave');
    try {
      const sockets = await peer.nsp.in('user:dave').fetchSockets();
      assert.equal(sockets.length, 1);
      assert.equal(sockets[0].id, dave.socket.id);
      assert.ok(sockets[0].rooms.has('user:dave'), [...sockets[0].rooms].join());
      const rooms = await peer.nsp.adapter.allRooms();
      assert.ok(rooms.has('user:dave'));
      // As in Socket.IO, a socket's id is a room of its own, from any node.
      peer.nsp.to(dave.socket.id).emit('by-id', true);
      assert.deepEqual(await dave.rec.wait('by-id'), [true]);
      // A fetched remote socket is driven from the Node.js side: join, emit to the room.
      sockets[0].join('joined-remotely');
      await until(async () => {
        peer.nsp.to('joined-remotely').emit('joined', true);
        await sleep(50);
        return dave.rec.of('joined').length > 0;
      }, { what: 'the socket to join joined-remotely' });
    } finally {
      dave.socket.disconnect();
    }
  });

  it('two Herald nodes: a notification posted to one reaches the sockets of the other, once', async () => {
    const second = await startClusterNode(redis, secret);
    try {
      const here = await connectUser(herald, 'erin');
      const there = await connectUser(second, 'erin');
      const created = await create(herald, { title: 'Two nodes', content: '.', targets: { users: ['erin'] } });
      const onSecond = await waitNew(there.rec, created.id);
      assertNewPayload(onSecond, { id: created.id });
      await waitNew(here.rec, created.id);
      // A later event on the same path proves nothing else of the first is in flight.
      const marker = await create(herald, { title: 'marker', content: '.', targets: { users: ['erin'] } });
      await waitNew(here.rec, marker.id);
      await waitNew(there.rec, marker.id);
      const count = (rec) => rec.of('notification:new').filter(([p]) => p.id === created.id).length;
      assert.equal(count(here.rec), 1, 'the posting node delivers once, its own broadcast not echoed back');
      assert.equal(count(there.rec), 1);
      here.socket.disconnect();
      there.socket.disconnect();
    } finally {
      await second.close();
    }
  });

  it('a node comes back after Redis restarts, and counts what it could not send', async () => {
    const frank = await connectUser(herald, 'frank');
    try {
      await redis.restart();
      await until(() => clusterConnected(herald), { ms: 15000, what: 'the node to resubscribe' });
      const client = createClient({ url: redis.url });
      client.on('error', () => {});
      await client.connect();
      try {
        new Emitter(client).of(NSP).to('user:frank').emit('after-restart', 1);
        assert.deepEqual(await frank.rec.wait('after-restart'), [1]);
      } finally {
        await client.quit();
      }
      const metrics = (await call(herald, 'GET', '/metrics')).text;
      assert.match(metrics, /^herald_cluster_published_total \d+$/m);
      assert.match(metrics, /^herald_cluster_received_total [1-9]\d*$/m);
    } finally {
      frank.socket.disconnect();
    }
  });
});

describe('two nodes sharing Redis and a PostgreSQL store act as one service', () => {
  let redis;
  let pg;
  let a;
  let b;
  const secret = randomSecret();

  before(async () => {
    redis = await startRedis();
    pg = await startPostgres();
    const url = pg.createDatabase('cluster');
    // Short timers: a missed ack is retried within the test.
    const timers = ['--delivery.ack_timeout=1s', '--delivery.retry_backoff=1s'];
    a = await startClusterNode(redis, secret, [`--store.url=${url}`, ...timers]);
    b = await startClusterNode(redis, secret, [`--store.url=${url}`, ...timers]);
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await pg?.stop();
    await redis?.stop();
  });

  it('posted to one node, delivered and acknowledged on the other, read as delivered on both', async () => {
    const gina = await connectUser(b, 'gina', { ack: true });
    try {
      const created = await create(a, { title: 'One service', content: '.', targets: { users: ['gina'] } });
      const payload = await waitNew(gina.rec, created.id);
      assertNewPayload(payload, { id: created.id });
      const status = async (server) =>
        (await inbox(server, gina.token)).find((item) => item.id === created.id)?.delivery_status;
      await until(async () => (await status(a)) === 'delivered', { what: 'the receipt taken on b to reach the record' });
      assert.equal(await status(b), 'delivered');
      // Delivered: nothing is retried, on either node, after the ack timeout has passed.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(gina.rec.of('notification:new').filter(([p]) => p.id === created.id).length, 1);
    } finally {
      gina.socket.disconnect();
    }
  });

  it('an unacknowledged notification is retried once per backoff step to the socket on the other node', async () => {
    const hank = await connectUser(b, 'hank'); // never acks
    try {
      const created = await create(a, { title: 'Retried', content: '.', targets: { users: ['hank'] } });
      await waitNew(hank.rec, created.id);
      const copies = () => hank.rec.of('notification:new').filter(([p]) => p.id === created.id).length;
      // Sent, missed (1 s), retried after 1 s: the one retry arrives, whichever node took it.
      await until(() => copies() >= 2, { ms: 10000, what: 'the retry' });
      const status = async () => (await inbox(a, hank.token)).find((item) => item.id === created.id)?.delivery_status;
      await until(async () => (await status()) === 'permanent_failure', { ms: 10000, what: 'permanent_failure' });
      assert.equal(copies(), 2, 'one send and one retry, never one per node');
    } finally {
      hank.socket.disconnect();
    }
  });
});

describe('cluster configuration', () => {
  it('a malformed redis URL stops the start with a message naming the key', async () => {
    await assert.rejects(
      startHerald({ args: ['--cluster.redis_url=redis://host:notaport'] }),
      /cluster\.redis_url/,
    );
  });
});
