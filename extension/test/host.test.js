import { test } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";

// Node 18 has WebCrypto only as a module export; browsers (and Node 20+) have it global.
globalThis.crypto ??= webcrypto;
const { HostConnection, mostTelling } = await import("../src/background/host.js");
const { HOST_PROTOCOL_VERSION } = await import("../sdk/protocol.js");
const { hostProof } = await import("../src/background/pairing.js");
const { TransportFailure } = await import("../src/background/transports.js");

const KEY = "ABCDEFGHIJKLMNOPQRST";

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
      if (this.name === "websocket") throw Object.assign(new TransportFailure("nothing"), { reason: "notRunning" });
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

const hello = (protocolVersion = HOST_PROTOCOL_VERSION, key = KEY) => async (msg) => {
  if (msg.method === "bridge.hello") {
    const hostProofValue = msg.params.challenge && key ? await hostProof(key, msg.params.challenge) : null;
    return { result: { name: "vitale-bridge", version: "0.1.0", protocolVersion, transport: "x", driver: "simulator", capabilities: [], hostProof: hostProofValue } };
  }
  if (msg.method === "bridge.pairingKey") return { result: { pairingKey: KEY } };
  if (msg.method === "events.subscribe") return { result: { subscribed: [] } };
  if (msg.method === "slow") return undefined;
  if (msg.method === "vitale.read") return { error: { code: -32010, message: "No card", data: { code: "NO_CARD" } } };
  return { result: { ok: msg.method } };
};

/** The hello() host, which also keeps the params of every bridge.hello in *greetings*. */
const recordingHello = (greetings) => (msg) => {
  if (msg.method === "bridge.hello") greetings.push(msg.params);
  return hello()(msg);
};

function connection(hosts, transport = "auto", stored = KEY) {
  const log = [];
  const made = [];
  const saved = [];
  const conn = new HostConnection({
    settings: async () => ({ transport, port: 1 }),
    pairing: { load: async () => stored, save: async (k) => saved.push(k) },
    clientVersion: "test",
    makeTransport: (name) => {
      const t = new FakeTransport(name, hosts[name] ?? null, log);
      made.push(t);
      return t;
    },
  });
  return { conn, log, made, saved };
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
  const { conn } = connection({ native: recordingHello(greetings) }, "native");
  await conn.ensureReady();
  assert.deepEqual(greetings, [
    { clientName: "vitale-bridge-extension", clientVersion: "test", protocolVersion: HOST_PROTOCOL_VERSION },
  ]);
});

