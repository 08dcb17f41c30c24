// At-least-once delivery (issue 5, SPEC section 5) with short timers set through the
// configuration: receipts by the Socket.IO ack callback and by notification:acknowledge,
// resends with the same recipient_id, failed between retries, permanent_failure at the
// end, a receipt after a failure, redelivery on connect (oldest first), two sockets.
//
//   node --test tests/integration/delivery.test.mjs
//   (HERALD_BUILD_DIR=<build dir>, HERALD_IT_THREADS=<event loops>, default 4 here)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startHerald } from './support/server.mjs';
import {
  API_KEY,
  API_KEY_FLAG,
  THREADS,
  call,
  closeAll,
  connectUser,
  create,
  emitWithAck,
  inbox,
  received,
  until,
  userToken,
  waitNew,
} from './support/herald_api.mjs';

const ACK_TIMEOUT_MS = 300;
const BACKOFF_MS = [200, 200];
const SENDS = 1 + BACKOFF_MS.length;
// The whole life of an unacknowledged record: every send waits for its ack, then the backoff.
const LIFETIME_MS = SENDS * ACK_TIMEOUT_MS + BACKOFF_MS.reduce((a, b) => a + b, 0);

const statusOf = async (server, token, id) => (await inbox(server, token)).find((n) => n.id === id)?.delivery_status;

/** Polls one record's status every 10 ms until `final`; resolves with the distinct states seen, in order. */
async function watchStatus(server, token, id, final, ms = LIFETIME_MS * 5 + 5000) {
  const seen = [];
  await until(
    async () => {
      const s = await statusOf(server, token, id);
      if (seen.at(-1) !== s) seen.push(s);
      return s === final;
    },
    { ms, every: 10, what: `${id} to read ${final} (seen ${seen.join(' > ')})` },
  );
  return seen;
}

const sendsOf = (conn, id) => received(conn.rec).filter((p) => p.id === id);

