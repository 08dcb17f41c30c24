// herald serve on a PostgreSQL store (SPEC section 7, store.url): a notification over the
// HTTP API reaches the official socket.io-client, its ack reads delivered in the inbox, and
// everything is still there after a restart; two herald processes on one database see
// each other's notifications. A throwaway PostgreSQL server is started for the file.
//
//   node --test tests/integration/postgres.test.mjs
//   (HERALD_BUILD_DIR=<build dir>, HERALD_PG_BIN=<PostgreSQL bin dir>)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { execFileSync } from 'node:child_process';

import { heraldBinary, randomSecret, startHerald } from './support/server.mjs';
import { startPostgres } from './support/postgres.mjs';
import { API_KEY_FLAG, THREADS, closeAll, connectUser, create, inbox, received, until, userToken, waitNew } from './support/herald_api.mjs';

describe('herald serve with store.url = postgres://', () => {
  let pg;
  const servers = [];
  const open = [];
  // Nodes sharing a database share the JWT secret (README): each node would otherwise
  // generate its own herald.secret.
  const secret = randomSecret();
  const serve = async (url, args = []) => {
    const s = await startHerald({ args: [API_KEY_FLAG, `--store.url=${url}`, `--auth.jwt_secret=${secret}`, ...args], threads: THREADS });
    servers.push(s);
    return s;
  };
  const connect = async (...args) => {
    const c = await connectUser(...args);
    open.push(c);
    return c;
  };

  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    closeAll(...open);
    for (const s of servers) await s.close();
    pg?.stop();
  });

  it('herald migrate creates the schema, and again changes nothing', () => {
    const url = pg.createDatabase('migrated');
    // herald refuses unknown HERALD_* variables, such as the test runner's HERALD_BUILD_DIR.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')));
    for (let i = 0; i < 2; ++i) {
      const out = execFileSync(heraldBinary(), ['migrate', `--store.url=${url}`], { encoding: 'utf8', env });
      assert.match(out, /^schema version 1 \("postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/migrated"\)$/m);
    }
  });

  it('delivers, acknowledges and keeps everything across a restart', async () => {
    const server = await serve(pg.createDatabase('single'));
    const alice = await connect(server, 'pg-alice', { ack: true });
    const { id, recipient_count } = await create(server, { title: 'stored in PostgreSQL', content: '**hi**', targets: { users: ['pg-alice', 'pg-bob'] } });
    assert.equal(recipient_count, 2);
    const payload = await waitNew(alice.rec, id);
    assert.equal(payload.title, 'stored in PostgreSQL');
    assert.deepEqual(alice.acked, [payload.recipient_id]);
    await until(async () => (await inbox(server, alice.token)).find((n) => n.id === id)?.delivery_status === 'delivered', {
      what: 'the ack to read delivered',
    });

    closeAll(alice.socket);
    await server.restart();
    const after = await inbox(server, userToken(server, 'pg-alice'));
    assert.equal(after.length, 1);
    assert.equal(after[0].id, id);
    assert.equal(after[0].delivery_status, 'delivered');
    const bob = await inbox(server, userToken(server, 'pg-bob'));
    assert.equal(bob[0].delivery_status, 'pending');
    // The directory survived too: pg-alice was learnt from her token.
    const user = await fetch(`${server.url}/api/v1/users/pg-alice`, { headers: { 'x-api-key': 'it-producer-key' } });
    assert.equal(user.status, 200);
  });

  it('two nodes on one database: a notification posted to one is read, and redelivered, through the other', async () => {
    const url = pg.createDatabase('shared');
    const [a, b] = [await serve(url), await serve(url)];
    const { id } = await create(a, { title: 'posted to node A', content: 'x', targets: { users: ['pg-carol'] } });
    const viaB = await inbox(b, userToken(b, 'pg-carol'));
    assert.equal(viaB.length, 1);
    assert.equal(viaB[0].id, id);
    assert.equal(viaB[0].title, 'posted to node A');
    // Carol connects to node B: B finds her undelivered record in the shared store.
    const carol = await connect(b, 'pg-carol', { ack: true });
    const payload = await waitNew(carol.rec, id);
    assert.equal(payload.recipient_id, viaB[0].recipient_id);
    await until(async () => (await inbox(a, carol.token)).find((n) => n.id === id)?.delivery_status === 'delivered', {
      what: 'the ack through B to read delivered through A',
    });
    // One idempotency key posted to both nodes at once: one notification.
    const body = { title: 'once', content: 'x', targets: { users: ['pg-dave'] }, idempotency_key: 'pg-once' };
    const [ra, rb] = await Promise.all([create(a, body), create(b, body)]);
    assert.equal(ra.id, rb.id);
    assert.equal((await inbox(a, userToken(a, 'pg-dave'))).length, 1);
  });

  it('two nodes on one database: each retry is sent by exactly one of them', async () => {
    const url = pg.createDatabase('retries');
    const timers = ['--delivery.ack_timeout=300ms', '--delivery.retry_backoff=200ms,200ms'];
    const [a, b] = [await serve(url, timers), await serve(url, timers)];
    // Erin never acknowledges, with a socket on each node: without cluster fan-out a node
    // emits to its own sockets only, so the two sockets together see every send of both.
    const onA = await connect(a, 'pg-erin');
    const onB = await connect(b, 'pg-erin');
    const { id } = await create(a, { title: 'retried once per attempt', content: 'x', targets: { users: ['pg-erin'] } });
    await until(async () => (await inbox(a, onA.token)).find((n) => n.id === id)?.delivery_status === 'permanent_failure', {
      ms: 15000,
      what: 'the record to end in permanent_failure',
    });
    const sends = [onA, onB].flatMap((c) => received(c.rec).filter((p) => p.id === id));
    // The first send and one per retry_backoff entry; a retry taken by both nodes would show twice.
    assert.equal(sends.length, 3, JSON.stringify(sends.map((p) => p.recipient_id)));
  });
});
