// The notification service seen from outside (issue 4): routing to users, departments and
// everyone over WebSocket and polling clients, the notification:new payload of SPEC
// section 3, the HTTP API of SPEC section 4 (inbox, read state sync, pagination,
// idempotency, every 4xx, directory, types), health and metrics, receipts, and a restart.
//
//   node --test tests/integration/notifications.test.mjs
//   (HERALD_BUILD_DIR=<build dir>, HERALD_IT_THREADS=<event loops>, default 4 here)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import { isIsoUtc, jwt, nowSeconds, startHerald } from './support/server.mjs';
import {
  API_KEY,
  API_KEY_FLAG,
  THREADS,
  TRANSPORTS,
  assertError,
  assertInboxItem,
  assertNewPayload,
  call,
  closeAll,
  connectUser,
  create,
  emitWithAck,
  inbox,
  post,
  received,
  until,
  userToken,
  waitNew,
} from './support/herald_api.mjs';

const BUILTIN_TYPES = ['system', 'info', 'success', 'warning', 'error'];
const SYSTEM_SENDER = { id: 'system', username: 'system', display_name: 'System' };

let barrierSeq = 0;
/**
 * Posts one notification to `users` and waits until every socket has it. Events on one
 * socket keep their order, so whatever was emitted to a socket before the barrier has
 * arrived once the barrier has: absence can then be asserted without sleeping.
 */
async function barrier(server, conns) {
  const users = [...new Set(conns.map((c) => c.user))];
  const { id } = await create(server, { title: `barrier ${++barrierSeq}`, content: '.', targets: { users } });
  await Promise.all(conns.map((c) => waitNew(c.rec, id)));
}

const countOf = (conn, id) => received(conn.rec).filter((p) => p.id === id).length;

describe('routing: a user, departments, everyone', () => {
  for (const [transport] of Object.entries(TRANSPORTS)) {
    describe(`over ${transport}`, () => {
      let server;
      let conns;
      let u1a, u1b, u2, u3, u4;
      before(async () => {
        server = await startHerald({ args: [API_KEY_FLAG], threads: THREADS });
        // The second socket of u1 uses the other transport: both kinds of client mixed.
        const other = transport === 'websocket' ? 'polling' : 'websocket';
        u1a = await connectUser(server, 'u1', { depts: ['eng'], transport });
        u1b = await connectUser(server, 'u1', { depts: ['eng'], transport: other });
        u2 = await connectUser(server, 'u2', { depts: ['eng', 'ops'], transport });
        u3 = await connectUser(server, 'u3', { depts: ['ops'], transport });
        u4 = await connectUser(server, 'u4', { transport });
        conns = [u1a, u1b, u2, u3, u4];
        // d5 is in the directory only (never connected).
        const put = await call(server, 'PUT', '/api/v1/users/d5', { apiKey: API_KEY, body: { username: 'dee', departments: ['eng'] } });
        assert.equal(put.status, 201, put.text);
        // The connections put their users in the directory.
        for (const u of ['u1', 'u2', 'u3', 'u4'])
          await until(async () => (await call(server, 'GET', `/api/v1/users/${u}`, { apiKey: API_KEY })).status === 200, {
            what: `${u} in the directory`,
          });
      });
      after(async () => {
        closeAll(...(conns ?? []));
        await server?.close();
      });

      const cases = [
        { name: 'one user', targets: { users: ['u1'] }, users: ['u1'], count: 1 },
        { name: 'two users', targets: { users: ['u1', 'u3'] }, users: ['u1', 'u3'], count: 2 },
        { name: 'a department (with a directory-only member)', targets: { departments: ['eng'] }, users: ['u1', 'u2', 'd5'], count: 3 },
        {
          name: 'departments and users overlapping: one record per user',
          targets: { departments: ['ops', 'eng'], users: ['u2', 'u2'] },
          users: ['u1', 'u2', 'u3', 'd5'],
          count: 4,
        },
        { name: 'a department nobody is in', targets: { departments: ['nobody-here'] }, users: [], count: 0 },
        { name: 'everyone in the directory (broadcast)', targets: { broadcast: true }, users: ['u1', 'u2', 'u3', 'u4', 'd5'], count: 5 },
      ];
      for (const c of cases) {
        it(`${c.name}: exactly the right sockets, once each, with the full payload`, async () => {
          const body = { title: `to ${c.name}`, content: `**${transport}** ${c.name}`, type: 'info', targets: c.targets };
          const r = await post(server, body);
          assert.equal(r.status, 201, r.text);
          assert.deepEqual(Object.keys(r.body).sort(), ['created_at', 'id', 'recipient_count']);
          assert.equal(typeof r.body.id, 'string');
          assert.ok(isIsoUtc(r.body.created_at), r.body.created_at);
          assert.equal(r.body.recipient_count, c.count);
          const { id } = r.body;
          await barrier(server, conns);
          const recipientOf = {};
          for (const conn of conns) {
            const got = received(conn.rec).filter((p) => p.id === id);
            assert.equal(got.length, c.users.includes(conn.user) ? 1 : 0, `${conn.user} got ${got.length}`);
            for (const p of got) {
              assertNewPayload(p, {
                id,
                title: body.title,
                content: body.content,
                created_at: r.body.created_at,
                type: { id: 'info', name: p.type.name, icon: p.type.icon, color: p.type.color },
                sender: SYSTEM_SENDER,
              });
              assert.ok(p.content_html.includes(`<strong>${transport}</strong>`), p.content_html);
              // One recipient record per user: both sockets of u1 see the same recipient id.
              if (recipientOf[conn.user]) assert.equal(p.recipient_id, recipientOf[conn.user]);
              recipientOf[conn.user] = p.recipient_id;
            }
          }
          assert.equal(new Set(Object.values(recipientOf)).size, Object.keys(recipientOf).length, 'recipient ids differ per user');
          // The inboxes agree, the directory-only user included.
          for (const user of ['u1', 'u2', 'u3', 'u4', 'd5']) {
            const items = (await inbox(server, userToken(server, user))).filter((n) => n.id === id);
            assert.equal(items.length, c.users.includes(user) ? 1 : 0, `${user}'s inbox`);
            if (items.length) {
              assertInboxItem(items[0], { id, read_at: null });
              if (recipientOf[user]) assert.equal(items[0].recipient_id, recipientOf[user]);
            }
          }
        });
      }
    });
  }
});

