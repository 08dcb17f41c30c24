// Engine.IO v4 conformance: the raw echo endpoint /engine.io/ of sio-conformance-server,
// spoken to directly over HTTP long-polling (global fetch) and WebSocket (ws).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Peer, delay, within, PING_INTERVAL, PING_TIMEOUT, MAX_PAYLOAD } from "./server.mjs";

const SEP = "\x1e"; // record separator between packets of a polling payload

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const url = (query) => `${server.http}/engine.io/?${query}`;
const wsUrl = (query) => `${server.ws}/engine.io/?${query}`;
const sessionUrl = (sid) => url(`EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`);

function checkHandshake(text, upgrades) {
  assert.equal(text[0], "0", `an open packet, got ${JSON.stringify(text)}`);
  const h = JSON.parse(text.slice(1));
  assert.deepEqual(Object.keys(h).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
  assert.equal(typeof h.sid, "string");
  assert.ok(h.sid.length > 0);
  assert.deepEqual(h.upgrades, upgrades);
  assert.equal(h.pingInterval, PING_INTERVAL);
  assert.equal(h.pingTimeout, PING_TIMEOUT);
  assert.equal(h.maxPayload, MAX_PAYLOAD);
  return h;
}

async function openPolling() {
  const res = await fetch(url("EIO=4&transport=polling"));
  assert.equal(res.status, 200);
  return checkHandshake(await res.text(), ["websocket"]).sid;
}

async function get(sid, init) {
  const res = await fetch(sessionUrl(sid), init);
  return { status: res.status, body: await res.text() };
}

// The next poll that carries more than heartbeat pings (a ping may join any poll when the
// machine is slow); pings are answered. Resolves to the status and the remaining packets.
async function getData(sid) {
  for (;;) {
    const { status, body } = await get(sid);
    const packets = body.split(SEP);
    const data = packets.filter((p) => p !== "2");
    if (data.length < packets.length) await post(sid, "3");
    if (status !== 200 || data.length) return { status, body: data.join(SEP) };
  }
}

async function post(sid, body) {
  const res = await fetch(sessionUrl(sid), { method: "POST", body });
  return { status: res.status, body: await res.text() };
}

async function openWebSocket(query = "EIO=4&transport=websocket") {
  const peer = new Peer(wsUrl(query));
  const h = checkHandshake(await peer.next(), []);
  return { peer, sid: h.sid };
}

// The session is gone: a poll with its sid is refused.
async function assertSessionGone(sid) {
  const res = await get(sid);
  assert.equal(res.status, 400, `expected the session to be closed, the poll answered ${res.status} ${res.body}`);
}

describe("Engine.IO handshake", () => {
  it("opens a polling session with the configured timings and a websocket upgrade", async () => {
    const res = await fetch(url("EIO=4&transport=polling"));
    assert.equal(res.status, 200);
    const a = checkHandshake(await res.text(), ["websocket"]);
    const b = checkHandshake(await (await fetch(url("EIO=4&transport=polling"))).text(), ["websocket"]);
    assert.notEqual(a.sid, b.sid, "each handshake makes a new session");
  });

  it("opens a WebSocket session that offers no further upgrade", async () => {
    const { peer, sid } = await openWebSocket();
    assert.match(sid, /\S/);
    await peer.close();
  });

  it("answers 400 to a missing or unsupported EIO version", async () => {
    for (const q of ["transport=polling", "EIO=abc&transport=polling", "EIO=3&transport=polling"]) {
      const res = await fetch(url(q));
      assert.equal(res.status, 400, q);
      await res.arrayBuffer();
    }
  });

  it("answers 400 to a missing or unknown transport", async () => {
    for (const q of ["EIO=4", "EIO=4&transport=abc"]) {
      const res = await fetch(url(q));
      assert.equal(res.status, 400, q);
      await res.arrayBuffer();
    }
  });

  it("answers 400 to a handshake that is not a GET", async () => {
    for (const method of ["POST", "PUT"]) {
      const res = await fetch(url("EIO=4&transport=polling"), { method });
      assert.equal(res.status, 400, method);
      await res.arrayBuffer();
    }
  });

  it("refuses WebSocket handshakes with a bad EIO or transport", async () => {
    for (const q of ["transport=websocket", "EIO=abc&transport=websocket", "EIO=4", "EIO=4&transport=abc"]) {
      const peer = new Peer(wsUrl(q));
      await assert.rejects(peer.opened, undefined, q);
      await peer.waitClosed();
      assert.equal(peer.unexpectedResponse, 400, q);
      assert.equal(peer.messages.length, 0);
    }
  });

  it("refuses a WebSocket with an unknown sid", async () => {
    const peer = new Peer(wsUrl("EIO=4&transport=websocket&sid=doesnotexist"));
    await assert.rejects(peer.opened);
    await peer.waitClosed();
    assert.equal(peer.unexpectedResponse, 400);
  });
});

describe("Engine.IO messages over long-polling", () => {
  it("echoes one text packet", async () => {
    const sid = await openPolling();
    assert.deepEqual(await post(sid, "4hello"), { status: 200, body: "ok" });
    assert.deepEqual(await getData(sid), { status: 200, body: "4hello" });
  });

  it("echoes several text packets in one payload, in order", async () => {
    const sid = await openPolling();
    const payload = ["4one", "4two", "4three", "4"].join(SEP);
    assert.deepEqual(await post(sid, payload), { status: 200, body: "ok" });
    assert.deepEqual(await getData(sid), { status: 200, body: payload });
  });

  it("echoes text and base64 binary packets side by side", async () => {
    const sid = await openPolling();
    const bin = Buffer.from([0, 1, 2, 3, 250, 255]).toString("base64");
    const payload = `4text${SEP}b${bin}${SEP}4more`;
    assert.deepEqual(await post(sid, payload), { status: 200, body: "ok" });
    const res = await getData(sid);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.split(SEP), ["4text", `b${bin}`, "4more"]);
  });

  it("delivers to a poll that was already waiting", async () => {
    const sid = await openPolling();
    const pending = getData(sid);
    await delay(20);
    assert.deepEqual(await post(sid, "4late"), { status: 200, body: "ok" });
    assert.deepEqual(await pending, { status: 200, body: "4late" });
  });

  it("closes the session on a malformed packet", async () => {
    const sid = await openPolling();
    try {
      const res = await post(sid, "abc");
      assert.equal(res.status, 400);
    } catch {
      // the server may also drop the connection
    }
    await assertSessionGone(sid);
  });

  it("closes the session on a second concurrent poll", async () => {
    const sid = await openPolling();
    const first = get(sid);
    await delay(20); // the first poll is now parked on the server
    const second = await get(sid);
    assert.equal(second.status, 400);
    assert.deepEqual(await first, { status: 200, body: "1" }, "the parked poll is told the session closed");
    await assertSessionGone(sid);
  });

  it("closes the session when a waiting poll is cancelled", async () => {
    const sid = await openPolling();
    const controller = new AbortController();
    const aborted = fetch(sessionUrl(sid), { signal: controller.signal }).then(
      () => "answered",
      (e) => e.name,
    );
    await delay(20);
    controller.abort();
    assert.equal(await aborted, "AbortError");
    // The server notices the dropped connection asynchronously; allow it a moment.
    let status = 0;
    for (let i = 0; i < 20 && status !== 400; i++) {
      const res = await get(sid);
      status = res.status;
      if (status !== 400) await delay(10);
    }
    assert.equal(status, 400);
  });
});

