import { test } from "node:test";
import assert from "node:assert/strict";
import { handlePageAction } from "../src/background/actions.js";
import { BridgeFailure } from "../src/background/host.js";

function setup({ allowed = true } = {}) {
  const calls = [];
  const releases = [];
  const host = {
    state: "ready",
    async ensureReady() {},
    summary: () => ({ extension: { version: "0.1.0" }, state: "ready", transport: "native", host: { version: "0.1.0" }, error: null }),
    async call(method, params) {
      calls.push([method, params]);
      if (method === "vitale.read") await new Promise((r) => releases.push(r));
      return { method };
    },
  };
  const access = {
    async require(origin) {
      if (!allowed) throw new BridgeFailure("ORIGIN_REFUSED", `refused ${origin}`);
    },
  };
  const ctx = { host, access, readsInFlight: new Set() };
  return { ctx, calls, release: () => releases.shift()() };
}

const caller = { origin: "https://ehr.example.fr", tabId: 1 };

test("a refused origin never reaches the host", async () => {
  const { ctx, calls } = setup({ allowed: false });
  for (const action of ["connect", "status", "readers", "readVitale", "cpsStatus", "searchOd", "subscribe"]) {
    await assert.rejects(handlePageAction(ctx, caller, action, { query: "x" }), (err) => err.wire.code === "ORIGIN_REFUSED");
  }
  assert.deepEqual(calls, []);
});

test("one card read at a time per tab; other tabs are not blocked", async () => {
  const s = setup();
  const first = handlePageAction(s.ctx, caller, "readVitale", {});
  await new Promise((r) => setTimeout(r, 5));
  await assert.rejects(handlePageAction(s.ctx, caller, "readVitale", {}), (err) => err.wire.code === "READ_IN_PROGRESS");
  const otherTab = handlePageAction(s.ctx, { ...caller, tabId: 2 }, "readVitale", {});
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(s.calls.filter(([m]) => m === "vitale.read").length, 2);
  s.release();
  s.release();
  await first;
  await otherTab;
  assert.equal(s.ctx.readsInFlight.size, 0);
});

test("params are checked and cleaned before the host sees them", async () => {
  const { ctx, calls } = setup();
  await assert.rejects(handlePageAction(ctx, caller, "resolveOd", { regime: "1", caisse: "751", centre: "0601" }), (err) => err.wire.code === "INVALID_REQUEST");
  await handlePageAction(ctx, caller, "resolveOd", { regime: "01", caisse: "751", centre: "0601", evil: "x" });
  assert.deepEqual(calls.at(-1), ["od.resolve", { regime: "01", caisse: "751", centre: "0601" }]);
  await assert.rejects(handlePageAction(ctx, caller, "hello", {}), (err) => err.wire.code === "INVALID_REQUEST");
  await assert.rejects(handlePageAction(ctx, caller, "simulator.remove", {}), (err) => err.wire.code === "INVALID_REQUEST");
});
