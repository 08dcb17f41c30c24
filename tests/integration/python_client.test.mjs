// Herald with another unmodified Socket.IO client: python-socketio (Debian's
// python3-socketio 5.x, Engine.IO v4), run by /usr/bin/python3 through support/py_client.py.
// Over WebSocket only, long-polling only, and python-socketio's default (polling, then the
// upgrade): authenticated, notification:new from the API acknowledged through the Socket.IO
// ack callback (the inbox then reads `delivered`), a client->server call with an ack, and
// a bad token refused with CONNECT_ERROR {message, data: {code: "INVALID_TOKEN"}}.
//
//   node --test tests/integration/python_client.test.mjs
//   (HERALD_BUILD_DIR=<build dir>; skipped when `/usr/bin/python3 -c 'import socketio'` fails)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';

import { isIsoUtc, jwt, nowSeconds, repoRoot, startHerald, withTimeout } from './support/server.mjs';
import { API_KEY_FLAG, assertNewPayload, create, inbox, until, userToken } from './support/herald_api.mjs';

const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(repoRoot, 'tests/integration/support/py_client.py');
const T = 10000;

// python-socketio must be there, with its transports (requests for polling,
// websocket-client for WebSocket), and be 5.x: 4.x speaks Engine.IO v3, which Herald does not.
function probe() {
  const code = [
    'import sys, importlib.metadata as m',
    'import socketio, requests, websocket',
    'print(m.version("python-socketio"))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 20000 });
  if (r.error || r.status !== 0)
    return `${PYTHON} cannot import socketio (with requests and websocket): python-socketio tests skipped (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
  const version = r.stdout.trim();
  if (Number(version.split('.')[0]) < 5) return `python-socketio ${version} is older than 5.x (Engine.IO v3): python-socketio tests skipped`;
  return false;
}
const skip = probe();
if (skip) console.log(`# ${skip}`);

const jwtWithOtherSecret = () => jwt.sign({ sub: 'py-bad', exp: nowSeconds() + 3600 }, 'not-the-server-secret', { algorithm: 'HS256' });

/** One py_client.py process: its stdout as JSON events, its stdin as commands. */
class PyClient {
  constructor(url, token, transport) {
    this.events = [];
    this.waiters = [];
    this.stderr = '';
    this.proc = spawn(PYTHON, [CLIENT, url, token, transport], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d) => (this.stderr = (this.stderr + d).slice(-16000)));
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        e = { event: 'unparsed', line };
      }
      this.events.push(e);
      for (const w of [...this.waiters])
        if (w.event === e.event && (!w.pred || w.pred(e))) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(e);
        }
    });
  }

  /** The first event named `event` (seen or to come) for which pred holds. */
  wait(event, pred, ms = T) {
    const seen = this.events.find((e) => e.event === event && (!pred || pred(e)));
    if (seen) return Promise.resolve(seen);
    let waiter;
    const p = new Promise((resolve) => {
      waiter = { event, pred, resolve };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, `"${event}" from the python client`).catch((e) => {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      throw new Error(`${e.message}; it printed ${JSON.stringify(this.events)}; stderr: ${this.stderr}`);
    });
  }

  send(command) {
    this.proc.stdin.write(`${command}\n`);
  }

  /** Asks it to disconnect; kills it if it has not exited within 5 s. Resolves with the exit status. */
  async close() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.stdin.end('quit\n');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }
}

