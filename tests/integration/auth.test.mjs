// SPEC sections 2 and 3 on /notifications, with the official socket.io-client over
// WebSocket and over HTTP long-polling (issue 3).
//
//   node --test tests/integration/auth.test.mjs
//   (HERALD_BUILD_DIR=<build dir>, HERALD_IT_THREADS=<event loops>, default 2)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  API_MISSING,
  Recorder,
  connected,
  isIsoUtc,
  jwt,
  nextArg,
  nowSeconds,
  postNotification,
  randomSecret,
  refused,
  startHerald,
} from './support/server.mjs';

const NSP = '/notifications';
const TRANSPORTS = ['websocket', 'polling'];
const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');

// Opens a /notifications socket and records everything it receives.
function open(server, transport, opts = {}) {
  const socket = server.socket(NSP, { transports: [transport], ...opts });
  const rec = new Recorder(socket);
  return { socket, rec };
}

async function expectAccepted(server, transport, opts, userId) {
  const { socket, rec } = open(server, transport, opts);
  try {
    await connected(socket);
    const [auth] = await rec.wait('authenticated');
    assert.deepEqual(Object.keys(auth).sort(), ['connected_at', 'user_id']);
    assert.equal(auth.user_id, userId);
    assert.ok(isIsoUtc(auth.connected_at), auth.connected_at);
    assert.ok(Math.abs(Date.parse(auth.connected_at) - Date.now()) < 10_000, 'connected_at is now');
    return auth;
  } finally {
    socket.disconnect();
  }
}

async function expectRefused(server, transport, opts, code) {
  const { socket, rec } = open(server, transport, opts);
  try {
    const err = await refused(socket);
    assert.equal(err.message, code === 'SERVER_ERROR' ? 'Server error' : 'Authentication failed');
    assert.deepEqual(err.data, { code });
    assert.ok(!rec.names().includes('authenticated'));
    assert.equal(socket.connected, false);
  } finally {
    socket.disconnect();
  }
}

// Awaits a refresh ack.
const refresh = (socket, body) => socket.timeout(5000).emitWithAck('auth:refresh', body);

