// Socket.IO v5 conformance: the /socket.io/ endpoint of sio-conformance-server, first
// packet by packet over a raw WebSocket, then through the official socket.io-client over
// each transport. Server behaviour under test, per namespace ("/" and "/custom"):
//   on connect            -> emits "auth" with the handshake auth
//   "message", ...args    -> emits "message-back", ...args
//   "message-with-ack"    -> acks with the same args

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  Peer,
  io,
  Manager,
  within,
  PING_INTERVAL,
  PING_TIMEOUT,
  CONNECT_TIMEOUT,
} from "./server.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const eioUrl = () => `${server.ws}/socket.io/?EIO=4&transport=websocket`;

// A WebSocket past the Engine.IO handshake.
async function engineSocket() {
  const peer = new Peer(eioUrl());
  const open = await peer.next();
  assert.equal(open[0], "0");
  assert.deepEqual(JSON.parse(open.slice(1)).upgrades, []);
  return peer;
}

// Sends a CONNECT for `nsp` and checks the CONNECT answer and the "auth" event.
async function connectNamespace(peer, nsp, auth) {
  const prefix = nsp === "/" ? "" : `${nsp},`;
  peer.send(`40${prefix}${auth === undefined ? "" : JSON.stringify(auth)}`);
  const ack = await peer.nextData();
  assert.ok(ack.startsWith(`40${prefix}`), `a CONNECT answer for ${nsp}, got ${JSON.stringify(ack)}`);
  const body = JSON.parse(ack.slice(2 + prefix.length));
  assert.deepEqual(Object.keys(body), ["sid"]);
  assert.equal(typeof body.sid, "string");
  assert.ok(body.sid.length > 0);
  assert.equal(await peer.nextData(), `42${prefix}${JSON.stringify(["auth", auth ?? {}])}`);
  return body.sid;
}

async function connected(nsp = "/", auth) {
  const peer = await engineSocket();
  await connectNamespace(peer, nsp, auth);
  return peer;
}

const placeholders = (n) => Array.from({ length: n }, (_, num) => ({ _placeholder: true, num }));

describe("Socket.IO connect", () => {
  it("connects to the main namespace without auth", async () => {
    const peer = await engineSocket();
    await connectNamespace(peer, "/");
    await peer.close();
  });

  it("connects to the main namespace with an auth payload", async () => {
    const peer = await engineSocket();
    await connectNamespace(peer, "/", { token: "123" });
    await peer.close();
  });

  it("connects to a custom namespace without auth", async () => {
    const peer = await engineSocket();
    await connectNamespace(peer, "/custom");
    await peer.close();
  });

  it("connects to a custom namespace with an auth payload", async () => {
    const peer = await engineSocket();
    await connectNamespace(peer, "/custom", { token: "abc", nested: { n: [1, 2] } });
    await peer.close();
  });

  it("gives each namespace connection its own sid", async () => {
    const peer = await engineSocket();
    const main = await connectNamespace(peer, "/");
    const custom = await connectNamespace(peer, "/custom");
    assert.notEqual(main, custom);
    await peer.close();
  });

  it("refuses an unknown namespace with a CONNECT_ERROR and keeps the connection", async () => {
    const peer = await engineSocket();
    peer.send("40/random");
    assert.equal(await peer.nextData(), '44/random,{"message":"Invalid namespace"}');
    await connectNamespace(peer, "/"); // the Engine.IO connection is still usable
    await peer.close();
  });

  it("closes the connection on an invalid first packet", async () => {
    const peer = await engineSocket();
    peer.send("4abc");
    await peer.waitClosed();
  });

  it("closes a connection that sends no CONNECT within the connect timeout", async () => {
    const started = Date.now();
    const peer = await engineSocket();
    // Answer every ping so that only the connect timeout can end the connection.
    const received = [];
    const drain = (async () => {
      for (;;) received.push(await peer.nextData(CONNECT_TIMEOUT + 1000));
    })();
    await peer.waitClosed(CONNECT_TIMEOUT + 1000);
    await drain.catch(() => {});
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= CONNECT_TIMEOUT - 100, `closed after ${elapsed} ms, before the connect timeout`);
    assert.ok(
      received.every((m) => m === "1"),
      `nothing but a close may arrive: ${JSON.stringify(received)}`,
    );
  });
});