describe('python-socketio client', { skip }, () => {
  let server;
  const clients = [];
  const client = (...args) => {
    const c = new PyClient(...args);
    clients.push(c);
    return c;
  };
  before(async () => {
    server = await startHerald({ args: [API_KEY_FLAG] });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  const cases = [
    { transport: 'websocket', expect: 'websocket' },
    { transport: 'polling', expect: 'polling' },
    // python-socketio connects over polling and upgrades before connect() returns.
    { transport: 'default', expect: 'websocket' },
  ];
  for (const { transport, expect } of cases) {
    it(`over ${transport}: authenticated, notification:new acknowledged by the ack callback (delivered), ping with an ack`, async () => {
      const user = `py-${transport}`;
      const token = userToken(server, user, { depts: ['py'] });
      const py = client(server.url, token, transport);

      const versions = await py.wait('versions');
      assert.equal(Number(versions.socketio.split('.')[0]), 5, `python-socketio 5.x: ${versions.socketio}`);
      const conn = await py.wait('connect');
      assert.equal(conn.transport, expect, `transport in use: ${JSON.stringify(conn)}`);
      assert.equal(typeof conn.sid, 'string');
      const auth = await py.wait('authenticated');
      assert.equal(auth.data.user_id, user);
      assert.ok(isIsoUtc(auth.data.connected_at), auth.data.connected_at);

      // A notification through the API, to the user and to the user's department.
      const title = `for python over ${transport}`;
      const { id } = await create(server, { title, content: 'from **the API**', type: 'info', targets: { users: [user] } });
      const got = (await py.wait('notification:new', (e) => e.data.id === id)).data;
      assertNewPayload(got, { id, title, content: 'from **the API**' });
      assert.match(got.content_html, /<strong>the API<\/strong>/);
      // Its receipt was the return value of the handler, sent back as the Socket.IO ack.
      await until(async () => (await inbox(server, token)).find((n) => n.id === id)?.delivery_status === 'delivered', {
        ms: T,
        what: `delivery_status delivered for ${id}`,
      });

      const { id: deptId } = await create(server, { title: 'to the py department', content: '.', targets: { departments: ['py'] } });
      const viaDept = (await py.wait('notification:new', (e) => e.data.id === deptId)).data;
      assert.equal(viaDept.title, 'to the py department');

      // Client to server with an ack: ping answers the callback (and emits pong).
      py.send('ping');
      const pong = await py.wait('ping_ack');
      assert.equal(pong.transport, expect);
      assert.ok(pong.data && isIsoUtc(pong.data.ts), JSON.stringify(pong));
      const pongEvent = await py.wait('other', (e) => e.name === 'pong');
      assert.ok(isIsoUtc(pongEvent.args[0].ts), JSON.stringify(pongEvent));

      // notification:acknowledge with a callback: {ok: true}, idempotent.
      py.send(`acknowledge ${viaDept.recipient_id}`);
      assert.deepEqual((await py.wait('acknowledge_ack')).data, { ok: true });
      await until(async () => (await inbox(server, token)).find((n) => n.id === deptId)?.delivery_status === 'delivered', {
        ms: T,
        what: `delivery_status delivered for ${deptId}`,
      });

      assert.deepEqual(
        py.events.filter((e) => ['error', 'connect_error', 'disconnect', 'timeout', 'unparsed'].includes(e.event)),
        [],
        'no error, no disconnect',
      );
      const status = await py.close();
      assert.equal(status.code, 0, `exit status ${JSON.stringify(status)}; stderr: ${py.stderr}`);
      assert.ok(py.events.some((e) => e.event === 'closed'));
    });
  }

  it('a bad token is refused with CONNECT_ERROR data.code INVALID_TOKEN, over websocket and over polling', async () => {
    const forged = userToken(server, 'py-bad').slice(0, -4) + 'AAAA'; // a bad signature
    const tokens = { malformed: 'not-a-jwt', forged, 'HS256 with another secret': jwtWithOtherSecret() };
    // python-socketio waits its wait_timeout (5 s) after a refusal before connect() raises:
    // the six clients run side by side.
    const runs = [];
    for (const transport of ['websocket', 'polling'])
      for (const [kind, token] of Object.entries(tokens))
        runs.push(
          (async () => {
            const py = client(server.url, token, transport);
            const what = `${kind} token over ${transport}`;
            const err = await py.wait('connect_error');
            assert.deepEqual(err.data, { message: 'Authentication failed', data: { code: 'INVALID_TOKEN' } }, what);
            await py.wait('refused', undefined, 15000);
            assert.ok(!py.events.some((e) => ['connect', 'authenticated'].includes(e.event)), `${what}: ${JSON.stringify(py.events)}`);
            assert.equal((await py.exited).code, 0, `${what}: ${py.stderr}`);
          })(),
        );
    await Promise.all(runs);
  });
});