describe(`delivery with ack_timeout ${ACK_TIMEOUT_MS}ms, retry_backoff ${BACKOFF_MS.join(',')}ms`, () => {
  let server;
  const open = [];
  const connect = async (...args) => {
    const c = await connectUser(server, ...args);
    open.push(c);
    return c;
  };
  before(async () => {
    server = await startHerald({
      args: [API_KEY_FLAG, `--delivery.ack_timeout=${ACK_TIMEOUT_MS}ms`, `--delivery.retry_backoff=${BACKOFF_MS.map((b) => `${b}ms`).join(',')}`],
      threads: THREADS,
    });
  });
  after(async () => {
    closeAll(...open);
    await server?.close();
  });

  it('acked by callback: delivered, sent once; unacked: sent 1 + len(retry_backoff) times with the same recipient_id, failed between, then permanent_failure', async () => {
    const acker = await connect('d-ack', { ack: true });
    const silent = await connect('d-silent', { transport: 'polling' });
    const { id } = await create(server, { title: 'retry me', content: 'x', targets: { users: ['d-ack', 'd-silent'] } });
    const seen = await watchStatus(server, silent.token, id, 'permanent_failure');
    // pending > failed > pending > failed > pending > permanent_failure, as far as polling sees.
    const full = ['pending', ...BACKOFF_MS.flatMap(() => ['failed', 'pending']), 'permanent_failure'];
    assert.equal(seen[0], 'pending', seen.join(' > '));
    assert.ok(seen.includes('failed'), `failed is visible between retries: ${seen.join(' > ')}`);
    let at = 0;
    for (const s of seen) {
      at = full.indexOf(s, at);
      assert.ok(at >= 0, `an order of states the policy allows: ${seen.join(' > ')}`);
    }
    const sends = sendsOf(silent, id);
    assert.equal(sends.length, SENDS, `sent ${sends.length} times`);
    assert.equal(new Set(sends.map((p) => p.recipient_id)).size, 1, 'the same recipient_id every time');
    for (const p of sends) assert.deepEqual(p, sends[0]);
    // The acked copy: delivered, sent once, though the whole retry schedule has elapsed.
    assert.equal(await statusOf(server, acker.token, id), 'delivered');
    assert.equal(sendsOf(acker, id).length, 1);
    assert.deepEqual(acker.acked, [sendsOf(acker, id)[0].recipient_id]);
    // permanent_failure stays readable, and nothing more is sent.
    await new Promise((r) => setTimeout(r, ACK_TIMEOUT_MS + Math.max(...BACKOFF_MS) + 200));
    assert.equal(sendsOf(silent, id).length, SENDS);
    assert.equal(await statusOf(server, silent.token, id), 'permanent_failure');
    const metrics = await (await server.fetch('/metrics')).text();
    assert.ok(Number(metrics.match(/^herald_deliveries_total\{status="permanent_failure"\} (\d+)$/m)[1]) >= 1, metrics);
    // A receipt moves any state to delivered, permanent_failure included.
    assert.deepEqual(await emitWithAck(silent.socket, 'notification:acknowledge', { recipient_id: sends[0].recipient_id }), { ok: true });
    assert.equal(await statusOf(server, silent.token, id), 'delivered');
  });

  it('a receipt while failed moves it to delivered and stops the resends', async () => {
    const late = await connect('d-late');
    const clock = await connect('d-clock'); // never acks: its record's life times the test
    const n = await create(server, { title: 'ack me late', content: 'x', targets: { users: ['d-late'] } });
    const c = await create(server, { title: 'clock', content: 'x', targets: { users: ['d-clock'] } });
    const { recipient_id: rid } = await waitNew(late.rec, n.id);
    await watchStatus(server, late.token, n.id, 'failed');
    assert.deepEqual(await emitWithAck(late.socket, 'notification:acknowledge', { recipient_id: rid }), { ok: true });
    const sentBeforeAck = sendsOf(late, n.id).length;
    assert.equal(await statusOf(server, late.token, n.id), 'delivered');
    // By the time the clock's record is permanent_failure, every resend of n would have happened.
    await watchStatus(server, clock.token, c.id, 'permanent_failure');
    assert.equal(sendsOf(late, n.id).length, sentBeforeAck, 'no resend after the receipt');
    assert.ok(sentBeforeAck < SENDS);
    assert.equal(await statusOf(server, late.token, n.id), 'delivered');
  });

  it('a receipt of a resend (by the ack callback) delivers it', async () => {
    const c = await connect('d-second');
    const n = await create(server, { title: 'second time', content: 'x', targets: { users: ['d-second'] } });
    await until(() => sendsOf(c, n.id).length >= 2, { ms: 5000, what: 'the first resend' });
    const [first, second] = c.rec.of('notification:new').filter((args) => args[0].id === n.id);
    assert.equal(typeof second[1], 'function', 'the resend carries an ack id');
    second[1]();
    await watchStatus(server, c.token, n.id, 'delivered');
    assert.equal(second[0].recipient_id, first[0].recipient_id);
  });

  it('two sockets of one user: either receipt delivers, no resend', async () => {
    const a = await connect('d-two', { transport: 'websocket' });
    const b = await connect('d-two', { transport: 'polling', ack: true });
    const clock = await connect('d-clock2');
    const n1 = await create(server, { title: 'to both', content: 'x', targets: { users: ['d-two'] } });
    const c = await create(server, { title: 'clock', content: 'x', targets: { users: ['d-clock2'] } });
    await Promise.all([waitNew(a.rec, n1.id), waitNew(b.rec, n1.id)]);
    await watchStatus(server, a.token, n1.id, 'delivered');
    // Now the other socket acknowledges, by the event.
    b.socket.off('notification:new');
    const n2 = await create(server, { title: 'to both again', content: 'x', targets: { users: ['d-two'] } });
    const p2 = await waitNew(a.rec, n2.id);
    await waitNew(b.rec, n2.id);
    assert.deepEqual(await emitWithAck(a.socket, 'notification:acknowledge', { recipient_id: p2.recipient_id }), { ok: true });
    assert.equal(await statusOf(server, a.token, n2.id), 'delivered');
    await watchStatus(server, clock.token, c.id, 'permanent_failure');
    for (const s of [a, b]) {
      assert.equal(sendsOf(s, n1.id).length, 1, 'n1 sent once to each socket');
      assert.equal(sendsOf(s, n2.id).length, 1, 'n2 sent once to each socket');
    }
  });

  it('a record that reached permanent_failure while its user was offline is not redelivered on connect', async () => {
    const tok = userToken(server, 'd-gone');
    const n = await create(server, { title: 'too late', content: 'x', targets: { users: ['d-gone'] } });
    await watchStatus(server, tok, n.id, 'permanent_failure');
    const c = await connect('d-gone', { token: tok });
    const b = await create(server, { title: 'barrier', content: 'x', targets: { users: ['d-gone'] } });
    await waitNew(c.rec, b.id);
    assert.equal(sendsOf(c, n.id).length, 0);
    assert.equal(await statusOf(server, tok, n.id), 'permanent_failure');
  });
});