describe("Socket.IO disconnect", () => {
  it("leaving the main namespace keeps the Engine.IO connection alive", async () => {
    const peer = await connected("/");
    peer.send("41");
    // The next thing to arrive is the heartbeat, and the connection survives it.
    assert.equal(await peer.next(PING_INTERVAL + 500), "2");
    peer.send("3");
    assert.equal(await peer.next(PING_INTERVAL + 500), "2");
    peer.send("3");
    assert.equal(peer.closeInfo, null);
    await connectNamespace(peer, "/"); // and it can connect again
    await peer.close();
  });

  it("leaving a custom namespace keeps the main namespace working", async () => {
    const peer = await connected("/");
    await connectNamespace(peer, "/custom");
    peer.send("41/custom");
    peer.send('42["message","message to main namespace"]');
    assert.equal(await peer.nextData(), '42["message-back","message to main namespace"]');
    await peer.close();
  });
});

describe("Socket.IO messages", () => {
  it("echoes a plain event with mixed arguments", async () => {
    const peer = await connected();
    peer.send('42["message",1,"2",{"3":[true]},null,[]]');
    assert.equal(await peer.nextData(), '42["message-back",1,"2",{"3":[true]},null,[]]');
    await peer.close();
  });

  it("echoes an event in a custom namespace in that namespace", async () => {
    const peer = await connected("/custom");
    peer.send('42/custom,["message","hi"]');
    assert.equal(await peer.nextData(), '42/custom,["message-back","hi"]');
    await peer.close();
  });

  it("echoes an event with two binary attachments", async () => {
    const peer = await connected();
    const args = JSON.stringify(["message", ...placeholders(2)]);
    peer.send(`452-${args}`);
    peer.send(Buffer.from([1, 2, 3]));
    peer.send(Buffer.from([4, 5, 6]));
    assert.equal(await peer.nextData(), `452-${JSON.stringify(["message-back", ...placeholders(2)])}`);
    assert.deepEqual(await peer.nextData(), Buffer.from([1, 2, 3]));
    assert.deepEqual(await peer.nextData(), Buffer.from([4, 5, 6]));
    await peer.close();
  });

  it("acknowledges an event with the same arguments", async () => {
    const peer = await connected();
    peer.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal(await peer.nextData(), '43456[1,"2",{"3":[false]}]');
    await peer.close();
  });

  it("acknowledges in a custom namespace", async () => {
    const peer = await connected("/custom");
    peer.send('42/custom,7["message-with-ack","x"]');
    assert.equal(await peer.nextData(), '43/custom,7["x"]');
    await peer.close();
  });

  it("acknowledges an event with binary attachments with a binary ack", async () => {
    const peer = await connected();
    peer.send(`452-789${JSON.stringify(["message-with-ack", ...placeholders(2)])}`);
    peer.send(Buffer.from([1, 2, 3]));
    peer.send(Buffer.from([4, 5, 6]));
    assert.equal(await peer.nextData(), `462-789${JSON.stringify(placeholders(2))}`);
    assert.deepEqual(await peer.nextData(), Buffer.from([1, 2, 3]));
    assert.deepEqual(await peer.nextData(), Buffer.from([4, 5, 6]));
    await peer.close();
  });

  const malformed = {
    "an unknown packet type": "4abc",
    "a payload that is not an array": "42{}",
    "an empty event array": "42[]",
    "an ack id that is not a number": '42abc["message-with-ack",1,"2",{"3":[false]}]',
    "invalid JSON": '42["message",',
  };
  for (const [what, packet] of Object.entries(malformed)) {
    it(`closes the connection on ${what}`, async () => {
      const peer = await connected();
      peer.send(packet);
      await peer.waitClosed();
    });
  }
});

// The official client, over each way of reaching the server.
const transportCases = [
  { name: "WebSocket only", options: { transports: ["websocket"] }, expected: "websocket" },
  { name: "polling only", options: { transports: ["polling"] }, expected: "polling" },
  { name: "polling upgraded to WebSocket", options: {}, expected: "websocket" },
];

function once(emitter, event, ms = 3000) {
  return within(ms, new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), `"${event}" event`);
}

