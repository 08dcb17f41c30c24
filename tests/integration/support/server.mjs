// Test support: start the real binaries (herald, sio-conformance-server) on port 0 in a
// fresh temporary directory, and small helpers to drive them with the official
// socket.io-client.
//
// Environment:
//   HERALD_BUILD_DIR   where the binaries are (default <repo>/build); herald is looked up in
//                      <dir>/herald, <dir>/src/cli/herald or <dir>/bin/herald, the echo server
//                      likewise in <dir>/examples.
//   HERALD_IT_THREADS  event loops of every server started here (default 2).
//
// The npm packages live in tests/js/node_modules. ESM resolves bare specifiers from the
// importing file's directory (NODE_PATH does not apply to `import`), so they are loaded
// with a require() anchored at tests/js: this works whatever the current directory is.

import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
const require = createRequire(path.join(repoRoot, 'tests/js/package.json'));

export const { io, Manager } = require('socket.io-client');
export const jwt = require('jsonwebtoken');
export const WebSocket = require('ws');

export const THREADS = Number(process.env.HERALD_IT_THREADS ?? 2);
export const buildDir = path.resolve(process.env.HERALD_BUILD_DIR ?? path.join(repoRoot, 'build'));

function findBinary(name, subdirs) {
  for (const sub of subdirs) {
    const candidate = path.join(buildDir, sub, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found under ${buildDir} (set HERALD_BUILD_DIR)`);
}

export const heraldBinary = () => findBinary('herald', ['.', 'src/cli', 'bin', 'src/app']);
export const conformanceBinary = () => findBinary('sio-conformance-server', ['.', 'examples', 'bin', 'tests/support']);

// The child gets no HERALD_* variable of ours: herald refuses unknown HERALD_* keys
// (HERALD_BUILD_DIR would stop it), and tests must not depend on the caller's environment.
function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HERALD_')) env[k] = v;
  return { ...env, ...extra };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` with a message naming what was awaited. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The arguments of the next `event` on an emitter (socket, manager, engine). */
export function next(emitter, event, ms = 5000) {
  let handler;
  const p = new Promise((resolve) => {
    handler = (...args) => resolve(args);
    emitter.once(event, handler);
  });
  return withTimeout(p, ms, `"${event}"`).catch((e) => {
    emitter.off(event, handler);
    throw e;
  });
}

/** Like next() but resolves with the first argument only. */
export async function nextArg(emitter, event, ms = 5000) {
  return (await next(emitter, event, ms))[0];
}

/** Records every event a socket receives, in order, and lets a test await one. */
export class Recorder {
  constructor(socket) {
    this.events = [];
    this.waiters = [];
    const push = (event, args) => {
      this.events.push({ event, args });
      for (const w of [...this.waiters]) {
        if (w.event === event && (!w.pred || w.pred(...args))) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(args);
        }
      }
    };
    socket.onAny((event, ...args) => push(event, args));
    for (const e of ['connect', 'disconnect', 'connect_error']) socket.on(e, (...args) => push(e, args));
  }
  names() {
    return this.events.map((e) => e.event);
  }
  of(event) {
    return this.events.filter((e) => e.event === event).map((e) => e.args);
  }
  /** The args of the first `event` (already received or to come) matching pred. */
  wait(event, ms = 5000, pred = undefined) {
    const seen = this.events.find((e) => e.event === event && (!pred || pred(...e.args)));
    if (seen) return Promise.resolve(seen.args);
    let waiter;
    const p = new Promise((resolve) => {
      waiter = { event, pred, resolve };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, `"${event}"`).catch((e) => {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      throw new Error(`${e.message}; received so far: ${JSON.stringify(this.names())}`);
    });
  }
}

/**
 * Resolves with the socket once it is connected, rejects with the connect_error.
 * The socket is created by the caller (so listeners can be attached first).
 */
export function connected(socket, ms = 5000) {
  return withTimeout(
    new Promise((resolve, reject) => {
      if (socket.connected) return resolve(socket);
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err) => reject(err));
    }),
    ms,
    'connect',
  );
}

/** The connect_error of a socket expected to be refused. */
export function refused(socket, ms = 5000) {
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected although a refusal was expected')));
      socket.once('connect_error', (err) => resolve(err));
    }),
    ms,
    'connect_error',
  );
}

const ISO_8601_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;
export const isIsoUtc = (s) => typeof s === 'string' && ISO_8601_UTC.test(s) && !Number.isNaN(Date.parse(s));