describe("Engine.IO messages over WebSocket", () => {
  it("echoes a text packet", async () => {
    const { peer } = await openWebSocket();
    peer.send("4hello");
    assert.equal(await peer.nextData(), "4hello");
    peer.send("4");
    assert.equal(await peer.nextData(), "4", "an empty message is a message too");
    await peer.close();
  });

  it("echoes a binary message as a binary frame", async () => {
    const { peer } = await openWebSocket();
    const bytes = Buffer.from([1, 2, 3, 4, 0, 255]);
    peer.send(bytes);
    const back = await peer.nextData();
    assert.ok(Buffer.isBuffer(back), "a binary frame");
    assert.deepEqual(back, bytes);
    await peer.close();
  });

  it("closes the connection on a malformed packet", async () => {
    const { peer } = await openWebSocket();
    peer.send("abc");
    await peer.waitClosed();
  });
});

describe("Engine.IO heartbeat", () => {
  it("pings a polling client every pingInterval and accepts its pongs", async () => {
    const sid = await openPolling();
    let last = Date.now();
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await get(sid), { status: 200, body: "2" });
      const now = Date.now();
      assert.ok(now - last >= PING_INTERVAL - 50, `ping ${i} came after ${now - last} ms`);
      last = now;
      assert.deepEqual(await post(sid, "3"), { status: 200, body: "ok" });
    }
  });

  it("closes a polling session that does not answer the ping", async () => {
    const sid = await openPolling();
    await delay(PING_INTERVAL + PING_TIMEOUT + 50);
    await assertSessionGone(sid);
  });

  it("pings a WebSocket client every pingInterval and accepts its pongs", async () => {
    const { peer } = await openWebSocket();
    let last = Date.now();
    for (let i = 0; i < 3; i++) {
      assert.equal(await peer.next(), "2");
      const now = Date.now();
      assert.ok(now - last >= PING_INTERVAL - 50, `ping ${i} came after ${now - last} ms`);
      last = now;
      peer.send("3");
    }
    assert.equal(peer.closeInfo, null, "still open after three round trips");
    await peer.close();
  });

  it("closes a WebSocket that does not answer the ping", async () => {
    const started = Date.now();
    const { peer } = await openWebSocket();
    assert.equal(await peer.next(), "2");
    await peer.waitClosed(PING_INTERVAL + PING_TIMEOUT + 1000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= PING_INTERVAL + PING_TIMEOUT - 50, `closed after ${elapsed} ms`);
  });
});

