import { test } from "node:test";
import assert from "node:assert/strict";

/** Just enough of the extension API for Access: storage areas and windows. */
function fakeApi() {
  const area = () => {
    const data = {};
    return {
      data,
      async get(key) {
        return key in data ? { [key]: structuredClone(data[key]) } : {};
      },
      async set(obj) {
        Object.assign(data, structuredClone(obj));
      },
    };
  };
  const api = {
    storage: { local: area(), session: area() },
    runtime: { getURL: (p) => `chrome-extension://id/${p}` },
    opened: [],
    closed: [],
    windows: {
      async create(opts) {
        api.opened.push(opts.url);
        return { id: api.opened.length };
      },
      async remove(id) {
        api.closed.push(id);
      },
    },
  };
  return api;
}

const api = fakeApi();
globalThis.chrome = api;
const { Access } = await import("../src/background/access.js");

async function answerNextPrompt(access, decision) {
  for (let i = 0; i < 50 && access.prompts.size === 0; i++) await new Promise((r) => setTimeout(r, 2));
  const [id, entry] = [...access.prompts][0];
  assert.equal(access.promptInfo(id).origin, entry.origin);
  assert.ok(access.answer(id, decision));
}

test("always: stored, listed, no second prompt; revoke asks again", async () => {
  const access = new Access();
  const asking = access.require("https://ehr.example.fr", 1);
  await answerNextPrompt(access, "always");
  await asking;
  assert.deepEqual(await access.list(), ["https://ehr.example.fr"]);
  const before = api.opened.length;
  await access.require("https://ehr.example.fr", 2);
  assert.equal(api.opened.length, before, "no prompt for an allowed origin");
  await access.revoke("https://ehr.example.fr");
  assert.equal(await access.isAllowed("https://ehr.example.fr", 2), false);
});

test("once: this tab only, forgotten when the tab closes", async () => {
  const access = new Access();
  const asking = access.require("https://once.example", 7);
  await answerNextPrompt(access, "once");
  await asking;
  assert.ok(await access.isAllowed("https://once.example", 7));
  assert.ok(!(await access.isAllowed("https://once.example", 8)));
  assert.deepEqual(await access.list(), []);
  await access.tabClosed(7);
  assert.ok(!(await access.isAllowed("https://once.example", 7)));
});

test("refuse: ORIGIN_REFUSED, and the tab is not prompted again", async () => {
  const access = new Access();
  const asking = access.require("https://evil.example", 3);
  await answerNextPrompt(access, "refuse");
  await assert.rejects(asking, (err) => err.wire.code === "ORIGIN_REFUSED" && err.wire.details.origin === "https://evil.example");
  const before = api.opened.length;
  await assert.rejects(access.require("https://evil.example", 3), (err) => err.wire.code === "ORIGIN_REFUSED");
  assert.equal(api.opened.length, before);
});

test("concurrent requests share one prompt; closing the window refuses this time only", async () => {
  const access = new Access();
  const before = api.opened.length;
  const a = access.require("https://two.example", 4);
  const b = access.require("https://two.example", 4);
  for (let i = 0; i < 50 && access.prompts.size === 0; i++) await new Promise((r) => setTimeout(r, 2));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(api.opened.length, before + 1);
  const [, entry] = [...access.prompts][0];
  access.windowClosed(entry.windowId);
  await assert.rejects(a, (err) => err.wire.code === "ORIGIN_REFUSED");
  await assert.rejects(b, (err) => err.wire.code === "ORIGIN_REFUSED");
  // not remembered: the next request asks again
  const c = access.require("https://two.example", 4);
  await answerNextPrompt(access, "once");
  await c;
});

test("no origin: refused without a prompt", async () => {
  const access = new Access();
  await assert.rejects(access.require("", 1), (err) => err.wire.code === "ORIGIN_REFUSED");
});
