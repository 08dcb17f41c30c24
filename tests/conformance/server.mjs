// Shared plumbing for Herald's protocol conformance tests: starts the real
// sio-conformance-server binary on a free port and gives the tests a small WebSocket
// peer that never loses an event.
//
// Run from tests/js (where `npm ci` installed ws and socket.io-client):
//   cd tests/js && node --test ../conformance/
// Environment:
//   HERALD_BUILD_DIR     build tree holding examples/sio-conformance-server (default <repo>/build)
//   HERALD_TEST_THREADS  --threads for the server (default 2)

import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");

// Bare imports resolve next to the importing file, not from the working directory, so
// the client packages are loaded from tests/js/node_modules explicitly.
const requireFromJs = createRequire(path.join(repoRoot, "tests", "js", "package.json"));
export const WebSocket = requireFromJs("ws");
export const { io, Manager } = requireFromJs("socket.io-client");

// The timings the conformance server is configured with.
export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;
export const MAX_PAYLOAD = 1000000;
export const CONNECT_TIMEOUT = 1000;

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Rejects `promise` if it has not settled within `ms`.
export function within(ms, promise, what = "operation") {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function binaryPath() {
  const buildDir = process.env.HERALD_BUILD_DIR
    ? path.resolve(process.env.HERALD_BUILD_DIR)
    : path.join(repoRoot, "build");
  return path.join(buildDir, "examples", "sio-conformance-server");
}

// Starts the server; resolves to { port, http, ws, threads, stop() }.
export async function startServer() {
  const threads = process.env.HERALD_TEST_THREADS || "2";
  const dir = await mkdtemp(path.join(tmpdir(), "herald-conformance-"));
  const portFile = path.join(dir, "port");
  const child = spawn(binaryPath(), ["--port", "0", "--port-file", portFile, "--threads", threads], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let spawnError = null;
  child.once("error", (e) => (spawnError = e));

  let port = 0;
  const deadline = Date.now() + 10000;
  while (!port) {
    if (spawnError) throw new Error(`cannot start ${binaryPath()}: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`sio-conformance-server exited early (${child.exitCode ?? child.signalCode}): ${stderr}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("sio-conformance-server did not write its port file");
    }
    const text = await readFile(portFile, "utf8").catch(() => "");
    if (text.endsWith("\n")) port = Number.parseInt(text, 10);
    else await delay(20);
  }

  return {
    port,
    threads: Number(threads),
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
        const { code, signal } = await exited;
        clearTimeout(killer);
        if (signal === "SIGKILL") throw new Error("sio-conformance-server ignored SIGTERM");
        if (code !== 0) throw new Error(`sio-conformance-server exited with ${code}: ${stderr}`);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// A raw WebSocket whose events are queued until the test asks for them, so two frames
// arriving in one TCP read are never dropped between two awaits.
export class Peer {
  constructor(url) {
    this.socket = new WebSocket(url);
    this.socket.binaryType = "nodebuffer";
    this.messages = [];
    this.waiters = [];
    this.closeInfo = null;
    this.unexpectedResponse = null;
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("open", resolve);
      this.socket.once("error", reject);
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.socket.once("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        for (const w of this.waiters.splice(0)) w.reject(new Error("socket closed while waiting for a message"));
      });
    });
    // Errors surface through `opened` and `closed`; a refused handshake leaves its status here.
    this.socket.on("error", (e) => {
      const m = /Unexpected server response: (\d+)/.exec(e.message);
      if (m) this.unexpectedResponse = Number(m[1]);
    });
    this.socket.on("message", (data, isBinary) => {
      const msg = isBinary ? Buffer.from(data) : data.toString();
      const w = this.waiters.shift();
      if (w) w.resolve(msg);
      else this.messages.push(msg);
    });
  }

  // Next frame: a string for text, a Buffer for binary.
  next(timeoutMs = 2000) {
    if (this.messages.length) return Promise.resolve(this.messages.shift());
    if (this.closeInfo) return Promise.reject(new Error("socket is closed"));
    return within(
      timeoutMs,
      new Promise((resolve, reject) => this.waiters.push({ resolve, reject })),
      "next WebSocket message",
    );
  }

  // Next frame that is not an Engine.IO ping (pings are answered so the session lives).
  async nextData(timeoutMs = 2000) {
    for (;;) {
      const m = await this.next(timeoutMs);
      if (m === "2") this.send("3");
      else return m;
    }
  }

  send(data) {
    this.socket.send(data);
  }

  waitClosed(timeoutMs = 2000) {
    return within(timeoutMs, this.closed, "WebSocket close");
  }

  close() {
    if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    else this.socket.close();
    return this.closed;
  }
}
