import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";
import { bundleContentScript, manifestFor, zipDirectory } from "../build.mjs";
import { DEFAULT_PORT, ErrorCode, NATIVE_HOST_NAME } from "../sdk/protocol.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REPO = path.resolve(ROOT, "..");
const identity = fs.readFileSync(path.join(REPO, "bridge/identity.py"), "utf8");
const py = (name) => new RegExp(`^${name} = "?([^"\\n]+)"?$`, "m").exec(identity)[1];

function chromeId(keyB64) {
  const hex = crypto.createHash("sha256").update(Buffer.from(keyB64, "base64")).digest("hex").slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join("");
}

test("the Chrome manifest key is bridge/identity.py's and gives its extension id", () => {
  const chrome = manifestFor("chrome");
  assert.equal(chrome.key, py("EXTENSION_PUBLIC_KEY"));
  assert.equal(chromeId(chrome.key), py("CHROME_EXTENSION_ID"));
  assert.equal(chrome.background.service_worker, "src/background/main.js");
  assert.equal(chrome.browser_specific_settings, undefined);
  const options = fs.readFileSync(path.join(ROOT, "src/options/options.js"), "utf8");
  assert.ok(options.includes(`"${py("CHROME_EXTENSION_ID")}"`), "options page knows the built-in id");
});

test("the Firefox manifest has the gecko id, background scripts and no key", () => {
  const firefox = manifestFor("firefox");
  assert.equal(firefox.browser_specific_settings.gecko.id, py("FIREFOX_ADDON_ID"));
  assert.deepEqual(firefox.background.scripts, ["src/background/main.js"]);
  assert.equal(firefox.key, undefined);
  assert.equal(firefox.content_security_policy.extension_pages.includes("upgrade-insecure-requests"), false);
});

test("protocol constants agree with the host", () => {
  assert.equal(NATIVE_HOST_NAME, py("NATIVE_HOST_NAME"));
  assert.equal(DEFAULT_PORT, Number(py("DEFAULT_PORT")));
  const errors = fs.readFileSync(path.join(REPO, "bridge/errors.py"), "utf8");
  const hostCodes = [...errors.matchAll(/^\s+code = "([A-Z_]+)"$/gm)].map((m) => m[1]);
  const leaves = hostCodes.filter((c) => !/_ERROR_GENERIC$|^(READER_ERROR|OD_ERROR|ACCESS_ERROR|LIMIT)$/.test(c));
  for (const c of leaves) assert.ok(Object.values(ErrorCode).includes(c), `${c} known to the page protocol`);
});

test("the content script builds into a classic script with the protocol inlined", () => {
  const code = bundleContentScript();
  assert.doesNotMatch(code, /^\s*(import|export)\s/m);
  new vm.Script(code); // parses as a classic script
  assert.match(code, /const CHANNEL = "vitale-bridge";/);
});

test("French and English messages have the same keys, and every key used exists", () => {
  const fr = JSON.parse(fs.readFileSync(path.join(ROOT, "_locales/fr/messages.json"), "utf8"));
  const en = JSON.parse(fs.readFileSync(path.join(ROOT, "_locales/en/messages.json"), "utf8"));
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  assert.equal(manifestFor("chrome").default_locale, "fr");
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
  for (const code of ["HOST_MISSING", "NO_CARD", "NO_READER", "CARD_REMOVED", "CPS_REQUIRED", "VERSION_MISMATCH", "TIMEOUT"]) {
    assert.ok(fr[`err_${code}`], `plain-words message for ${code}`);
  }
});

test("zips are readable by unzip-like parsing: entries and sizes", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vb-zip-"));
  fs.mkdirSync(path.join(dir, "a"));
  fs.writeFileSync(path.join(dir, "a/x.txt"), "hello hello hello");
  fs.writeFileSync(path.join(dir, "b.json"), "{}");
  const out = path.join(dir, "out.zip");
  zipDirectory(dir, out);
  const buf = fs.readFileSync(out);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.equal(buf.readUInt16LE(end + 10), 2);
  const first = buf.readUInt16LE(26);
  assert.equal(buf.subarray(30, 30 + first).toString(), "a/x.txt");
  fs.rmSync(dir, { recursive: true });
});
