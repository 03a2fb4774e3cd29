import { test } from "node:test";
import assert from "node:assert/strict";
import { readVitaleParams, resolveOdParams, searchOdParams } from "../src/background/validate.js";

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
  assert.equal(code(() => searchOdParams({ query: "a", limit: 51 })), "INVALID_REQUEST");
});
