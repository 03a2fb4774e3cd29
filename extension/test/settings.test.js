import { test } from "node:test";
import assert from "node:assert/strict";

/** storage.local with the practitioner's settings, storage.managed with what IT set. */
let managed = async () => ({});
const local = { settings: { transport: "native", port: 27815, language: "en" } };
globalThis.chrome = {
  storage: {
    local: {
      async get(key) {
        return key in local ? { [key]: structuredClone(local[key]) } : {};
      },
      async set(obj) {
        Object.assign(local, structuredClone(obj));
      },
    },
    managed: { get: () => managed() },
  },
};
const { loadEffectiveSettings, loadPairingKey, savePairingKey, saveSettings } = await import("../src/background/settings.js");
const { policyChanged } = await import("../src/background/policy.js");

test("IT's transport and port win over the practitioner's, and say so", async () => {
  managed = async () => ({ transport: "websocket", websocketPort: 28000, allowedOrigins: [] });
  policyChanged();
  assert.deepEqual(await loadEffectiveSettings(), {
    transport: "websocket", port: 28000, language: "en", managed: { transport: true, port: true },
  });
  // The practitioner's own values stay stored as they were (the policy may be lifted).
  await saveSettings({ language: "fr" });
  assert.deepEqual(local.settings, { transport: "native", port: 27815, language: "fr" });
});

test("no policy (Firefox throws when none is set): the practitioner's settings", async () => {
  managed = async () => {
    throw new Error("Managed storage manifest not found");
  };
  policyChanged();
  const warned = [];
  const warn = console.warn;
  console.warn = (...args) => warned.push(args);
  try {
    const settings = await loadEffectiveSettings();
    assert.equal(settings.transport, "native");
    assert.deepEqual(settings.managed, { transport: false, port: false });
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warned, [], "the normal case is not worth a warning");
});

test("pairing code: typed as printed (dashes, spaces, case), stored as the 20-character key", async () => {
  assert.equal(await savePairingKey("abcd-efgh ijkl-mnop-qrst"), "ABCDEFGHIJKLMNOPQRST");
  assert.equal(await loadPairingKey(), "ABCDEFGHIJKLMNOPQRST");
  for (const bad of ["ABCD-EFGH", "ABCDEFGHIJKLMNOPQRS1", "ABCDEFGHIJKLMNOPQRST0", 12345, null]) {
    assert.equal(await savePairingKey(bad), null, String(bad));
  }
  assert.equal(await loadPairingKey(), "ABCDEFGHIJKLMNOPQRST", "an invalid code replaces nothing");
});
