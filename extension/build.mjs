#!/usr/bin/env node
/**
 * Build the extension for each browser family from the one source tree:
 *
 *   dist/chrome/   + dist/vitale-bridge-chrome-<version>.zip    (MV3 service worker, "key")
 *   dist/firefox/  + dist/vitale-bridge-firefox-<version>.zip   (MV3 background scripts, gecko id)
 *
 * manifest.json holds the union of both; each target drops what the other browser would
 * warn about. The content script is a classic script in browsers, so the shared protocol
 * module is inlined into it here. Zips are written with fixed timestamps (reproducible).
 */

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.join(ROOT, "dist");
const COPY = ["_locales", "icons", "src", "sdk/protocol.js"];
const CONTENT = "src/content/content.js";

/** @param {"chrome"|"firefox"} target */
export function manifestFor(target) {
  const m = JSON.parse(fs.readFileSync(path.join(ROOT, "manifest.json"), "utf8"));
  if (target === "chrome") {
    delete m.browser_specific_settings;
    m.background = { service_worker: m.background.service_worker, type: "module" };
  } else {
    delete m.key;
    delete m.minimum_chrome_version;
    m.background = { scripts: m.background.scripts, type: "module" };
  }
  return m;
}

/** The content script as a classic script: protocol.js inlined, imports/exports removed. */
export function bundleContentScript() {
  const protocol = fs
    .readFileSync(path.join(ROOT, "sdk/protocol.js"), "utf8")
    .replace(/^export (const|function|class) /gm, "$1 ");
  const content = fs.readFileSync(path.join(ROOT, CONTENT), "utf8").replace(/^import \{[^}]*\} from "[^"]+";\n/gm, "");
  if (/^\s*(import|export)\s/m.test(protocol + content)) throw new Error("content script still has import/export");
  return `// Built by build.mjs from sdk/protocol.js and ${CONTENT}: do not edit.\n(() => {\n"use strict";\n${protocol}\n${content}\n})();\n`;
}

function copy(src, dst) {
  const stat = fs.statSync(src);
  if (stat.isDirectory()) {
    fs.mkdirSync(dst, { recursive: true });
    for (const name of fs.readdirSync(src).sort()) copy(path.join(src, name), path.join(dst, name));
  } else {
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(src, dst);
  }
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (fs.statSync(full).isDirectory()) out.push(...listFiles(full, base));
    else out.push(path.relative(base, full).split(path.sep).join("/"));
  }
  return out;
}

/** A plain zip (deflate), entries sorted, timestamps fixed to 2024-01-01 00:00. */
export function zipDirectory(dir, outFile) {
  const DOS_TIME = 0;
  const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const name of listFiles(dir)) {
    const data = fs.readFileSync(path.join(dir, name));
    const deflated = zlib.deflateRawSync(data, { level: 9 });
    const crc = zlib.crc32(data) >>> 0;
    const nameBuf = Buffer.from(name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    // The central entry repeats the local header's fields (version needed .. extra length) after
    // its own "version made by"; then come comment, disk, attributes (all zero) and the offset.
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    local.copy(central, 6, 4, 30);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, deflated);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + deflated.length;
  }
  const centralBuf = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(centralBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeFileSync(outFile, Buffer.concat([...locals, centralBuf, end]));
}

export function build(targets = ["chrome", "firefox"]) {
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, "manifest.json"), "utf8")).version;
  const outputs = {};
  for (const target of targets) {
    const out = path.join(DIST, target);
    fs.rmSync(out, { recursive: true, force: true });
    for (const item of COPY) copy(path.join(ROOT, item), path.join(out, item));
    fs.writeFileSync(path.join(out, CONTENT), bundleContentScript());
    fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifestFor(target), null, 2) + "\n");
    const zip = path.join(DIST, `vitale-bridge-${target}-${version}.zip`);
    zipDirectory(out, zip);
    outputs[target] = { dir: out, zip };
  }
  return outputs;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const targets = process.argv.slice(2).length ? process.argv.slice(2) : ["chrome", "firefox"];
  for (const [target, out] of Object.entries(build(targets))) {
    console.log(`${target}: ${path.relative(ROOT, out.dir)}/ and ${path.relative(ROOT, out.zip)}`);
  }
}
