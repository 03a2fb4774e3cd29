import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Action, CHANNEL, ErrorCode, checkPageRequest, compatible, fromHostError, isAllowedPageUrl, major, originOf, wireError,
} from "../sdk/protocol.js";

test("page requests: only our channel, kind request, a known action, an object of params", () => {
  const ok = { channel: CHANNEL, kind: "request", id: "1", action: Action.READ_VITALE, params: {} };
  assert.equal(checkPageRequest(ok), "");
  assert.notEqual(checkPageRequest({ ...ok, channel: "other" }), "");
  assert.notEqual(checkPageRequest({ ...ok, kind: "response" }), "");
  assert.notEqual(checkPageRequest({ ...ok, action: "vitale.read" }), "");
  assert.notEqual(checkPageRequest({ ...ok, id: 5 }), "");
  assert.notEqual(checkPageRequest({ ...ok, id: "x".repeat(65) }), "");
  assert.notEqual(checkPageRequest({ ...ok, params: [1] }), "");
  assert.notEqual(checkPageRequest({ ...ok, params: null }), "");
  assert.notEqual(checkPageRequest("string"), "");
});

test("secure contexts: https anywhere, http only on loopback names", () => {
  assert.ok(isAllowedPageUrl("https://ehr.example.fr/patient"));
  assert.ok(isAllowedPageUrl("http://localhost:8080/"));
  assert.ok(isAllowedPageUrl("http://127.0.0.1:1234/x"));
  assert.ok(isAllowedPageUrl("http://[::1]:80/"));
  assert.ok(!isAllowedPageUrl("http://ehr.example.fr/"));
  assert.ok(!isAllowedPageUrl("http://localhost.evil.fr/"));
  assert.ok(!isAllowedPageUrl("file:///tmp/x.html"));
  assert.ok(!isAllowedPageUrl("data:text/html,hi"));
  assert.ok(!isAllowedPageUrl("not a url"));
});

test("origins are exact scheme://host[:port]", () => {
  assert.equal(originOf("https://ehr.example.fr:8443/a/b?c#d"), "https://ehr.example.fr:8443");
  assert.equal(originOf("https://ehr.example.fr:443/"), "https://ehr.example.fr");
  assert.equal(originOf("data:text/html,x"), "");
  assert.equal(originOf("garbage"), "");
});

test("versions: same major is compatible", () => {
  assert.equal(major("1.0"), 1);
  assert.ok(compatible("1.0", "1.7"));
  assert.ok(!compatible("2.0", "1.0"));
  assert.ok(!compatible("x", "1.0"));
  assert.ok(!compatible(undefined, "1.0"));
});

test("host errors keep their stable code and details", () => {
  const e = fromHostError({ code: -32010, message: "No card is inserted.", data: { code: "NO_CARD", reader: "R1" } });
  assert.deepEqual(e, { code: ErrorCode.NO_CARD, message: "No card is inserted.", details: { reader: "R1" } });
  assert.equal(fromHostError({ code: -32602, message: "bad" }).code, ErrorCode.INVALID_REQUEST);
  assert.equal(fromHostError({ code: -32603, message: "x" }).code, ErrorCode.BRIDGE);
  assert.equal(fromHostError({ code: -32099, data: { code: "SOMETHING_NEW" } }).code, ErrorCode.UNKNOWN);
  assert.equal(wireError("NOPE", "m").code, ErrorCode.UNKNOWN);
});

test("PendingCalls: settles once by id, times out with its own error, rejects all on close", async () => {
  const { PendingCalls } = await import("../sdk/protocol.js");
  const calls = new PendingCalls();
  const ok = calls.add("a", 1000);
  const failed = calls.add("b", 1000);
  const slow = calls.add("c", 5, () => new Error("too slow"));
  const forever = calls.add("d", 0);
  assert.equal(calls.size, 4);
  assert.equal(calls.settle("a", null, 42), true);
  assert.equal(calls.settle("a", null, 43), false, "an id settles once");
  assert.equal(calls.settle("zz", null, 1), false, "unknown ids are ignored");
  calls.settle("b", new Error("no card"));
  assert.equal(await ok, 42);
  await assert.rejects(failed, /no card/);
  await assert.rejects(slow, /too slow/);
  calls.rejectAll(() => new Error("closed"));
  await assert.rejects(forever, /closed/);
  assert.equal(calls.size, 0);
});
