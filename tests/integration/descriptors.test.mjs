// Out of file descriptors: the server stops accepting without spinning a core, keeps
// serving the connections it has, and accepts again once descriptors are free.
//
//   node --test tests/integration/descriptors.test.mjs

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';

import { startHerald, withTimeout } from './support/server.mjs';
import { until } from './support/herald_api.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time the process has used, in clock ticks (utime + stime of /proc/PID/stat). */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function openRaw(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

// The sanitizers need descriptors of their own (UBSan checks that memory is readable
// through a pipe, and reports a false "invalid vptr" when it cannot open one), so the
// sanitizer suite (scripts/test.sh exports ASAN_OPTIONS for it) skips this file.
const sanitized = process.env.ASAN_OPTIONS !== undefined;

describe('out of descriptors', { skip: sanitized && 'not under the sanitizers: they need descriptors too' }, () => {
  let server;
  const raw = [];
  before(async () => {
    server = await startHerald({ threads: 1, maxFiles: 64 });
  });
  after(async () => {
    for (const s of raw) s.destroy();
    await server?.close();
  });

  it('pauses accepting instead of spinning, keeps its connections, and accepts again when descriptors free up', async () => {
    const kept = await openRaw(server.port);
    raw.push(kept);
    // More connections than the process may open: the kernel completes them all (the
    // backlog), and the server runs out of descriptors accepting them.
    for (let i = 0; i < 100; ++i) raw.push(await openRaw(server.port));
    await sleep(300);
    const before = cpuTicks(server.proc.pid);
    await sleep(1000);
    const used = cpuTicks(server.proc.pid) - before;
    assert.ok(used < 0.3 * TICKS_PER_SECOND, `the server used ${used} ticks of CPU in 1 s while out of descriptors`);
    assert.equal(server.proc.exitCode, null, 'the server is still running');
    // A connection accepted before still gets its answers.
    const answer = new Promise((resolve) => {
      let text = '';
      kept.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\r\n\r\n')) resolve(text);
      });
    });
    kept.write('GET /healthz HTTP/1.1\r\nHost: herald\r\n\r\n');
    assert.match(await withTimeout(answer, 5000, 'the answer on a kept connection'), /^HTTP\/1\.1 200 /);

    for (const s of raw.splice(0)) s.destroy();
    await until(
      async () => {
        try {
          const r = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) });
          return r.status === 200;
        } catch {
          return false;
        }
      },
      { ms: 10000, what: '/healthz answering after the descriptors were freed' },
    );
    assert.match(server.output, /accept: .*trying again every 100 ms/);
  });
});