describe('herald /notifications: authentication at connection', () => {
  let server;
  let good; // herald token, 1 h, user alice in eng + ops
  before(async () => {
    server = await startHerald(); // default leeway 30 s; secret generated in herald.secret
    good = await server.mintToken({ user: 'alice', depts: ['eng', 'ops'], ttl: '1h' });
  });
  after(() => server?.close());

  it('GET /healthz answers 200', async () => {
    const res = await server.fetch('/healthz');
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  for (const transport of TRANSPORTS) {
    describe(`over ${transport}`, () => {
      it('reads the token from auth.token', () => expectAccepted(server, transport, { auth: { token: good } }, 'alice'));
      it('reads the token from the query parameter token', () =>
        expectAccepted(server, transport, { query: { token: good } }, 'alice'));
      it('reads the token from the Authorization header', () =>
        expectAccepted(server, transport, { extraHeaders: { Authorization: `Bearer ${good}` } }, 'alice'));
      it('ignores a Bearer prefix in any case and surrounding white space: auth.token', async () => {
        await expectAccepted(server, transport, { auth: { token: ` Bearer ${good}` } }, 'alice');
        await expectAccepted(server, transport, { auth: { token: `\tbEaReR   ${good}  ` } }, 'alice');
      });
      it('ignores a Bearer prefix in any case and surrounding white space: Authorization header', async () => {
        await expectAccepted(server, transport, { extraHeaders: { Authorization: ` Bearer ${good} ` } }, 'alice');
        await expectAccepted(server, transport, { extraHeaders: { Authorization: `BEARER ${good}` } }, 'alice');
        await expectAccepted(server, transport, { extraHeaders: { Authorization: good } }, 'alice');
      });
      it('ignores a Bearer prefix in any case and surrounding white space: query token (percent-decoded)', async () => {
        // The client sends ?token=%20bearer%20<JWT>%20: the value must be percent-decoded.
        await expectAccepted(server, transport, { query: { token: ` bearer ${good} ` } }, 'alice');
      });
      it('takes auth.token first, then the query, then the header', async () => {
        const bob = server.sign({ sub: 'bob', departments: [], exp: nowSeconds() + 600 });
        await expectAccepted(server, transport, { auth: { token: good }, query: { token: bob } }, 'alice');
        await expectAccepted(server, transport, { auth: { token: good }, query: { token: 'garbage' } }, 'alice');
        await expectAccepted(server, transport, { query: { token: bob }, extraHeaders: { Authorization: `Bearer ${good}` } }, 'bob');
        await expectRefused(server, transport, { auth: { token: 'garbage' }, query: { token: good } }, 'INVALID_TOKEN');
        await expectRefused(server, transport, { query: { token: 'garbage' }, extraHeaders: { Authorization: `Bearer ${good}` } }, 'INVALID_TOKEN');
      });
      it('accepts user_id when there is no sub, and a token expired within the leeway', async () => {
        await expectAccepted(server, transport, { auth: { token: server.sign({ user_id: 'carol', exp: nowSeconds() + 60 }) } }, 'carol');
        await expectAccepted(server, transport, { auth: { token: server.sign({ sub: 'dave', exp: nowSeconds() - 5 }) } }, 'dave');
      });

      const cases = {
        'no token at all': () => ({}),
        'an empty auth.token': () => ({ auth: { token: '' } }),
        'a Bearer prefix alone': () => ({ auth: { token: 'Bearer ' } }),
        'garbage': () => ({ auth: { token: 'garbage' } }),
        'three dots of garbage': () => ({ auth: { token: 'a.b.c' } }),
        'a bad signature (payload changed)': () => {
          const [h, , s] = good.split('.');
          return { auth: { token: `${h}.${b64url({ sub: 'mallory', departments: ['eng'], exp: nowSeconds() + 600 })}.${s}` } };
        },
        'alg none': () => ({ auth: { token: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'mallory', exp: nowSeconds() + 600 })}.` } }),
        'alg None with a signature': () => {
          const [, , s] = good.split('.');
          return { auth: { token: `${b64url({ alg: 'None', typ: 'JWT' })}.${b64url({ sub: 'mallory', exp: nowSeconds() + 600 })}.${s}` } };
        },
        'the wrong secret': () => ({ auth: { token: jwt.sign({ sub: 'alice', exp: nowSeconds() + 600 }, 'not-the-secret') } }),
        'another algorithm (HS512, right secret)': () => ({ auth: { token: server.sign({ sub: 'alice', exp: nowSeconds() + 600 }, { algorithm: 'HS512' }) } }),
        'no exp': () => ({ auth: { token: server.sign({ sub: 'alice' }) } }),
        'nbf in the future (beyond leeway)': () => ({ auth: { token: server.sign({ sub: 'alice', nbf: nowSeconds() + 600, exp: nowSeconds() + 1200 }) } }),
        'no user (neither sub nor user_id)': () => ({ auth: { token: server.sign({ departments: ['eng'], exp: nowSeconds() + 600 }) } }),
        'departments not an array of strings': () => ({ auth: { token: server.sign({ sub: 'alice', departments: 'eng', exp: nowSeconds() + 600 }) } }),
        'garbage in the query': () => ({ query: { token: 'garbage' } }),
        'garbage in the header': () => ({ extraHeaders: { Authorization: 'Bearer garbage' } }),
      };
      for (const [name, opts] of Object.entries(cases)) {
        it(`refuses ${name}: CONNECT_ERROR INVALID_TOKEN`, () => expectRefused(server, transport, opts(), 'INVALID_TOKEN'));
      }
      it('refuses a token expired beyond the leeway: CONNECT_ERROR EXPIRED_TOKEN (auth.token, query, header)', async () => {
        const expired = server.sign({ sub: 'alice', exp: nowSeconds() - 120 });
        await expectRefused(server, transport, { auth: { token: expired } }, 'EXPIRED_TOKEN');
        await expectRefused(server, transport, { query: { token: expired } }, 'EXPIRED_TOKEN');
        await expectRefused(server, transport, { extraHeaders: { Authorization: `Bearer ${expired}` } }, 'EXPIRED_TOKEN');
      });
      it('a refused namespace leaves the engine session usable for a retry with a good token', async () => {
        const { socket } = open(server, transport, { auth: { token: 'garbage' } });
        try {
          await refused(socket);
          socket.auth = { token: good };
          const authed = nextArg(socket, 'authenticated');
          socket.connect();
          await connected(socket);
          assert.equal((await authed).user_id, 'alice');
        } finally {
          socket.disconnect();
        }
      });
    });
  }
});

describe('herald: issuer, audience and a secret from HERALD_AUTH_JWT_SECRET', () => {
  let server;
  before(async () => {
    server = await startHerald({
      args: ['--auth.issuer=herald-tests', '--auth.audience=herald'],
      env: { HERALD_AUTH_JWT_SECRET: randomSecret() },
    });
  });
  after(() => server?.close());

  for (const transport of TRANSPORTS) {
    it(`over ${transport}: iss and aud are checked`, async () => {
      const exp = nowSeconds() + 600;
      // herald token, with the same configuration, signs what the server accepts.
      await expectAccepted(server, transport, { auth: { token: await server.mintToken({ user: 'erin' }) } }, 'erin');
      await expectAccepted(server, transport, { auth: { token: server.sign({ sub: 'erin', iss: 'herald-tests', aud: ['other', 'herald'], exp }) } }, 'erin');
      await expectRefused(server, transport, { auth: { token: server.sign({ sub: 'erin', iss: 'someone-else', aud: 'herald', exp }) } }, 'INVALID_TOKEN');
      await expectRefused(server, transport, { auth: { token: server.sign({ sub: 'erin', aud: 'herald', exp }) } }, 'INVALID_TOKEN');
      await expectRefused(server, transport, { auth: { token: server.sign({ sub: 'erin', iss: 'herald-tests', aud: 'other', exp }) } }, 'INVALID_TOKEN');
      await expectRefused(server, transport, { auth: { token: server.sign({ sub: 'erin', iss: 'herald-tests', exp }) } }, 'INVALID_TOKEN');
      // A generated herald.secret would not be used: the environment's secret is.
      await expectRefused(server, transport, { auth: { token: jwt.sign({ sub: 'erin', iss: 'herald-tests', aud: 'herald', exp }, 'x') } }, 'INVALID_TOKEN');
    });
  }
});

describe('herald: RS256 with a JWKS, ES256 with a PEM key', () => {
  let keyDir;
  const servers = [];
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  before(() => {
    keyDir = mkdtempSync(path.join(tmpdir(), 'herald-it-keys-'));
    const jwk = { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
    writeFileSync(path.join(keyDir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    writeFileSync(path.join(keyDir, 'ec.pem'), ec.publicKey.export({ type: 'spki', format: 'pem' }));
  });
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('RS256: the key is chosen by kid; an unknown kid, another key, HS256 with the public key: INVALID_TOKEN', async () => {
    const server = await startHerald({ args: ['--auth.algorithm=RS256', `--auth.jwks_file=${path.join(keyDir, 'jwks.json')}`] });
    servers.push(server);
    const claims = { sub: 'rsa-user', departments: ['eng'], exp: nowSeconds() + 600 };
    const sign = (key, keyid, algorithm = 'RS256') => jwt.sign(claims, key, { algorithm, ...(keyid ? { keyid } : {}) });
    for (const transport of TRANSPORTS) {
      await expectAccepted(server, transport, { auth: { token: sign(rsa.privateKey, 'k1') } }, 'rsa-user');
      await expectRefused(server, transport, { auth: { token: sign(rsa.privateKey, 'unknown-kid') } }, 'INVALID_TOKEN');
      await expectRefused(server, transport, { auth: { token: sign(otherRsa.privateKey, 'k1') } }, 'INVALID_TOKEN');
      const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
      const confused = `${b64url({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64url(claims)}`;
      const { createHmac } = await import('node:crypto');
      const mac = createHmac('sha256', pem).update(confused).digest('base64url');
      await expectRefused(server, transport, { auth: { token: `${confused}.${mac}` } }, 'INVALID_TOKEN');
    }
  });

  it('ES256 with a PEM public key', async () => {
    const server = await startHerald({ args: ['--auth.algorithm=ES256', `--auth.public_key_file=${path.join(keyDir, 'ec.pem')}`] });
    servers.push(server);
    const claims = { sub: 'ec-user', exp: nowSeconds() + 600 };
    for (const transport of TRANSPORTS) {
      await expectAccepted(server, transport, { auth: { token: jwt.sign(claims, ec.privateKey, { algorithm: 'ES256' }) } }, 'ec-user');
      await expectRefused(server, transport, { auth: { token: jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256' }) } }, 'INVALID_TOKEN');
      await expectRefused(server, transport, { auth: { token: jwt.sign({ ...claims, exp: nowSeconds() - 120 }, ec.privateKey, { algorithm: 'ES256' }) } }, 'EXPIRED_TOKEN');
    }
  });
});

describe('herald: legacy --auth.reject_mode=event', () => {
  let server;
  before(async () => {
    server = await startHerald({ args: ['--auth.reject_mode=event'] });
  });
  after(() => server?.close());

  for (const transport of TRANSPORTS) {
    describe(`over ${transport}`, () => {
      const cases = {
        INVALID_TOKEN: () => ({ auth: { token: 'garbage' } }),
        EXPIRED_TOKEN: () => ({ auth: { token: server.sign({ sub: 'old', exp: nowSeconds() - 120 }) } }),
      };
      for (const [code, opts] of Object.entries(cases)) {
        it(`${code}: the connection succeeds, auth_error {message, code} arrives, then a server disconnect`, async () => {
          const { socket, rec } = open(server, transport, opts());
          try {
            await connected(socket);
            const [reason] = await rec.wait('disconnect');
            assert.equal(reason, 'io server disconnect');
            const errors = rec.of('auth_error');
            assert.equal(errors.length, 1);
            assert.deepEqual(errors[0], [{ message: 'Authentication failed', code }]);
            assert.deepEqual(rec.names(), ['connect', 'auth_error', 'disconnect']);
          } finally {
            socket.disconnect();
          }
        });
      }
      it('a good token still gets authenticated and stays', async () => {
        const token = await server.mintToken({ user: 'legacy-ok' });
        const { socket, rec } = open(server, transport, { auth: { token } });
        try {
          await connected(socket);
          assert.equal((await rec.wait('authenticated'))[0].user_id, 'legacy-ok');
          const pong = await socket.timeout(3000).emitWithAck('ping', null);
          assert.ok(isIsoUtc(pong.ts));
          assert.ok(socket.connected);
          assert.ok(!rec.names().includes('auth_error'));
        } finally {
          socket.disconnect();
        }
      });
    });
  }
});

describe('herald: a live connection (--auth.leeway=0s)', () => {
  let server;
  let producer;
  before(async () => {
    server = await startHerald({ args: ['--auth.leeway=0s'] });
    producer = await server.mintToken({ user: 'svc', role: 'service' });
  });
  after(() => server?.close());

  async function live(transport, user, depts = [], ttl = '1h') {
    const token = await server.mintToken({ user, depts, ttl });
    const { socket, rec } = open(server, transport, { auth: { token } });
    await connected(socket);
    await rec.wait('authenticated');
    return { socket, rec, token };
  }

  for (const transport of TRANSPORTS) {
    describe(`over ${transport}`, () => {
      it('a token expiring during the connection: auth_error EXPIRED_TOKEN, then disconnect', async () => {
        const { socket, rec, token } = await live(transport, 'short', [], '2s');
        try {
          const { exp } = jwt.decode(token);
          const [reason] = await rec.wait('disconnect', 6000);
          assert.ok(Date.now() >= exp * 1000 - 50, 'not before exp');
          assert.equal(reason, 'io server disconnect');
          assert.deepEqual(rec.names(), ['connect', 'authenticated', 'auth_error', 'disconnect']);
          const [[err]] = rec.of('auth_error');
          assert.equal(err.code, 'EXPIRED_TOKEN');
          assert.equal(typeof err.message, 'string');
        } finally {
          socket.disconnect();
        }
      });

      it('auth:refresh with a new token of the same user keeps the connection past the old expiry', async () => {
        const exp = nowSeconds() + 2;
        const refreshed = open(server, transport, { auth: { token: server.sign({ sub: 'renew', departments: [], exp }) } });
        // The control expires one second after the refreshed socket would have.
        const control = open(server, transport, { auth: { token: server.sign({ sub: 'renew', departments: [], exp: exp + 1 }) } });
        try {
          await Promise.all([connected(refreshed.socket), connected(control.socket)]);
          await Promise.all([refreshed.rec.wait('authenticated'), control.rec.wait('authenticated')]);
          const newExp = nowSeconds() + 3600;
          const ack = await refresh(refreshed.socket, { token: server.sign({ sub: 'renew', departments: ['x'], exp: newExp }) });
          assert.deepEqual(Object.keys(ack).sort(), ['expires_at', 'ok']);
          assert.equal(ack.ok, true);
          assert.ok(isIsoUtc(ack.expires_at), ack.expires_at);
          assert.equal(Date.parse(ack.expires_at), newExp * 1000);
          await control.rec.wait('auth_error', 8000);
          await control.rec.wait('disconnect', 3000);
          // The old expiry is over a second behind us; the refreshed socket is still there.
          const pong = await refreshed.socket.timeout(3000).emitWithAck('ping', 'still');
          assert.ok(isIsoUtc(pong.ts));
          assert.ok(refreshed.socket.connected);
          assert.ok(!refreshed.rec.names().includes('auth_error'), JSON.stringify(refreshed.rec.names()));
          assert.ok(!refreshed.rec.names().includes('disconnect'));
        } finally {
          refreshed.socket.disconnect();
          control.socket.disconnect();
        }
      });

      it('auth:refresh to a shorter-lived token moves the expiry earlier', async () => {
        const { socket, rec } = await live(transport, 'shrink', ['eng'], '1h');
        try {
          const exp = nowSeconds() + 2;
          const ack = await refresh(socket, { token: server.sign({ sub: 'shrink', departments: ['eng'], exp }) });
          assert.equal(ack.ok, true);
          assert.equal(Date.parse(ack.expires_at), exp * 1000);
          const [err] = await rec.wait('auth_error', 6000);
          assert.equal(err.code, 'EXPIRED_TOKEN');
          assert.ok(Date.now() >= exp * 1000 - 50, 'not before exp');
          assert.equal((await rec.wait('disconnect'))[0], 'io server disconnect');
        } finally {
          socket.disconnect();
        }
      });

      it('auth:refresh failures: another user, garbage, expired, no token; ack {ok:false, code}; the connection stays', async () => {
        const { socket, rec } = await live(transport, 'frank', ['eng']);
        try {
          const other = await server.mintToken({ user: 'grace', depts: ['eng'] });
          assert.deepEqual(await refresh(socket, { token: other }), { ok: false, code: 'INVALID_TOKEN' });
          assert.deepEqual(await refresh(socket, { token: 'garbage' }), { ok: false, code: 'INVALID_TOKEN' });
          assert.deepEqual(await refresh(socket, { token: server.sign({ sub: 'frank', exp: nowSeconds() - 10 }) }), { ok: false, code: 'EXPIRED_TOKEN' });
          assert.deepEqual(await refresh(socket, {}), { ok: false, code: 'INVALID_PAYLOAD' });
          assert.deepEqual(await refresh(socket, 'not an object'), { ok: false, code: 'INVALID_PAYLOAD' });
          assert.ok(!rec.names().includes('error'), 'with an ack, failures are not also emitted as error');
          const pong = await socket.timeout(3000).emitWithAck('ping', 1);
          assert.ok(isIsoUtc(pong.ts));
          assert.ok(socket.connected);
          assert.ok(!rec.names().includes('disconnect'));
        } finally {
          socket.disconnect();
        }
      });

      it('auth:refresh failure without an ack callback: error {code}', async () => {
        const { socket, rec } = await live(transport, 'heidi');
        try {
          socket.emit('auth:refresh', { token: await server.mintToken({ user: 'ivan' }) });
          const [err] = await rec.wait('error');
          assert.equal(err.code, 'INVALID_TOKEN');
          assert.equal(typeof err.message, 'string');
          // A good refresh without a callback is silent; the socket goes on.
          socket.emit('auth:refresh', { token: await server.mintToken({ user: 'heidi' }) });
          await socket.timeout(3000).emitWithAck('ping', 1);
          assert.equal(rec.of('error').length, 1);
          assert.ok(socket.connected);
        } finally {
          socket.disconnect();
        }
      });

      it('ping: pong {ts} and the ack', async () => {
        const { socket, rec } = await live(transport, 'judy');
        try {
          const ack = await socket.timeout(3000).emitWithAck('ping', { any: 'thing' });
          assert.deepEqual(Object.keys(ack), ['ts']);
          assert.ok(isIsoUtc(ack.ts));
          assert.ok(Math.abs(Date.parse(ack.ts) - Date.now()) < 10_000);
          const [pong] = await rec.wait('pong');
          assert.deepEqual(Object.keys(pong), ['ts']);
          assert.ok(isIsoUtc(pong.ts));
          // Without an ack, and without arguments.
          socket.emit('ping');
          await rec.wait('pong', 3000, () => rec.of('pong').length === 2);
        } finally {
          socket.disconnect();
        }
      });

      it('an unknown event gets error UNKNOWN_EVENT and the connection stays', async () => {
        const { socket, rec } = await live(transport, 'ken');
        try {
          socket.emit('no such event', { a: 1 });
          const [err] = await rec.wait('error');
          assert.equal(err.code, 'UNKNOWN_EVENT');
          assert.equal(typeof err.message, 'string');
          const ack = await socket.timeout(3000).emitWithAck('still unknown');
          assert.equal(ack.ok, false);
          assert.equal(ack.code, 'UNKNOWN_EVENT');
          // With an ack callback the error event comes too (SPEC 3: an unknown event gets error).
          await rec.wait('error', 5000, () => rec.of('error').length === 2);
          for (const [e] of rec.of('error')) assert.equal(e.code, 'UNKNOWN_EVENT');
          assert.ok(isIsoUtc((await socket.timeout(3000).emitWithAck('ping')).ts));
          assert.ok(socket.connected);
          assert.ok(!rec.names().includes('disconnect'));
        } finally {
          socket.disconnect();
        }
      });

      it('a malformed notification:acknowledge gets error INVALID_PAYLOAD and the connection stays', async () => {
        const { socket, rec } = await live(transport, 'liam');
        try {
          const bad = [[], ['just a string'], [42], [null], [{}], [{ recipient_id: null }], [{ recipient_id: '' }], [{ recipient_id: { x: 1 } }], [[1, 2]]];
          for (const args of bad) socket.emit('notification:acknowledge', ...args);
          await rec.wait('error', 5000, () => rec.of('error').length === bad.length);
          for (const [err] of rec.of('error')) assert.equal(err.code, 'INVALID_PAYLOAD', JSON.stringify(err));
          const ack = await socket.timeout(3000).emitWithAck('notification:acknowledge', { nope: 1 });
          assert.deepEqual(ack, { ok: false, code: 'INVALID_PAYLOAD' });
          // With an ack callback the error event comes too (SPEC 3: a malformed payload gets error).
          await rec.wait('error', 5000, () => rec.of('error').length === bad.length + 1);
          for (const [err] of rec.of('error')) assert.equal(err.code, 'INVALID_PAYLOAD', JSON.stringify(err));
          assert.ok(isIsoUtc((await socket.timeout(3000).emitWithAck('ping')).ts));
          assert.ok(socket.connected);
        } finally {
          socket.disconnect();
        }
      });

      it("a client cannot join another user's room", async (t) => {
        // Names per transport: a user's undelivered notifications come again on their next connection.
        const [victimId, attackerId, secretDept] = ['victim', 'attacker', 'secret-dept'].map((n) => `${n}-${transport}`);
        const victim = await live(transport, victimId, [secretDept]);
        const attacker = await live(transport, attackerId, [`public-${transport}`]);
        try {
          for (const room of [`user:${victimId}`, `dept:${secretDept}`]) {
            for (const event of ['join', 'subscribe', 'join_room']) attacker.socket.emit(event, room);
            attacker.socket.emit('join', { room });
          }
          await attacker.rec.wait('error', 5000, () => attacker.rec.of('error').length === 8);
          for (const [err] of attacker.rec.of('error')) assert.equal(err.code, 'UNKNOWN_EVENT');
          const toVictim = await postNotification(server, producer, { title: 'private', content: 'x', targets: { users: [victimId] } });
          if (toVictim.status === 404) return t.skip(API_MISSING);
          assert.equal(toVictim.status, 201, JSON.stringify(toVictim.body));
          const toDept = await postNotification(server, producer, { title: 'dept', content: 'x', targets: { departments: [secretDept] } });
          assert.equal(toDept.status, 201);
          const barrier = await postNotification(server, producer, { title: 'barrier', content: 'x', targets: { users: [attackerId] } });
          assert.equal(barrier.status, 201);
          await victim.rec.wait('notification:new', 5000, (n) => n.id === toDept.body.id);
          const [[first]] = [await attacker.rec.wait('notification:new', 5000)];
          assert.equal(first.id, barrier.body.id, 'the attacker receives only their own');
          assert.deepEqual(attacker.rec.of('notification:new').map(([n]) => n.id), [barrier.body.id]);
        } finally {
          victim.socket.disconnect();
          attacker.socket.disconnect();
        }
      });

      it('department rooms follow the claims of a refreshed token', async (t) => {
        const [mover, oldDept, newDept] = ['mover', 'old-dept', 'new-dept'].map((n) => `${n}-${transport}`);
        const { socket, rec } = await live(transport, mover, [oldDept]);
        try {
          const ack = await refresh(socket, { token: await server.mintToken({ user: mover, depts: [newDept] }) });
          assert.equal(ack.ok, true);
          const toOld = await postNotification(server, producer, { title: 'old', content: 'x', targets: { departments: [oldDept] } });
          if (toOld.status === 404) return t.skip(API_MISSING);
          assert.equal(toOld.status, 201, JSON.stringify(toOld.body));
          const toNew = await postNotification(server, producer, { title: 'new', content: 'x', targets: { departments: [newDept] } });
          assert.equal(toNew.status, 201);
          await rec.wait('notification:new', 5000, (n) => n.id === toNew.body.id);
          assert.deepEqual(rec.of('notification:new').map(([n]) => n.title), ['new']);
        } finally {
          socket.disconnect();
        }
      });
    });
  }
});

describe('herald: expiry on a live connection waits for the leeway (--auth.leeway=2s)', () => {
  let server;
  before(async () => {
    server = await startHerald({ args: ['--auth.leeway=2s'] });
  });
  after(() => server?.close());

  it('auth_error EXPIRED_TOKEN comes at exp + leeway, not at exp (websocket and polling at once)', async () => {
    const exp = nowSeconds() + 1;
    const clients = TRANSPORTS.map((transport) => open(server, transport, { auth: { token: server.sign({ sub: `lee-${transport}`, exp }) } }));
    try {
      await Promise.all(clients.map(({ socket }) => connected(socket)));
      await Promise.all(
        clients.map(async ({ rec }) => {
          await rec.wait('authenticated');
          const [err] = await rec.wait('auth_error', 8000);
          const at = Date.now();
          assert.equal(err.code, 'EXPIRED_TOKEN');
          assert.ok(at >= (exp + 2) * 1000 - 50, `fired ${(exp + 2) * 1000 - at} ms before exp + leeway`);
          assert.ok(at <= (exp + 2) * 1000 + 1500, `fired ${at - (exp + 2) * 1000} ms after exp + leeway`);
          assert.equal((await rec.wait('disconnect'))[0], 'io server disconnect');
        }),
      );
    } finally {
      for (const { socket } of clients) socket.disconnect();
    }
  });
});

