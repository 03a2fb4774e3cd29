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
const { cleanPolicy } = await import("../src/background/policy.js");

/** An Access with no click-jacking delay (tested on its own) and the given IT policy. */
function newAccess(policy = {}, armDelay = 0) {
  return new Access({ armDelay, policy: async () => cleanPolicy(policy) });
}

async function answerNextPrompt(access, decision) {
  for (let i = 0; i < 50 && access.prompts.size === 0; i++) await new Promise((r) => setTimeout(r, 2));
  const [id, entry] = [...access.prompts][0];
  assert.equal(access.promptInfo(id).origin, entry.origin);
  assert.ok(access.answer(id, decision));
}

test("always: stored, listed, no second prompt; revoke asks again", async () => {
  const access = newAccess();
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
  const access = newAccess();
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
  const access = newAccess();
  const asking = access.require("https://evil.example", 3);
  await answerNextPrompt(access, "refuse");
  await assert.rejects(asking, (err) => err.wire.code === "ORIGIN_REFUSED" && err.wire.details.origin === "https://evil.example");
  const before = api.opened.length;
  await assert.rejects(access.require("https://evil.example", 3), (err) => err.wire.code === "ORIGIN_REFUSED");
  assert.equal(api.opened.length, before);
});

test("concurrent requests share one prompt; closing the window refuses this time only", async () => {
  const access = newAccess();
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
  const access = newAccess();
  await assert.rejects(access.require("", 1), (err) => err.wire.code === "ORIGIN_REFUSED");
});

test("two tabs of one origin: one prompt, and its answer holds for both", async () => {
  const access = newAccess();
  const before = api.opened.length;
  const first = access.require("https://tabs.example", 11);
  const second = access.require("https://tabs.example", 12);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(api.opened.length, before + 1, "one consent window");
  await answerNextPrompt(access, "always");
  await first;
  await second;
  assert.deepEqual(await access.list(), ["https://tabs.example"]);
});

test("once, for two waiting tabs, allows both tabs (and only them)", async () => {
  const access = newAccess();
  const first = access.require("https://both.example", 21);
  const second = access.require("https://both.example", 22);
  await answerNextPrompt(access, "once");
  await Promise.all([first, second]);
  assert.ok(await access.isAllowed("https://both.example", 21));
  assert.ok(await access.isAllowed("https://both.example", 22));
  assert.ok(!(await access.isAllowed("https://both.example", 23)));
});

test("a tab closed while its origin's window is open gets no decision recorded", async () => {
  const access = newAccess();
  const staying = access.require("https://closing.example", 71);
  access.require("https://closing.example", 72).catch(() => undefined); // its tab goes away
  await new Promise((r) => setTimeout(r, 5));
  await access.tabClosed(72);
  await answerNextPrompt(access, "once");
  await staying;
  assert.deepEqual(Object.keys(await access.tabDecisions()).filter((k) => k.endsWith("closing.example")), ["71|https://closing.example"]);
});

test("the page's deadline: a clear TIMED_OUT, and the window closes when nobody waits any more", async () => {
  const access = newAccess();
  const closedBefore = api.closed.length;
  await assert.rejects(access.require("https://slow.example", 31, { timeout: 30 }), (err) =>
    err.wire.code === "TIMED_OUT" && err.wire.details.step === "consent");
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(access.prompts.size, 0);
  assert.equal(api.closed.length, closedBefore + 1, "the consent window was closed");
  // not remembered as a refusal: asking again opens a new window
  const again = access.require("https://slow.example", 31);
  await answerNextPrompt(access, "once");
  await again;
});

test("a waiter timing out does not close the window another tab still waits on", async () => {
  const access = newAccess();
  const patient = access.require("https://shared.example", 41);
  await assert.rejects(access.require("https://shared.example", 42, { timeout: 20 }), (err) => err.wire.code === "TIMED_OUT");
  assert.equal(access.prompts.size, 1);
  await answerNextPrompt(access, "always");
  await patient;
});

test("consent answers are refused until the window has been shown for armDelay", async () => {
  const access = newAccess({}, 80);
  const asking = access.require("https://jack.example", 51);
  for (let i = 0; i < 50 && access.prompts.size === 0; i++) await new Promise((r) => setTimeout(r, 2));
  const [id] = [...access.prompts.keys()];
  assert.equal(access.answer(id, "always"), false, "not even shown yet");
  assert.equal(access.promptInfo(id).armDelay, 80);
  assert.equal(access.answer(id, "always"), false, "too early: a click aimed at the page below");
  await new Promise((r) => setTimeout(r, 90));
  assert.equal(access.answer(id, "always"), true);
  await asking;
});

test("IT policy: a pre-approved origin needs no prompt, a blocked one is refused without one", async () => {
  const access = newAccess({
    allowedOrigins: ["https://dpi.hopital.fr", "not an origin", "https://x.fr/path"],
    blockedOrigins: ["https://evil.example"],
  });
  const before = api.opened.length;
  await access.require("https://dpi.hopital.fr", 61);
  assert.ok(await access.isAllowed("https://dpi.hopital.fr", 99));
  await assert.rejects(access.require("https://evil.example", 61), (err) =>
    err.wire.code === "ORIGIN_REFUSED" && err.wire.details.byPolicy === true);
  assert.equal(api.opened.length, before, "no prompt either way");
  assert.deepEqual(await access.managed(), { allowed: ["https://dpi.hopital.fr"], blocked: ["https://evil.example"] });
  // Blocked wins over the practitioner's own "always".
  await access.add("https://evil.example");
  assert.equal(await access.isAllowed("https://evil.example", 61), false);
  await assert.rejects(access.require("https://evil.example", 61), (err) => err.wire.details.byPolicy === true);
  assert.equal(api.opened.length, before, "still no prompt");
});

test("cleanPolicy keeps exact origins and valid values only", () => {
  assert.deepEqual(cleanPolicy({ allowedOrigins: ["https://a.fr", "https://a.fr/", "https://a.fr"], transport: "websocket", websocketPort: 28000 }), {
    allowedOrigins: ["https://a.fr"], blockedOrigins: [], transport: "websocket", websocketPort: 28000,
  });
  assert.deepEqual(cleanPolicy({ transport: "carrier-pigeon", websocketPort: 80, allowedOrigins: "https://a.fr" }), {
    allowedOrigins: [], blockedOrigins: [], transport: null, websocketPort: null,
  });
});
