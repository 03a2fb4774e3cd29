import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PORT, ErrorCode, NATIVE_HOST_NAME } from "../sdk/protocol.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REPO = path.resolve(ROOT, "..");
const identity = fs.readFileSync(path.join(REPO, "bridge/identity.py"), "utf8");
const py = (name) => new RegExp(`^${name} = "?([^"\\n]+)"?$`, "m").exec(identity)[1];

test("protocol constants agree with the host", () => {
  assert.equal(NATIVE_HOST_NAME, py("NATIVE_HOST_NAME"));
  assert.equal(DEFAULT_PORT, Number(py("DEFAULT_PORT")));
  // The options page keeps its own copy of the id (to tell a build the host knows from another).
  const options = fs.readFileSync(path.join(ROOT, "src/options/options.js"), "utf8");
  assert.equal(/const CHROME_EXTENSION_ID = "([a-p]{32})"/.exec(options)?.[1], py("CHROME_EXTENSION_ID"));
  const errors = fs.readFileSync(path.join(REPO, "bridge/errors.py"), "utf8");
  // Each class's numeric and string codes; the abstract bases (-32000 but BridgeError's BRIDGE) are never sent.
  const pairs = [...errors.matchAll(/^\s+rpc_code(?:: ClassVar\[int\])? = (-\d+)\n\s+code(?:: ClassVar\[str\])? = "([A-Z0-9_]+)"$/gm)];
  const sent = pairs.filter((m) => m[1] !== "-32000" || m[2] === "BRIDGE").map((m) => m[2]);
  assert.ok(sent.includes("BRIDGE") && sent.includes("READER_BUSY") && sent.length > 20, sent.join());
  for (const c of sent) assert.ok(Object.values(ErrorCode).includes(c), `${c} known to the page protocol`);
});

test("French and English messages have the same keys, and every key used exists", () => {
  const fr = JSON.parse(fs.readFileSync(path.join(ROOT, "_locales/fr/messages.json"), "utf8"));
  const en = JSON.parse(fs.readFileSync(path.join(ROOT, "_locales/en/messages.json"), "utf8"));
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "manifest.json"), "utf8"));
  assert.equal(manifest.default_locale, "fr");
  const used = new Set();
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) walk(full);
      else if (/\.(html|js)$/.test(name) && name !== "i18n.js") {
        const text = fs.readFileSync(full, "utf8");
        for (const m of text.matchAll(/data-i18n(?:-title)?="([a-z_A-Z]+)"/g)) used.add(m[1]);
        for (const m of text.matchAll(/\bt\("([a-z_A-Z]+)"/g)) used.add(m[1]);
      }
    }
  };
  walk(path.join(ROOT, "src"));
  for (const key of used) assert.ok(fr[key], `message ${key} exists`);
  for (const code of ["HOST_MISSING", "NO_CARD", "NO_READER", "CARD_REMOVED", "CPS_REQUIRED", "VERSION_MISMATCH", "TIMED_OUT"]) {
    assert.ok(fr[`err_${code}`], `plain-words message for ${code}`);
  }
});