for (const { name, options, expected } of transportCases) {
  describe(`socket.io-client, ${name}`, () => {
    const sockets = [];
    after(() => {
      for (const s of sockets) s.disconnect();
    });

    // Connects to `nsp`; resolves once the "auth" event has arrived and the transport
    // is the one this case is about.
    async function connect(nsp = "/", auth) {
      const socket = io(`${server.http}${nsp === "/" ? "" : nsp}`, {
        ...options,
        forceNew: true,
        reconnection: false,
        ...(auth ? { auth } : {}),
      });
      sockets.push(socket);
      const gotAuth = once(socket, "auth");
      const engineReady =
        expected === "websocket" && !options.transports
          ? once(socket.io, "open").then(() => once(socket.io.engine, "upgrade"))
          : Promise.resolve();
      const [authArg] = await gotAuth;
      await engineReady;
      assert.ok(socket.connected);
      assert.equal(socket.io.engine.transport.name, expected);
      return { socket, auth: authArg };
    }

    it("connects and receives its auth back", async () => {
      const { socket, auth } = await connect("/", { token: "t-1" });
      assert.deepEqual(auth, { token: "t-1" });
      socket.disconnect();
    });

    // A long-lived session may move far more than the 4 MB an unread queue may hold.
    it("keeps a session open across more traffic than one queue may hold", async () => {
      const { socket } = await connect();
      const chunk = "x".repeat(100_000);
      for (let i = 0; i < 50; i++) {
        const back = once(socket, "message-back");
        socket.emit("message", i, chunk);
        const [n, text] = await back;
        assert.equal(n, i);
        assert.equal(text.length, chunk.length);
      }
      assert.ok(socket.connected);
      socket.disconnect();
    });

    it("sends an event and receives one back", async () => {
      const { socket } = await connect();
      const back = once(socket, "message-back");
      socket.emit("message", 1, "two", { three: [true, null] });
      assert.deepEqual(await back, [1, "two", { three: [true, null] }]);
      socket.disconnect();
    });

    it("gets an ack with the same arguments", async () => {
      const { socket } = await connect();
      const args = await within(
        3000,
        new Promise((resolve) => socket.emit("message-with-ack", "a", 2, { b: [3] }, (...r) => resolve(r))),
        "ack",
      );
      assert.deepEqual(args, ["a", 2, { b: [3] }]);
      assert.deepEqual(await socket.timeout(3000).emitWithAck("message-with-ack", 42), 42);
      socket.disconnect();
    });

    it("round-trips binary payloads in events and acks", async () => {
      const { socket } = await connect();
      const blob = Buffer.from([0, 1, 2, 253, 254, 255]);
      const nested = { label: "x", data: Buffer.from("nested bytes"), list: [Buffer.from([9])] };
      const back = once(socket, "message-back");
      socket.emit("message", blob, nested);
      const [b1, b2] = await back;
      assert.deepEqual(Buffer.from(b1), blob);
      assert.equal(b2.label, "x");
      assert.deepEqual(Buffer.from(b2.data), nested.data);
      assert.deepEqual(Buffer.from(b2.list[0]), Buffer.from([9]));

      const acked = await socket.timeout(3000).emitWithAck("message-with-ack", blob);
      assert.deepEqual(Buffer.from(acked), blob);
      socket.disconnect();
    });

    it("multiplexes two namespaces over one connection", async () => {
      const manager = new Manager(server.http, { ...options, reconnection: false });
      const main = manager.socket("/");
      const custom = manager.socket("/custom", { auth: { who: "custom" } });
      sockets.push(main, custom);
      const [[mainAuth], [customAuth]] = await Promise.all([once(main, "auth"), once(custom, "auth")]);
      assert.deepEqual(mainAuth, {});
      assert.deepEqual(customAuth, { who: "custom" });
      assert.notEqual(main.id, custom.id);

      // Each namespace answers on its own socket only.
      const strays = [];
      main.on("message-back", (...a) => strays.push(["main", ...a]));
      const customBack = once(custom, "message-back");
      custom.emit("message", "for custom");
      assert.deepEqual(await customBack, ["for custom"]);
      main.off("message-back");

      custom.on("message-back", (...a) => strays.push(["custom", ...a]));
      const mainBack = once(main, "message-back");
      main.emit("message", "for main");
      assert.deepEqual(await mainBack, ["for main"]);
      assert.deepEqual(strays, []);

      assert.equal(await custom.timeout(3000).emitWithAck("message-with-ack", "c"), "c");
      // Leaving one namespace leaves the other connected on the same engine.
      const engineId = manager.engine.id;
      custom.disconnect();
      assert.equal(await main.timeout(3000).emitWithAck("message-with-ack", "still here"), "still here");
      assert.equal(manager.engine.id, engineId);
      main.disconnect();
    });

    it("stays connected across several heartbeats", async () => {
      const { socket } = await connect();
      const engineId = socket.io.engine.id;
      await new Promise((r) => setTimeout(r, 2 * PING_INTERVAL + PING_TIMEOUT));
      assert.ok(socket.connected);
      assert.equal(socket.io.engine.id, engineId);
      assert.equal(await socket.timeout(3000).emitWithAck("message-with-ack", "alive"), "alive");
      socket.disconnect();
    });
  });
}