describe('the service on one server', () => {
  let server;
  let producer; // a JWT with roles [service]
  const open = [];
  const connect = async (...args) => {
    const c = await connectUser(server, ...args);
    open.push(c);
    return c;
  };
  before(async () => {
    server = await startHerald({ args: [API_KEY_FLAG], threads: THREADS });
    producer = userToken(server, 'svc-build', { roles: ['service'] });
  });
  after(async () => {
    closeAll(...open);
    await server?.close();
  });

  describe('content and sender', () => {
    it('content_html: Markdown rendered, raw HTML gone, unsafe links lose their URL', async () => {
      const c = await connect('html1');
      const content = [
        '# Heading',
        '',
        '<script>alert(1)</script>',
        '',
        'A [bad](javascript:alert(1)) link, a [Bad2](JaVaScRiPt:alert(2)) one, a [data](data:text/html;base64,PHNjcmlwdD4=) one,',
        'a [good](https://example.com/x?a=1) one, a [mail](mailto:a@example.com) and a [rel](/inbox) one.',
        'Inline <b onclick="x()">bold</b> and <img src=x onerror=alert(1)> and ![img](javascript:alert(3)).',
      ].join('\n');
      const { id } = await create(server, { title: 'html', content, targets: { users: ['html1'] } });
      const p = await waitNew(c.rec, id);
      assertNewPayload(p, { content });
      const html = p.content_html;
      assert.match(html, /<h1>Heading<\/h1>/);
      for (const bad of ['<script', 'alert(1)</script>', '<b', '<img', 'onerror', 'onclick', 'javascript:', 'JaVaScRiPt', 'data:text'])
        assert.ok(!html.includes(bad), `${bad} is gone from ${html}`);
      for (const text of ['bad', 'Bad2', 'data', 'good', 'mail', 'rel', 'bold'])
        assert.ok(html.includes(text), `the text ${text} stays in ${html}`);
      assert.ok(html.includes('href="https://example.com/x?a=1"'), html);
      assert.ok(html.includes('href="mailto:a@example.com"'), html);
      assert.ok(html.includes('href="/inbox"'), html);
      assert.equal((html.match(/href=/g) ?? []).length, 3, `only the three safe links keep a URL: ${html}`);
      // The inbox holds the same rendering.
      const [item] = (await inbox(server, c.token)).filter((n) => n.id === id);
      assert.equal(item.content_html, html);
      assert.equal(item.content, content);
    });

    it('content_format "text": escaped paragraphs, no Markdown', async () => {
      const c = await connect('text1');
      const content = 'a <b>x</b> & "y" **not bold**\nsame paragraph\n\nsecond [l](javascript:alert(1))';
      const { id } = await create(server, { title: 'text', content, content_format: 'text', targets: { users: ['text1'] } });
      const p = await waitNew(c.rec, id);
      assertNewPayload(p, { content });
      const html = p.content_html;
      assert.ok(html.includes('&lt;b&gt;x&lt;/b&gt; &amp;'), html);
      assert.ok(!html.includes('<b>') && !html.includes('<strong>'), html);
      assert.ok(html.includes('**not bold**'), html);
      assert.equal((html.match(/<p>/g) ?? []).length, 2, html);
      assert.ok(!html.includes('href'), html);
    });

    it('sender: sender_id from the directory, else the token subject, else system', async () => {
      const c = await connect('snd1');
      const put = await call(server, 'PUT', '/api/v1/users/alice', {
        apiKey: API_KEY,
        body: { username: 'alice.a', display_name: 'Alice Anders', departments: ['eng'] },
      });
      assert.equal(put.status, 201, put.text);
      const targets = { users: ['snd1'] };
      const fromDirectory = await create(server, { title: 's1', content: 'x', sender_id: 'alice', targets });
      const fromDirectoryWithToken = await create(server, { title: 's2', content: 'x', sender_id: 'alice', targets }, { token: producer });
      const fromToken = await create(server, { title: 's3', content: 'x', targets }, { token: producer });
      const fromKey = await create(server, { title: 's4', content: 'x', targets });
      const alice = { id: 'alice', username: 'alice.a', display_name: 'Alice Anders' };
      const expect = [
        [fromDirectory.id, alice],
        [fromDirectoryWithToken.id, alice],
        [fromToken.id, { id: 'svc-build', username: 'svc-build', display_name: 'svc-build' }],
        [fromKey.id, SYSTEM_SENDER],
      ];
      for (const [id, sender] of expect) assertNewPayload(await waitNew(c.rec, id), { sender });
      // A producer token with names: they are used.
      const named = userToken(server, 'svc-named', { roles: ['service'], username: 'deployer', display_name: 'Deploy Bot' });
      const fromNamed = await create(server, { title: 's5', content: 'x', targets }, { token: named });
      assertNewPayload(await waitNew(c.rec, fromNamed.id), { sender: { id: 'svc-named', username: 'deployer', display_name: 'Deploy Bot' } });
      // The inbox item carries the same sender.
      const items = await inbox(server, c.token);
      assert.deepEqual(items.find((n) => n.id === fromDirectory.id).sender, alice);
      assert.deepEqual(items.find((n) => n.id === fromKey.id).sender, SYSTEM_SENDER);
    });

    it('type: defaults to system; a named type is sent as {id, name, icon, color}', async () => {
      const c = await connect('type1');
      const types = await call(server, 'GET', '/api/v1/notification-types', { apiKey: API_KEY });
      const byId = Object.fromEntries(types.body.map((t) => [t.id, t]));
      const a = await create(server, { title: 't', content: 'x', targets: { users: ['type1'] } });
      const b = await create(server, { title: 't', content: 'x', type: 'warning', targets: { users: ['type1'] } });
      assertNewPayload(await waitNew(c.rec, a.id), { type: byId.system });
      assertNewPayload(await waitNew(c.rec, b.id), { type: byId.warning });
    });
  });

  describe('read state across two sockets of one user', () => {
    it('read / unread emit only on a change, read all always, to every socket of the user', async () => {
      const s1 = await connect('rd1', { transport: 'websocket' });
      const s2 = await connect('rd1', { transport: 'polling' });
      const other = await connect('rd-other');
      const n1 = await create(server, { title: 'r1', content: 'x', targets: { users: ['rd1'] } });
      const n2 = await create(server, { title: 'r2', content: 'x', targets: { users: ['rd1'] } });
      const p1 = await waitNew(s1.rec, n1.id);
      await waitNew(s1.rec, n2.id);
      await waitNew(s2.rec, n2.id);
      const rid = p1.recipient_id;
      const tok = s1.token;
      const statusBefore = (await inbox(server, tok)).find((n) => n.id === n1.id).delivery_status;

      const read = await call(server, 'POST', `/api/v1/me/notifications/${rid}/read`, { token: tok });
      assert.equal(read.status, 200, read.text);
      for (const s of [s1, s2]) {
        const [ev] = await s.rec.wait('notification:read');
        assert.deepEqual(Object.keys(ev).sort(), ['notification_id', 'read_at', 'recipient_id']);
        assert.deepEqual(ev, read.body);
        assert.equal(ev.recipient_id, rid);
        assert.equal(ev.notification_id, n1.id);
        assert.ok(isIsoUtc(ev.read_at), ev.read_at);
      }
      let items = await inbox(server, tok);
      assert.ok(isIsoUtc(items.find((n) => n.id === n1.id).read_at));
      assert.equal(items.find((n) => n.id === n2.id).read_at, null);
      assert.equal((await call(server, 'GET', '/api/v1/me/notifications/unread_count', { token: tok })).body.unread_count, 1);

      // Again: no change, no event (the unread below is the barrier).
      assert.equal((await call(server, 'POST', `/api/v1/me/notifications/${rid}/read`, { token: tok })).status, 200);
      const unread = await call(server, 'POST', `/api/v1/me/notifications/${rid}/unread`, { token: tok });
      assert.equal(unread.status, 200, unread.text);
      for (const s of [s1, s2]) {
        const [ev] = await s.rec.wait('notification:unread');
        assert.deepEqual(ev, { recipient_id: rid, notification_id: n1.id });
        assert.equal(s.rec.of('notification:read').length, 1, 'one read event: the second read changed nothing');
      }
      // Unread again: no event (read all is the barrier and always emits).
      assert.equal((await call(server, 'POST', `/api/v1/me/notifications/${rid}/unread`, { token: tok })).status, 200);
      const all = await call(server, 'POST', '/api/v1/me/notifications/read_all', { token: tok });
      assert.equal(all.status, 200, all.text);
      assert.equal(all.body.marked_count, 2);
      for (const s of [s1, s2]) {
        const [ev] = await s.rec.wait('notifications:read_all');
        assert.deepEqual(Object.keys(ev).sort(), ['marked_count', 'read_at']);
        assert.equal(ev.marked_count, 2);
        assert.ok(isIsoUtc(ev.read_at));
        // The answer and the event say the same thing.
        assert.deepEqual(ev, all.body);
        assert.equal(s.rec.of('notification:unread').length, 1, 'one unread event');
      }
      // Read all with nothing unread: still emitted, marked_count 0.
      const again = await call(server, 'POST', '/api/v1/me/notifications/read_all', { token: tok });
      assert.equal(again.body.marked_count, 0);
      for (const s of [s1, s2]) {
        await until(() => s.rec.of('notifications:read_all').length === 2, { what: 'a second read_all' });
        assert.equal(s.rec.of('notifications:read_all')[1][0].marked_count, 0);
      }
      items = await inbox(server, tok);
      assert.ok(items.every((n) => isIsoUtc(n.read_at)));
      assert.equal((await call(server, 'GET', '/api/v1/me/notifications/unread_count', { token: tok })).body.unread_count, 0);
      // Read state never touches the delivery status.
      assert.equal(items.find((n) => n.id === n1.id).delivery_status, statusBefore);
      // Nothing of this reached another user.
      await barrier(server, [other]);
      for (const e of ['notification:read', 'notification:unread', 'notifications:read_all'])
        assert.equal(other.rec.of(e).length, 0, `${e} reached another user`);
    });

    it("another user's recipient id, an unknown one: 404 on read and unread, nothing changes", async () => {
      const owner = await connect('own1');
      const { id } = await create(server, { title: 'mine', content: 'x', targets: { users: ['own1'] } });
      const { recipient_id: rid } = await waitNew(owner.rec, id);
      const thief = userToken(server, 'thief1');
      for (const action of ['read', 'unread']) {
        for (const target of [rid, '999999999', 'not-a-number'])
          assertError(await call(server, 'POST', `/api/v1/me/notifications/${target}/${action}`, { token: thief }), 404, 'NOT_FOUND');
      }
      assertError(await call(server, 'POST', '/api/v1/me/notifications/999999999/read', { token: owner.token }), 404, 'NOT_FOUND');
      const [item] = (await inbox(server, owner.token)).filter((n) => n.id === id);
      assert.equal(item.read_at, null);
      assert.deepEqual(await inbox(server, thief), []);
      await barrier(server, [owner]);
      assert.equal(owner.rec.of('notification:read').length + owner.rec.of('notification:unread').length, 0);
    });
  });

  describe('inbox pagination', () => {
    const user = 'pager';
    const posted = [];
    let tok;
    before(async () => {
      tok = userToken(server, user);
      for (let i = 0; i < 300; ++i) posted.push((await create(server, { title: `p${i}`, content: `#${i}`, targets: { users: [user] } })).id);
    });

    async function walk(query, limit) {
      const pages = [];
      let cursor = null;
      do {
        const q = new URLSearchParams({ limit: String(limit), ...query });
        if (cursor) q.set('cursor', cursor);
        const r = await call(server, 'GET', `/api/v1/me/notifications?${q}`, { token: tok });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(Object.keys(r.body).sort(), ['next_cursor', 'notifications', 'unread_count']);
        assert.ok(r.body.next_cursor === null || typeof r.body.next_cursor === 'string');
        pages.push(r.body);
        cursor = r.body.next_cursor;
        assert.ok(pages.length <= 1000, 'the walk ends');
      } while (cursor !== null);
      return pages;
    }

    it('300 notifications, limit 37: newest first, no gap, no repeat, null cursor on the last page', async () => {
      const pages = await walk({}, 37);
      assert.equal(pages.length, Math.ceil(300 / 37));
      pages.slice(0, -1).forEach((p) => assert.equal(p.notifications.length, 37));
      assert.equal(pages.at(-1).notifications.length, 300 % 37);
      const ids = pages.flatMap((p) => p.notifications.map((n) => n.id));
      assert.deepEqual(ids, [...posted].reverse(), 'newest first, every one once');
      for (const p of pages) assert.equal(p.unread_count, 300);
      pages[0].notifications.forEach((n) => assertInboxItem(n, { read_at: null }));
      const times = pages.flatMap((p) => p.notifications.map((n) => Date.parse(n.created_at)));
      for (let i = 1; i < times.length; ++i) assert.ok(times[i - 1] >= times[i], 'created_at does not increase');
      // Default limit 20; 100 accepted.
      const first = await call(server, 'GET', '/api/v1/me/notifications', { token: tok });
      assert.equal(first.body.notifications.length, 20);
      const hundred = await call(server, 'GET', '/api/v1/me/notifications?limit=100', { token: tok });
      assert.equal(hundred.body.notifications.length, 100);
    });

    it('unread=true and unread=false split the list', async () => {
      const all = await inbox(server, tok);
      const toRead = all.filter((_, i) => i % 3 === 0);
      for (const n of toRead) {
        const r = await call(server, 'POST', `/api/v1/me/notifications/${n.recipient_id}/read`, { token: tok });
        assert.equal(r.status, 200, r.text);
      }
      const unread = (await walk({ unread: 'true' }, 37)).flatMap((p) => p.notifications);
      const read = (await walk({ unread: 'false' }, 37)).flatMap((p) => p.notifications);
      assert.equal(read.length, toRead.length);
      assert.equal(unread.length, 300 - toRead.length);
      assert.ok(unread.every((n) => n.read_at === null));
      assert.ok(read.every((n) => isIsoUtc(n.read_at)));
      assert.deepEqual(read.map((n) => n.id), toRead.map((n) => n.id), 'read ones, newest first');
      const expectUnread = all.filter((_, i) => i % 3 !== 0).map((n) => n.id);
      assert.deepEqual(unread.map((n) => n.id), expectUnread, 'unread ones, newest first, no gap, no repeat');
      const count = await call(server, 'GET', '/api/v1/me/notifications/unread_count', { token: tok });
      assert.deepEqual(count.body, { unread_count: 300 - toRead.length });
    });

    it('limit 0, 101, abc, -1, 1.5 and a bad cursor or unread value: 400 INVALID_PAYLOAD', async () => {
      for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'limit=1.5', 'limit=', 'cursor=garbage', 'cursor=%00%01', 'unread=maybe'])
        assertError(await call(server, 'GET', `/api/v1/me/notifications?${q}`, { token: tok }), 400, 'INVALID_PAYLOAD');
      // A cursor of one list used as is still pages (opaque but valid).
      const page = await call(server, 'GET', '/api/v1/me/notifications?limit=1', { token: tok });
      const next = await call(server, 'GET', `/api/v1/me/notifications?limit=1&cursor=${encodeURIComponent(page.body.next_cursor)}`, { token: tok });
      assert.equal(next.status, 200);
      assert.notEqual(next.body.notifications[0].id, page.body.notifications[0].id);
    });
  });

  describe('idempotency', () => {
    it('the same key: 201 with the first body, Idempotent-Replayed: true, nothing created or emitted', async () => {
      const c = await connect('idem1');
      const body = { title: 'once', content: 'x', idempotency_key: 'deploy-42', targets: { users: ['idem1'] } };
      const first = await post(server, body);
      assert.equal(first.status, 201);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      await waitNew(c.rec, first.body.id);
      const second = await post(server, body);
      assert.equal(second.status, 201);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(second.body, first.body);
      // Another body with the same key: still the first result.
      const third = await post(server, { ...body, title: 'twice?', targets: { users: ['idem1', 'idem2'] } }, { token: producer });
      assert.equal(third.status, 201);
      assert.equal(third.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(third.body, first.body);
      // Another key: a new notification.
      const other = await post(server, { ...body, idempotency_key: 'deploy-43' });
      assert.notEqual(other.body.id, first.body.id);
      assert.equal(other.headers.get('idempotent-replayed'), null);
      await waitNew(c.rec, other.body.id);
      await barrier(server, [c]);
      assert.equal(countOf(c, first.body.id), 1, 'emitted once');
      const items = await inbox(server, c.token);
      assert.deepEqual(items.filter((n) => n.title !== 'barrier ' + barrierSeq).map((n) => n.id), [other.body.id, first.body.id]);
      assert.deepEqual(await inbox(server, userToken(server, 'idem2')), []);
    });
  });

  describe('errors: {error: {code, message}}, nothing half-written', () => {
    const victim = 'victim';
    let vt;
    let watcher;
    let baseline;
    before(async () => {
      vt = userToken(server, victim);
      watcher = await connect(victim);
      await create(server, { title: 'baseline', content: 'x', targets: { users: [victim] } });
      baseline = await inbox(server, vt);
    });
    async function unchanged() {
      assert.deepEqual(
        (await inbox(server, vt)).map((n) => [n.id, n.read_at]),
        baseline.map((n) => [n.id, n.read_at]),
        'the inbox is unchanged',
      );
    }
    const good = { title: 't', content: 'c', targets: { users: [victim] } };

    it('400 INVALID_PAYLOAD: bad JSON, not an object, missing fields, wrong types, unknown type, no targets', async () => {
      const bodies = {
        'bad JSON': '{"title": "t", ',
        'empty body': '',
        'an array': '[1,2]',
        'a string': '"hello"',
        'no title': { content: 'c', targets: { users: [victim] } },
        'empty title': { ...good, title: '' },
        'no content': { title: 't', targets: { users: [victim] } },
        'no targets': { title: 't', content: 'c' },
        'title a number': { ...good, title: 5 },
        'content an object': { ...good, content: { a: 1 } },
        'content_format html': { ...good, content_format: 'html' },
        'targets an array': { ...good, targets: [victim] },
        'users a string': { ...good, targets: { users: victim } },
        'users with an object': { ...good, targets: { users: [{ id: victim }] } },
        'broadcast a string': { ...good, targets: { broadcast: 'yes' } },
        'type a boolean': { ...good, type: true },
        'unknown type': { ...good, type: 'no-such-type' },
        'targets empty': { ...good, targets: {} },
        'targets name nobody': { ...good, targets: { users: [], departments: [], broadcast: false } },
        'idempotency_key a number': { ...good, idempotency_key: 7 },
      };
      for (const [name, body] of Object.entries(bodies)) {
        const r = await post(server, body);
        try {
          assertError(r, 400, 'INVALID_PAYLOAD');
        } catch (e) {
          e.message = `${name}: ${e.message}`;
          throw e;
        }
      }
      await unchanged();
      // A key refused with a bad body was not kept: the same key with a good body creates.
      const bad = await post(server, { ...good, type: 'no-such-type', idempotency_key: 'k-bad' });
      assertError(bad, 400, 'INVALID_PAYLOAD');
      const ok = await post(server, { ...good, idempotency_key: 'k-bad' });
      assert.equal(ok.status, 201);
      assert.equal(ok.headers.get('idempotent-replayed'), null);
      await waitNew(watcher.rec, ok.body.id);
      baseline = await inbox(server, vt);
    });

    it('401: no token, a bad token, an expired token, an unknown API key', async () => {
      const expired = server.sign({ sub: 'svc', roles: ['service'], exp: nowSeconds() - 3600 });
      const foreign = jwt.sign({ sub: 'svc', roles: ['service'], exp: nowSeconds() + 60 }, 'another-secret');
      const routes = [
        ['POST', '/api/v1/notifications', good],
        ['GET', '/api/v1/me/notifications'],
        ['GET', '/api/v1/me/notifications/unread_count'],
        ['POST', '/api/v1/me/notifications/read_all'],
        ['PUT', '/api/v1/users/x401', { username: 'x' }],
        ['GET', '/api/v1/notification-types'],
      ];
      for (const [method, path, body] of routes) {
        assertError(await call(server, method, path, { body }), 401, 'UNAUTHORIZED');
        assertError(await call(server, method, path, { body, token: 'not.a.jwt' }), 401, 'INVALID_TOKEN');
        assertError(await call(server, method, path, { body, token: foreign }), 401, 'INVALID_TOKEN');
        assertError(await call(server, method, path, { body, token: expired }), 401, 'EXPIRED_TOKEN');
        assertError(await call(server, method, path, { body, apiKey: 'wrong-key' }), 401, 'UNAUTHORIZED');
      }
      assertError(await call(server, 'GET', '/api/v1/me/notifications', { apiKey: API_KEY }), 401, 'UNAUTHORIZED');
      await unchanged();
      assert.equal((await call(server, 'GET', '/api/v1/users/x401', { apiKey: API_KEY })).status, 404);
    });

    it('403 FORBIDDEN: a user token on producer routes', async () => {
      for (const [method, path, body] of [
        ['POST', '/api/v1/notifications', good],
        ['PUT', `/api/v1/users/${victim}`, { display_name: 'hacked' }],
        ['GET', `/api/v1/users/${victim}`],
        ['GET', '/api/v1/notification-types'],
        ['POST', '/api/v1/notification-types', { name: 'Evil' }],
      ])
        assertError(await call(server, method, path, { body, token: vt }), 403, 'FORBIDDEN');
      await unchanged();
      const user = await call(server, 'GET', `/api/v1/users/${victim}`, { apiKey: API_KEY });
      assert.notEqual(user.body.display_name, 'hacked');
      const types = await call(server, 'GET', '/api/v1/notification-types', { apiKey: API_KEY });
      assert.ok(!types.body.some((t) => t.name === 'Evil'));
    });

    it('404 NOT_FOUND: unknown paths and ids; 405 METHOD_NOT_ALLOWED: wrong methods', async () => {
      for (const path of ['/api/v1/nope', '/api/v1/notifications/extra', '/api/v1/me', '/api/v2/notifications', '/api/v1/users'])
        assertError(await call(server, 'GET', path, { apiKey: API_KEY }), 404, 'NOT_FOUND');
      assertError(await call(server, 'GET', '/api/v1/users/nobody-at-all', { apiKey: API_KEY }), 404, 'NOT_FOUND');
      for (const [method, path] of [
        ['GET', '/api/v1/notifications'],
        ['DELETE', '/api/v1/notifications'],
        ['DELETE', '/api/v1/me/notifications'],
        ['GET', '/api/v1/me/notifications/read_all'],
        ['POST', '/api/v1/me/notifications/unread_count'],
        ['DELETE', '/api/v1/users/x'],
        ['PATCH', '/api/v1/notification-types'],
      ])
        assertError(await call(server, method, path, { apiKey: API_KEY }), 405, 'METHOD_NOT_ALLOWED');
      await unchanged();
    });

    it('409 CONFLICT: a type that exists; a bad type body: 400; nothing written', async () => {
      const before = (await call(server, 'GET', '/api/v1/notification-types', { apiKey: API_KEY })).body;
      assertError(await call(server, 'POST', '/api/v1/notification-types', { apiKey: API_KEY, body: { id: 'info', name: 'Info again' } }), 409, 'CONFLICT');
      for (const body of ['{', { id: 'no-name' }, { name: '' }, { name: 5 }, { name: 'X', icon: 3 }])
        assertError(await call(server, 'POST', '/api/v1/notification-types', { apiKey: API_KEY, body }), 400, 'INVALID_PAYLOAD');
      for (const body of ['{', { username: 5 }, { departments: 'eng' }, [1]])
        assertError(await call(server, 'PUT', '/api/v1/users/bad-user', { apiKey: API_KEY, body }), 400, 'INVALID_PAYLOAD');
      const after = (await call(server, 'GET', '/api/v1/notification-types', { apiKey: API_KEY })).body;
      assert.deepEqual(after, before);
      assert.equal(after.find((t) => t.id === 'info').name, before.find((t) => t.id === 'info').name);
      assertError(await call(server, 'GET', '/api/v1/users/bad-user', { apiKey: API_KEY }), 404, 'NOT_FOUND');
      await unchanged();
      // None of the failures above emitted anything.
      const baselineIds = new Set(baseline.map((n) => n.id));
      await barrier(server, [watcher]);
      assert.ok(received(watcher.rec).every((p) => baselineIds.has(p.id) || p.title.startsWith('barrier')));
    });
  });

  describe('directory and types', () => {
    it('PUT /users/{id}: 201 then 200, fields merged; GET answers it', async () => {
      const r1 = await call(server, 'PUT', '/api/v1/users/dana', { apiKey: API_KEY, body: { username: 'dana', display_name: 'Dana', departments: ['ops'] } });
      assert.equal(r1.status, 201, r1.text);
      assert.deepEqual(r1.body, { username: 'dana', display_name: 'Dana', departments: ['ops'] });
      const r2 = await call(server, 'PUT', '/api/v1/users/dana', { token: producer, body: { display_name: 'Dana S.' } });
      assert.equal(r2.status, 200, r2.text);
      assert.deepEqual(r2.body, { username: 'dana', display_name: 'Dana S.', departments: ['ops'] });
      const r3 = await call(server, 'PUT', '/api/v1/users/dana', { apiKey: API_KEY, body: { departments: ['ops', 'sec'] } });
      assert.equal(r3.status, 200);
      const got = await call(server, 'GET', '/api/v1/users/dana', { apiKey: API_KEY });
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, { username: 'dana', display_name: 'Dana S.', departments: ['ops', 'sec'] });
      // A department notification reaches the directory-only user through the merged departments.
      const n = await create(server, { title: 'sec', content: 'x', targets: { departments: ['sec'] } });
      assert.equal(n.recipient_count, 1);
      assert.deepEqual((await inbox(server, userToken(server, 'dana'))).map((i) => i.id), [n.id]);
      // A connection updates the directory from its claims.
      await connect('dana', { depts: ['web'] });
      await until(async () => {
        const u = await call(server, 'GET', '/api/v1/users/dana', { apiKey: API_KEY });
        return JSON.stringify(u.body.departments) === JSON.stringify(['web']);
      }, { what: 'the directory to take the departments of the token' });
    });

    it('GET /notification-types: the 5 built-in types; POST creates (201), the new type is usable', async () => {
      const list = await call(server, 'GET', '/api/v1/notification-types', { apiKey: API_KEY });
      assert.equal(list.status, 200);
      assert.ok(Array.isArray(list.body));
      for (const id of BUILTIN_TYPES) {
        const t = list.body.find((x) => x.id === id);
        assert.ok(t, `built-in type ${id}`);
        assert.deepEqual(Object.keys(t).sort(), ['color', 'icon', 'id', 'name']);
        for (const k of ['name', 'icon', 'color']) assert.ok(t[k].length > 0, `${id}.${k} is filled`);
      }
      const made = await call(server, 'POST', '/api/v1/notification-types', { apiKey: API_KEY, body: { id: 'deploy', name: 'Deploy', icon: 'rocket', color: '#0050ff' } });
      assert.equal(made.status, 201, made.text);
      assert.deepEqual(made.body, { id: 'deploy', name: 'Deploy', icon: 'rocket', color: '#0050ff' });
      const byName = await call(server, 'POST', '/api/v1/notification-types', { token: producer, body: { name: 'Build Failed' } });
      assert.equal(byName.status, 201, byName.text);
      assert.equal(typeof byName.body.id, 'string');
      assert.ok(byName.body.id.length > 0);
      assert.equal(byName.body.name, 'Build Failed');
      assertError(await call(server, 'POST', '/api/v1/notification-types', { apiKey: API_KEY, body: { id: 'deploy', name: 'Deploy 2' } }), 409, 'CONFLICT');
      // 409 is for an id given; a name alone whose readable id is taken still creates a type.
      const ids = new Set([...list.body.map((t) => t.id), 'deploy', byName.body.id]);
      for (const name of ['Info', 'Deploy', 'Build Failed']) {
        const r = await call(server, 'POST', '/api/v1/notification-types', { apiKey: API_KEY, body: { name } });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.name, name);
        assert.ok(!ids.has(r.body.id), `a new id, not ${r.body.id}`);
        ids.add(r.body.id);
      }
      const again = await call(server, 'GET', '/api/v1/notification-types', { apiKey: API_KEY });
      assert.equal(again.body.length, list.body.length + 5);
      assert.equal(again.body.find((t) => t.id === 'info').name, 'Info');
      const c = await connect('typer');
      const { id } = await create(server, { title: 'd', content: 'x', type: 'deploy', targets: { users: ['typer'] } });
      assertNewPayload(await waitNew(c.rec, id), { type: made.body });
    });
  });

  describe('health and metrics', () => {
    it('/healthz and /readyz answer 200; /metrics is Prometheus text with connections, deliveries, the api-to-emit histogram', async () => {
      assert.equal((await server.fetch('/healthz')).status, 200);
      assert.equal((await server.fetch('/readyz')).status, 200);
      const a = await connect('metric1', { ack: true });
      const b = await connect('metric1', { transport: 'polling', ack: true });
      const { id } = await create(server, { title: 'm', content: 'x', targets: { users: ['metric1'] } });
      await waitNew(a.rec, id);
      await until(async () => (await inbox(server, a.token)).find((n) => n.id === id).delivery_status === 'delivered', { what: 'delivered' });
      const res = await server.fetch('/metrics');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/plain/);
      const text = await res.text();
      const value = (re) => {
        const m = text.match(re);
        assert.ok(m, `${re} in\n${text}`);
        return Number(m[1]);
      };
      assert.match(text, /# TYPE herald_connections gauge/);
      assert.ok(value(/^herald_connections (\d+)$/m) >= 2, 'at least our two connections');
      assert.ok(value(/^herald_deliveries_total\{status="delivered"\} (\d+)$/m) >= 1);
      assert.ok(value(/^herald_deliveries_total\{status="sent"\} (\d+)$/m) >= 1);
      assert.match(text, /# TYPE herald_api_to_emit_seconds histogram/);
      const count = value(/^herald_api_to_emit_seconds_count (\d+)$/m);
      assert.ok(count >= 1);
      assert.equal(value(/^herald_api_to_emit_seconds_bucket\{le="\+Inf"\} (\d+)$/m), count);
      value(/^herald_api_to_emit_seconds_sum ([0-9.e+-]+)$/m);
      // Every sample line is `name{labels} value`.
      for (const line of text.split('\n').filter((l) => l && !l.startsWith('#')))
        assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+$/, line);
      // One more notification moves the histogram.
      await create(server, { title: 'm2', content: 'x', targets: { users: ['metric1'] } });
      const text2 = await (await server.fetch('/metrics')).text();
      assert.equal(Number(text2.match(/^herald_api_to_emit_seconds_count (\d+)$/m)[1]), count + 1);
    });

    it('/metrics counts events in and out (SPEC 7: connections, events in/out, deliveries, latencies)', async () => {
      const metric = async (name) => {
        const text = await (await server.fetch('/metrics')).text();
        assert.match(text, new RegExp(`# TYPE ${name} counter`));
        const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
        assert.ok(m, `${name} in\n${text}`);
        return Number(m[1]);
      };
      const a = await connect('metric2');
      const [in0, out0] = [await metric('herald_events_in_total'), await metric('herald_events_out_total')];
      for (let i = 0; i < 3; i++) await a.socket.timeout(3000).emitWithAck('ping');
      const { id } = await create(server, { title: 'm3', content: 'x', targets: { users: ['metric2'] } });
      await waitNew(a.rec, id);
      assert.ok((await metric('herald_events_in_total')) >= in0 + 3, 'three pings in');
      // Three pongs and the notification:new.
      assert.ok((await metric('herald_events_out_total')) >= out0 + 4, 'pongs and the notification out');
    });
  });

  describe('receipts', () => {
    it('notification:acknowledge with a callback: {ok: true}, delivered; idempotent; the Socket.IO ack marks delivered too', async () => {
      const c = await connect('ack1', { transport: 'polling' });
      const a = await create(server, { title: 'a', content: 'x', targets: { users: ['ack1'] } });
      const b = await create(server, { title: 'b', content: 'x', targets: { users: ['ack1'] } });
      const pa = await waitNew(c.rec, a.id);
      await waitNew(c.rec, b.id);
      let items = await inbox(server, c.token);
      assert.equal(items.find((n) => n.id === a.id).delivery_status, 'pending');
      assert.deepEqual(await emitWithAck(c.socket, 'notification:acknowledge', { recipient_id: pa.recipient_id }), { ok: true });
      assert.deepEqual(await emitWithAck(c.socket, 'notification:acknowledge', { recipient_id: pa.recipient_id }), { ok: true });
      items = await inbox(server, c.token);
      assert.equal(items.find((n) => n.id === a.id).delivery_status, 'delivered');
      assert.equal(items.find((n) => n.id === b.id).delivery_status, 'pending');
      // The acknowledging callback of notification:new.
      const d = await connect('ack1', { ack: true });
      const e = await create(server, { title: 'e', content: 'x', targets: { users: ['ack1'] } });
      await waitNew(d.rec, e.id);
      await until(async () => {
        const all = await inbox(server, c.token);
        return all.find((n) => n.id === e.id).delivery_status === 'delivered';
      }, { what: 'the ack callback to mark delivered' });
      // b was redelivered to d on connect and acknowledged there.
      await until(async () => (await inbox(server, c.token)).find((n) => n.id === b.id).delivery_status === 'delivered', {
        what: 'b delivered through the redelivery to the new socket',
      });
      assert.equal(c.rec.of('error').length, 0);
    });

    it("another user's recipient id: error FORBIDDEN, nothing changes; a bad payload: INVALID_PAYLOAD", async () => {
      const owner = await connect('ack-owner');
      const thief = await connect('ack-thief');
      const { id } = await create(server, { title: 'x', content: 'x', targets: { users: ['ack-owner'] } });
      const { recipient_id: rid } = await waitNew(owner.rec, id);
      thief.socket.emit('notification:acknowledge', { recipient_id: rid });
      const [err] = await thief.rec.wait('error');
      assert.equal(err.code, 'FORBIDDEN');
      assert.equal(typeof err.message, 'string');
      assert.equal((await inbox(server, owner.token)).find((n) => n.id === id).delivery_status, 'pending');
      thief.socket.emit('notification:acknowledge', { nope: 1 });
      const [bad] = await thief.rec.wait('error', 5000, (e) => e.code === 'INVALID_PAYLOAD');
      assert.equal(bad.code, 'INVALID_PAYLOAD');
      assert.ok(thief.socket.connected, 'errors do not close the connection');
    });
  });

  describe('a restart keeps everything', () => {
    it('stop, start on the same directory: inboxes, read state, delivery state, directory, types, idempotency keys', async () => {
      const users = ['rd1', 'pager', 'ack1', 'dana', 'victim', 'snd1'];
      const before = {};
      for (const u of users) before[u] = await inbox(server, userToken(server, u));
      assert.ok(before.pager.length >= 300);
      const dirBefore = (await call(server, 'GET', '/api/v1/users/dana', { apiKey: API_KEY })).body;
      const typesBefore = (await call(server, 'GET', '/api/v1/notification-types', { apiKey: API_KEY })).body;
      const countBefore = (await call(server, 'GET', '/api/v1/me/notifications/unread_count', { token: userToken(server, 'pager') })).body;
      // A pending notification for someone offline: it must arrive after the restart.
      const offline = await create(server, { title: 'while down', content: 'x', targets: { users: ['late1'] } });

      closeAll(...open.splice(0));
      await server.restart(); // SIGTERM, then the same directory and port
      for (const u of users) assert.deepEqual(await inbox(server, userToken(server, u)), before[u], `${u}'s inbox after the restart`);
      assert.deepEqual((await call(server, 'GET', '/api/v1/users/dana', { apiKey: API_KEY })).body, dirBefore);
      assert.deepEqual((await call(server, 'GET', '/api/v1/notification-types', { apiKey: API_KEY })).body, typesBefore);
      assert.deepEqual((await call(server, 'GET', '/api/v1/me/notifications/unread_count', { token: userToken(server, 'pager') })).body, countBefore);
      const replay = await post(server, { title: 'once', content: 'x', idempotency_key: 'deploy-42', targets: { users: ['idem1'] } });
      assert.equal(replay.status, 201);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      // The same secret (herald.secret) still verifies the old tokens; the pending one arrives on connect.
      const late = await connect('late1', { ack: true });
      const p = await waitNew(late.rec, offline.id);
      assertNewPayload(p, { id: offline.id, title: 'while down' });
      await until(async () => (await inbox(server, late.token)).find((n) => n.id === offline.id).delivery_status === 'delivered', {
        what: 'delivered after the restart',
      });
      // New notifications still work and get new ids.
      const fresh = await create(server, { title: 'after', content: 'x', targets: { users: ['late1'] } });
      assert.ok(!Object.values(before).flat().some((n) => n.id === fresh.id), 'ids are not reused');
      await waitNew(late.rec, fresh.id);
    });
  });
});

