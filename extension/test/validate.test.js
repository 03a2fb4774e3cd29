import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_LIMITS, hostLimits, limitsFrom, readVitaleParams, resolveOdParams, searchOdParams } from "../src/background/validate.js";

const code = (fn) => {
  try {
    fn();
  } catch (err) {
    return err.wire.code;
  }
  return "no error";
};

test("readVitale params: defaults, known scopes, unknown fields dropped", () => {
  assert.deepEqual(readVitaleParams({}), { scope: "auto", resolveOd: true });
  assert.deepEqual(readVitaleParams({ scope: "clear", resolveOd: false, extra: 1 }), { scope: "clear", resolveOd: false });
  assert.deepEqual(readVitaleParams({ reader: "R" }), { scope: "auto", resolveOd: true, reader: "R" });
  assert.equal(code(() => readVitaleParams({ scope: "everything" })), "INVALID_REQUEST");
  assert.equal(code(() => readVitaleParams({ resolveOd: "yes" })), "INVALID_REQUEST");
  assert.equal(code(() => readVitaleParams({ reader: "" })), "INVALID_REQUEST");
  assert.equal(code(() => readVitaleParams({ reader: "x".repeat(201) })), "INVALID_REQUEST");
});

test("resolveOd params: digits of the exact lengths", () => {
  assert.deepEqual(resolveOdParams({ regime: "01", caisse: "751", centre: "0601", x: 1 }), { regime: "01", caisse: "751", centre: "0601" });
  for (const bad of [{ regime: "1", caisse: "751", centre: "0601" }, { regime: "01", caisse: "75a", centre: "0601" }, { regime: "01", caisse: "751", centre: 601 }]) {
    assert.equal(code(() => resolveOdParams(bad)), "INVALID_REQUEST");
  }
});

test("searchOd params: bounded text and limit", () => {
  assert.deepEqual(searchOdParams({ query: "paris" }), { query: "paris", limit: 20 });
  assert.equal(code(() => searchOdParams({ query: "" })), "INVALID_REQUEST");
  assert.equal(code(() => searchOdParams({ query: "x".repeat(101) })), "INVALID_REQUEST");
  assert.equal(code(() => searchOdParams({ query: "a", limit: 0 })), "INVALID_REQUEST");
  assert.equal(code(() => searchOdParams({ query: "a", limit: 101 })), "INVALID_REQUEST");
});

/** The shape of rpc.discover's params (bridge/rpc/openrpc.py), with limits of another host. */
const DISCOVER = {
  methods: [
    { name: "od.search", params: [
      { name: "query", schema: { type: "string", minLength: 1, maxLength: 60 } },
      { name: "limit", schema: { type: "integer", minimum: 1, maximum: 250 } },
    ] },
    { name: "vitale.read", params: [{ name: "reader", schema: { anyOf: [{ type: "string", maxLength: 80 }, { type: "null" }] } }] },
  ],
};

test("the limits are the host's: read from its rpc.discover document", async () => {
  const limits = limitsFrom(DISCOVER);
  assert.deepEqual(limits, { searchQueryMax: 60, searchLimitMax: 250, readerNameMax: 80 });
  assert.deepEqual(searchOdParams({ query: "a", limit: 250 }, limits), { query: "a", limit: 250 });
  assert.equal(code(() => searchOdParams({ query: "a", limit: 251 }, limits)), "INVALID_REQUEST");
  assert.equal(code(() => searchOdParams({ query: "x".repeat(61) }, limits)), "INVALID_REQUEST");
  assert.equal(code(() => readVitaleParams({ reader: "x".repeat(81) }, limits)), "INVALID_REQUEST");
  assert.deepEqual(await hostLimits({ describe: async () => DISCOVER }), limits);
  // A host that cannot say: the defaults, never a crash.
  assert.deepEqual(limitsFrom({}), DEFAULT_LIMITS);
  const quiet = console.warn;
  console.warn = () => {};
  try {
    assert.deepEqual(await hostLimits({ describe: async () => { throw new Error("no"); } }), DEFAULT_LIMITS);
  } finally {
    console.warn = quiet;
  }
});
