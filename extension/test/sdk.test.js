import { test } from "node:test";
import assert from "node:assert/strict";
import { CHANNEL, ErrorCode, PAGE_PROTOCOL_VERSION } from "../sdk/protocol.js";
import * as sdk from "../sdk/vitale-bridge.js";
import {
  CardRemovedError, ConnectionClosedError, ExtensionMissingError, FrameNotSupportedError, NoCardError, OriginRefusedError, TimedOutError, VersionMismatchError,
  VitaleBridge, VitaleBridgeError, errorFromWire,
} from "../sdk/vitale-bridge.js";

/** A window with postMessage delivering to its own listeners, as a browser does. */
class FakeWindow {
  constructor(origin = "https://ehr.example.fr") {
    this.location = { origin };
    this.isSecureContext = true;
    this.top = this;
    this.listeners = new Set();
    this.posted = [];
  }
  addEventListener(type, fn) {
    if (type === "message") this.listeners.add(fn);
  }
  removeEventListener(type, fn) {
    this.listeners.delete(fn);
  }
  postMessage(data, targetOrigin, source = this, origin = this.location.origin) {
    this.posted.push({ data, targetOrigin });
    const event = { data: structuredClone(data), source, origin };
    setTimeout(() => {
      for (const fn of [...this.listeners]) fn(event);
    }, 0);
  }
}

/** A stand-in content script answering with `handler(action, params)`. */
function contentScript(win, handler) {
  win.addEventListener("message", async (event) => {
    const msg = event.data;
    if (msg.channel !== CHANNEL || msg.kind !== "request") return;
    try {
      const result = await handler(msg.action, msg.params);
      win.postMessage({ channel: CHANNEL, kind: "response", id: msg.id, result }, win.location.origin);
    } catch (error) {
      win.postMessage({ channel: CHANNEL, kind: "response", id: msg.id, error }, win.location.origin);
    }
  });
}

const HELLO = { extensionVersion: "0.1.0", protocolVersion: PAGE_PROTOCOL_VERSION };
const STATUS = { state: "ready", host: { version: "0.1.0" } };

test("connect: no content script answering means the extension is missing", async () => {
  const win = new FakeWindow();
  await assert.rejects(VitaleBridge.connect({ window: win, detectTimeout: 50 }), (err) => {
    assert.ok(err instanceof ExtensionMissingError);
    assert.equal(err.code, ErrorCode.EXTENSION_MISSING);
    return true;
  });
  assert.equal(win.listeners.size, 0, "listener removed after failure");
});

test("connect: an insecure page is refused before anything is sent", async () => {
  const win = new FakeWindow("http://ehr.example.fr");
  win.isSecureContext = false;
  await assert.rejects(VitaleBridge.connect({ window: win }), (err) => err.code === ErrorCode.INSECURE_CONTEXT);
  assert.equal(win.posted.length, 0);
});

test("connect: a different extension protocol major is a version mismatch", async () => {
  const win = new FakeWindow();
  contentScript(win, (action) => (action === "hello" ? { extensionVersion: "9.0.0", protocolVersion: "3.0" } : STATUS));
  await assert.rejects(VitaleBridge.connect({ window: win }), VersionMismatchError);
});

test("connect: consent refused is an OriginRefusedError", async () => {
  const win = new FakeWindow();
  contentScript(win, (action) => {
    if (action === "hello") return HELLO;
    throw { code: "ORIGIN_REFUSED", message: "no", details: { origin: "https://ehr.example.fr" } };
  });
  await assert.rejects(VitaleBridge.connect({ window: win }), (err) => err instanceof OriginRefusedError && err.details.origin === "https://ehr.example.fr");
});

test("readVitale sends the options and returns the result; errors come back typed", async () => {
  const win = new FakeWindow();
  const seen = [];
  let cardIn = true;
  contentScript(win, (action, params) => {
    seen.push([action, params]);
    if (action === "hello") return HELLO;
    if (action === "connect") return STATUS;
    if (action === "readVitale") {
      if (!cardIn) throw { code: "NO_CARD", message: "No card" };
      return { beneficiaries: [{ nom: "DUPONT" }] };
    }
    return {};
  });
  const bridge = await VitaleBridge.connect({ window: win });
  assert.equal(bridge.extension.version, "0.1.0");
  const read = await bridge.readVitale({ scope: "clear" });
  assert.equal(read.beneficiaries[0].nom, "DUPONT");
  assert.deepEqual(seen.at(-1), ["readVitale", { scope: "clear", resolveOd: true }]);
  cardIn = false;
  await assert.rejects(bridge.readVitale(), NoCardError);
  await bridge.resolveOd("01", "751", "0601");
  assert.deepEqual(seen.at(-1), ["resolveOd", { regime: "01", caisse: "751", centre: "0601" }]);
  await bridge.searchOd("paris", { limit: 5 });
  assert.deepEqual(seen.at(-1), ["searchOd", { query: "paris", limit: 5 }]);
  bridge.close();
  await assert.rejects(bridge.readVitale(), (err) => err.code === ErrorCode.CONNECTION_CLOSED);
});