test("native: the host hands over the pairing key, which is stored", async () => {
  const { conn, log, saved } = connection({ native: hello() }, "native");
  await conn.ensureReady();
  for (let i = 0; i < 50 && saved.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
  assert.deepEqual(saved, [KEY]);
  assert.ok(log.includes("native bridge.pairingKey"));
});

test("WebSocket: a valid proof of the stored key, then requests flow", async () => {
  const greetings = [];
  const { conn } = connection({ websocket: recordingHello(greetings) }, "websocket");
  await conn.ensureReady();
  assert.equal(conn.state, "ready");
  assert.match(greetings[0].challenge, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(await conn.call("readers.list"), { ok: "readers.list" });
  clearInterval(conn.keepAlive);
});

for (const [name, proofKey] of [["a wrong proof", "ZZZZZZZZZZZZZZZZZZZZ"], ["no proof", null]]) {
  test(`WebSocket: ${name} is an untrusted host; nothing but hello is sent, its events are dropped`, async () => {
    const { conn, log, made } = connection({ websocket: hello(HOST_PROTOCOL_VERSION, proofKey) }, "websocket");
    const heard = [];
    conn.eventListeners.add((m) => heard.push(m));
    const ready = conn.ensureReady().then(() => null, (err) => err);
    await new Promise((r) => setImmediate(r));
    made[0].onMessage({ jsonrpc: "2.0", method: "card.inserted", params: { reader: "R" } });
    assert.equal((await ready).wire.code, "UNTRUSTED_HOST");
    assert.equal(conn.state, "untrustedHost");
    assert.deepEqual(log.filter((l) => l.startsWith("websocket ")), ["websocket bridge.hello"]);
    assert.ok(made[0].closed, "the socket is closed");
    assert.deepEqual(heard, []);
    await assert.rejects(conn.call("vitale.read"), (err) => err.wire.code === "UNTRUSTED_HOST");
    assert.deepEqual(log.filter((l) => l.endsWith("vitale.read")), []);
    clearTimeout(conn.retryTimer);
  });
}

test("WebSocket without a pairing key: pairingRequired, and only hello was sent", async () => {
  const { conn, log } = connection({ native: null, websocket: hello() }, "auto", null);
  await assert.rejects(conn.ensureReady(), (err) => err.wire.code === "PAIRING_REQUIRED");
  assert.equal(conn.state, "pairingRequired");
  assert.deepEqual(log.filter((l) => l.startsWith("websocket ")), ["websocket bridge.hello"]);
  assert.equal(conn.retryTimer, null, "waits for the code rather than retrying");
});

test("a host that closes before answering hello leaves no timer behind", async () => {
  const { conn } = connection({ native: null }, "native");
  const started = Date.now();
  await assert.rejects(conn.ensureReady());
  assert.equal(conn.pending.size, 0);
  assert.ok(Date.now() - started < 1000);
  clearTimeout(conn.retryTimer);
});

test("each failure says what it is: not installed, not running, refused", async () => {
  const native = connection({ native: null }, "native");
  await assert.rejects(native.conn.ensureReady(), (err) => err.wire.code === "HOST_MISSING" && err.wire.details.reason === "notInstalled");
  clearTimeout(native.conn.retryTimer);
  const ws = connection({ websocket: null }, "websocket");
  await assert.rejects(ws.conn.ensureReady(), (err) => err.wire.code === "HOST_MISSING" && err.wire.details.reason === "notRunning");
  clearTimeout(ws.conn.retryTimer);
  const missing = (reason) => ({ code: "HOST_MISSING", message: "", details: { reason } });
  assert.equal(mostTelling([missing("notInstalled"), { code: "FORBIDDEN", message: "", details: { reason: "refused" } }]).code, "FORBIDDEN");
  assert.equal(mostTelling([missing("exited"), missing("notRunning")]).details.reason, "exited");
  assert.equal(mostTelling([missing("notRunning"), missing("notInstalled")]).details.reason, "notInstalled");
});

test("native only: no fallback, a HOST_MISSING state, then a reconnection later", async () => {
  const { conn, log } = connection({ native: null, websocket: hello() }, "native");
  await assert.rejects(conn.ensureReady(), (err) => err.wire.code === "HOST_MISSING" && err.wire.details.reason === "notInstalled");
  assert.equal(conn.state, "unavailable");
  assert.ok(!log.some((l) => l.includes("websocket")));
  assert.ok(conn.retryTimer, "a reconnection is scheduled");
  clearTimeout(conn.retryTimer);
});

test("a host of another protocol major: incompatible, and calls say VERSION_MISMATCH", async () => {
  const { conn } = connection({ native: hello("3.0") });
  await assert.rejects(conn.ensureReady(), (err) => err.wire.code === "VERSION_MISMATCH");
  assert.equal(conn.state, "incompatible");
  assert.equal(conn.summary().error.code, "VERSION_MISMATCH");
});

test("host errors keep their code; a silent host times out", async () => {
  const { conn } = connection({ native: hello() });
  await conn.ensureReady();
  await assert.rejects(conn.call("vitale.read"), (err) => err.wire.code === "NO_CARD");
  await assert.rejects(conn.call("slow", {}, 30), (err) => err.wire.code === "TIMED_OUT");
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

test("WebSocket: a host that refuses the challenge (older than pairing) is untrusted too", async () => {
  const old = (msg) => (msg.method === "bridge.hello"
    ? { error: { code: -32602, message: "Invalid params", data: { code: "INVALID_REQUEST" } } }
    : { result: { stolen: true } });
  const { conn, log } = connection({ websocket: old }, "websocket");
  await assert.rejects(conn.ensureReady(), (err) => err.wire.code === "UNTRUSTED_HOST");
  assert.equal(conn.state, "untrustedHost");
  assert.deepEqual(log.filter((l) => l.startsWith("websocket ")), ["websocket bridge.hello"]);
  clearTimeout(conn.retryTimer);
});