describe('header and URL limits', () => {
  let server;
  before(async () => {
    server = await startHerald({ args: [API_KEY_FLAG], threads: THREADS });
  });
  after(() => server?.close());

  /** Sends `head` as is on a fresh connection; resolves with the status code and body of the answer. */
  const raw = (head) =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(server.url);
      const sock = net.connect({ host: hostname, port: Number(port) }, () => sock.end(head));
      let text = '';
      sock.on('data', (d) => (text += d));
      sock.on('error', reject);
      sock.on('close', () => resolve({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
    });

  it('an over-long URL answers 414 URI_TOO_LONG, over-long headers 431, both as {error}; the server serves on', async () => {
    const url = await raw(`GET /api/v1/me/notifications?q=${'x'.repeat(40000)} HTTP/1.1\r\nHost: h\r\n\r\n`);
    assert.equal(url.status, 414);
    assert.equal(JSON.parse(url.body).error.code, 'URI_TOO_LONG');
    const headers = await raw(`GET /healthz HTTP/1.1\r\nHost: h\r\nX-Big: ${'y'.repeat(40000)}\r\n\r\n`);
    assert.equal(headers.status, 431);
    assert.equal(JSON.parse(headers.body).error.code, 'HEADERS_TOO_LARGE');
    assert.equal((await server.fetch('/healthz')).status, 200);
  });
});

describe('413 PAYLOAD_TOO_LARGE with --server.max_payload=1000', () => {
  let server;
  before(async () => {
    server = await startHerald({ args: [API_KEY_FLAG, '--server.max_payload=1000'], threads: THREADS });
  });
  after(() => server?.close());

  it('an oversized body: 413 {error}, nothing stored; a body under the limit: 201', async () => {
    const tok = userToken(server, 'big1');
    const big = { title: 'big', content: 'x'.repeat(2000), targets: { users: ['big1'] } };
    assertError(await post(server, big), 413, 'PAYLOAD_TOO_LARGE');
    assertError(await call(server, 'PUT', '/api/v1/users/big1', { apiKey: API_KEY, body: { display_name: 'y'.repeat(2000) } }), 413, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(await inbox(server, tok), []);
    assert.equal((await call(server, 'GET', '/api/v1/users/big1', { apiKey: API_KEY })).status, 404);
    const small = await post(server, { ...big, content: 'x'.repeat(500) });
    assert.equal(small.status, 201, small.text);
    assert.deepEqual((await inbox(server, tok)).map((n) => n.id), [small.body.id]);
  });
});