describe('redelivery on connect (ack_timeout 1s, retry_backoff 30s)', () => {
  let server;
  const open = [];
  before(async () => {
    server = await startHerald({ args: [API_KEY_FLAG, '--delivery.ack_timeout=1s', '--delivery.retry_backoff=30s'], threads: THREADS });
  });
  after(async () => {
    closeAll(...open);
    await server?.close();
  });

  it('pending notifications posted while offline arrive on the next connection, oldest first, once', async () => {
    const ids = [];
    for (const t of ['first', 'second', 'third']) ids.push((await create(server, { title: t, content: t, targets: { users: ['off1'] } })).id);
    const c = await connectUser(server, 'off1');
    open.push(c);
    await until(() => ids.every((id) => sendsOf(c, id).length >= 1), { what: 'the three on connect' });
    const order = received(c.rec).map((p) => p.id).filter((id) => ids.includes(id));
    assert.deepEqual(order, ids, 'oldest first, each once');
    for (const p of received(c.rec)) assert.deepEqual(await emitWithAck(c.socket, 'notification:acknowledge', { recipient_id: p.recipient_id }), { ok: true });
    const items = await inbox(server, c.token);
    assert.deepEqual(items.map((n) => [n.id, n.delivery_status]), [...ids].reverse().map((id) => [id, 'delivered']));
  });

  it('failed notifications (their ack deadline missed while offline) arrive on the next connection, oldest first', async () => {
    const tok = userToken(server, 'off2');
    const ids = [];
    for (const t of ['d', 'e']) ids.push((await create(server, { title: t, content: t, targets: { users: ['off2'] } })).id);
    await until(async () => (await inbox(server, tok)).every((n) => n.delivery_status === 'failed'), { what: 'both failed' });
    const c = await connectUser(server, 'off2', { token: tok, ack: true, transport: 'polling' });
    open.push(c);
    await until(() => ids.every((id) => sendsOf(c, id).length >= 1), { what: 'the two on connect' });
    assert.deepEqual(received(c.rec).map((p) => p.id), ids);
    await until(async () => (await inbox(server, tok)).every((n) => n.delivery_status === 'delivered'), { what: 'both delivered by the ack callback' });
    // A second connection of the same user gets nothing more: everything is delivered.
    const again = await connectUser(server, 'off2', { token: tok });
    open.push(again);
    // (A read first: a notification created while the connection's redelivery query is
    // still queued would be sent twice, by the room and by the redelivery.)
    assert.ok((await inbox(server, tok)).every((n) => n.delivery_status === 'delivered'));
    const b = await create(server, { title: 'barrier', content: 'x', targets: { users: ['off2'] } });
    await waitNew(again.rec, b.id);
    assert.deepEqual(received(again.rec).map((p) => p.id), [b.id]);
  });

  it('a failed notification sent again on connect reads pending while it awaits its ack, failed again when that is missed, its retry still to come', async () => {
    const tok = userToken(server, 'off3');
    const n = await create(server, { title: 'f', content: 'f', targets: { users: ['off3'] } });
    await until(async () => (await statusOf(server, tok, n.id)) === 'failed', { what: 'failed while offline' });
    const c = await connectUser(server, 'off3', { token: tok });
    open.push(c);
    await until(() => sendsOf(c, n.id).length === 1, { what: 'sent again on connect' });
    // Read at once: well within the new ack deadline (1 s).
    assert.equal(await statusOf(server, tok, n.id), 'pending');
    await until(async () => (await statusOf(server, tok, n.id)) === 'failed', { what: 'failed again after the missed ack' });
    assert.deepEqual(await emitWithAck(c.socket, 'notification:acknowledge', { recipient_id: sendsOf(c, n.id)[0].recipient_id }), { ok: true });
    assert.equal(await statusOf(server, tok, n.id), 'delivered');
  });
});