describe("Engine.IO close", () => {
  it("a close packet over polling ends the session and releases the waiting poll with a noop", async () => {
    const sid = await openPolling();
    const pending = get(sid);
    await delay(20);
    const closing = await post(sid, "1");
    assert.equal(closing.status, 200);
    assert.deepEqual(await pending, { status: 200, body: "6" });
    await assertSessionGone(sid);
  });

  it("a close packet over WebSocket closes the connection", async () => {
    const { peer } = await openWebSocket();
    peer.send("1");
    await peer.waitClosed();
  });
});

describe("Engine.IO upgrade", () => {
  // Polling session + probed WebSocket; returns after "3probe".
  async function probe() {
    const sid = await openPolling();
    const peer = new Peer(wsUrl(`EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`));
    await within(2000, peer.opened, "WebSocket open");
    return { sid, peer };
  }

  it("probes, releases the waiting poll with a noop, and switches on the upgrade packet", async () => {
    const sid = await openPolling();
    const pending = get(sid);
    await delay(20);
    const peer = new Peer(wsUrl(`EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`));
    await peer.opened;
    peer.send("2probe");
    assert.equal(await peer.next(), "3probe");
    assert.deepEqual(await pending, { status: 200, body: "6" });
    peer.send("5");
    peer.send("4hello");
    assert.equal(await peer.nextData(), "4hello");
    await peer.close();
  });

  it("answers a poll made during the probe with a noop", async () => {
    const { sid, peer } = await probe();
    peer.send("2probe");
    assert.equal(await peer.next(), "3probe");
    assert.deepEqual(await get(sid), { status: 200, body: "6" });
    peer.send("5");
    peer.send("4after");
    assert.equal(await peer.nextData(), "4after");
    await peer.close();
  });

  it("refuses polls with the sid once upgraded, and the WebSocket keeps working", async () => {
    const { sid, peer } = await probe();
    peer.send("2probe");
    assert.equal(await peer.next(), "3probe");
    peer.send("5");
    peer.send("4sync"); // once echoed, the upgrade packet has been processed
    assert.equal(await peer.nextData(), "4sync");
    await assertSessionGone(sid);
    peer.send("4still");
    assert.equal(await peer.nextData(), "4still");
    await peer.close();
  });

  it("closes a second WebSocket with the sid of an upgraded session, and the first keeps working", async () => {
    const { sid, peer } = await probe();
    peer.send("2probe");
    assert.equal(await peer.next(), "3probe");
    peer.send("5");
    peer.send("4sync");
    assert.equal(await peer.nextData(), "4sync");

    const intruder = new Peer(wsUrl(`EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`));
    const { code } = await intruder.waitClosed();
    // As the reference server does: the handshake is completed, then the server closes it
    // without any Engine.IO packet (a refused handshake is an error event for Node clients).
    assert.equal(intruder.unexpectedResponse, null, `the WebSocket handshake was refused with HTTP ${intruder.unexpectedResponse}`);
    assert.notEqual(code, 1006, "closed by a close frame, not dropped");
    assert.equal(intruder.messages.length, 0);

    peer.send("4hello");
    assert.equal(await peer.nextData(), "4hello");
    await peer.close();
  });

  it("packets queued while polling are delivered over the WebSocket after the upgrade", async () => {
    const { sid, peer } = await probe();
    peer.send("2probe");
    assert.equal(await peer.next(), "3probe");
    // Sent over polling during the probe: the echo waits in the session's queue.
    assert.deepEqual(await post(sid, "4queued"), { status: 200, body: "ok" });
    peer.send("5");
    assert.equal(await peer.nextData(), "4queued");
    await peer.close();
  });
});
