// SPEC sections 1 and 8: the Engine.IO endpoint is server.path (default /socket.io/) and
// CORS answers the configured origins; the inbox page connects on the configured path.
//
//   node --test tests/integration/server_path.test.mjs

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startHerald } from './support/server.mjs';
import { API_KEY_FLAG, connectUser } from './support/herald_api.mjs';

describe('--server.path=/rt/ and --server.cors_origins', () => {
  let server;
  before(async () => {
    server = await startHerald({
      args: [API_KEY_FLAG, '--server.path=/rt/', '--server.cors_origins=http://app.example,https://Other.example'],
    });
  });
  after(() => server?.close());

  for (const transport of ['websocket', 'polling']) {
    it(`over ${transport}: a client with path /rt/ is authenticated; /socket.io/ is not the endpoint`, async () => {
      const c = await connectUser(server, `path-${transport}`, { transport, opts: { path: '/rt/' } });
      c.socket.disconnect();
      assert.equal((await server.fetch('/socket.io/?EIO=4&transport=polling')).status, 404);
    });
  }

  it('the Engine.IO handshake answers an allowed origin with CORS headers, another without', async () => {
    for (const origin of ['http://app.example', 'https://other.example']) {
      const res = await server.fetch('/rt/?EIO=4&transport=polling', { headers: { Origin: origin } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), origin);
    }
    const res = await server.fetch('/rt/?EIO=4&transport=polling', { headers: { Origin: 'http://evil.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  it('the API answers an allowed origin with CORS headers, preflight included; another origin gets none', async () => {
    const pre = await server.fetch('/api/v1/me/notifications', {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.match(pre.headers.get('access-control-allow-methods'), /GET/);
    assert.match(pre.headers.get('access-control-allow-headers'), /authorization/i);
    const res = await server.fetch('/api/v1/me/notifications', { headers: { Origin: 'http://app.example' } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://app.example');
    const evil = await server.fetch('/api/v1/me/notifications', { headers: { Origin: 'http://evil.example' } });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
  });

  it('the inbox page connects on the configured path', async () => {
    const res = await server.fetch('/');
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /<meta name="herald-socket-path" content="\/rt\/">/);
    assert.doesNotMatch(page, /content="\/socket\.io\/"/);
  });
});

describe('the default server.path', () => {
  let server;
  before(async () => {
    server = await startHerald({ args: [API_KEY_FLAG] });
  });
  after(() => server?.close());

  it('the inbox page connects on /socket.io/', async () => {
    const page = await (await server.fetch('/')).text();
    assert.match(page, /<meta name="herald-socket-path" content="\/socket\.io\/">/);
  });
});
