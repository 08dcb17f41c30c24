// Test support: a throwaway redis-server (Debian's redis-server package) on a free port of
// 127.0.0.1, persistence off, owned by the test process.

import { spawn } from 'node:child_process';
import net from 'node:net';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port nobody listens on right now (the kernel's choice for port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on the port. */
function answers(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

class Redis {
  constructor(port) {
    this.port = port;
    this.proc = null;
    this.output = '';
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start() {
    const proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    const keep = (chunk) => (this.output = (this.output + chunk.toString()).slice(-16 * 1024));
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    this.exited = new Promise((resolve) => proc.once('exit', resolve));
    let gone = false;
    this.exited.then(() => (gone = true));
    const deadline = Date.now() + 10000;
    while (!(await answers(this.port))) {
      if (gone) throw new Error(`redis-server exited early:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not listen within 10 s:\n${this.output}`);
      await sleep(20);
    }
    return this;
  }

  async stop() {
    if (!this.proc) return;
    this.proc.kill('SIGKILL');
    await this.exited;
    this.proc = null;
  }

  /** Stops the server and starts a fresh one on the same port. */
  async restart() {
    await this.stop();
    for (let attempt = 0; ; ++attempt) {
      try {
        return await this.start();
      } catch (e) {
        if (attempt >= 20) throw e;
        await sleep(100);
      }
    }
  }
}

/** Starts redis-server on a free port; `stop()` it at the end. */
export async function startRedis() {
  return new Redis(await freePort()).start();
}
