import { test } from "node:test";
import assert from "node:assert/strict";
import { HostConnection } from "../src/background/host.js";
import { HOST_PROTOCOL_VERSION } from "../sdk/protocol.js";

/** A transport whose host is a function answering JSON-RPC requests (or null = not there). */
class FakeTransport {
  constructor(name, host, log) {
    this.name = name;
    this.host = host;
    this.log = log;
    this.closed = false;
  }
  async open(onMessage, onClose) {
    this.log.push(`open ${this.name}`);
    this.onMessage = onMessage;
    this.onClose = onClose;
    if (this.host === null) {
      if (this.name === "websocket") throw new Error("refused");
      setTimeout(() => onClose("Specified native messaging host not found."), 1);
    }
  }
  send(msg) {
    this.log.push(`${this.name} ${msg.method}`);
    if (!this.host) return;
    Promise.resolve(this.host(msg)).then((reply) => {
      if (reply !== undefined) this.onMessage({ jsonrpc: "2.0", id: msg.id, ...reply });
    });
  }
  close() {
    this.closed = true;
  }
}

const hello = (protocolVersion = "1.0") => (msg) => {
  if (msg.method === "bridge.hello") return { result: { name: "vitale-bridge", version: "0.1.0", protocolVersion, transport: "x", driver: "simulator", capabilities: [] } };
  if (msg.method === "events.subscribe") return { result: { subscribed: [] } };
  if (msg.method === "slow") return undefined;
  if (msg.method === "vitale.read") return { error: { code: -32010, message: "No card", data: { code: "NO_CARD" } } };
  return { result: { ok: msg.method } };
};

function connection(hosts, transport = "auto") {
  const log = [];
  const made = [];
  const conn = new HostConnection({
    settings: async () => ({ transport, port: 1 }),
    clientVersion: "test",
    makeTransport: (name) => {
      const t = new FakeTransport(name, hosts[name] ?? null, log);
      made.push(t);
      return t;
    },
  });
  return { conn, log, made };
}

test("auto: native first; when its host is missing, the WebSocket", async () => {
  const { conn, log } = connection({ native: null, websocket: hello() });
  await conn.ensureReady();
  assert.equal(conn.state, "ready");
  assert.equal(conn.transportName, "websocket");
  assert.deepEqual(log.slice(0, 4), ["open native", "native bridge.hello", "open websocket", "websocket bridge.hello"]);
  assert.deepEqual(await conn.call("readers.list"), { ok: "readers.list" });
  const summary = conn.summary();
  assert.equal(summary.extension.version, "test");
  assert.equal(summary.transport, "websocket");
  clearInterval(conn.keepAlive);
});

test("the greeting names the extension, its version and the protocol it speaks", async () => {
  const greetings = [];
  const host = (msg) => {
    if (msg.method === "bridge.hello") greetings.push(msg.params);
    return hello()(msg);
  };
  const { conn } = connection({ native: host }, "native");
  await conn.ensureReady();
  assert.deepEqual(greetings, [
    { clientName: "vitale-bridge-extension", clientVersion: "test", protocolVersion: HOST_PROTOCOL_VERSION },
  ]);
});

test("native only: no fallback, a HOST_MISSING state, then a reconnection later", async () => {
  const { conn, log } = connection({ native: null, websocket: hello() }, "native");
  await assert.rejects(conn.ensureReady(), (err) => err.wire.code === "HOST_MISSING");
  assert.equal(conn.state, "unavailable");
  assert.ok(!log.some((l) => l.includes("websocket")));
  assert.ok(conn.retryTimer, "a reconnection is scheduled");
  clearTimeout(conn.retryTimer);
});

test("a host of another protocol major: incompatible, and calls say VERSION_MISMATCH", async () => {
  const { conn } = connection({ native: hello("2.0") });
  await assert.rejects(conn.ensureReady(), (err) => err.wire.code === "VERSION_MISMATCH");
  assert.equal(conn.state, "incompatible");
  assert.equal(conn.summary().error.code, "VERSION_MISMATCH");
});

test("host errors keep their code; a silent host times out", async () => {
  const { conn } = connection({ native: hello() });
  await conn.ensureReady();
  await assert.rejects(conn.call("vitale.read"), (err) => err.wire.code === "NO_CARD");
  await assert.rejects(conn.call("slow", {}, 30), (err) => err.wire.code === "TIMEOUT");
  assert.equal(conn.pending.size, 0);
});

test("losing the host fails calls in flight and schedules a reconnection", async () => {
  const { conn, made } = connection({ native: hello() });
  await conn.ensureReady();
  const inFlight = conn.call("slow", {}, 5000);
  await new Promise((r) => setTimeout(r, 5));
  made[0].onClose("host exited");
  await assert.rejects(inFlight, (err) => err.wire.code === "HOST_MISSING");
  assert.equal(conn.state, "unavailable");
  assert.ok(conn.retryTimer);
  clearTimeout(conn.retryTimer);
  conn.retryTimer = null;
  await conn.ensureReady();
  assert.equal(conn.state, "ready");
  assert.equal(made.length, 2);
});

test("notifications go to event listeners", async () => {
  const { conn, made } = connection({ native: hello() });
  await conn.ensureReady();
  const got = [];
  conn.eventListeners.add((m, p) => got.push([m, p]));
  made[0].onMessage({ jsonrpc: "2.0", method: "card.removed", params: { reader: "R", cardType: "vitale2" } });
  assert.deepEqual(got, [["card.removed", { reader: "R", cardType: "vitale2" }]]);
});