class Server {
  constructor({ kind, binary, argsFor, dir, env, label }) {
    this.kind = kind;
    this.binary = binary;
    this.argsFor = argsFor; // (listenPort) => argv
    this.dir = dir;
    this.env = env;
    this.label = label;
    this.port = 0;
    this.proc = null;
    this.output = '';
    this.exited = null;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get portFile() {
    return path.join(this.dir, 'port');
  }

  async spawn(listenPort) {
    if (existsSync(this.portFile)) unlinkSync(this.portFile);
    const proc = spawn(this.binary, this.argsFor(listenPort), {
      cwd: this.dir,
      env: childEnv(this.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const keep = (chunk) => {
      this.output = (this.output + chunk.toString()).slice(-64 * 1024);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    let gone = null;
    this.exited.then((s) => (gone = s));
    const deadline = Date.now() + 15000;
    for (;;) {
      if (gone) throw new Error(`${this.label} exited early (${JSON.stringify(gone)}):\n${this.output}`);
      if (existsSync(this.portFile)) {
        const text = readFileSync(this.portFile, 'utf8');
        if (text.endsWith('\n') && Number(text) > 0) {
          this.port = Number(text);
          break;
        }
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`${this.label} wrote no port file within 15 s:\n${this.output}`);
      }
      await sleep(10);
    }
    return this;
  }

  async kill() {
    if (!this.proc) return;
    this.proc.kill('SIGKILL');
    await this.exited;
    this.proc = null;
  }

  /** SIGTERM, await the exit, SIGKILL after 5 s. Resolves with {code, signal}. */
  async stop() {
    if (!this.proc) return null;
    const proc = this.proc;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    const status = await this.exited;
    clearTimeout(timer);
    this.proc = null;
    return status;
  }

  /** Stops the server if it runs, and starts it again on the same port in the same directory. */
  async restart() {
    await this.stop();
    const port = this.port;
    // The port was ours a moment ago; retry briefly should the kernel still hold it.
    for (let attempt = 0; ; ++attempt) {
      try {
        await this.spawn(port);
        break;
      } catch (e) {
        if (attempt >= 20) throw e;
        await sleep(100);
      }
    }
    if (this.port !== port) throw new Error(`restarted on port ${this.port}, expected ${port}`);
    return this;
  }

  /** Stops the server and removes its directory. */
  async close() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A socket.io-client socket on `nsp`, never shared with another test (forceNew). */
  socket(nsp = '/', opts = {}) {
    return io(this.url + nsp, { forceNew: true, reconnection: false, timeout: 5000, ...opts });
  }

  fetch(pathname, init) {
    return fetch(this.url + pathname, init);
  }
}

/**
 * Starts `herald serve` on 127.0.0.1, port 0, in a fresh temporary directory.
 *   args:    extra `--section.key=value` flags
 *   threads: event loops (default HERALD_IT_THREADS, else 2)
 *   env:     HERALD_* variables for the server (the caller's are not passed on)
 *   maxFiles: the process's open-file limit (soft and hard, set by prlimit), if given
 * Unless args set --auth.jwt_secret, the server generates herald.secret in its directory.
 */
export async function startHerald({ args = [], threads = THREADS, env = {}, maxFiles } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-it-'));
  // prlimit sets the limit and then execs herald: the process id stays the server's.
  const limit = maxFiles ? [`--nofile=${maxFiles}`, '--', heraldBinary()] : [];
  const server = new Server({
    kind: 'herald',
    binary: maxFiles ? 'prlimit' : heraldBinary(),
    dir,
    env,
    label: 'herald serve',
    argsFor: (port) => [
      ...limit,
      'serve',
      `--server.listen=127.0.0.1:${port}`,
      '--port-file',
      path.join(dir, 'port'),
      `--server.threads=${threads}`,
      '--log.level=warn',
      ...args,
    ],
  });
  const authFlags = args.filter((a) => a.startsWith('--auth.'));
  const envSecret = env.HERALD_AUTH_JWT_SECRET;

  /** The HS256 secret the server verifies with. */
  Object.defineProperty(server, 'secret', {
    get() {
      const flag = [...authFlags].reverse().find((a) => a.startsWith('--auth.jwt_secret='));
      if (flag) return flag.slice('--auth.jwt_secret='.length);
      if (envSecret) return envSecret;
      return readFileSync(path.join(dir, 'herald.secret'), 'utf8').trim();
    },
  });

  /**
   * `herald token` run in the server's directory with its --auth.* flags:
   *   mintToken({user, depts: [...], ttl: '1h', roles: [...], username, displayName})
   */
  server.mintToken = ({ user, depts = [], ttl, roles = [], role, username, displayName } = {}) => {
    const argv = ['token', '--user', String(user)];
    for (const d of depts) argv.push('--dept', String(d));
    for (const r of role ? [role, ...roles] : roles) argv.push('--role', r);
    if (ttl) argv.push('--ttl', ttl);
    if (username) argv.push('--username', username);
    if (displayName) argv.push('--display-name', displayName);
    argv.push(...authFlags);
    return new Promise((resolve, reject) =>
      execFile(heraldBinary(), argv, { cwd: dir, env: childEnv(env) }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`herald ${argv.join(' ')}: ${err.message}\n${stderr}`));
        resolve(stdout.trim());
      }),
    );
  };

  /** Signs arbitrary claims with the server's secret (jsonwebtoken, HS256 unless told). */
  server.sign = (claims, options = {}) => jwt.sign(claims, server.secret, { algorithm: 'HS256', ...options });

  try {
    return await server.spawn(0);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Starts sio-conformance-server (echo on "/" and "/custom") on port 0. */
export async function startConformance({ threads = THREADS } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sio-conf-it-'));
  const server = new Server({
    kind: 'conformance',
    binary: conformanceBinary(),
    dir,
    env: {},
    label: 'sio-conformance-server',
    argsFor: (port) => ['--host', '127.0.0.1', '--port', String(port), '--port-file', path.join(dir, 'port'), '--threads', String(threads)],
  });
  try {
    return await server.spawn(0);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export const randomSecret = () => randomBytes(24).toString('hex');

/** Whole seconds since the epoch, as JWT NumericDate. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * POST /api/v1/notifications with a producer token. Resolves with {status, body}; a
 * 404 means the API does not exist yet (callers skip).
 */
export async function postNotification(server, producerToken, body) {
  const res = await server.fetch('/api/v1/notifications', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${producerToken}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

export const API_MISSING = 'POST /api/v1/notifications answers 404: the notification API is not there yet';