test("a call with no answer times out with a TimedOutError", async () => {
  const win = new FakeWindow();
  contentScript(win, (action) => (action === "hello" ? HELLO : action === "connect" ? STATUS : new Promise(() => {})));
  const bridge = await VitaleBridge.connect({ window: win, timeout: 60 });
  await assert.rejects(bridge.cpsStatus(), (err) => err instanceof TimedOutError && err.code === ErrorCode.TIMED_OUT);
  bridge.close();
});

test("events reach listeners; messages from other windows or origins are ignored", async () => {
  const win = new FakeWindow();
  contentScript(win, (action) => (action === "hello" ? HELLO : action === "connect" ? STATUS : { subscribed: true }));
  const bridge = await VitaleBridge.connect({ window: win });
  const got = [];
  const off = bridge.on("card.removed", (e) => got.push(e));
  await bridge.eventsReady();
  const event = { channel: CHANNEL, kind: "event", event: "card.removed", data: { reader: "R", cardType: "vitale2" } };
  win.postMessage(event, "*", {}); // another window (an iframe, an opener)
  win.postMessage(event, "*", win, "https://evil.example"); // another origin
  win.postMessage({ ...event, event: "card.exploded" }, "*");
  win.postMessage(event, "*");
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, [{ type: "card.removed", reader: "R", cardType: "vitale2" }]);
  off();
  win.postMessage(event, "*");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(got.length, 1);
  assert.throws(() => bridge.on("card.read", () => {}), VitaleBridgeError);
  bridge.close();
});

test("errorFromWire: known codes get their class, unknown keep the code", () => {
  assert.ok(errorFromWire({ code: "CARD_REMOVED", message: "m" }) instanceof CardRemovedError);
  const e = errorFromWire({ code: "PCSC_UNAVAILABLE", message: "m" });
  assert.ok(e instanceof VitaleBridgeError);
  assert.equal(e.code, "PCSC_UNAVAILABLE");
  assert.equal(errorFromWire(null).code, ErrorCode.UNKNOWN);
});

test("errorFromWire rebuilds every exported error class from its code", () => {
  const classes = Object.values(sdk).filter((v) => typeof v === "function" && v.prototype instanceof VitaleBridgeError);
  assert.equal(classes.length, 21);
  for (const Cls of classes) {
    const code = new Cls("m").code;
    const e = errorFromWire({ code, message: "m", details: { k: 1 } });
    assert.ok(e instanceof Cls, code);
    assert.equal(e.name, Cls.name);
    assert.deepEqual(e.details, { k: 1 });
  }
});

test("connect in a frame: FrameNotSupportedError at once, nothing posted", async () => {
  const win = new FakeWindow();
  win.top = {};
  await assert.rejects(VitaleBridge.connect({ window: win }), FrameNotSupportedError);
  assert.deepEqual(win.posted, []);
});

test("connect sends its timeout, so the extension closes the consent window in time", async () => {
  const win = new FakeWindow();
  const seen = [];
  contentScript(win, (action, params) => {
    seen.push([action, params]);
    return action === "hello" ? HELLO : STATUS;
  });
  const bridge = await VitaleBridge.connect({ window: win, timeout: 4000 });
  assert.deepEqual(seen[1], ["connect", { timeout: 4000 }]);
  bridge.close();
});

test("close(): pending calls reject with CONNECTION_CLOSED, later calls too", async () => {
  const win = new FakeWindow();
  contentScript(win, (action) => (action === "readVitale" ? new Promise(() => {}) : action === "hello" ? HELLO : STATUS));
  const bridge = await VitaleBridge.connect({ window: win });
  const reading = bridge.readVitale();
  bridge.close();
  await assert.rejects(reading, (err) => err instanceof ConnectionClosedError && err.code === ErrorCode.CONNECTION_CLOSED);
  await assert.rejects(bridge.readers(), ConnectionClosedError);
});

test("vitale-bridge.d.ts declares every export of the SDK, and every ErrorCode", async () => {
  const fs = await import("node:fs");
  const dts = fs.readFileSync(new URL("../sdk/vitale-bridge.d.ts", import.meta.url), "utf8");
  for (const name of Object.keys(sdk)) {
    if (name === "default") continue;
    assert.match(dts, new RegExp(`export declare (const|class|function) ${name}\\b`), name);
  }
  for (const code of Object.values(ErrorCode)) assert.ok(dts.includes(`readonly ${code}: "${code}";`), code);
});

test("docs/sdk.md's error table names every typed error class of the SDK, with its code", async () => {
  const fs = await import("node:fs");
  const doc = fs.readFileSync(new URL("../../docs/sdk.md", import.meta.url), "utf8");
  for (const [name, value] of Object.entries(sdk)) {
    if (typeof value !== "function" || !(value.prototype instanceof sdk.VitaleBridgeError)) continue;
    const code = new value("m").code;
    assert.ok(doc.includes(`| \`${code}\` | \`${name}\` |`), `${name} (${code}) missing from the table`);
  }
});
